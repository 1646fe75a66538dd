"""The frequency content of attention and of hidden states.

- ``attention_spectrum``: the 2-D FFT magnitude of a layer's attention maps (B, H, T, T) after
  subtracting uniform causal attention (1 / (t + 1) on and below the diagonal: the shape every
  causal map shares, whose triangle would otherwise dominate every spectrum), averaged over the
  batch (per head, or over heads too).
- ``resonance_score``: how much of an attention map's structure is periodic / collective:
  the share of the non-DC spectral power |F|^2 held by the strongest 1% of frequency bins. A map
  made of a few periodic patterns (attending every k-th token, phase-locked stripes) puts its
  power into a few bins (score near 1); diffuse or noise-like attention spreads it (near 0.01).
  The constant component (bin (0, 0)) is left out: every causal attention row sums to 1.
- ``spectral_consistency``: how much of a baseline layer's hidden-state spectrum a variant
  keeps, ``1 - TV(p_base, p_var)`` with p the normalised power spectrum over time (mean over
  batch and channels, after removing each sequence's mean) and TV the total-variation distance:
  1 = the same distribution of power over frequencies, 0 = disjoint.
"""

from __future__ import annotations

import torch


def attention_spectrum(att: torch.Tensor, per_head: bool = False) -> torch.Tensor:
    """(B, H, T, T) attention maps -> mean |FFT2| of (A - uniform causal attention) over the
    batch: (H, T, T), or (T, T) averaged over heads; zero frequency in the centre (fftshift)."""
    if att.dim() != 4 or att.shape[-1] != att.shape[-2]:
        raise ValueError(f"attention maps must be (B, H, T, T), got {tuple(att.shape)}")
    T = att.shape[-1]
    uniform = torch.ones(T, T).tril() / torch.arange(1, T + 1).unsqueeze(1)
    mag = torch.fft.fftshift(torch.fft.fft2(att.float() - uniform).abs(), dim=(-2, -1)).mean(0)
    return mag if per_head else mag.mean(0)


def resonance_score(spectrum: torch.Tensor, top: float = 0.01) -> float:
    """Share of non-DC power in the strongest ``top`` fraction of bins of a centred (T, T)
    magnitude spectrum (see the module docstring)."""
    T = spectrum.shape[-1]
    p = spectrum.double().pow(2).flatten().clone()
    p[(T // 2) * T + T // 2] = 0.0  # the DC bin, after fftshift
    k = max(1, int(round(top * p.numel())))
    total = p.sum()
    return float(p.topk(k).values.sum() / total) if total > 0 else 0.0


def power_spectrum(h: torch.Tensor) -> torch.Tensor:
    """(B, T, C) -> normalised power over time frequencies (T // 2 + 1,)."""
    h = h.detach().double()
    h = h - h.mean(1, keepdim=True)
    p = torch.fft.rfft(h, dim=1).abs().pow(2).mean((0, 2))
    return p / p.sum().clamp_min(1e-30)


def spectral_consistency(h_base: torch.Tensor, h_var: torch.Tensor) -> float:
    """1 - total-variation distance between the two hidden states' power spectra."""
    return float(1 - 0.5 * (power_spectrum(h_base) - power_spectrum(h_var)).abs().sum())
