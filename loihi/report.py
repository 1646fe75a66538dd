"""What Loihi imposes on a built network, and what it does per inference.

- ``core_report``: nengo-loihi gives every block (an ensemble, or a piece of one that exceeds a
  core) a core of its own; per core the compartments, input and output axons and synapse
  memory used against Loihi's limits (nengo_loihi.block: 1024 compartments, 4096 input and 4096
  output axons, 16384 x 64 bits of synapse memory), the cores and chips (128 cores each) needed,
  and what runs off-chip.
- ``fit_problems`` / ``DoesNotFit``: what does not fit a given number of cores, in words.
- ``quantisation``: how far the 8-bit weights (mantissa with a shared exponent per synapse
  group) are from the float weights of the same mapping.
- ``OpCounter``: spikes and synaptic operations counted in the emulator, step by step.
"""

from __future__ import annotations

import math

import numpy as np

CORES_PER_CHIP = 128  # Loihi (Davies et al. 2018)
LIMITS = {"compartments": 1024, "in-axons": 4096, "out-axons": 4096, "synapses": 16384 * 64}


class DoesNotFit(RuntimeError):
    """The network needs more of the chip than there is; ``report`` says what."""

    def __init__(self, problems: list[str], report: dict | None = None):
        self.problems, self.report = problems, report or {}
        super().__init__("the network does not fit on Loihi:\n  - " + "\n  - ".join(problems))


def core_report(model) -> dict:
    """Per-core use of a built ``nengo_loihi`` model (``sim.model``) and its totals."""
    cores = []
    for block in model.blocks:
        u = block.utilization()
        cores.append({"label": str(block.label), **{k: int(v[0]) for k, v in u.items()}})
    use = {k: np.array([c[k] for c in cores]) for k in LIMITS}
    n_synapses = sum(int(sum(w.size for w in s.weights)) for b in model.blocks for s in b.synapses)
    host = [o for o in model.host.params if type(o).__name__ == "Node"]
    return {
        "cores": len(cores),
        "chips": math.ceil(len(cores) / CORES_PER_CHIP),
        "compartments": int(use["compartments"].sum()),
        "synapses": n_synapses,
        "per_core_max": {k: int(v.max()) for k, v in use.items()},
        "per_core_mean": {k: float(v.mean()) for k, v in use.items()},
        "per_core_limit": dict(LIMITS),
        "fullest_core": {k: cores[int(v.argmax())]["label"] for k, v in use.items()},
        "host_nodes": len(host),
        "per_core": cores,
    }


def fit_problems(report: dict, cores: int) -> list[str]:
    """What does not fit on ``cores`` Loihi neuron cores (empty if it fits)."""
    problems = []
    if report["cores"] > cores:
        problems.append(f"needs {report['cores']} cores ({report['chips']} chip(s) of "
                        f"{CORES_PER_CHIP}); {cores} are available")
    for k, lim in LIMITS.items():
        if report["per_core_max"][k] > lim:
            problems.append(f"core {report['fullest_core'][k]!r} uses {report['per_core_max'][k]} "
                            f"{k} (a core has {lim})")
    return problems


def quantisation(float_model, quantised_model) -> dict:
    """Relative RMS error of the on-chip weights after quantisation, per synapse group:
    ``||s wq - w|| / ||w||`` with s the least-squares scale between the integer weights wq and
    the float weights w of the same mapping (the chip's scale is shared by a whole core)."""
    errs, bits = [], set()
    for bf, bq in zip(float_model.blocks, quantised_model.blocks):
        for sf, sq in zip(bf.synapses, bq.synapses):
            w = np.concatenate([x.ravel() for x in sf.weights]).astype(float)
            wq = np.concatenate([x.ravel() for x in sq.weights]).astype(float)
            if w.size == 0 or not np.any(w):
                continue
            s = (wq @ w) / max(wq @ wq, 1e-30)
            errs.append(float(np.linalg.norm(s * wq - w) / np.linalg.norm(w)))
            bits.add(int(sq.synapse_cfg.real_weight_bits))
    errs = np.array(errs)
    return {"synapse_groups": int(errs.size), "weight_bits": sorted(bits),
            "relative_error_median": float(np.median(errs)),
            "relative_error_p90": float(np.percentile(errs, 90)),
            "relative_error_max": float(errs.max())}


def _fan_out(axons, n) -> np.ndarray:
    """Synapse entries one spike of each of n sources reaches through ``axons``."""
    fan = np.zeros(n)
    for axon in axons:
        syn = axon.target
        for i, spike in enumerate(axon.map_spikes(np.arange(n))):
            if spike is not None:
                fan[i] += syn.axon_weights_indices(spike.axon_idx, atom=spike.atom)[0].size
    return fan


class OpCounter:
    """Counts spikes and synaptic operations of an emulator run (``nengo_loihi.Simulator`` on
    target 'sim' or 'simreal'): on-chip spikes times the synapse entries each reaches, plus the
    spikes the host sends in (host -> chip) times theirs. Wraps the emulator's step."""

    def __init__(self, sim, record: bool = False):
        emu = sim.sims["emulator"]
        info = emu.block_info
        self.fan = np.zeros(info.n_compartments)
        for block, sl in info.slices.items():
            self.fan[sl] = _fan_out(block.axons, block.n_neurons)
        self.spikes = np.zeros(info.n_compartments)
        self.slices = {str(b.label): sl for b, sl in info.slices.items()}
        self.trains = [] if record else None  # per step, the indices of the spiking compartments
        self.input_spikes, self.input_synops = 0, 0.0
        for si in emu.inputs:
            fan = _fan_out(si.axons, si.n_neurons)
            si.spike_idxs = self._counting(si.spike_idxs, fan)
        step = emu.step

        def counted_step():
            step()
            self.spikes += emu.compartment.spiked
            if self.trains is not None:
                self.trains.append(np.flatnonzero(emu.compartment.spiked))

        emu.step = counted_step

    def _counting(self, spike_idxs, fan):
        def wrapped(ti):
            idx = spike_idxs(ti)
            if len(idx):
                self.input_spikes += len(idx)
                self.input_synops += float(fan[np.asarray(idx, int)].sum())
            return idx
        return wrapped

    @property
    def synops(self) -> float:
        return float(self.spikes @ self.fan) + self.input_synops
