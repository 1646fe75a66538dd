"""Keyword spotting on Speech Commands v2 (12 classes): FreqFormer vs a Transformer vs the seed block.

Without ``--data-dir`` a synthetic dataset in exactly the Speech Commands layout is built once,
offline, with eSpeak NG (see ``freqformer_snn/speech_commands.py``) into ``data/`` and reused;
validation and test speakers are never heard in training. With ``--data-dir`` the real dataset
(as distributed) is used. All models listen through the same causal log-mel ``FilterBank`` and get
the same budget and augmentation (time shift, background noise at random SNR).

Commands::

    python -m experiments.speech_commands                      # default run (make demo)
    python -m experiments.speech_commands --quick              # < 1 min, for tests
    python -m experiments.speech_commands --data-dir PATH      # the real dataset
    python -m experiments.speech_commands --resume             # continue a killed run
    python -m experiments.speech_commands --listen             # also write sonifications
    python -m experiments.speech_commands --backend nengo,brian2 \
        --checkpoint runs/speech_commands/default/freqformer.pt --limit 100
                                                               # the trained FreqFormer as spiking
                                                               # networks (results in <run>/spiking)
    python -m experiments.speech_commands evaluate --checkpoint runs/speech_commands/default/freqformer.pt \\
        --data-dir DIR [--json]                                # any folder in the layout
    torchrun --nproc_per_node 2 -m experiments.speech_commands --threads 1   # data-parallel (gloo)

Writes ``results.json``, ``results.md``, figures and one checkpoint per model into
``runs/speech_commands/<name>/`` (``--out`` overrides).
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from freqformer_snn import (
    FreqFormer,
    FreqFormerConfig,
    TransformerClassifier,
    TransformerConfig,
    count_params,
    load_model,
    save_checkpoint,
)
from freqformer_snn import speech_commands as sc
from freqformer_snn.checkpoint import CheckpointError
from freqformer_snn.counting import peak_memory_bytes
from freqformer_snn.export import SpecError

from .common import (
    FLOPS_NOTE,
    add_ratios,
    evaluate,
    field,
    fmt_int,
    latency_ms,
    machine,
    md_table,
    model_flops,
    parse_config,
    parse_models,
    progress_bar,
    ratio_lines,
    seed_everything,
    train_classifier,
    write_results,
)
from .spiking import SpikingOptions

MODELS = ("freqformer", "transformer", "seed")
LABELS = {"freqformer": "FreqFormer (resonator)", "transformer": "Transformer KWS",
          "seed": "Seed FreqFormer (sketch block)"}
SNRS = (20, 10, 5, 0)
PUBLISHED = [  # ../shared/ANCHORS.md: published, not measured here
    ("KWT-1 / KWT-3 (transformer)", "97.7% / 98.7%, 12-class", "607k / 5.5M", "Berg et al. 2021"),
    ("BC-ResNet-8 (CNN)", "98.7%, 12-class", "~321k", "Kim et al. 2021"),
    ("Causal S5 (state space, raw audio)", "95.8%", "208k", "Bittner et al. 2025"),
    ("DCLS delays (SNN)", "95.35%, 35-class", "—", "Hammouamri et al. 2024"),
    ("adaptive SRNN (SNN)", "91.4%, GSC v1", "—", "Yin, Corradi, Bohté 2021"),
    ("PocketSphinx 5.1.1, no training", "50.5% on eSpeak keywords", "—", "measured by the project"),
]


@dataclass
class KWSConfig(SpikingOptions):
    name: str = field("default", "run name: results go to runs/speech_commands/<name>")
    out: str = field("", "results folder (overrides --name)")
    quick: bool = field(False, "tiny run (< 1 min) for tests")
    data_dir: str = field("", "a real Speech Commands v2 folder; empty: the synthetic dataset")
    synth_dir: str = field("data/speech_commands_synth", "where the synthetic dataset is built")
    n_speakers: int = field(240, "synthetic speakers")
    repeats: int = field(2, "utterances of each word per synthetic speaker")
    models: str = field(",".join(MODELS), f"comma-separated subset of {MODELS}")
    seed: int = field(0, "seed for weights, batch order and augmentation")
    epochs: int = field(15, "training epochs (each model)")
    batch_size: int = field(64, "batch size")
    lr: float = field(3e-3, "peak learning rate (one-cycle)")
    weight_decay: float = field(0.01, "AdamW weight decay")
    gate_p: float = field(0.1, "IntensityGate probability (FreqFormer) / dropout (Transformer)")
    n_bands: int = field(40, "log-mel bands of the filter bank")
    n_channels: int = field(64, "FreqFormer channels")
    n_layers: int = field(4, "FreqFormer blocks")
    coupling_band: int = field(4, "PhaseCoupling neighbours on each side")
    tf_width: int = field(36, "Transformer width (about FreqFormer's parameter count)")
    tf_layers: int = field(2, "Transformer layers")
    tf_heads: int = field(4, "Transformer heads")
    noise_prob: float = field(0.8, "probability of adding background noise to a training clip")
    snr_low: float = field(0.0, "lowest training SNR (dB)")
    snr_high: float = field(20.0, "highest training SNR (dB)")
    shift_ms: float = field(100.0, "largest random time shift in training (ms)")
    threads: int = field(2, "torch CPU threads")
    latency_repeats: int = field(30, "repeats for the batch-1 latency median")
    resume: bool = field(False, "continue from the training state in the results folder")
    listen: bool = field(False, "write WAV sonifications of one clip's frequency field")

    def __post_init__(self):
        parse_models(self.models, MODELS)
        self.spiking_backends()
        if self.quick:
            self.n_speakers, self.repeats, self.epochs = 8, 1, 2
            self.n_channels, self.n_layers, self.n_bands, self.tf_width = 16, 1, 16, 16
            self.latency_repeats = 3
            if self.synth_dir == "data/speech_commands_synth":
                self.synth_dir = "data/speech_commands_synth_quick"
            if self.name == "default":
                self.name = "quick"

    @property
    def model_list(self) -> list[str]:
        return parse_models(self.models, MODELS)

    @property
    def out_dir(self) -> Path:
        return Path(self.out) if self.out else Path("runs/speech_commands") / self.name


# ----------------------------------------------------------------------------------------------
# data


def dataset_root(cfg: KWSConfig) -> tuple[Path, dict]:
    """The folder to read and a description of it for the results."""
    if cfg.data_dir:
        return Path(cfg.data_dir), {"name": "Google Speech Commands v2 (real)", "path": cfg.data_dir}
    synth = sc.SynthConfig(n_speakers=cfg.n_speakers, repeats=cfg.repeats, seed=0,
                           noise_seconds=10 if cfg.quick else 60)
    bar = None

    def progress(done, total):
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc="synthesising", unit="clip", file=sys.stdout, disable=None)
        bar.update()

    root = sc.build_synthetic(cfg.synth_dir, synth, progress)
    if bar is not None:
        bar.close()
    return root, {"name": "synthetic Speech Commands (eSpeak NG, offline)", "path": str(root),
                  **synth.manifest()}


class Augment:
    """Random time shift (zero fill) and background noise at a random SNR, per clip."""

    def __init__(self, noise: sc.NoiseBank, cfg: KWSConfig):
        self.noise, self.cfg = noise, cfg
        self.max_shift = int(cfg.shift_ms * sc.SAMPLE_RATE / 1000)

    def __call__(self, xb: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        seed = int(torch.randint(0, 2 ** 31 - 1, (1,), generator=gen))
        rng = np.random.default_rng(seed)
        x = xb.numpy().copy()
        for i, s in enumerate(rng.integers(-self.max_shift, self.max_shift + 1, len(x))):
            x[i] = np.roll(x[i], s)
            if s > 0:
                x[i, :s] = 0
            elif s < 0:
                x[i, s:] = 0
        noisy = rng.random(len(x)) < self.cfg.noise_prob
        if noisy.any() and self.noise:
            snr = rng.uniform(self.cfg.snr_low, self.cfg.snr_high, int(noisy.sum()))
            x[noisy] = sc.mix_at_snr(x[noisy], self.noise.sample(int(noisy.sum()), rng), snr)
        return torch.from_numpy(x)


def noisy_copy(split: sc.AudioSet, noise: sc.NoiseBank, snr_db: float, seed: int) -> torch.Tensor:
    """Test clips mixed with held-out noise at one SNR; _silence_ clips are noise already."""
    rng = np.random.default_rng(seed)
    x = split.audio.copy()
    speech = split.labels != sc.LABELS.index(sc.SILENCE)
    x[speech] = sc.mix_at_snr(x[speech], noise.sample(int(speech.sum()), rng), snr_db)
    return torch.from_numpy(x)


# ----------------------------------------------------------------------------------------------
# models and measurements


def build(kind: str, cfg: KWSConfig) -> torch.nn.Module:
    front = dict(front_end="filterbank", n_bands=cfg.n_bands, sample_rate=sc.SAMPLE_RATE)
    n_cls = len(sc.LABELS)
    if kind == "transformer":
        w = cfg.tf_width
        return TransformerClassifier(TransformerConfig(
            **front, n_classes=n_cls, d_model=w, n_layers=cfg.tf_layers, n_heads=cfg.tf_heads,
            d_ff=2 * w, max_len=128, dropout=cfg.gate_p))
    return FreqFormer(FreqFormerConfig(
        **front, n_classes=n_cls, n_channels=cfg.n_channels, n_layers=cfg.n_layers,
        coupling_band=cfg.coupling_band, gate_p=cfg.gate_p,
        mixer="resonator" if kind == "freqformer" else "seed"))


def measure(model, x1: torch.Tensor, repeats: int) -> dict:
    return {"params": count_params(model), "flops": model_flops(model, x1),
            "latency_ms_batch1": latency_ms(model, x1, repeats),
            "peak_memory_bytes_batch1": peak_memory_bytes(model, x1)}


def per_class(pred: np.ndarray, y: np.ndarray) -> dict:
    return {lab: float((pred[y == c] == c).mean()) if (y == c).any() else None
            for c, lab in enumerate(sc.LABELS)}


def confusion_matrix(pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    cm = np.zeros((len(sc.LABELS), len(sc.LABELS)), np.int64)
    np.add.at(cm, (y, pred), 1)
    return cm


# ----------------------------------------------------------------------------------------------
# train


def run(cfg: KWSConfig) -> dict | None:
    import torch.distributed as dist

    torch.set_num_threads(cfg.threads)
    rank = dist.get_rank() if dist.is_initialized() else 0
    out = cfg.out_dir
    out.mkdir(parents=True, exist_ok=True)
    root, data_info = dataset_root(cfg) if rank == 0 else (None, None)
    if dist.is_initialized():  # rank 0 builds the dataset; the others wait and read it
        box = [root, data_info]
        dist.broadcast_object_list(box, src=0)
        root, data_info = box
    report = sc.scan(root)
    splits = {s: sc.load_split(root, report, s, seed=cfg.seed) for s in ("train", "validation", "testing")}
    noise = {s: sc.NoiseBank(root, report.noise_files, s) for s in ("train", "testing")}
    data_info.update(counts={s: int(len(v)) for s, v in splits.items()},
                     skipped_files=len(report.skipped))
    x, y = torch.from_numpy(splits["train"].audio), torch.from_numpy(splits["train"].labels)
    xv, yv = torch.from_numpy(splits["validation"].audio), torch.from_numpy(splits["validation"].labels)
    xt, yt = torch.from_numpy(splits["testing"].audio), torch.from_numpy(splits["testing"].labels)
    print(f"{data_info['name']}: {len(x)} train / {len(xv)} validation / {len(xt)} test clips "
          f"-> {out}")
    augment = Augment(noise["train"], cfg)
    results = {"experiment": "speech_commands", "dataset": data_info, "config": asdict(cfg),
               "machine": machine(), "models": {}}
    trained, histories = {}, {}
    for kind in cfg.model_list:
        seed_everything(cfg.seed)
        model = build(kind, cfg)
        model.front.fit(x[torch.randperm(len(x))[:512]])  # feature statistics of training audio
        bar, progress = progress_bar(kind, cfg.epochs, "val")
        hist = train_classifier(model, x, y, xv, yv, cfg.epochs, cfg.batch_size, cfg.lr,
                                cfg.weight_decay, cfg.seed, progress, augment=augment,
                                state_path=out / f"{kind}.state.pt", resume=cfg.resume)
        bar.close()
        if rank != 0:
            continue
        ev = evaluate(model, xt, yt)
        pred = ev["pred"].numpy()
        r = {"label": LABELS[kind], "test_accuracy": ev["accuracy"],
             "validation_accuracy": hist["monitor_accuracy"][-1],
             "per_class_accuracy": per_class(pred, yt.numpy()),
             "confusion": confusion_matrix(pred, yt.numpy()).tolist(),
             "train_seconds": hist["train_seconds"],
             "event_rate": ev["event_rate"] if kind != "transformer" else None,
             **measure(model, xt[:1], cfg.latency_repeats), "history": hist}
        r["noise"] = {"clean": ev["accuracy"]}
        for snr in SNRS:
            r["noise"][str(snr)] = evaluate(model, noisy_copy(splits["testing"], noise["testing"],
                                                               snr, seed=1000 + snr), yt)["accuracy"]
        results["models"][kind] = r
        trained[kind], histories[kind] = model, hist
        save_checkpoint(out / f"{kind}.pt", model, extra={"test_accuracy": ev["accuracy"],
                                                          "experiment": "speech_commands",
                                                          "labels": list(sc.LABELS)})
        print(f"{kind:>11}: test accuracy {ev['accuracy']:.4f}, {r['params']:,} params, "
              f"{hist['train_seconds']:.0f} s training")
    if rank != 0:
        return None
    add_ratios(results["models"])
    results["figures"] = figures(out, results, histories, trained, splits["testing"])
    if cfg.listen and "freqformer" in trained:
        results["listen"] = listen(out / "listen", trained["freqformer"], splits["testing"])
    md = markdown(results, cfg)
    write_results(out, results, md)
    print(md)
    return results


def run_spiking(cfg: KWSConfig) -> dict:
    """The trained FreqFormer of ``--checkpoint`` as spiking networks on the test clips."""
    from . import spiking

    model, extra = load_model(cfg.checkpoint)
    if not isinstance(model, FreqFormer):
        raise SpecError(f"{cfg.checkpoint} holds a {type(model).__name__}; the spiking backends "
                         "run FreqFormer checkpoints")
    if extra.get("labels") and list(extra["labels"]) != list(sc.LABELS):
        raise sc.DatasetError(f"{cfg.checkpoint} was trained on labels {extra['labels']}")
    root, data_info = dataset_root(cfg)
    report = sc.scan(root)
    test = sc.load_split(root, report, "testing", seed=cfg.seed)
    val = sc.load_split(root, report, "validation", seed=cfg.seed)
    order = np.random.default_rng(cfg.seed).permutation(len(test))  # a class-mixed subset
    return spiking.run(model, list(sc.LABELS), torch.from_numpy(test.audio[order]),
                       test.labels[order], torch.from_numpy(val.audio), cfg,
                       cfg.out_dir / "spiking", data_info["name"], "Keyword spotting")


def figures(out: Path, results: dict, histories: dict, trained: dict, test: sc.AudioSet) -> list[str]:
    from . import figures as fig

    files = [fig.learning_curves(histories, LABELS, out / "learning_curves.png", "validation").name,
             fig.accuracy_vs_snr({k: r["noise"] for k, r in results["models"].items()}, LABELS,
                                 out / "accuracy_vs_snr.png").name]
    main_kind = "freqformer" if "freqformer" in trained else next(iter(trained))
    r = results["models"][main_kind]
    files.append(fig.confusion(np.array(r["confusion"]), list(sc.LABELS), out / "confusion.png",
                               title=f"{LABELS[main_kind]}: test").name)
    if isinstance(trained.get(main_kind), FreqFormer):
        m = trained[main_kind]
        i = int(np.nonzero(test.labels == 0)[0][0]) if (test.labels == 0).any() else 0
        clip = torch.from_numpy(test.audio[i:i + 1])
        bands = m.front(clip)[0].T.numpy()
        files.append(fig.frequency_field(m, clip, out / "frequency_field.png",
                                         title=f"'{sc.LABELS[test.labels[i]]}' ({test.files[i]})",
                                         input_trace=bands, input_label="log-mel\nband").name)
    return files


def listen(folder: Path, model: FreqFormer, test: sc.AudioSet) -> list[str]:
    """WAV files: a test clip, its filter bank and each block's field, rendered as tones."""
    from freqformer_snn.sonify import resonator_tones, sonify

    folder.mkdir(parents=True, exist_ok=True)
    i = int(np.nonzero(test.labels == 0)[0][0]) if (test.labels == 0).any() else 0
    word = sc.LABELS[test.labels[i]]
    clip = torch.from_numpy(test.audio[i:i + 1])
    frame_rate = sc.SAMPLE_RATE / model.front.slicer.hop
    written = [f"{word}_input.wav"]
    sc.write_wav(folder / written[0], test.audio[i])
    bands = model.front.features(clip)[0].T.numpy()  # (bands, T) log energies
    sc.write_wav(folder / f"{word}_filterbank.wav",
                 sonify(np.exp(bands / 2), model.front.slicer.centre_hz.numpy(), frame_rate))
    written.append(f"{word}_filterbank.wav")
    for b, rec in enumerate(model.trace(clip)):
        tones = resonator_tones(model.blocks[b].field.omega.detach().numpy())
        for what in ("intensity", "events"):
            name = f"{word}_block{b}_{what}.wav"
            sc.write_wav(folder / name, sonify(rec[what][0].T.numpy(), tones, frame_rate))
            written.append(name)
    return [f"listen/{w}" for w in written]


def markdown(res: dict, cfg: KWSConfig) -> str:
    rows, noise_rows = [], []
    for kind, r in res["models"].items():
        ev = "—" if r["event_rate"] is None else f"{r['event_rate']:.3f}"
        mem = r["peak_memory_bytes_batch1"]
        rows.append([r["label"], f"{100 * r['test_accuracy']:.1f}%",
                     f"{100 * r['validation_accuracy']:.1f}%", fmt_int(r["params"]),
                     fmt_int(r["flops"]["total"]), fmt_int(r["flops"]["streaming_total"]),
                     f"{r['latency_ms_batch1']:.2f} ms",
                     "n/a" if mem is None else f"{mem / 2**20:.1f} MiB",
                     f"{r['train_seconds']:.0f} s", ev])
        noise_rows.append([r["label"]] + [f"{100 * r['noise'][k]:.1f}%" for k in
                                          ["clean"] + [str(s) for s in SNRS]])
    d, m = res["dataset"], res["machine"]
    cmd = "python -m experiments.speech_commands" + (" --quick" if cfg.quick else "") + \
        (f" --data-dir {cfg.data_dir}" if cfg.data_dir else "")
    lines = [
        "# Keyword spotting: Speech Commands, 12 classes", "",
        f"Command: `{cmd}` (seed {cfg.seed}, {cfg.epochs} epochs each, batch {cfg.batch_size}, "
        f"lr {cfg.lr}).",
        f"Data: **{d['name']}** at `{d['path']}`: {d['counts']['train']} train / "
        f"{d['counts']['validation']} validation / {d['counts']['testing']} test clips"
        + (f" ({d['n_speakers']} speakers x {d['repeats']} utterances of 35 words; test speakers "
           "never heard in training)" if "n_speakers" in d else "") + ".",
        f"Machine: {m['processor']}, {m['cpus']} CPUs, {m['torch_threads']} torch threads, "
        f"torch {m['torch']}.", "",
        "## Measured here", "",
        md_table(["model", "test acc.", "val. acc.", "params", "FLOPs / clip (parallel)",
                  "FLOPs (streaming)", "latency (B=1)", "peak memory (B=1)", "training",
                  "event rate"], rows), "",
        f"All models: causal log-mel filter bank ({cfg.n_bands} bands, 30 ms / 10 ms) on 1 s of "
        "16 kHz audio; accuracy of the last epoch (no selection on test). " + FLOPS_NOTE +
        f" Latency: median of {cfg.latency_repeats} batch-1 passes (parallel form) in the same "
        "process. Peak memory: bytes allocated during one batch-1 pass beyond what was in use "
        "before it (parameters excluded). Event rate: fraction of (frame, channel) intensities "
        "above threshold on the test set, mean over blocks.", "",
        "## Noise robustness (test clips + held-out background noise)", "",
        md_table(["model", "clean"] + [f"{s} dB" for s in SNRS], noise_rows), "",
    ]
    lines += ratio_lines(res["models"])
    for kind, r in res["models"].items():
        lines.append(f"Per-class test accuracy, {r['label']}: " + ", ".join(
            f"{k} {100 * v:.0f}%" for k, v in r["per_class_accuracy"].items() if v is not None))
    lines += ["", "## Published (not measured here; real Speech Commands unless stated)", "",
              md_table(["system", "accuracy", "params", "source"], [list(p) for p in PUBLISHED]),
              "", "Figures: " + ", ".join(res["figures"]), ""]
    if res.get("listen"):
        lines += ["Sonification: " + ", ".join(res["listen"]), ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# evaluate


@dataclass
class EvalConfig:
    checkpoint: str = field("", "a checkpoint written by this experiment")
    data_dir: str = field("", "a folder in the Speech Commands layout (split lists optional)")
    split: str = field("testing", "split to evaluate when the folder has split lists")
    json: bool = field(False, "print the result as JSON")
    limit: int = field(0, "evaluate at most this many clips (0: all)")

    def __post_init__(self):
        if not self.checkpoint or not self.data_dir:
            raise ValueError("evaluate needs --checkpoint PATH and --data-dir DIR")


def evaluate_folder(cfg: EvalConfig) -> dict:
    model, extra = load_model(cfg.checkpoint)
    if extra.get("labels") and list(extra["labels"]) != list(sc.LABELS):
        raise sc.DatasetError(f"{cfg.checkpoint} was trained on labels {extra['labels']}")
    report = sc.scan(cfg.data_dir, require_split_lists=False)
    split = cfg.split if report.has_split_lists else "all"
    if split not in report.splits:
        raise sc.DatasetError(f"no split {split!r} in {cfg.data_dir} (have {list(report.splits)})")
    data = sc.load_split(cfg.data_dir, report, split, unknown_ratio=None,
                         silence_ratio=0.0 if not report.noise_files else 1.0)
    n = len(data) if cfg.limit <= 0 else min(cfg.limit, len(data))
    x, y = torch.from_numpy(data.audio[:n]), data.labels[:n]
    ev = evaluate(model, x, torch.from_numpy(y))
    pred = ev["pred"].numpy()
    return {"checkpoint": cfg.checkpoint, "data_dir": cfg.data_dir, "split": split, "clips": n,
            "skipped_files": report.skipped, "accuracy": ev["accuracy"],
            "per_class_accuracy": per_class(pred, y)}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["evaluate"]:
        cfg = parse_config(EvalConfig, argv[1:], prog="python -m experiments.speech_commands evaluate",
                           description="Evaluate a saved keyword spotter on a Speech Commands folder.")
        try:
            res = evaluate_folder(cfg)
        except (sc.DatasetError, ValueError) as e:
            sys.exit(f"error: {e}")
        if cfg.json:
            print(json.dumps(res, indent=2))
        else:
            print(f"{res['clips']} clips from {res['data_dir']} ({res['split']}): accuracy "
                  f"{100 * res['accuracy']:.2f}%")
            for k, v in res["per_class_accuracy"].items():
                if v is not None:
                    print(f"  {k:>10}: {100 * v:.1f}%")
            if res["skipped_files"]:
                print(f"skipped {len(res['skipped_files'])} unreadable files")
        return res
    cfg = parse_config(KWSConfig, argv, description=__doc__.split("\n\n")[0],
                       prog="python -m experiments.speech_commands")
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        import torch.distributed as dist

        dist.init_process_group("gloo")
    t = time.perf_counter()
    try:
        res = run_spiking(cfg) if cfg.spiking_backends() else run(cfg)
    except (sc.DatasetError, CheckpointError, SpecError) as e:
        sys.exit(f"error: {e}")
    finally:
        if distributed:
            dist.destroy_process_group()
    if res is not None:
        where = cfg.out_dir / "spiking" if cfg.spiking_backends() else cfg.out_dir
        print(f"done in {time.perf_counter() - t:.0f} s; results in {where}")
    return res


if __name__ == "__main__":
    main()
