"""Parameters and FLOPs: the "no big matrices" claim, measured.

FLOP convention: one multiply-add = 2 FLOPs, as ``torch.utils.flop_counter`` counts matrix
products. ``flop_counter`` counts only matrix products (mm, addmm, bmm, attention kernels); it does
not count FFTs or elementwise work. ``freqformer_flops`` therefore splits its analytic count into

- ``matmul``: the matrix products, which must equal what ``flop_counter`` measures on the same
  model and input (tested in tests/test_counting.py);
- ``fft``: the resonator's FFT convolution, 5 n log2 n real FLOPs per complex FFT of length n
  (the standard radix-2 estimate);
- ``elementwise``: norms, resonator/coupling complex arithmetic (a complex multiply is 6 FLOPs,
  a complex add 2), abs, threshold, residuals: an estimate, counted per operation below.

``streaming`` is the same network run one step at a time (what a spiking or embedded deployment
runs): the FFT is replaced by one complex multiply-add per channel per step.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from .model import FreqFormer, FreqFormerBlock


def count_params(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def measure_matmul_flops(model: nn.Module, x: torch.Tensor) -> int:
    """FLOPs of one forward pass as ``torch.utils.flop_counter`` counts them (matrix products)."""
    was_training = model.training
    model.eval()
    try:
        with FlopCounterMode(display=False) as counter:
            model(x)
    finally:
        model.train(was_training)
    return int(counter.get_total_flops())


def _fft(n: int) -> float:
    return 5.0 * n * math.log2(n)


def freqformer_flops(model: FreqFormer, T: int, batch: int = 1) -> dict:
    """Analytic FLOPs of one forward pass of ``model`` on (batch, T) input.

    Returns a dict with ``matmul``, ``fft``, ``elementwise``, ``total`` (parallel form, per
    forward pass) and ``streaming_total`` (step form over the same T steps).
    """
    cfg = model.config
    C, B = cfg.n_channels, batch
    BT = B * T
    mm = 0.0 if cfg.task == "lm" else 2.0 * BT * cfg.n_inputs * C  # embedding lookup: no FLOPs
    fft = 0.0
    ew = 0.0
    stream_extra = 0.0  # streaming resonator work that replaces the FFT
    for blk in model.blocks:
        ew += 4 * BT * C  # EnergyNorm: square, mean, rsqrt-scale, gain
        if isinstance(blk, FreqFormerBlock):
            K = blk.coupling.n_neighbours
            n = 2 * T
            fft += B * C * 2 * _fft(n) + C * _fft(n)  # fft(u), ifft(U*K) per sample; fft(kernel) once
            ew += B * n * C * 6 + T * C * 8 + 2 * BT * C  # spectrum product; kernel exp; input scale
            stream_extra += 8 * BT * C - (B * C * 2 * _fft(n) + C * _fft(n)) - (B * n * C * 6 + T * C * 8)
            ew += BT * C * K * 8  # coupling: complex multiply-add per neighbour
            ew += 4 * BT * C  # |w|
        else:  # seed block: sigmoid(Linear) and masked coupling matmul
            mm += 2 * BT * C * C * 2  # strength Linear, s @ (coupling * mask)
            ew += 4 * BT * C + C * C
        ew += 2 * BT * C  # threshold
        if isinstance(blk.out, nn.Linear):
            mm += 2 * BT * C * C
        else:
            ew += 2 * BT * C
        ew += BT * C  # residual
    n_out = cfg.vocab_size if cfg.task == "lm" else cfg.n_classes
    rows = BT if cfg.task == "lm" else B
    if cfg.task == "classify":
        ew += BT * C  # pooling
    ew += 4 * rows * C  # final EnergyNorm
    mm += 2 * rows * C * n_out
    total = mm + fft + ew
    return {"matmul": int(mm), "fft": int(fft), "elementwise": int(ew), "total": int(total),
            "streaming_total": int(total + stream_extra)}


def transformer_flops(d_model: int, n_layers: int, d_ff: int, T: int, n_inputs: int,
                      n_out: int, batch: int = 1) -> int:
    """Matrix-product FLOPs of a Transformer encoder classifier (what flop_counter counts).

    Per layer: QKV projection 2*T*d*3d, scores 2*T*T*d, weighted sum 2*T*T*d, output projection
    2*T*d*d, feed-forward 2*T*d*d_ff*2; plus input projection and head.
    """
    per_layer = 2 * T * d_model * 3 * d_model + 4 * T * T * d_model + 2 * T * d_model * d_model \
        + 4 * T * d_model * d_ff
    return batch * (2 * T * n_inputs * d_model + n_layers * per_layer + 2 * d_model * n_out)
