"""``NetworkSpec``: the backend-neutral description of a trained FreqFormer.

Every spiking backend (``networks/`` for Nengo and Brian2, ``loihi/``) builds its network from this
description alone, never from the PyTorch model. It is plain numpy plus JSON, versioned, and
validated on load. ``rate_forward`` is the reference every backend is compared with: the rate
network the spec describes, in numpy, run one time step at a time exactly as a spiking network
runs (it equals ``FreqFormer`` to float32 round-off; tested).

Per layer l (C channels, K coupling neighbours)::

    h    = g_l * x / rms(x)                                   EnergyNorm
    z_t  = r e^{i omega} z_{t-1} + sqrt(1 - r^2) h_t           ResonatorField (step form)
    w_i  = z_i + sum_k coupling[i, k] z_{i + offsets[k]}       PhaseCoupling (0 outside 0..C-1)
    e    = max(|w| - theta, 0)                                 ThresholdEvents
    x    = x + out_w @ e + out_b                               channel mix, residual

Files: ``<stem>.json`` (version, sizes, front end, names of the arrays) and ``<stem>.npz`` (arrays).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SPEC_VERSION = 1


class SpecError(ValueError):
    """A NetworkSpec that cannot be used: missing, malformed, or from another version."""


@dataclass
class LayerSpec:
    norm_gain: np.ndarray  # (C,)
    omega: np.ndarray  # (C,) radians per step, in (0, pi)
    r: np.ndarray  # (C,) in (0, 1)
    offsets: np.ndarray  # (K,) int: neighbour k of channel i is channel i + offsets[k]
    coupling: np.ndarray  # (C, K) complex: K_ij e^{-i psi_ij}, 0 outside the channel range
    theta: np.ndarray  # (C,) > 0
    out_w: np.ndarray  # (C, C): e -> residual update (a diagonal matrix for channel_mix="diagonal")
    out_b: np.ndarray  # (C,)

    ARRAYS = ("norm_gain", "omega", "r", "offsets", "coupling", "theta", "out_w", "out_b")


@dataclass
class NetworkSpec:
    """A trained FreqFormer classifier as plain arrays (see module docstring)."""

    front: dict  # FrontEndConfig fields (how features are made from raw input)
    front_mean: np.ndarray  # (F,) feature normalisation
    front_std: np.ndarray  # (F,)
    embed_w: np.ndarray  # (C, F)
    embed_b: np.ndarray  # (C,)
    layers: list[LayerSpec]
    head_norm_gain: np.ndarray  # (C,)
    head_w: np.ndarray  # (n_out, C)
    head_b: np.ndarray  # (n_out,)
    pool: str = "mean"
    step_seconds: float = 0.01  # simulated time of one step (the filter bank's hop for audio)
    labels: list[str] = field(default_factory=list)
    version: int = SPEC_VERSION

    @property
    def n_channels(self) -> int:
        return self.embed_w.shape[0]

    @property
    def n_features(self) -> int:
        return self.embed_w.shape[1]

    @property
    def n_out(self) -> int:
        return self.head_w.shape[0]

    # -- validation ----------------------------------------------------------------------------
    def validate(self) -> "NetworkSpec":
        """Raise SpecError on any inconsistency; returns self."""
        if self.version != SPEC_VERSION:
            raise SpecError(f"NetworkSpec version {self.version}; this code reads {SPEC_VERSION}")
        C, F_ = self.embed_w.shape if self.embed_w.ndim == 2 else (None, None)
        if C is None:
            raise SpecError(f"embed_w must be (C, F), got shape {self.embed_w.shape}")
        shapes = {"front_mean": (F_,), "front_std": (F_,), "embed_b": (C,),
                  "head_norm_gain": (C,), "head_b": (self.head_w.shape[0],)}
        if self.head_w.ndim != 2 or self.head_w.shape[1] != C:
            raise SpecError(f"head_w must be (n_out, {C}), got {self.head_w.shape}")
        for name, shape in shapes.items():
            if getattr(self, name).shape != shape:
                raise SpecError(f"{name} must have shape {shape}, got {getattr(self, name).shape}")
        if self.pool not in ("mean", "last"):
            raise SpecError(f"pool must be 'mean' or 'last', got {self.pool!r}")
        if not self.step_seconds > 0:
            raise SpecError(f"step_seconds must be positive, got {self.step_seconds}")
        if not self.layers:
            raise SpecError("a NetworkSpec needs at least one layer")
        for i, L in enumerate(self.layers):
            K = len(L.offsets)
            want = {"norm_gain": (C,), "omega": (C,), "r": (C,), "coupling": (C, K),
                    "theta": (C,), "out_w": (C, C), "out_b": (C,)}
            for name, shape in want.items():
                if getattr(L, name).shape != shape:
                    raise SpecError(f"layer {i}: {name} must have shape {shape}, "
                                    f"got {getattr(L, name).shape}")
            if not ((L.r > 0) & (L.r < 1)).all():
                raise SpecError(f"layer {i}: every r must lie in (0, 1) (stable resonators)")
            if not ((L.omega > 0) & (L.omega < np.pi)).all():
                raise SpecError(f"layer {i}: every omega must lie in (0, pi)")
            if not (L.theta > 0).all():
                raise SpecError(f"layer {i}: thresholds must be positive")
        for name, a in self._arrays().items():
            if a.dtype.kind in "fc" and not np.isfinite(a).all():
                raise SpecError(f"{name} contains NaN/Inf")
        return self

    # -- save / load ---------------------------------------------------------------------------
    def _arrays(self) -> dict:
        out = {k: getattr(self, k) for k in ("front_mean", "front_std", "embed_w", "embed_b",
                                             "head_norm_gain", "head_w", "head_b")}
        for i, L in enumerate(self.layers):
            out.update({f"layer{i}.{k}": getattr(L, k) for k in LayerSpec.ARRAYS})
        return out

    def save(self, stem: str | os.PathLike) -> tuple[Path, Path]:
        """Write ``<stem>.npz`` and ``<stem>.json``; returns both paths."""
        self.validate()
        stem = Path(stem)
        stem.parent.mkdir(parents=True, exist_ok=True)
        arrays = self._arrays()
        meta = {"format": "freqformer-snn-networkspec", "version": self.version,
                "front": self.front, "pool": self.pool, "step_seconds": self.step_seconds,
                "labels": self.labels, "n_layers": len(self.layers),
                "n_channels": self.n_channels, "n_features": self.n_features,
                "n_out": self.n_out, "arrays": sorted(arrays)}
        npz, js = stem.with_suffix(".npz"), stem.with_suffix(".json")
        np.savez(npz, **arrays)
        js.write_text(json.dumps(meta, indent=1))
        return npz, js

    @classmethod
    def load(cls, stem: str | os.PathLike) -> "NetworkSpec":
        stem = Path(stem)
        js, npz = stem.with_suffix(".json"), stem.with_suffix(".npz")
        for p in (js, npz):
            if not p.is_file():
                raise SpecError(f"NetworkSpec file not found: {p}")
        try:
            meta = json.loads(js.read_text())
            data = dict(np.load(npz, allow_pickle=False))
        except (ValueError, OSError) as e:
            raise SpecError(f"cannot read NetworkSpec {stem}: {e}") from e
        if meta.get("format") != "freqformer-snn-networkspec":
            raise SpecError(f"{js} is not a NetworkSpec")
        if meta.get("version") != SPEC_VERSION:
            raise SpecError(f"{js}: NetworkSpec version {meta.get('version')}; this code reads "
                            f"{SPEC_VERSION}")
        missing = sorted(set(meta["arrays"]) - set(data))
        if missing:
            raise SpecError(f"{npz} lacks arrays {missing}")
        layers = [LayerSpec(**{k: data[f"layer{i}.{k}"] for k in LayerSpec.ARRAYS})
                  for i in range(meta["n_layers"])]
        spec = cls(front=meta["front"], front_mean=data["front_mean"], front_std=data["front_std"],
                   embed_w=data["embed_w"], embed_b=data["embed_b"], layers=layers,
                   head_norm_gain=data["head_norm_gain"], head_w=data["head_w"],
                   head_b=data["head_b"], pool=meta["pool"], step_seconds=meta["step_seconds"],
                   labels=meta["labels"], version=meta["version"])
        return spec.validate()


def export(model, labels: list[str] | None = None) -> NetworkSpec:
    """NetworkSpec of a trained ``FreqFormer`` classifier with resonator blocks."""
    import torch

    from .frontends import FrontEndConfig
    from .model import FreqFormer

    if not isinstance(model, FreqFormer):
        raise TypeError(f"export needs a FreqFormer, got {type(model).__name__}")
    cfg = model.config
    if cfg.task != "classify" or cfg.mixer != "resonator":
        raise SpecError("only classifiers with resonator blocks (mixer='resonator') export to "
                        "spiking networks; the seed block has no dynamics to map")

    def a(t):
        return t.detach().cpu().numpy().astype(np.float64)

    layers = []
    for blk in model.blocks:
        C = blk.C
        if isinstance(blk.out, torch.nn.Linear):
            out_w, out_b = a(blk.out.weight), a(blk.out.bias)
        else:
            out_w, out_b = np.diag(a(blk.out.weight)), a(blk.out.bias)
        coupling = blk.coupling.weights(blk.field.omega).detach().cpu().numpy().astype(np.complex128) \
            if blk.coupling.n_neighbours else np.zeros((C, 0), np.complex128)
        layers.append(LayerSpec(norm_gain=a(blk.norm.gain), omega=a(blk.field.omega),
                                r=a(blk.field.r), offsets=np.array(blk.coupling.offsets, np.int64),
                                coupling=coupling, theta=a(blk.events.theta), out_w=out_w, out_b=out_b))
    front = {k: getattr(cfg, k) for k in FrontEndConfig.__dataclass_fields__}
    step = cfg.hop_ms / 1000 if cfg.front_end == "filterbank" else 0.01
    return NetworkSpec(front=front, front_mean=a(model.front.mean), front_std=a(model.front.std),
                       embed_w=a(model.embed.weight), embed_b=a(model.embed.bias), layers=layers,
                       head_norm_gain=a(model.norm.gain), head_w=a(model.head.weight),
                       head_b=a(model.head.bias), pool=cfg.pool, step_seconds=step,
                       labels=list(labels or [])).validate()


# ----------------------------------------------------------------------------------------------
# the reference rate network


def energy_norm(x: np.ndarray, gain: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    return gain * x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)


def couple(z: np.ndarray, offsets: np.ndarray, coupling: np.ndarray) -> np.ndarray:
    """w_i = z_i + sum_k coupling[i, k] z_{i + offsets[k]} over the last axis (C)."""
    C = z.shape[-1]
    w = z.copy()
    for k, d in enumerate(offsets):
        lo, hi = max(0, -d), min(C, C - d)  # channels i with 0 <= i + d < C
        w[..., lo:hi] += coupling[lo:hi, k] * z[..., lo + d:hi + d]
    return w


def head(spec: NetworkSpec, x: np.ndarray) -> np.ndarray:
    """Logits from the residual stream after the last layer, x (..., T, C): pool over time,
    EnergyNorm, linear read-out. Every backend applies it to its own stream."""
    pooled = x.mean(-2) if spec.pool == "mean" else x[..., -1, :]
    return energy_norm(pooled, spec.head_norm_gain) @ spec.head_w.T + spec.head_b


def rate_forward(spec: NetworkSpec, features: np.ndarray, record: bool = False):
    """Run the described rate network one step at a time on normalised front-end features.

    features: (B, T, F), i.e. ``(FrontEnd.features(x) - mean) / std``. Returns logits (B, n_out),
    and with ``record=True`` also per layer {"drive": the normalised input h, "state": |z|,
    "intensity": |w|, "events"} arrays (B, T, C).
    """
    x = features @ spec.embed_w.T + spec.embed_b  # (B, T, C)
    B, T, C = x.shape
    trace = []
    for L in spec.layers:
        lam = L.r * np.exp(1j * L.omega)
        gamma = np.sqrt(1 - L.r ** 2)
        h = energy_norm(x, L.norm_gain)
        z = np.zeros((B, C), np.complex128)
        zs = np.empty((B, T, C), np.complex128)
        for t in range(T):  # the resonator as a spiking network runs it: step by step
            z = lam * z + gamma * h[:, t]
            zs[:, t] = z
        a = np.abs(couple(zs, L.offsets, L.coupling))
        e = np.maximum(a - L.theta, 0.0)
        x = x + e @ L.out_w.T + L.out_b
        trace.append({"drive": h, "state": np.abs(zs), "intensity": a, "events": e})
    logits = head(spec, x)
    return (logits, trace) if record else logits


def calibrate(spec: NetworkSpec, features: np.ndarray, margin: float = 1.2) -> dict:
    """What a spiking backend needs to know of the signal ranges, from the rate network on
    calibration ``features`` (B, T, F): per layer and channel the largest |h| ("drive"), |z|
    ("state") and |w| ("intensity") reached, times ``margin`` (the radii of the populations),
    and "active" (whether the channel ever crosses its threshold; channels that never do need no
    event neurons)."""
    _, trace = rate_forward(spec, features, record=True)
    radii = {k: [np.maximum(margin * np.abs(rec[k]).max(axis=(0, 1)), 1e-3) for rec in trace]
             for k in ("drive", "state", "intensity")}
    radii["active"] = [rec["events"].max(axis=(0, 1)) > 0 for rec in trace]
    return radii


def continuous_resonator(r, omega, step_seconds: float):
    """The resonator ``z_t = r e^{i omega} z_{t-1} + sqrt(1-r^2) u_t`` in continuous time.

    ``dz/dt = (alpha + i beta) z + g u(t)`` with alpha = ln(r) / dt (decay, 1/s),
    beta = omega / dt (angular frequency, rad/s), and the complex input gain g chosen so that
    integrating over one step with u held constant reproduces the discrete update exactly:
    ``g = sqrt(1 - r^2) (alpha + i beta) / (lambda - 1)``. This is what a spiking backend
    implements (an NEF oscillator in Nengo, a resonate-and-fire population in Brian2).
    Returns (alpha, beta, g) as arrays.
    """
    r, omega = np.asarray(r, np.float64), np.asarray(omega, np.float64)
    alpha, beta = np.log(r) / step_seconds, omega / step_seconds
    lam = r * np.exp(1j * omega)
    g = np.sqrt(1 - r ** 2) * (alpha + 1j * beta) / (lam - 1)
    return alpha, beta, g
