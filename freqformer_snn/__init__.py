"""FreqFormer-SNN: attention replaced by a field of coupled resonators, as a rate model and as
spiking networks. See README.md and DESIGN.md."""

from .baselines import TransformerClassifier, TransformerConfig
from .checkpoint import CheckpointError, load_model, save_checkpoint
from .counting import count_params, freqformer_flops, measure_matmul_flops
from .frontends import BitSlicer, FilterBank
from .model import (
    EnergyNorm,
    FreqFormer,
    FreqFormerBlock,
    FreqFormerConfig,
    IntensityGate,
    PhaseCoupling,
    ResonatorField,
    SeedFreqFormerBlock,
    ThresholdEvents,
    resonator_scan,
    resonator_step,
    threshold_events,
)

__version__ = "0.1.0"
__all__ = ["BitSlicer", "CheckpointError", "EnergyNorm", "FilterBank", "FreqFormer",
           "FreqFormerBlock", "FreqFormerConfig", "IntensityGate", "PhaseCoupling",
           "ResonatorField", "SeedFreqFormerBlock", "ThresholdEvents", "TransformerClassifier",
           "TransformerConfig", "count_params", "freqformer_flops", "load_model",
           "measure_matmul_flops", "resonator_scan", "resonator_step", "save_checkpoint",
           "threshold_events"]
