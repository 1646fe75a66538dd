"""A tiny trained FreqFormer, exported and run as a spiking network in each backend, classifies
like its rate model, and its intensities follow the rate model's (explicit tolerances)."""

import numpy as np
import pytest
import torch

from experiments.spiking import RUNNERS, SpikingOptions, features
from experiments.toy import sinusoids, trained_toy
from freqformer_snn.export import calibrate, export, rate_forward

pytest.importorskip("nengo")
pytest.importorskip("brian2")

T = 30
# backend -> (least clips of 6 with the rate model's class, least per-layer |w| correlation)
TARGETS = {"nengo": (5, 0.85), "brian2": (6, 0.95)}


def toy_data(n, seed):
    """Class 0: a slow sinusoid, class 1: a fast one, random phase and amplitude."""
    return sinusoids(n, seed, T=T)


@pytest.fixture(scope="module")
def tiny():
    model, x = trained_toy(n_channels=4, coupling_band=1, T=T)
    spec = export(model)
    return model, spec, calibrate(spec, features(model, x))


@pytest.mark.parametrize("backend", ["nengo", "brian2"])
def test_tiny_network_classifies_like_its_rate_model(tiny, backend):
    model, spec, radii = tiny
    xt, yt = toy_data(6, 1)
    with torch.no_grad():
        torch_logits = model(xt).numpy()
    assert (torch_logits.argmax(1) == yt.numpy()).all()  # the rate model solved the toy task
    feats = features(model, xt)
    rate_logits, trace = rate_forward(spec, feats, record=True)
    opt = SpikingOptions(n_neurons=200, n_event_neurons=40, brian2_target="numpy")
    runner = RUNNERS[backend](spec, radii, opt)
    agree, dec, ref = 0, [], []
    for i in range(len(xt)):
        r = runner.run(feats[i])
        agree += int(np.argmax(r["logits"]) == rate_logits[i].argmax())
        act = r["active"][0]
        dec.append(r["intensity"][0])
        ref.append(trace[0]["intensity"][i][:, act])
        assert r["spikes"] > 0 and r["synops"] > 0  # events happened and were counted
    corr = np.corrcoef(np.concatenate(dec).ravel(), np.concatenate(ref).ravel())[0, 1]
    least_agree, least_corr = TARGETS[backend]
    assert agree >= least_agree
    assert corr >= least_corr
