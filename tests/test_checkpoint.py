"""Checkpoints carry config and version, load with weights_only=True, and fail clearly."""

import os

import pytest
import torch

from freqformer_snn import (
    CheckpointError,
    FreqFormer,
    FreqFormerConfig,
    TransformerClassifier,
    TransformerConfig,
    load_model,
    save_checkpoint,
)
from freqformer_snn.checkpoint import VERSION


@pytest.mark.parametrize("model", [
    FreqFormer(FreqFormerConfig(n_channels=8)),
    FreqFormer(FreqFormerConfig(n_channels=8, mixer="seed", task="lm", vocab_size=7)),
    TransformerClassifier(TransformerConfig(d_model=8, n_heads=2, d_ff=16, max_len=20)),
])
def test_round_trip(tmp_path, model):
    path = tmp_path / "m.pt"
    save_checkpoint(path, model.eval(), extra={"note": "x"})
    loaded, extra = load_model(path)
    assert extra == {"note": "x"}
    assert loaded.config == model.config
    if model.config.__class__ is FreqFormerConfig and model.config.task == "lm":
        x = torch.randint(0, 7, (2, 10))
    else:
        x = torch.randn(2, 10, 1)
    assert torch.equal(loaded(x), model(x))
    assert os.listdir(tmp_path) == ["m.pt"]  # no temporary file left behind


def test_wrong_version_and_format(tmp_path):
    m = FreqFormer(FreqFormerConfig(n_channels=8))
    save_checkpoint(tmp_path / "m.pt", m)
    ckpt = torch.load(tmp_path / "m.pt", weights_only=True)
    ckpt["version"] = VERSION + 1
    torch.save(ckpt, tmp_path / "v.pt")
    with pytest.raises(CheckpointError, match="version"):
        load_model(tmp_path / "v.pt")
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a FreqFormer-SNN checkpoint"):
        load_model(tmp_path / "other.pt")


def test_corrupt_missing_and_mismatched(tmp_path):
    m = FreqFormer(FreqFormerConfig(n_channels=8))
    save_checkpoint(tmp_path / "m.pt", m)
    data = (tmp_path / "m.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="cannot read"):
        load_model(tmp_path / "cut.pt")
    with pytest.raises(CheckpointError, match="not found"):
        load_model(tmp_path / "nope.pt")
    with pytest.raises(CheckpointError, match="another config"):
        load_model(tmp_path / "m.pt", expect_config=FreqFormerConfig(n_channels=16))
    ckpt = torch.load(tmp_path / "m.pt", weights_only=True)
    ckpt["config"]["n_channels"] = 16  # weights no longer fit the config
    torch.save(ckpt, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="do not fit"):
        load_model(tmp_path / "bad.pt")
    ckpt["config"]["mystery"] = 1
    torch.save(ckpt, tmp_path / "unknown.pt")
    with pytest.raises(CheckpointError, match="unknown fields"):
        load_model(tmp_path / "unknown.pt")


def test_interrupted_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.pt"
    save_checkpoint(path, FreqFormer(FreqFormerConfig(n_channels=8)))
    before = path.read_bytes()

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, FreqFormer(FreqFormerConfig(n_channels=16)))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.pt"]
