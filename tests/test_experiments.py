"""The experiments run end to end in their --quick form and write what they promise."""

import json

import pytest

from experiments import sequence_classification as seqcls
from freqformer_snn import load_model


@pytest.fixture(scope="module")
def quick_seq(tmp_path_factory):
    out = tmp_path_factory.mktemp("seqcls")
    return seqcls.main(["--quick", "--out", str(out)]), out


def test_sequence_classification_quick(quick_seq):
    res, tmp_path = quick_seq
    for name in ("results.json", "results.md", "learning_curves.png", "frequency_field.png",
                 "freqformer.pt", "seed.pt", "transformer.pt"):
        assert (tmp_path / name).is_file(), name
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert set(on_disk["models"]) == {"freqformer", "seed", "transformer"}
    ff = on_disk["models"]["freqformer"]
    for key in ("test_accuracy", "params", "flops", "train_seconds", "latency_ms_batch1",
                "event_rate"):
        assert key in ff
    assert ff["flops"]["matmul"] == ff["flops"]["matmul_measured"]
    assert 0.0 <= ff["event_rate"] <= 1.0
    md = (tmp_path / "results.md").read_text()
    assert "CNN | 94%" in md and "Published" in md
    assert f"{100 * res['models']['seed']['test_accuracy']:.1f}%" in md  # table = computed value
    model, extra = load_model(tmp_path / "freqformer.pt")
    assert extra["test_accuracy"] == pytest.approx(ff["test_accuracy"])


def test_sequence_classification_spiking(quick_seq):
    _, out = quick_seq
    res = seqcls.main(["--quick", "--out", str(out), "--backend", "brian2,loihi", "--brian2-target",
                       "numpy", "--checkpoint", str(out / "freqformer.pt"), "--limit", "2",
                       "--calibration", "20", "--loihi-neurons", "20", "--loihi-float-clips", "0"])
    assert (out / "spiking" / "results.md").is_file()
    assert set(res["backends"]) == {"brian2", "loihi"} and res["clips"] == 2
    assert res["rate"]["agrees_with_torch"] == 1.0
    assert res["backends"]["loihi"]["loihi"]["cores"]["cores"] > 0


@pytest.mark.parametrize("argv, msg", [
    (["--models", "freqformer,gru"], "subset"),
    (["--epochs", "many"], "invalid int"),
    (["--no-such-flag"], "unrecognized"),
])
def test_sequence_classification_bad_flags(argv, msg, capsys):
    with pytest.raises(SystemExit):
        seqcls.main(argv)
    assert msg in capsys.readouterr().err
