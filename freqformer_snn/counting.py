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

from .baselines import TransformerClassifier
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


def freqformer_flops(model: FreqFormer, n: int, batch: int = 1) -> dict:
    """Analytic FLOPs of one forward pass of ``model`` on input of length n (time steps, or
    audio samples with the filter-bank front end) and batch size ``batch``.

    Returns a dict with ``matmul``, ``fft``, ``elementwise``, ``total`` (parallel form, per
    forward pass) and ``streaming_total`` (step form over the same steps).
    """
    cfg = model.config
    C, B = cfg.n_channels, batch
    if cfg.task == "lm":  # embedding lookup: no FLOPs
        T, mm, fft, ew = n, 0.0, 0.0, 0.0
    else:
        front = model.front.flops(n, B)
        T = model.front.n_steps(n)
        mm = front["matmul"] + 2.0 * B * T * cfg.n_features * C
        fft, ew = float(front["fft"]), float(front["elementwise"])
    BT = B * T
    stream_extra = 0.0  # streaming resonator work that replaces the FFT
    for blk in model.blocks:
        ew += 4 * BT * C  # EnergyNorm: square, mean, rsqrt-scale, gain
        if isinstance(blk, FreqFormerBlock):
            K = blk.coupling.n_neighbours
            n = 2 * T
            conv_fft = B * C * 2 * _fft(n) + C * _fft(n)  # fft(u), ifft(U*K) per sample; fft(kernel)
            conv_ew = B * n * C * 6 + T * C * 8  # spectrum product; kernel exp
            fft += conv_fft
            ew += conv_ew + 2 * BT * C  # + input scale
            stream_extra += 8 * BT * C - conv_fft - conv_ew  # one complex multiply-add per step instead
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


def transformer_flops(model: TransformerClassifier, n: int, batch: int = 1) -> dict:
    """Analytic FLOPs of a Transformer encoder classifier on input of length n.

    Matrix products per layer: QKV projection 2*T*d*3d, scores 2*T*T*d, weighted sum 2*T*T*d,
    output projection 2*T*d*d, feed-forward 2*T*d*d_ff*2; plus front end, input projection and
    head. ``attention`` (scores and weighted sum) is listed apart because flop_counter does not see
    PyTorch's CPU attention kernel; softmax, norms and activations are not counted.
    """
    c = model.config
    d, T = c.d_model, model.front.n_steps(n)
    front = model.front.flops(n, batch)
    attention = batch * c.n_layers * 4 * T * T * d
    mm = front["matmul"] + batch * (2 * T * c.n_features * d + 2 * d * c.n_classes + c.n_layers * (
        2 * T * d * 3 * d + 2 * T * d * d + 4 * T * d * c.d_ff))
    return {"matmul": mm, "attention": attention, "fft": front["fft"],
            "total": mm + attention + front["fft"] + front["elementwise"]}


def _malloc_in_use():
    """Bytes in use by glibc malloc (heap + mmap), or None where mallinfo2 is unavailable."""
    import ctypes

    class _MallInfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                                    "usmblks", "fsmblks", "uordblks", "fordblks",
                                                    "keepcost")]

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
    except (OSError, AttributeError):
        return None

    def used() -> int:
        m = libc.mallinfo2()
        return m.uordblks + m.hblkhd

    return used


def peak_bytes(fn) -> int | None:
    """Peak memory ``fn()`` allocates beyond what was in use before it, in bytes.

    PyTorch's CPU allocator is glibc malloc: its bytes in use are sampled after every ATen
    operation (a TorchDispatchMode; backward's operations too, when ``fn`` calls backward) and
    the maximum above the starting level is reported. Returns None where glibc's ``mallinfo2``
    is unavailable.
    """
    from torch.utils._python_dispatch import TorchDispatchMode

    used = _malloc_in_use()
    if used is None:
        return None

    class _Peak(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.base = used()
            self.peak = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            self.peak = max(self.peak, used() - self.base)
            return out

    with _Peak() as p:
        fn()
    return int(p.peak)


@torch.no_grad()
def peak_memory_bytes(model: nn.Module, x: torch.Tensor) -> int | None:
    """Peak memory one inference pass allocates beyond what was in use before it (activations and
    workspace; parameters excluded), in bytes (``peak_bytes``). A warm-up pass first keeps
    one-time allocations (thread pools, kernel caches) out."""
    model.eval()
    model(x)  # warm-up
    return peak_bytes(lambda: model(x))
