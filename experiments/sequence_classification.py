"""Sequence classification on MNIST-1D: FreqFormer vs the seed block vs a Transformer.

MNIST-1D (Greydanus 2020) is generated locally with ``mnist1d.data.make_dataset`` (default
arguments, seed 42: 4,000 training and 1,000 test sequences of 40 steps); nothing is downloaded.
All three models have the same width and depth and get the same budget (epochs, batch size,
optimizer, schedule); the reported accuracy is the last epoch's on the test set.

Commands::

    python -m experiments.sequence_classification            # default run (~5 min on 2 cores)
    python -m experiments.sequence_classification --quick    # < 1 min, for tests
    python -m experiments.sequence_classification --help     # every flag
    python -m experiments.sequence_classification --backend nengo,brian2 \
        --checkpoint runs/sequence_classification/default/freqformer.pt --limit 100
                                                             # the trained FreqFormer as spiking
                                                             # networks (results in <run>/spiking)

Writes ``results.json``, ``results.md``, ``learning_curves.png``, ``frequency_field.png`` and one
checkpoint per model into ``runs/sequence_classification/<name>/`` (``--out`` overrides).
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from freqformer_snn import (
    FreqFormer,
    FreqFormerConfig,
    TransformerClassifier,
    TransformerConfig,
    count_params,
    save_checkpoint,
)
from freqformer_snn.checkpoint import CheckpointError
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

MODELS = ("freqformer", "seed", "transformer")
LABELS = {"freqformer": "FreqFormer (resonator)", "seed": "Seed FreqFormer (sketch block)",
          "transformer": "Transformer encoder"}
PUBLISHED = [("logistic regression", "32%"), ("MLP", "68%"), ("GRU", "91%"), ("CNN", "94%"),
             ("human", "~96%")]  # Greydanus 2020, ../shared/ANCHORS.md


@dataclass
class SeqClsConfig(SpikingOptions):
    name: str = field("default", "run name: results go to runs/sequence_classification/<name>")
    out: str = field("", "results folder (overrides --name)")
    quick: bool = field(False, "tiny run (< 1 min) for tests")
    models: str = field(",".join(MODELS), f"comma-separated subset of {MODELS}")
    seed: int = field(0, "seed for weights and batch order")
    epochs: int = field(40, "training epochs (each model)")
    batch_size: int = field(64, "batch size")
    lr: float = field(3e-3, "peak learning rate (one-cycle)")
    weight_decay: float = field(0.01, "AdamW weight decay")
    n_channels: int = field(64, "channels C = Transformer width")
    n_layers: int = field(2, "blocks = Transformer layers")
    coupling_band: int = field(4, "PhaseCoupling neighbours on each side")
    gate_p: float = field(0.1, "regularisation in training: IntensityGate probability in "
                                "FreqFormer blocks, dropout in the Transformer")
    n_heads: int = field(4, "Transformer heads")
    num_samples: int = field(5000, "MNIST-1D sequences (80% train / 20% test)")
    threads: int = field(2, "torch CPU threads")
    latency_repeats: int = field(50, "repeats for the batch-1 latency median")

    def __post_init__(self):
        parse_models(self.models, MODELS)
        self.spiking_backends()
        if self.quick:  # small enough for the test suite, same code path
            self.epochs, self.num_samples, self.n_channels = 2, 600, 16
            self.latency_repeats = 5
            if self.name == "default":
                self.name = "quick"

    @property
    def model_list(self) -> list[str]:
        return parse_models(self.models, MODELS)

    @property
    def out_dir(self) -> Path:
        return Path(self.out) if self.out else Path("runs/sequence_classification") / self.name


def load_mnist1d(num_samples: int = 5000, seed: int = 42):
    """MNIST-1D generated locally; returns float32 (N, 40, 1) inputs and int64 labels."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.seed = num_samples, seed
    d = make_dataset(args)  # generation only: no download path is touched

    def t(a, dtype):
        return torch.tensor(np.asarray(a), dtype=dtype)

    return (t(d["x"], torch.float32).unsqueeze(-1), t(d["y"], torch.long),
            t(d["x_test"], torch.float32).unsqueeze(-1), t(d["y_test"], torch.long))


def build(kind: str, cfg: SeqClsConfig, T: int):
    if kind == "transformer":
        return TransformerClassifier(TransformerConfig(
            n_inputs=1, n_classes=10, d_model=cfg.n_channels, n_layers=cfg.n_layers,
            n_heads=cfg.n_heads, d_ff=4 * cfg.n_channels, max_len=T, dropout=cfg.gate_p))
    return FreqFormer(FreqFormerConfig(
        n_inputs=1, n_classes=10, n_channels=cfg.n_channels, n_layers=cfg.n_layers,
        coupling_band=cfg.coupling_band, gate_p=cfg.gate_p, mixer="resonator" if kind == "freqformer" else "seed"))


def run(cfg: SeqClsConfig) -> dict:
    torch.set_num_threads(cfg.threads)
    out = cfg.out_dir
    out.mkdir(parents=True, exist_ok=True)
    x, y, xt, yt = load_mnist1d(cfg.num_samples)
    T = x.shape[1]
    print(f"MNIST-1D: {len(x)} train / {len(xt)} test sequences of {T} steps -> {out}")
    results = {"experiment": "sequence_classification", "dataset": {
        "name": "MNIST-1D", "source": "mnist1d.data.make_dataset (generated locally, seed 42)",
        "train": len(x), "test": len(xt), "steps": T}, "config": asdict(cfg),
        "machine": machine(), "models": {}}
    histories, trained = {}, {}
    for kind in cfg.model_list:
        seed_everything(cfg.seed)
        model = build(kind, cfg, T)
        bar, progress = progress_bar(kind, cfg.epochs, "test")
        hist = train_classifier(model, x, y, xt, yt, cfg.epochs, cfg.batch_size, cfg.lr,
                                cfg.weight_decay, cfg.seed, progress)
        bar.close()
        ev = evaluate(model, xt, yt)
        r = {"label": LABELS[kind], "test_accuracy": ev["accuracy"],
             "params": count_params(model), "flops": model_flops(model, xt[:1]),
             "train_seconds": hist["train_seconds"],
             "latency_ms_batch1": latency_ms(model, xt[:1], cfg.latency_repeats),
             "event_rate": ev["event_rate"] if kind != "transformer" else None,
             "event_rates_per_layer": model.event_rates if kind != "transformer" else None,
             "history": hist}
        results["models"][kind] = r
        histories[kind], trained[kind] = hist, model
        save_checkpoint(out / f"{kind}.pt", model, extra={"test_accuracy": ev["accuracy"],
                                                          "experiment": "sequence_classification"})
        print(f"{kind:>11}: test accuracy {ev['accuracy']:.4f}, {r['params']:,} params, "
              f"{hist['train_seconds']:.0f} s training")
    add_ratios(results["models"])
    fig_files = figures(out, histories, trained.get("freqformer"), xt[:1], yt[:1])
    results["figures"] = fig_files
    md = markdown(results, cfg)
    write_results(out, results, md)
    print(md)
    return results


def run_spiking(cfg: SeqClsConfig) -> dict:
    """The trained FreqFormer of ``--checkpoint`` as spiking networks on the test sequences
    (population ranges calibrated on training sequences)."""
    from freqformer_snn import load_model

    from . import spiking

    model, _ = load_model(cfg.checkpoint)
    if not isinstance(model, FreqFormer):
        raise SpecError(f"{cfg.checkpoint} holds a {type(model).__name__}; the spiking backends "
                         "run FreqFormer checkpoints")
    x, _, xt, yt = load_mnist1d(cfg.num_samples)
    return spiking.run(model, [str(d) for d in range(10)], xt, yt.numpy(), x, cfg,
                       cfg.out_dir / "spiking", "MNIST-1D (generated locally, seed 42)",
                       "MNIST-1D sequence classification")


def markdown(res: dict, cfg: SeqClsConfig) -> str:
    rows = []
    for kind, r in res["models"].items():
        ev = "—" if r["event_rate"] is None else f"{r['event_rate']:.3f}"
        rows.append([r["label"], f"{100 * r['test_accuracy']:.1f}%", fmt_int(r["params"]),
                     fmt_int(r["flops"]["total"]), fmt_int(r["flops"]["streaming_total"]),
                     f"{r['train_seconds']:.0f} s",
                     f"{r['latency_ms_batch1']:.2f} ms", ev])
    d, m = res["dataset"], res["machine"]
    cmd = "python -m experiments.sequence_classification" + (" --quick" if cfg.quick else "")
    lines = [
        "# Sequence classification: MNIST-1D", "",
        f"Command: `{cmd}` (seed {cfg.seed}, {cfg.epochs} epochs each, batch {cfg.batch_size}, "
        f"lr {cfg.lr}, width {cfg.n_channels}, depth {cfg.n_layers}).",
        f"Data: {d['name']}, {d['source']}: {d['train']} train / {d['test']} test, {d['steps']} steps.",
        f"Machine: {m['processor']}, {m['cpus']} CPUs, {m['torch_threads']} torch threads, "
        f"torch {m['torch']}.", "",
        "## Measured here", "",
        md_table(["model", "test acc.", "params", "FLOPs / sequence (parallel)",
                  "FLOPs (streaming)", "training", "latency (B=1)", "event rate"], rows), "",
        FLOPS_NOTE + f" Latency: median of {cfg.latency_repeats} batch-1 forward passes (parallel "
        "form), same process. Event rate: fraction of (step, channel) intensities above "
        "threshold on the test set, mean over blocks.", "",
    ] + ratio_lines(res["models"])
    if "freqformer" in res["models"]:
        f = res["models"]["freqformer"]["flops"]
        lines += [f"FreqFormer FLOPs breakdown: matmul {fmt_int(f['matmul'])} (flop_counter: "
                  f"{fmt_int(f['matmul_measured'])}), FFT {fmt_int(f['fft'])}, elementwise "
                  f"{fmt_int(f['elementwise'])}; streaming (one step at a time) "
                  f"{fmt_int(f['streaming_total'])}.", ""]
    lines += ["## Published (Greydanus 2020; not measured here)", "",
              md_table(["model", "test acc."], [list(p) for p in PUBLISHED]), "",
              "Figures: " + ", ".join(res["figures"]), ""]
    return "\n".join(lines)


def figures(out: Path, histories: dict, model, x1, y1) -> list[str]:
    from . import figures as fig

    files = [fig.learning_curves(histories, LABELS, out / "learning_curves.png", "test",
                                 (94, "CNN, published")).name]
    if model is not None:
        files.append(fig.frequency_field(model, x1, out / "frequency_field.png",
                                         title=f"MNIST-1D digit {int(y1[0])}").name)
    return files


def main(argv=None) -> dict:
    cfg = parse_config(SeqClsConfig, argv, description=__doc__.split("\n\n")[0],
                       prog="python -m experiments.sequence_classification")
    t = time.perf_counter()
    try:
        res = run_spiking(cfg) if cfg.spiking_backends() else run(cfg)
    except (CheckpointError, SpecError) as e:
        sys.exit(f"error: {e}")
    print(f"done in {time.perf_counter() - t:.0f} s")
    return res


if __name__ == "__main__":
    main()
