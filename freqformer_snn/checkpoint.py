"""Checkpoints that carry their config and a format version, written atomically.

A checkpoint is a plain dict (loadable with ``torch.load(..., weights_only=True)``)::

    {"format": "freqformer-snn-checkpoint", "version": 1, "kind": "freqformer" | "transformer" | "gpt",
     "config": {...dataclass fields...}, "state_dict": {...}, "extra": {...}}
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

import torch
import torch.nn as nn

from .baselines import TransformerClassifier, TransformerConfig
from .gpt import GPT, GPTConfig
from .model import FreqFormer, FreqFormerConfig

FORMAT = "freqformer-snn-checkpoint"
VERSION = 1
KINDS = {"freqformer": (FreqFormer, FreqFormerConfig),
         "transformer": (TransformerClassifier, TransformerConfig), "gpt": (GPT, GPTConfig)}


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used: missing, corrupt, another format or version."""


def kind_of(model: nn.Module) -> str:
    for kind, (cls, _) in KINDS.items():
        if isinstance(model, cls):
            return kind
    raise TypeError(f"no checkpoint kind for {type(model).__name__}")


def atomic_torch_save(obj, path: str | os.PathLike) -> None:
    """Write to a temporary file in the same folder, then rename: a killed run never leaves a
    half-written file under ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_checkpoint(path, model: nn.Module, extra: dict | None = None) -> None:
    atomic_torch_save({"format": FORMAT, "version": VERSION, "kind": kind_of(model),
                       "config": model.config.to_dict(), "state_dict": model.state_dict(),
                       "extra": extra or {}}, path)


def config_from_dict(cls, d: dict):
    """Rebuild a config dataclass; unknown or missing keys are errors, not silent defaults."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(d) - names
    if unknown:
        raise CheckpointError(f"{cls.__name__}: unknown fields {sorted(unknown)}")
    return cls(**d)


def read_checkpoint(path) -> dict:
    """Load and validate a checkpoint dict (no model is built)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # corrupt, truncated, or a pickle that needs arbitrary code
        raise CheckpointError(f"cannot read checkpoint {path}: {type(e).__name__}: {e}") from e
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a FreqFormer-SNN checkpoint")
    if ckpt.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint format version {ckpt.get('version')}, "
                              f"this code reads version {VERSION}")
    if ckpt.get("kind") not in KINDS:
        raise CheckpointError(f"{path}: unknown model kind {ckpt.get('kind')!r}")
    return ckpt


def load_model(path, expect_config=None) -> tuple[nn.Module, dict]:
    """Rebuild the model stored in ``path``; returns (model in eval mode, extra).

    With ``expect_config``, a checkpoint made for a different config is an error.
    """
    ckpt = read_checkpoint(path)
    cls, cfg_cls = KINDS[ckpt["kind"]]
    try:
        config = config_from_dict(cfg_cls, ckpt["config"])
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: bad config: {e}") from e
    if expect_config is not None and config != expect_config:
        diff = {k: (v, getattr(expect_config, k)) for k, v in dataclasses.asdict(config).items()
                if getattr(expect_config, k, None) != v}
        raise CheckpointError(f"{path} was made for another config (stored, expected): {diff}")
    model = cls(config)
    try:
        model.load_state_dict(ckpt["state_dict"])
    except RuntimeError as e:
        raise CheckpointError(f"{path}: weights do not fit the stored config: {e}") from e
    return model.eval(), ckpt.get("extra", {})
