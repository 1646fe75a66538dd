"""The GPT with FreqFormer layers, the Shakespeare corpus, the attention-spectrum analysis, the
training options, the language-modelling experiment and the mixing benchmark."""

import json

import numpy as np
import pytest
import torch

from experiments import bench_mixing, language_modeling as lm
from freqformer_snn import shakespeare
from freqformer_snn.checkpoint import load_model
from freqformer_snn.gpt import (GPT, GPTConfig, energy_regulariser, frequency_loss,
                                parse_freq_layers, per_channel_resonator_lr,
                                phase_consistency_loss)
from freqformer_snn.spectrum import attention_spectrum, resonance_score, spectral_consistency

VARIANTS = {"baseline": ([], "resonator"), "hybrid": ([1], "resonator"),
            "all-resonator": ([0, 1, 2], "resonator"), "all-seed": ([0, 1, 2], "seed")}


def tiny(layers, mixer, **kw):
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=20, n_layer=3, n_head=2, n_embd=16, block_size=24,
                         freq_layers=layers, mixer=mixer, **kw))


@pytest.mark.parametrize("name", list(VARIANTS))
def test_gpt_is_causal(name):
    """Changing tokens after position 12 changes no logit before it (every variant)."""
    model = tiny(*VARIANTS[name]).eval()
    x = torch.randint(0, 20, (2, 24), generator=torch.Generator().manual_seed(1))
    y = x.clone()
    y[:, 12:] = (y[:, 12:] + 1) % 20
    with torch.no_grad():
        a, _ = model(x)
        b, _ = model(y)
    assert torch.allclose(a[:, :12], b[:, :12], atol=1e-5)
    assert not torch.allclose(a[:, 12:], b[:, 12:], atol=1e-3)


def test_gpt_bad_input_and_config():
    model = tiny([], "resonator")
    with pytest.raises(ValueError, match="longer than block_size"):
        model(torch.zeros(1, 25, dtype=torch.long))
    with pytest.raises(ValueError, match="dtype long"):
        model(torch.zeros(1, 5))
    with pytest.raises(ValueError, match=r"\[0, 20\)"):
        model(torch.full((1, 5), 20))
    with pytest.raises(ValueError, match="outside"):
        GPTConfig(n_layer=2, freq_layers=[2])
    with pytest.raises(ValueError, match="multiple of n_head"):
        GPTConfig(n_embd=10, n_head=4)


def test_parse_freq_layers():
    scores = [0.1, 0.9, 0.5, 0.3]
    assert parse_freq_layers("none", 4) == []
    assert parse_freq_layers("all", 4) == [0, 1, 2, 3]
    assert parse_freq_layers("3,1", 4) == [1, 3]
    assert parse_freq_layers("auto:2", 4, scores) == [1, 2]
    assert parse_freq_layers("low:2", 4, scores) == [0, 3]
    for bad in ("auto:0", "auto:x", "5", "a,b"):
        with pytest.raises(ValueError):
            parse_freq_layers(bad, 4, scores)
    with pytest.raises(ValueError, match="score"):
        parse_freq_layers("auto:1", 4)


def test_checkpoint_roundtrip_and_generation(tmp_path):
    from freqformer_snn.checkpoint import save_checkpoint

    model = tiny([1], "resonator").eval()
    save_checkpoint(tmp_path / "m.pt", model, {"chars": [chr(97 + i) for i in range(20)]})
    back, extra = load_model(tmp_path / "m.pt")
    x = torch.randint(0, 20, (1, 10))
    assert torch.equal(model(x)[0], back(x)[0])
    out = back.generate(x, 30, top_k=5, generator=torch.Generator().manual_seed(0))
    assert out.shape == (1, 40) and int(out.max()) < 20  # context cropped past block_size
    text = lm.sample(lm.SampleConfig(checkpoint=str(tmp_path / "m.pt"), prompt="abc", tokens=7))
    assert text.startswith("abc") and len(text) == 10


def test_play_to_text():
    md = ("# A Play\n\n## ACT I\n\n### SCENE I. A room.\n\n_Enter ANNE and\nBOB_\n\n"
          "**ANNE**  \nGood morrow, _aside_ sir.  \nHow now?\n\n_Exit_\n\n**BOB**  \nHa.\n")
    assert shakespeare.play_to_text(md) == "ANNE:\nGood morrow, sir.\nHow now?\n\nBOB:\nHa.\n"


def test_corpus_splits_by_play(tmp_path):
    c = shakespeare.load(tmp_path)
    train, val = c.decode(c.train[:300000]), c.decode(c.val)
    assert "HAMLET:" in val and "HAMLET:" not in c.decode(c.train)  # a validation play's speaker
    assert "ROMEO:" in c.decode(c.train) and "ROMEO:" not in val
    assert len(c.val) / (len(c.train) + len(c.val)) < 0.15
    assert (tmp_path / "train.txt").is_file()  # cached
    assert c.decode(c.encode("To be")) == "To be"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        c.encode("\x00")
    assert train


def test_resonance_score_ranks_periodic_attention_above_diffuse():
    T = 32
    t = torch.arange(T)
    periodic = ((t[:, None] - t[None, :]) % 4 == 0).float().tril()
    periodic = periodic / periodic.sum(-1, keepdim=True)
    diffuse = torch.rand(T, T, generator=torch.Generator().manual_seed(0)).tril()
    diffuse = diffuse / diffuse.sum(-1, keepdim=True)
    s = [resonance_score(attention_spectrum(a[None, None])) for a in (periodic, diffuse)]
    assert s[0] > 2 * s[1]
    with pytest.raises(ValueError):
        attention_spectrum(torch.zeros(2, 3, 4))


def test_spectral_consistency():
    g = torch.Generator().manual_seed(0)
    h = torch.randn(4, 64, 8, generator=g)
    t = torch.arange(64.0)
    slow = torch.sin(0.2 * t)[None, :, None].expand(4, 64, 8)
    assert spectral_consistency(h, h) == pytest.approx(1.0)
    assert spectral_consistency(slow, slow + 0.01 * h) > 0.9
    assert spectral_consistency(slow, h) < 0.5


def test_training_options():
    """Each option is a differentiable term that acts: frequency loss > 0 for wrong predictions
    and ~0 for perfect ones; phase loss ~0 for a free resonance and > 0 otherwise; the energy
    term is the mean event; per-channel learning rates rescale the resonator gradients."""
    model = tiny([0, 1, 2], "resonator")
    x = torch.randint(0, 20, (2, 24), generator=torch.Generator().manual_seed(2))
    logits, loss = model(x, x)
    assert frequency_loss(logits, x) > 0
    assert frequency_loss(torch.nn.functional.one_hot(x, 20) * 50.0, x) < 1e-6
    ph, en = phase_consistency_loss(model), energy_regulariser(model)
    assert ph > 0 and en > 0
    mix = model.freq_mixers()[0]
    assert en.item() == pytest.approx(float(np.mean([m.last_events.mean().item()
                                              for m in model.freq_mixers()])))
    lam = torch.exp(1j * mix.field.omega.detach())
    mix.z = torch.stack([lam ** k for k in range(10)])[None] * (1 + torch.rand(16))
    assert phase_consistency_loss(type("M", (), {"freq_mixers": lambda s: [mix]})()) < 1e-5
    (loss + ph + en).backward()
    g0 = mix.field.omega_raw.grad.clone()
    model.zero_grad()
    handles = per_channel_resonator_lr(model, 2.0)
    logits, loss = model(x, x)
    (loss + phase_consistency_loss(model) + energy_regulariser(model)).backward()
    d = 1 - mix.field.r.detach()
    assert torch.allclose(mix.field.omega_raw.grad, g0 * 2.0 * d / d.mean(), rtol=1e-4, atol=1e-9)
    for h in handles:
        h.remove()


def test_experiment_quick_and_resume(tmp_path, capsys):
    out = tmp_path / "lm"
    args = ["--quick", "--out", str(out), "--data", str(tmp_path / "corpus")]
    res = lm.main(args)
    models = res["models"]
    assert set(models) == {"baseline", "auto", "low", "fixed", "all-resonator", "all-seed"}
    assert models["auto"]["freq_layers"] != models["low"]["freq_layers"]
    assert models["auto"]["freq_layers"] == sorted(res["spectrum"]["ranking"][:1])
    assert models["baseline"]["spectral_consistency"] == pytest.approx([1.0] * 3)
    for m in models.values():
        assert np.isfinite(m["val_loss"]) and m["params"] > 0 and m["flops_per_token"] > 0
        assert m["sample"] and m["generation_ms_per_token"] > 0
    assert set(res["ablation"]["rows"]) == {"none", "freq_loss", "phase_loss", "energy_reg",
                                            "resonator_lr"}
    saved = json.loads((out / "results.json").read_text())
    assert saved["models"]["auto"]["val_loss"] == models["auto"]["val_loss"]
    assert (out / "attention_spectrum_layer0.png").is_file()
    again = lm.main(args + ["--resume", "--variants", "baseline,auto"])
    assert again["models"]["auto"]["val_loss"] == models["auto"]["val_loss"]
    assert "reusing" in capsys.readouterr().out
    custom = lm.main(args + ["--resume", "--variants", "baseline", "--freq-layers", "auto:1",
                             "--mixer", "seed", "--ablation-iters", "0"])["models"]["custom"]
    assert custom["mixer"] == "seed" and custom["freq_layers"] == models["auto"]["freq_layers"]
    with pytest.raises(SystemExit):
        lm.main(["--quick", "--freq-layers", "7"])


def test_bench_mixing_tiny(tmp_path):
    res = bench_mixing.main(["--lengths", "32,64", "--repeats", "1", "--width", "16",
                             "--heads", "2", "--out", str(tmp_path)])
    assert [r["T"] for r in res["rows"]] == [32, 64]
    assert all(r["time_ratio"] > 0 and r["fused_time_ratio"] > 0 for r in res["rows"])
    skipped = bench_mixing.main(["--lengths", "64", "--repeats", "1", "--width", "16",
                                 "--heads", "2", "--max-gib", "0", "--out", str(tmp_path)])
    assert "needs" in skipped["rows"][0]["attention"]["skipped"]
    with pytest.raises(SystemExit):
        bench_mixing.main(["--lengths", "x"])
