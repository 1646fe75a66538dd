"""NetworkSpec: export from a trained model, the numpy reference network, save/load, validation."""

import json

import numpy as np
import pytest
import torch

from freqformer_snn import FreqFormer, FreqFormerConfig
from freqformer_snn.export import NetworkSpec, SpecError, export, rate_forward

CONFIGS = [{}, {"channel_mix": "diagonal", "coupling_band": 2},
           {"front_end": "filterbank", "n_bands": 8}, {"coupling_band": 0, "pool": "last"}]


def make(seed=0, **kw):
    torch.manual_seed(seed)
    m = FreqFormer(FreqFormerConfig(n_channels=12, n_layers=2, **kw)).eval()
    x = torch.randn(3, 4000) * 0.1 if kw.get("front_end") == "filterbank" else torch.randn(3, 25, 1)
    m.front.fit(x)
    return m, x


@pytest.mark.parametrize("kw", CONFIGS)
def test_reference_network_equals_the_model(kw):
    m, x = make(**kw)
    spec = export(m, labels=[str(i) for i in range(10)])
    feats = m.front(x).numpy().astype(np.float64)
    logits, trace = rate_forward(spec, feats, record=True)
    with torch.no_grad():
        assert np.abs(logits - m(x).numpy()).max() <= 1e-4
        for rec, ref in zip(trace, m.trace(x)):
            assert np.abs(rec["intensity"] - ref["intensity"].numpy()).max() <= 1e-4
            assert np.abs(rec["events"] - ref["events"].numpy()).max() <= 1e-4


def test_round_trip(tmp_path):
    m, x = make()
    spec = export(m)
    npz, js = spec.save(tmp_path / "net")
    assert npz.name == "net.npz" and js.name == "net.json"
    meta = json.loads(js.read_text())
    assert meta["version"] == 1 and meta["n_channels"] == 12 and meta["front"]["front_end"] == "none"
    back = NetworkSpec.load(tmp_path / "net")
    feats = m.front(x).numpy().astype(np.float64)
    assert np.array_equal(rate_forward(back, feats), rate_forward(spec, feats))


def test_load_errors(tmp_path):
    m, _ = make()
    export(m).save(tmp_path / "net")
    with pytest.raises(SpecError, match="not found"):
        NetworkSpec.load(tmp_path / "other")
    meta = json.loads((tmp_path / "net.json").read_text())
    (tmp_path / "v.json").write_text(json.dumps({**meta, "version": 99}))
    (tmp_path / "v.npz").write_bytes((tmp_path / "net.npz").read_bytes())
    with pytest.raises(SpecError, match="version 99"):
        NetworkSpec.load(tmp_path / "v")
    (tmp_path / "bad.json").write_text(json.dumps({**meta, "arrays": meta["arrays"] + ["extra"]}))
    (tmp_path / "bad.npz").write_bytes((tmp_path / "net.npz").read_bytes())
    with pytest.raises(SpecError, match="lacks arrays"):
        NetworkSpec.load(tmp_path / "bad")
    (tmp_path / "junk.json").write_text(json.dumps(meta))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(SpecError, match="cannot read"):
        NetworkSpec.load(tmp_path / "junk")


@pytest.mark.parametrize("mutate, match", [
    (lambda s: setattr(s.layers[0], "r", np.full(12, 1.0)), "r must lie in"),
    (lambda s: setattr(s.layers[1], "omega", np.full(12, 4.0)), "omega must lie in"),
    (lambda s: setattr(s.layers[0], "theta", -np.ones(12)), "thresholds must be positive"),
    (lambda s: setattr(s, "head_b", np.zeros(3)), "head_b must have shape"),
    (lambda s: setattr(s.layers[0], "out_w", np.zeros((12, 11))), "out_w must have shape"),
    (lambda s: s.embed_b.__setitem__(0, np.nan), "NaN"),
    (lambda s: setattr(s, "pool", "max"), "pool"),
])
def test_validation(mutate, match):
    spec = export(make()[0])
    mutate(spec)
    with pytest.raises(SpecError, match=match):
        spec.validate()


def test_export_refuses_what_it_cannot_map():
    with pytest.raises(SpecError, match="resonator"):
        export(FreqFormer(FreqFormerConfig(n_channels=8, mixer="seed")))
    with pytest.raises(TypeError, match="needs a FreqFormer"):
        export(torch.nn.Linear(2, 2))
