"""Front ends: turn raw input into a vector of channel intensities per time step.

``BitSlicer``   numbers (B, T) -> bit channels (B, T, n_bits), most significant bit first.
``FilterBank``  audio (B, S) at ``sample_rate`` -> log band energies (B, T, n_bands), mel-spaced
                triangular bands over a short-time Fourier transform; ``causal=True`` frames only
                look back, so the front end can stream.

Neither has trainable parameters: they are the fixed "frequency slicer" the model listens through.
``FrontEnd`` picks one of them (or none) from a ``FrontEndConfig`` and normalises each feature
with statistics measured on training data (``FrontEnd.fit``), stored with the model's weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn


class BitSlicer(nn.Module):
    """Slice numbers into N bit-channels.

    ``q = round((x - lo) / (hi - lo) * (2^N - 1))`` clipped to [0, 2^N - 1] (offset binary), then
    channel k is bit (N-1-k) of q. Output is 0/1 (or -1/+1 with ``signed=True``), float32.
    """

    def __init__(self, n_bits: int = 24, lo: float = -4.0, hi: float = 4.0, signed: bool = False):
        super().__init__()
        if not 1 <= n_bits <= 52:
            raise ValueError(f"n_bits must be in [1, 52] (float64 mantissa), got {n_bits}")
        if not hi > lo:
            raise ValueError(f"need hi > lo, got lo={lo}, hi={hi}")
        self.n_bits, self.lo, self.hi, self.signed = n_bits, lo, hi, signed
        self.register_buffer("shifts", torch.arange(n_bits - 1, -1, -1, dtype=torch.long),
                             persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T) or (B, T, 1) -> (B, T, n_bits)."""
        if x.dim() == 3 and x.shape[-1] == 1:
            x = x.squeeze(-1)
        if x.dim() != 2:
            raise ValueError(f"BitSlicer: expected (B, T) or (B, T, 1), got {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise ValueError("BitSlicer: input contains NaN/Inf values")
        levels = 2 ** self.n_bits - 1
        q = torch.round((x.double() - self.lo) / (self.hi - self.lo) * levels).clamp(0, levels)
        bits = (q.long().unsqueeze(-1) >> self.shifts) & 1  # (B, T, n_bits)
        bits = bits.float()
        return 2 * bits - 1 if self.signed else bits

    def decode(self, bits: torch.Tensor) -> torch.Tensor:
        """Inverse of forward up to quantisation: (B, T, n_bits) -> (B, T)."""
        b = (bits > (0 if self.signed else 0.5)).long()
        q = (b << self.shifts).sum(-1).double()
        return (self.lo + q / (2 ** self.n_bits - 1) * (self.hi - self.lo)).float()


def hz_to_mel(f):
    return 2595.0 * math.log10(1.0 + f / 700.0)


def mel_to_hz(m):
    return 700.0 * (10 ** (m / 2595.0) - 1.0)


def mel_filters(n_bands: int, n_fft: int, sample_rate: int, f_min: float, f_max: float) -> torch.Tensor:
    """Triangular mel filters (HTK mel scale), shape (n_fft // 2 + 1, n_bands), peak 1."""
    mels = torch.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_bands + 2)
    hz = mel_to_hz(mels)  # (n_bands + 2,)
    freqs = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1).unsqueeze(1)  # (F, 1)
    lo, mid, hi = hz[:-2], hz[1:-1], hz[2:]
    up = (freqs - lo) / (mid - lo)
    down = (hi - freqs) / (hi - mid)
    return torch.clamp(torch.minimum(up, down), min=0.0)  # (F, n_bands)


class FilterBank(nn.Module):
    """Audio -> log mel band energies, one vector of channel intensities per frame.

    Frames of ``win_ms`` every ``hop_ms`` with a Hann window. With ``causal=True`` the signal is
    padded on the left only, so frame t ends at sample ``t * hop`` and never sees later audio;
    otherwise frames are centred. ``log(energy + 1e-6)`` compresses the dynamic range.
    """

    def __init__(self, sample_rate: int = 16000, n_bands: int = 40, win_ms: float = 30.0,
                 hop_ms: float = 10.0, f_min: float = 20.0, f_max: float | None = None,
                 causal: bool = True):
        super().__init__()
        f_max = sample_rate / 2 if f_max is None else f_max
        if not 0 <= f_min < f_max <= sample_rate / 2:
            raise ValueError(f"need 0 <= f_min < f_max <= sample_rate/2, got {f_min}, {f_max}")
        self.sample_rate, self.n_bands, self.causal = sample_rate, n_bands, causal
        self.win = int(round(sample_rate * win_ms / 1000))
        self.hop = int(round(sample_rate * hop_ms / 1000))
        self.n_fft = 2 ** math.ceil(math.log2(self.win))
        self.register_buffer("window", torch.hann_window(self.win), persistent=False)
        self.register_buffer("fb", mel_filters(n_bands, self.n_fft, sample_rate, f_min, f_max),
                             persistent=False)
        # centre frequency of each band, Hz: what a sonification or a resonator init can use
        mels = torch.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_bands + 2)[1:-1]
        self.register_buffer("centre_hz", mel_to_hz(mels), persistent=False)

    def n_frames(self, n_samples: int) -> int:
        return n_samples // self.hop + 1 if not self.causal else (n_samples - 1) // self.hop + 1

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """(B, S) float audio in [-1, 1] -> (B, T, n_bands) log energies."""
        if audio.dim() != 2:
            raise ValueError(f"FilterBank: expected audio of shape (B, S), got {tuple(audio.shape)}")
        if audio.shape[1] < self.win:
            raise ValueError(f"FilterBank: need at least {self.win} samples, got {audio.shape[1]}")
        if not torch.isfinite(audio).all():
            raise ValueError("FilterBank: audio contains NaN/Inf values")
        if self.causal:  # frame t covers samples (t*hop - win, t*hop]: only the past
            x = nn.functional.pad(audio, (self.win - 1, 0))
            frames = x.unfold(1, self.win, self.hop)  # (B, T, win)
        else:
            x = nn.functional.pad(audio, (self.win // 2, self.win // 2))
            frames = x.unfold(1, self.win, self.hop)
        spec = torch.fft.rfft(frames * self.window, n=self.n_fft).abs().pow(2)  # (B, T, F)
        return torch.log(spec @ self.fb + 1e-6)  # (B, T, n_bands)


def check_input(x: torch.Tensor, n: int, where: str) -> None:
    """Raise a clear error unless x is a finite float tensor of shape (B, T, n)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{where}: expected a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 3:
        raise ValueError(f"{where}: expected shape (B, T, {n}), got {tuple(x.shape)} (rank {x.dim()})")
    if x.shape[-1] != n:
        raise ValueError(f"{where}: expected {n} channels in the last dim, got {x.shape[-1]} "
                         f"(shape {tuple(x.shape)})")
    if not x.is_floating_point():
        raise TypeError(f"{where}: expected a float tensor, got {x.dtype}")
    if not torch.isfinite(x).all():
        bad = (~torch.isfinite(x)).sum().item()
        raise ValueError(f"{where}: input contains {bad} NaN/Inf values")


@dataclass
class FrontEndConfig:
    """How raw input becomes channel intensities; a base of every model config.

    front_end "none":       input (B, T, n_inputs) features, used as they are
              "filterbank": input (B, S) audio at sample_rate -> (B, T, n_bands) log-mel energies
              "bits":       input (B, T) numbers -> (B, T, n_bits) bit channels
    """

    front_end: str = "none"
    n_inputs: int = 1  # features per step for front_end="none"
    sample_rate: int = 16000
    n_bands: int = 40
    win_ms: float = 30.0
    hop_ms: float = 10.0
    n_bits: int = 24
    bits_lo: float = -4.0
    bits_hi: float = 4.0

    def __post_init__(self):
        if self.front_end not in ("none", "filterbank", "bits"):
            raise ValueError(f"front_end must be one of ('none', 'filterbank', 'bits'), "
                             f"got {self.front_end!r}")
        if self.n_inputs < 1:
            raise ValueError(f"n_inputs must be >= 1, got {self.n_inputs}")

    @property
    def n_features(self) -> int:
        return {"none": self.n_inputs, "filterbank": self.n_bands, "bits": self.n_bits}[self.front_end]


class FrontEnd(nn.Module):
    """Raw input -> (B, T, n_features), each feature standardised with stored statistics.

    ``mean`` and ``std`` are buffers (saved in checkpoints, not trained): 0 and 1 until ``fit``
    measures them on training data.
    """

    def __init__(self, config: FrontEndConfig):
        super().__init__()
        self.kind, n = config.front_end, config.n_features
        if self.kind == "filterbank":
            self.slicer = FilterBank(config.sample_rate, config.n_bands, config.win_ms,
                                     config.hop_ms, causal=True)
        elif self.kind == "bits":
            self.slicer = BitSlicer(config.n_bits, config.bits_lo, config.bits_hi)
        else:
            self.slicer = None
        self.n_features = n
        self.register_buffer("mean", torch.zeros(n))
        self.register_buffer("std", torch.ones(n))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Unnormalised features (B, T, n_features); validates the raw input."""
        if self.slicer is None:
            check_input(x, self.n_features, "FrontEnd")
            return x
        return self.slicer(x)

    @torch.no_grad()
    def fit(self, x: torch.Tensor) -> None:
        """Set mean/std per feature from a batch of training input."""
        f = self.features(x).reshape(-1, self.n_features)
        self.mean.copy_(f.mean(0))
        self.std.copy_(f.std(0).clamp_min(1e-3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.features(x) - self.mean) / self.std

    def n_steps(self, n: int) -> int:
        """Time steps produced from input of length n (samples for audio, steps otherwise)."""
        return self.slicer.n_frames(n) if self.kind == "filterbank" else n

    def flops(self, n: int, batch: int = 1) -> dict:
        """FLOPs of the front end on (batch, n) input: matmul (mel projection), fft, elementwise."""
        F_ = self.n_features
        T = self.n_steps(n)
        if self.kind == "filterbank":
            fb = self.slicer
            bins = fb.n_fft // 2 + 1
            return {"matmul": 2 * batch * T * bins * F_,
                    "fft": int(batch * T * 2.5 * fb.n_fft * math.log2(fb.n_fft)),  # real FFT
                    "elementwise": batch * T * (fb.win + 3 * bins + 2 * F_ + 2 * F_)}
        return {"matmul": 0, "fft": 0, "elementwise": 2 * batch * T * F_}
