"""Front ends: turn raw input into a vector of channel intensities per time step.

``BitSlicer``   numbers (B, T) -> bit channels (B, T, n_bits), most significant bit first.
``FilterBank``  audio (B, S) at ``sample_rate`` -> log band energies (B, T, n_bands), mel-spaced
                triangular bands over a short-time Fourier transform; ``causal=True`` frames only
                look back, so the front end can stream.

Neither has trainable parameters: they are the fixed "frequency slicer" the model listens through.
"""

from __future__ import annotations

import math

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
