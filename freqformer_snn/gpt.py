"""A GPT in nanoGPT's shape (Radford et al. 2019; Karpathy's nanoGPT), written here from the
architecture, with FreqFormer layers in place of chosen attention layers.

::

    idx (B, T) -> wte + wpe -> (B, T, C) -> n_layer x Block -> LayerNorm -> lm_head -> (B, T, V)

    Block:  x = x + mix(LN(x))     mix: causal self-attention (B, T, C), or FreqMixer
            x = x + MLP(LN(x))     MLP: C -> 4C -> GELU -> C

``freq_layers`` lists the layers whose attention is replaced; with ``mixer="resonator"`` by a
``FreqMixer`` (resonator field + phase coupling + threshold events + channel mix: no Q/K/V, no
softmax), with ``mixer="seed"`` the whole block by the original sketch's ``SeedFreqFormerBlock``
(which mixes channels within a token and never across time). ``parse_freq_layers`` reads the
command-line forms ``none | all | 6,8,10 | auto:K | low:K``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from .model import (FreqFormerConfig, PhaseCoupling, ResonatorField, SeedFreqFormerBlock,
                    ThresholdEvents)


@dataclass
class GPTConfig:
    block_size: int = 64
    vocab_size: int = 65
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    freq_layers: list = field(default_factory=list)  # layer indices with FreqFormer mixing
    mixer: str = "resonator"  # "resonator" (FreqMixer replaces attention) | "seed" (whole block)
    coupling_band: int = 4
    threshold_init: float = 0.3

    def __post_init__(self):
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})")
        if self.mixer not in ("resonator", "seed"):
            raise ValueError(f"mixer must be 'resonator' or 'seed', got {self.mixer!r}")
        self.freq_layers = sorted({int(i) for i in self.freq_layers})
        bad = [i for i in self.freq_layers if not 0 <= i < self.n_layer]
        if bad:
            raise ValueError(f"freq_layers {bad} outside 0..{self.n_layer - 1}")

    def to_dict(self) -> dict:
        return asdict(self)


def parse_freq_layers(spec: str, n_layer: int, scores=None) -> list[int]:
    """``none`` | ``all`` | ``6,8,10`` | ``auto:K`` (the K layers with the highest attention-
    spectrum ``scores``) | ``low:K`` (the K lowest, the control)."""
    spec = spec.strip().lower()
    if spec in ("", "none"):
        return []
    if spec == "all":
        return list(range(n_layer))
    if spec.startswith(("auto:", "low:")):
        kind, k = spec.split(":", 1)
        if not k.isdigit() or not 1 <= int(k) <= n_layer:
            raise ValueError(f"{spec!r}: K must be an integer in 1..{n_layer}")
        if scores is None or len(scores) != n_layer:
            raise ValueError(f"{spec!r} needs one attention-spectrum score per layer "
                             "(from a trained baseline)")
        order = sorted(range(n_layer), key=lambda i: scores[i], reverse=kind == "auto")
        return sorted(order[:int(k)])
    try:
        layers = sorted({int(v) for v in spec.split(",")})
    except ValueError:
        raise ValueError(f"freq layers must be none, all, a list like 1,3, auto:K or low:K; "
                         f"got {spec!r}") from None
    if any(not 0 <= i < n_layer for i in layers):
        raise ValueError(f"freq layers {layers} outside 0..{n_layer - 1}")
    return layers


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, return_attn: bool = False):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)  # 3 x (B, T, C)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                   for t in (q, k, v))  # (B, H, T, D)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))  # (B, H, T, T)
        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~causal, float("-inf")).softmax(-1)
        y = self.drop(att) @ v  # (B, H, T, D)
        y = self.c_proj(y.transpose(1, 2).reshape(B, T, C))
        return (y, att) if return_attn else y


class FreqMixer(nn.Module):
    """Attention's replacement: resonate -> couple -> threshold -> mix channels. (B, T, C) ->
    (B, T, C), causal. Keeps the last pass's state ``z`` and ``events`` for the auxiliary
    losses (phase consistency, energy)."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        C = cfg.n_embd
        self.field = ResonatorField(C)
        self.coupling = PhaseCoupling(C, cfg.coupling_band)
        self.events = ThresholdEvents(C, cfg.threshold_init)
        self.out = nn.Linear(C, C)
        self.z = self.last_events = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.field(x)  # (B, T, C) complex
        e = self.events(self.coupling(z, self.field.omega).abs())  # (B, T, C) >= 0
        self.z, self.last_events = z, e
        return self.out(e)


class MLP(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x):
        return self.drop(self.c_proj(F.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig, freq: bool):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd)
        self.mix = FreqMixer(cfg) if freq else CausalSelfAttention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor, return_attn: bool = False):
        att = None
        if return_attn and isinstance(self.mix, CausalSelfAttention):
            m, att = self.mix(self.ln_1(x), return_attn=True)
        else:
            m = self.mix(self.ln_1(x))
        x = x + m
        x = x + self.mlp(self.ln_2(x))
        return (x, att) if return_attn else x


class SeedBlock(nn.Module):
    """The sketch's block in a GPT's place (its own EnergyNorm and residual)."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.block = SeedFreqFormerBlock(FreqFormerConfig(n_channels=cfg.n_embd,
                                                          coupling_band=cfg.coupling_band,
                                                          threshold_init=cfg.threshold_init))

    def forward(self, x: torch.Tensor, return_attn: bool = False):
        y, _ = self.block(x)
        return (y, None) if return_attn else y


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = cfg = config
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(
            SeedBlock(cfg) if (i in cfg.freq_layers and cfg.mixer == "seed")
            else Block(cfg, freq=i in cfg.freq_layers) for i in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying, as GPT-2
        self.apply(self._init)
        for name, p in self.named_parameters():  # residual projections, scaled (GPT-2)
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, 0.02)

    def _check(self, idx: torch.Tensor):
        if not isinstance(idx, torch.Tensor) or idx.dim() != 2 or idx.dtype != torch.long:
            got = tuple(idx.shape) if isinstance(idx, torch.Tensor) else type(idx).__name__
            raise ValueError(f"GPT: expected token ids (B, T) of dtype long, got {got}")
        if idx.size(1) > self.config.block_size:
            raise ValueError(f"GPT: sequence of {idx.size(1)} tokens is longer than block_size "
                             f"{self.config.block_size}")
        if idx.numel() and (idx.min() < 0 or idx.max() >= self.config.vocab_size):
            raise ValueError(f"GPT: token ids must lie in [0, {self.config.vocab_size})")

    def hidden_states(self, idx: torch.Tensor, return_attn: bool = False):
        """The residual stream after each block, [(B, T, C)] (and each layer's attention maps
        (B, H, T, T), None for FreqFormer layers, with ``return_attn``)."""
        self._check(idx)
        T = idx.size(1)
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(T, device=idx.device)))  # (B, T, C)
        hs, atts = [], []
        for blk in self.blocks:
            x, att = blk(x, return_attn=True) if return_attn else (blk(x), None)
            hs.append(x)
            atts.append(att)
        return (hs, atts) if return_attn else hs

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        """idx (B, T) -> logits (B, T, V), and the mean cross-entropy if ``targets`` (B, T)."""
        logits = self.lm_head(self.ln_f(self.hidden_states(idx)[-1]))
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))

    @torch.no_grad()
    def attention_maps(self, idx: torch.Tensor) -> list:
        return self.hidden_states(idx, return_attn=True)[1]

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, generator: torch.Generator | None = None):
        """Sample ``max_new_tokens`` continuing idx (B, T), the context cropped to block_size."""
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.config.block_size:])
            logits = logits[:, -1] / max(temperature, 1e-6)
            if top_k:
                kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, -1:]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            nxt = torch.multinomial(logits.softmax(-1), 1, generator=generator)
            idx = torch.cat([idx, nxt], 1)
        return idx

    def freq_mixers(self) -> list[FreqMixer]:
        return [b.mix for b in self.blocks if isinstance(b, Block) and isinstance(b.mix, FreqMixer)]


# ----------------------------------------------------------------------------------------------
# the write-up's training options (each a flag of experiments.language_modeling)


def frequency_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Frequency-domain loss: mean squared difference of the magnitude spectra over time of the
    predicted distribution and the one-hot targets, (B, T, V) each, normalised by T."""
    p = logits.softmax(-1)
    y = F.one_hot(targets, logits.size(-1)).to(p.dtype)
    return (torch.fft.rfft(p, dim=1).abs() - torch.fft.rfft(y, dim=1).abs()).pow(2).mean() \
        / logits.size(1)


def phase_consistency_loss(model: GPT) -> torch.Tensor:
    """Phase consistency: each resonator's phase should advance by its own frequency omega per
    step; ``1 - cos(arg z_t - arg z_{t-1} - omega)`` weighted by |z_t| |z_{t-1}|, normalised
    (0 when every channel rotates at its frequency, the free resonance)."""
    terms = []
    for m in model.freq_mixers():
        z = m.z  # (B, T, C) complex
        rot = z[:, 1:] * z[:, :-1].conj() * torch.exp(-1j * m.field.omega)
        w = rot.abs()
        terms.append((w - rot.real).sum() / w.sum().clamp_min(1e-8))
    return torch.stack(terms).mean() if terms else torch.zeros(())


def energy_regulariser(model: GPT) -> torch.Tensor:
    """Mean event magnitude of the FreqFormer layers: pushes toward fewer, smaller events."""
    terms = [m.last_events.mean() for m in model.freq_mixers()]
    return torch.stack(terms).mean() if terms else torch.zeros(())


def per_channel_resonator_lr(model: GPT, scale: float) -> list:
    """Per-channel learning rates for the resonator parameters (r, omega): channel c's gradients
    are multiplied by ``scale * (1 - r_c) / mean(1 - r)``, so long-memory channels (r -> 1, whose
    kernel changes most for a given parameter step) move in smaller steps. Returns the hook
    handles (remove them to switch it off)."""
    handles = []
    for m in model.freq_mixers():
        f = m.field
        for p in f.parameters():
            if p.dim() == 1 and p.numel() == f.omega.numel():
                def hook(g, f=f):
                    d = (1 - f.r.detach())
                    return g * (scale * d / d.mean())
                handles.append(p.register_hook(hook))
    return handles
