"""The keyword-spotting experiment: quick run, evaluate, resume, data-parallel training,
sonification and noise mixing."""

import json
import os
import shutil

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from experiments import speech_commands as kws
from experiments.common import train_classifier
from freqformer_snn import FreqFormer, FreqFormerConfig
from freqformer_snn import speech_commands as sc
from freqformer_snn.sonify import resonator_tones, sonify


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("kws")
    out, synth = base / "run", base / "synth"
    res = kws.main(["--quick", "--listen", "--out", str(out), "--synth-dir", str(synth)])
    return res, out, synth


def test_quick_run_writes_everything(quick_run):
    res, out, _ = quick_run
    for name in ("results.json", "results.md", "learning_curves.png", "confusion.png",
                 "accuracy_vs_snr.png", "frequency_field.png", "freqformer.pt", "transformer.pt",
                 "seed.pt", "freqformer.state.pt"):
        assert (out / name).is_file(), name
    on_disk = json.loads((out / "results.json").read_text())
    assert on_disk["dataset"]["name"].startswith("synthetic")
    ff = on_disk["models"]["freqformer"]
    assert set(ff["noise"]) == {"clean", "20", "10", "5", "0"}
    assert set(ff["per_class_accuracy"]) == set(sc.LABELS)
    assert np.array(ff["confusion"]).sum() == on_disk["dataset"]["counts"]["testing"]
    assert ff["flops"]["matmul"] == ff["flops"]["matmul_measured"]
    assert ff["peak_memory_bytes_batch1"] is None or ff["peak_memory_bytes_batch1"] > 0
    md = (out / "results.md").read_text()
    assert f"{100 * res['models']['transformer']['test_accuracy']:.1f}%" in md
    assert "synthetic Speech Commands" in md and "KWT-1" in md
    wavs = sorted(p.name for p in (out / "listen").iterdir())
    assert any("block0_intensity" in w for w in wavs) and any("filterbank" in w for w in wavs)
    assert sc.read_wav(out / "listen" / wavs[0]).shape[0] > 8000


SPIKING = ["--limit", "2", "--calibration", "8", "--n-neurons", "30", "--n-event-neurons", "10",
           "--brian2-target", "numpy"]


def test_spiking_backends_on_the_trained_model(quick_run, capsys):
    """--backend nengo,brian2 runs the saved FreqFormer as spiking networks on test clips and
    writes every promised measurement, figure and the exported NetworkSpec."""
    _, out, synth = quick_run
    res = kws.main(["--quick", "--backend", "nengo,brian2", "--checkpoint",
                    str(out / "freqformer.pt"), "--out", str(out), "--synth-dir", str(synth),
                    *SPIKING])
    folder = out / "spiking"
    for name in ("results.json", "results.md", "network.npz", "network.json", "raster_nengo.png",
                 "traces_nengo.png", "raster_brian2.png", "traces_brian2.png"):
        assert (folder / name).is_file(), name
    on_disk = json.loads((folder / "results.json").read_text())
    assert on_disk["clips"] == 2 and on_disk["rate"]["agrees_with_torch"] == 1.0
    for b in ("nengo", "brian2"):
        r = on_disk["backends"][b]
        assert 0 <= r["accuracy"] <= 1 and len(r["intensity_correlation"]) == 1
        assert r["spikes_per_inference"] > 0 and r["synops_per_inference"] > 0
        assert r["energy_uj_estimate"] == pytest.approx(r["synops_per_inference"] * 23.6e-6)
        assert r["sim_seconds_per_wall_second"] > 0
    md = (folder / "results.md").read_text()
    assert f"{100 * res['backends']['nengo']['accuracy']:.1f}%" in md and "estimate" in md
    assert "done in" in capsys.readouterr().out


@pytest.mark.parametrize("argv, msg", [
    (["--backend", "loihi2"], "--backend must be"),
    (["--backend", "nengo"], "needs --checkpoint"),
    (["--backend", "brian2", "--checkpoint", "x.pt", "--limit", "-1"], "--limit must be"),
])
def test_spiking_flag_errors(argv, msg, capsys):
    with pytest.raises(SystemExit):
        kws.main(argv)
    assert msg in capsys.readouterr().err


def test_spiking_refuses_a_transformer_checkpoint(quick_run, capsys):
    _, out, synth = quick_run
    with pytest.raises(SystemExit, match="TransformerClassifier"):
        kws.main(["--quick", "--backend", "nengo", "--checkpoint", str(out / "transformer.pt"),
                  "--out", str(out), "--synth-dir", str(synth)])


def test_evaluate_subcommand(quick_run, tmp_path, capsys):
    _, out, synth = quick_run
    res = kws.main(["evaluate", "--checkpoint", str(out / "freqformer.pt"), "--data-dir",
                    str(synth), "--json"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["accuracy"] == pytest.approx(res["accuracy"]) and printed["split"] == "testing"
    # a folder without split lists: every file is evaluated
    folder = tmp_path / "words"
    for w in ("yes", "no", "cat"):
        shutil.copytree(synth / w, folder / w)
    res = kws.main(["evaluate", "--checkpoint", str(out / "freqformer.pt"), "--data-dir",
                    str(folder), "--limit", "5"])
    assert res["split"] == "all" and res["clips"] == 5
    assert "accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("argv, msg", [
    (["evaluate", "--checkpoint", "nope.pt", "--data-dir", "."], "checkpoint not found"),
    (["evaluate", "--data-dir", "."], "needs --checkpoint"),
    (["--data-dir", "/no/such/folder", "--quick"], "dataset folder not found"),
])
def test_clear_errors(argv, msg, capsys):
    with pytest.raises(SystemExit) as e:
        kws.main(argv)
    assert msg in str(e.value) + capsys.readouterr().err


def _tiny_problem(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(48, 12, 2, generator=g)
    y = (x[:, :, 0].mean(1) > 0).long()
    return x, y


def test_resume_continues_a_killed_run_exactly(tmp_path):
    x, y = _tiny_problem()

    def fresh():
        torch.manual_seed(0)
        return FreqFormer(FreqFormerConfig(n_inputs=2, n_classes=2, n_channels=8, gate_p=0.1))

    args = dict(epochs=4, batch_size=16, lr=1e-2, weight_decay=0.0, seed=3)
    ref = fresh()
    train_classifier(ref, x, y, x, y, **args)

    def killer(epoch, loss, acc):
        if epoch == 1:
            raise KeyboardInterrupt  # killed after epoch 2's state was written

    state = tmp_path / "m.state.pt"
    with pytest.raises(KeyboardInterrupt):
        train_classifier(fresh(), x, y, x, y, **args, progress=killer, state_path=state)
    resumed = fresh()
    hist = train_classifier(resumed, x, y, x, y, **args, state_path=state, resume=True)
    assert hist["epoch"] == [1, 2, 3, 4]
    for (n, p), q in zip(ref.state_dict().items(), resumed.state_dict().values()):
        assert torch.allclose(p, q, atol=1e-6), n
    with pytest.raises(ValueError, match="belongs to a run"):
        train_classifier(fresh(), x, y, x, y, **{**args, "epochs": 5}, state_path=state, resume=True)


def _ddp_worker(rank, world, init_file, out_dir):
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    torch.set_num_threads(1)
    x, y = _tiny_problem()
    torch.manual_seed(0)
    model = FreqFormer(FreqFormerConfig(n_inputs=2, n_classes=2, n_channels=8))
    train_classifier(model, x, y, x, y, epochs=2, batch_size=16, lr=1e-2, weight_decay=0.0, seed=0)
    torch.save(model.state_dict(), os.path.join(out_dir, f"rank{rank}.pt"))
    dist.destroy_process_group()


def test_data_parallel_replicas_stay_identical(tmp_path):
    mp.spawn(_ddp_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    a, b = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    torch.manual_seed(0)
    init = FreqFormer(FreqFormerConfig(n_inputs=2, n_classes=2, n_channels=8)).state_dict()
    assert any(not torch.equal(a[k], init[k]) for k in a)  # training happened
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_mix_at_snr_hits_the_requested_snr():
    rng = np.random.default_rng(0)
    clean = 0.1 * rng.standard_normal((3, 16000)).astype(np.float32)
    noise = rng.standard_normal((3, 16000)).astype(np.float32)
    for snr in (20, 5, 0):
        mixed = sc.mix_at_snr(clean, noise, snr)
        measured = 10 * np.log10(np.mean(clean ** 2, 1) / np.mean((mixed - clean) ** 2, 1))
        assert np.allclose(measured, snr, atol=0.05)


def test_augment_shifts_with_zero_fill():
    cfg = kws.KWSConfig(noise_prob=0.0, shift_ms=100)
    aug = kws.Augment(sc.NoiseBank(".", [], "train"), cfg)
    x = torch.ones(8, 16000)
    out = aug(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    zeros = (out == 0).sum(1)
    assert (zeros <= 1600).all() and (zeros > 0).any()


def test_sonify_renders_tones_at_their_frequencies():
    field = np.zeros((3, 100))
    field[1] = 1.0  # only the middle channel is active
    audio = sonify(field, np.array([300.0, 1000.0, 3000.0]), frame_rate=100)
    assert audio.shape == (16000,)
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * 16000 / 16000 - 1000) <= 2
    assert not sonify(np.zeros((3, 10)), np.ones(3), 100).any()
    with pytest.raises(ValueError, match="one frequency per channel"):
        sonify(field, np.ones(2), 100)
    tones = resonator_tones(np.array([0.1, 1.0, 3.0]))
    assert np.all(np.diff(tones) > 0) and 100 <= tones.min() and tones.max() <= 4000


LOIHI = ["--limit", "2", "--calibration", "8", "--loihi-neurons", "20", "--loihi-event-neurons",
         "8", "--loihi-float-clips", "1", "--save-every", "1"]


def test_loihi_backend_on_the_trained_model(quick_run):
    """--backend loihi runs the emulator beside nengo's reference simulator of the same network
    and reports cores, quantisation, synaptic operations and the energy estimate (partial
    results are written after every clip here)."""
    _, out, synth = quick_run
    res = kws.main(["--quick", "--backend", "loihi", "--checkpoint", str(out / "freqformer.pt"),
                    "--out", str(out), "--synth-dir", str(synth), *LOIHI])
    r = json.loads((out / "spiking" / "results.json").read_text())["backends"]["loihi"]
    assert r["clips_done"] == 2 and 0 <= r["reference"]["agreement"] <= 1
    lo = r["loihi"]
    assert lo["target"] == "sim" and lo["cores"]["cores"] > 0 and lo["float_emulator"]["clips"] == 1
    assert 0 < lo["quantisation"]["relative_error_median"] < 0.1
    assert r["synops_per_inference"] > 0 and r["energy_uj_estimate"] > 0
    md = (out / "spiking" / "results.md").read_text()
    assert "## Loihi" in md and "0.27 mJ" in md and "Off-chip" in md
    assert res["backends"]["loihi"]["accuracy"] == r["accuracy"]


def test_loihi_does_not_fit_is_a_report(quick_run, capsys):
    _, out, synth = quick_run
    res = kws.main(["--quick", "--backend", "loihi", "--checkpoint", str(out / "freqformer.pt"),
                    "--out", str(out / "nofit"), "--synth-dir", str(synth), *LOIHI,
                    "--loihi-cores", "3"])
    r = res["backends"]["loihi"]
    assert r["fits"] is False and "3 are available" in r["problems"][0]
    assert "does not fit" in (out / "nofit" / "spiking" / "results.md").read_text()
    assert "does not fit" in capsys.readouterr().err
