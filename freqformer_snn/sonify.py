"""Hear the frequency field: every channel becomes a tone, its loudness the channel's intensity."""

from __future__ import annotations

import numpy as np


def resonator_tones(omega: np.ndarray, lo_hz: float = 100.0, hi_hz: float = 4000.0) -> np.ndarray:
    """Audible tone for each resonator: omega in (0, pi) per frame mapped log-uniformly onto
    [lo_hz, hi_hz], so the order of channels in frequency is kept. (A resonator's own frequency,
    omega / 2 pi x the frame rate, is below 50 Hz at 100 frames/s: too low to hear.)"""
    return lo_hz * (hi_hz / lo_hz) ** (np.asarray(omega, dtype=np.float64) / np.pi)


def sonify(field: np.ndarray, freqs_hz: np.ndarray, frame_rate: float,
           sample_rate: int = 16000, seed: int = 0) -> np.ndarray:
    """Render a (C, T) intensity field as audio: sum_c a_c(t) sin(2 pi f_c t + phi_c).

    a_c(t) is the channel's intensity linearly interpolated from frames to samples; phi_c is a
    random phase (fixed by ``seed``) so the tones do not all start in phase. Peak-normalised to
    0.9; a silent field gives silence.
    """
    field = np.asarray(field, dtype=np.float64)
    C, T = field.shape
    if len(freqs_hz) != C:
        raise ValueError(f"need one frequency per channel: {C} channels, {len(freqs_hz)} frequencies")
    n = int(round(T * sample_rate / frame_rate))
    t = np.arange(n) / sample_rate
    frames = np.arange(T) / frame_rate
    phase = np.random.default_rng(seed).uniform(0, 2 * np.pi, C)
    out = np.zeros(n)
    for c in range(C):
        amp = np.interp(t, frames, np.clip(field[c], 0, None))
        out += amp * np.sin(2 * np.pi * freqs_hz[c] * t + phase[c])
    peak = np.abs(out).max()
    return (0.9 * out / peak if peak > 0 else out).astype(np.float32)
