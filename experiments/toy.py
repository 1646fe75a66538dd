"""A two-class toy for the spiking notebooks and tests: a slow sinusoid vs a faster one, random
phase and amplitude, and a tiny FreqFormer trained on it in a few seconds."""

from __future__ import annotations

import numpy as np
import torch

from freqformer_snn import FreqFormer, FreqFormerConfig

from .common import train_classifier


def sinusoids(n: int, seed: int, T: int = 40, freqs=(0.3, 1.8), jitter: float = 0.1):
    """x (n, T, 1) float32, y (n,): class k is a sinusoid of ``freqs[k]`` rad/step (+- jitter)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    w = np.where(y == 0, freqs[0], freqs[1]) + rng.uniform(-jitter, jitter, n)
    x = rng.uniform(0.5, 1.5, (n, 1)) * np.sin(w[:, None] * np.arange(T) + rng.uniform(0, 6.3, (n, 1)))
    return torch.tensor(x[..., None], dtype=torch.float32), torch.tensor(y)


def trained_toy(n_channels: int = 8, coupling_band: int = 2, **data) -> tuple[FreqFormer, torch.Tensor]:
    """A one-block FreqFormer trained on 256 ``sinusoids(..., **data)``; returns (model in eval
    mode, its training inputs)."""
    torch.manual_seed(0)
    model = FreqFormer(FreqFormerConfig(n_classes=2, n_channels=n_channels, n_layers=1,
                                        coupling_band=coupling_band))
    x, y = sinusoids(256, 0, **data)
    train_classifier(model, x, y, x, y, epochs=30, batch_size=32, lr=1e-2, weight_decay=0.0, seed=0)
    return model.eval(), x
