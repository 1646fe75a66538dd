"""Parameter and FLOP counts: analytic matrix-product FLOPs equal torch.utils.flop_counter's."""

import pytest
import torch

from freqformer_snn import (
    FreqFormer,
    FreqFormerConfig,
    TransformerClassifier,
    TransformerConfig,
    count_params,
    freqformer_flops,
    measure_matmul_flops,
)
from freqformer_snn.counting import transformer_flops


@pytest.mark.parametrize("kw", [
    {}, {"channel_mix": "diagonal"}, {"mixer": "seed"}, {"n_inputs": 3, "n_layers": 3},
    {"task": "lm", "vocab_size": 30}, {"task": "lm", "vocab_size": 30, "mixer": "seed"},
    {"front_end": "filterbank", "n_bands": 8}, {"front_end": "bits", "n_bits": 12},
])
@pytest.mark.parametrize("T, B", [(1, 1), (40, 1), (33, 3)])
def test_analytic_matmul_flops_equal_flop_counter(kw, T, B):
    m = FreqFormer(FreqFormerConfig(n_channels=16, **kw))
    cfg = m.config
    if cfg.task == "lm":
        x = torch.randint(0, cfg.vocab_size, (B, T))
    elif cfg.front_end == "filterbank":
        T = 1000 * T  # audio samples
        x = torch.randn(B, T)
    elif cfg.front_end == "bits":
        x = torch.randn(B, T)
    else:
        x = torch.randn(B, T, cfg.n_inputs)
    f = freqformer_flops(m, T, batch=B)
    assert f["matmul"] == measure_matmul_flops(m, x)
    assert f["total"] == f["matmul"] + f["fft"] + f["elementwise"]
    if m.config.mixer == "resonator":
        assert f["fft"] > 0 and f["streaming_total"] < f["total"] + 1


def test_diagonal_channel_mix_has_no_block_matmuls():
    m = FreqFormer(FreqFormerConfig(n_channels=16, channel_mix="diagonal"))
    f = freqformer_flops(m, 10)
    assert f["matmul"] == 2 * 10 * 1 * 16 + 2 * 16 * 10  # front end + head only


@pytest.mark.parametrize("T", [8, 40])
def test_transformer_flops_projections_equal_flop_counter(T):
    cfg = TransformerConfig(d_model=32, n_layers=2, n_heads=4, d_ff=64, max_len=T)
    m = TransformerClassifier(cfg)
    f = transformer_flops(m, T)
    assert f["attention"] == 2 * 4 * T * T * 32  # scores + weighted sum, per layer
    assert f["matmul"] == measure_matmul_flops(m, torch.randn(1, T, 1))


def test_count_params():
    m = FreqFormer(FreqFormerConfig(n_channels=8, n_layers=1, coupling_band=2))
    C, K = 8, 4
    block = C + 2 * C + (2 * C * K + 1) + C + (C * C + C)  # norm, field, coupling, theta, out
    # (the front end's normalisation statistics are buffers, not parameters)
    expected = (1 * C + C) + block + C + (C * 10 + 10)  # embed, block, norm, head
    assert count_params(m) == expected
