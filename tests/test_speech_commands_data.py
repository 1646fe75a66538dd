"""Speech Commands data: WAV checks, folder scanning, and the offline synthetic builder."""

import wave

import numpy as np
import pytest

from freqformer_snn.speech_commands import (
    LABELS,
    WORDS,
    DatasetError,
    SynthConfig,
    build_synthetic,
    read_wav,
    scan,
    write_wav,
)


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    root = tmp_path_factory.mktemp("sc") / "synth"
    return build_synthetic(root, SynthConfig(n_speakers=6, repeats=1, noise_seconds=1,
                                             val_fraction=0.2, test_fraction=0.2))


def _raw_wav(path, rate=16000, channels=1, width=2, frames=b"\x00\x00" * 100):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)


@pytest.mark.parametrize("kw, match", [
    ({"rate": 8000}, "sample rate 8000"),
    ({"channels": 2, "frames": b"\x00\x00" * 200}, "2 channels"),
    ({"width": 1, "frames": b"\x80" * 100}, "8-bit"),
    ({"frames": b""}, "empty"),
])
def test_read_wav_rejects_bad_formats(tmp_path, kw, match):
    _raw_wav(tmp_path / "a.wav", **kw)
    with pytest.raises(DatasetError, match=match):
        read_wav(tmp_path / "a.wav")


def test_read_wav_truncated_and_corrupt(tmp_path):
    write_wav(tmp_path / "ok.wav", np.zeros(1000))
    data = (tmp_path / "ok.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[:-500])
    with pytest.raises(DatasetError, match="truncated"):
        read_wav(tmp_path / "cut.wav")
    (tmp_path / "junk.wav").write_bytes(b"this is not audio at all" * 10)
    with pytest.raises(DatasetError, match="not a readable WAV"):
        read_wav(tmp_path / "junk.wav")
    assert read_wav(tmp_path / "ok.wav").shape == (1000,)


def test_synthetic_layout_and_speaker_split(synth):
    rep = scan(synth)
    assert sorted(p.name for p in synth.iterdir() if p.is_dir() and not p.name.startswith("_")) \
        == sorted(WORDS)
    assert len(rep.noise_files) == 4 and not rep.skipped
    speakers = {name: {rel.split("/")[1].split("_")[0] for rel, _ in s.items}
                for name, s in rep.splits.items()}
    assert speakers["train"] and speakers["validation"] and speakers["testing"]
    assert not speakers["train"] & speakers["validation"]
    assert not speakers["train"] & speakers["testing"]
    assert not speakers["validation"] & speakers["testing"]
    a = read_wav(synth / "yes" / sorted((synth / "yes").iterdir())[0].name)
    assert a.shape == (16000,) and 0.1 < np.abs(a).max() <= 1.0
    counts = rep.counts()["train"]
    assert counts["yes"] > 0 and counts["_unknown_"] == 25 * counts["yes"]


def test_synthetic_build_is_reused_and_incomplete_build_redone(synth):
    stamp = (synth / "yes").stat().st_mtime_ns
    cfg = SynthConfig(n_speakers=6, repeats=1, noise_seconds=1, val_fraction=0.2, test_fraction=0.2)
    build_synthetic(synth, cfg)
    assert (synth / "yes").stat().st_mtime_ns == stamp  # nothing rewritten
    (synth / "yes" / sorted((synth / "yes").iterdir())[0].name).unlink()  # damaged since
    build_synthetic(synth, cfg)
    assert (synth / "synth_manifest.json").is_file()
    assert len(list((synth / "yes").iterdir())) == 6
    assert not synth.with_name(synth.name + ".partial").exists()


def test_synthetic_builder_never_overwrites_a_foreign_folder(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("precious")
    with pytest.raises(DatasetError, match="refusing to overwrite"):
        build_synthetic(tmp_path / "mine", SynthConfig(n_speakers=2, repeats=1, noise_seconds=1))
    assert (tmp_path / "mine" / "notes.txt").read_text() == "precious"


def _copy_small(src, dst, words=("yes", "no", "cat")):
    dst.mkdir()
    for w in words:
        (dst / w).mkdir()
        for f in sorted((src / w).glob("*.wav"))[:2]:
            (dst / w / f.name).write_bytes(f.read_bytes())
    return dst


def test_scan_errors_and_counted_skips(synth, tmp_path, caplog):
    root = _copy_small(synth, tmp_path / "d")
    with pytest.raises(DatasetError, match="missing split list"):
        scan(root)
    rep = scan(root, require_split_lists=False)
    assert list(rep.splits) == ["all"] and len(rep.splits["all"].items) == 6
    labels = {rel.split("/")[0]: LABELS[y] for rel, y in rep.splits["all"].items}
    assert labels == {"yes": "yes", "no": "no", "cat": "_unknown_"}
    # bad files are skipped, counted and logged, never given a label
    _raw_wav(root / "yes" / "stereo.wav", channels=2, frames=b"\x00\x00" * 200)
    (root / "no" / "junk.wav").write_bytes(b"garbage")
    write_wav(root / "cat" / "clipped.wav", np.sign(np.sin(np.arange(16000) / 5)) * 1.5)
    rep = scan(root, require_split_lists=False)
    assert set(rep.skipped) == {"yes/stereo.wav", "no/junk.wav", "cat/clipped.wav"}
    assert "clipped" in rep.skipped["cat/clipped.wav"]
    assert "3 of the files" in caplog.text
    # a listed file that does not exist, and an empty class folder, are errors
    (root / "validation_list.txt").write_text("yes/missing.wav\n")
    (root / "testing_list.txt").write_text("")
    with pytest.raises(DatasetError, match="does not exist"):
        scan(root)
    (root / "validation_list.txt").write_text("")
    (root / "up").mkdir()
    with pytest.raises(DatasetError, match="no .wav files"):
        scan(root)
    with pytest.raises(DatasetError, match="not found"):
        scan(tmp_path / "nowhere")
