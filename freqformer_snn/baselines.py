"""Baselines measured beside FreqFormer under the same budget."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

from .frontends import FrontEnd, FrontEndConfig


@dataclass
class TransformerConfig(FrontEndConfig):
    """A pre-norm Transformer encoder classifier (PyTorch's own layers), same front ends."""

    n_classes: int = 10
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    d_ff: int = 256
    max_len: int = 1024
    dropout: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


class TransformerClassifier(nn.Module):
    """x -> FrontEnd -> Linear + learned positions -> encoder -> mean over T -> (B, n_classes)."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = config
        d = config.d_model
        self.front = FrontEnd(config)
        self.embed = nn.Linear(config.n_features, d)
        self.pos = nn.Parameter(0.02 * torch.randn(config.max_len, d))
        layer = nn.TransformerEncoderLayer(d, config.n_heads, config.d_ff, config.dropout,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, config.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, config.n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.front(x)  # (B, T, F)
        T = f.shape[1]
        if T > self.config.max_len:
            raise ValueError(f"TransformerClassifier: sequence of {T} steps exceeds max_len "
                             f"{self.config.max_len}")
        h = self.embed(f) + self.pos[:T]  # (B, T, d)
        h = self.encoder(h)  # (B, T, d)
        return self.head(self.norm(h.mean(1)))  # (B, n_classes)
