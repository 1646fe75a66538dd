"""Shared machinery of the experiments: config flags, training loop, timing, results folders."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------
# config dataclass <-> command line


def parse_config(cls, argv=None, description: str | None = None, prog: str | None = None):
    """Build ``cls`` (a dataclass) from command-line flags, one ``--field-name`` per field.

    Types come from the field defaults (int, float, str, bool as ``--flag/--no-flag``);
    argparse rejects unknown flags and values of the wrong type.
    """
    parser = argparse.ArgumentParser(prog=prog, description=description,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    for f in dataclasses.fields(cls):
        flag = "--" + f.name.replace("_", "-")
        default = f.default
        doc = (f.metadata or {}).get("help", "")
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=doc)
        elif default is None:
            parser.add_argument(flag, type=str, default=None, help=doc)
        else:
            parser.add_argument(flag, type=type(default), default=default, help=doc)
    args = parser.parse_args(argv)
    try:
        return cls(**vars(args))
    except ValueError as e:  # a dataclass __post_init__ check
        parser.error(str(e))


def parse_models(models: str, allowed: tuple[str, ...]) -> list[str]:
    """``"a,b"`` -> ["a", "b"]; a ValueError unless a non-empty subset of ``allowed``."""
    chosen = [m.strip() for m in models.split(",") if m.strip()]
    if not chosen or set(chosen) - set(allowed):
        raise ValueError(f"--models must be a comma-separated subset of {allowed}, got {models!r}")
    return chosen


def field(default, help: str):
    """A dataclass field with a help text for its command-line flag."""
    return dataclasses.field(default=default, metadata={"help": help})


# ----------------------------------------------------------------------------------------------
# training


def seed_everything(seed: int) -> torch.Generator:
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 500):
    """Accuracy, predictions and mean event rate (NaN for models without events) on (x, y)."""
    model.eval()
    preds, rates = [], []
    for i in range(0, len(x), batch_size):
        preds.append(model(x[i:i + batch_size]).argmax(1))
        rates.append(getattr(model, "event_rate", float("nan")))
    pred = torch.cat(preds)
    return {"accuracy": (pred == y).float().mean().item(), "pred": pred,
            "event_rate": float(sum(rates) / len(rates))}


def _rank_world() -> tuple[int, int]:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def train_classifier(model: nn.Module, x: torch.Tensor, y: torch.Tensor, x_mon: torch.Tensor,
                     y_mon: torch.Tensor, epochs: int, batch_size: int, lr: float,
                     weight_decay: float, seed: int, progress: Callable | None = None,
                     augment: Callable | None = None, state_path: Path | None = None,
                     resume: bool = False) -> dict:
    """AdamW with a one-cycle schedule; returns the history (loss, monitored accuracy per epoch).

    ``(x_mon, y_mon)`` is evaluated after every epoch for the learning curve (the validation set
    where there is one); no model selection is made on it: the model is the last epoch's.
    ``augment(xb, generator)`` transforms each training batch. With ``state_path`` the full
    training state (weights, optimizer, schedule, RNG, history) is written atomically after every
    epoch, and ``resume=True`` continues from it. Under ``torchrun`` (torch.distributed
    initialised) training is data-parallel: every rank draws the same permutation and takes its
    own slice of each batch; DDP averages the gradients, so the replicas stay identical.
    """
    from freqformer_snn.checkpoint import atomic_torch_save

    rank, world = _rank_world()
    gen = seed_everything(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(len(x) / batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=epochs * steps_per_epoch,
                                                pct_start=0.1)
    hist = {"epoch": [], "loss": [], "monitor_accuracy": [], "seconds": [], "train_seconds": 0.0}
    start = 0
    if resume and state_path is not None and Path(state_path).is_file():
        st = torch.load(state_path, map_location="cpu", weights_only=True)
        if st.get("epochs") != epochs or st.get("n_train") != len(x):
            raise ValueError(f"{state_path} belongs to a run with {st.get('epochs')} epochs on "
                             f"{st.get('n_train')} examples, not {epochs} on {len(x)}")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        gen.set_state(st["gen"])
        torch.set_rng_state(st["torch_rng"])
        hist, start = st["hist"], st["epoch"]
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model)
    t0 = time.perf_counter() - (hist["seconds"][-1] if hist["seconds"] else 0.0)
    for epoch in range(start, epochs):
        net.train()
        t_epoch = time.perf_counter()
        perm = torch.randperm(len(x), generator=gen)
        total, n = 0.0, 0
        for i in range(0, len(x), batch_size):
            idx = perm[i:i + batch_size][rank::world]
            xb = augment(x[idx], gen) if augment else x[idx]
            loss = F.cross_entropy(net(xb), y[idx])
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss became {loss.item()} at epoch {epoch}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            n += len(idx)
        hist["train_seconds"] += time.perf_counter() - t_epoch
        acc = evaluate(model, x_mon, y_mon)["accuracy"]
        hist["epoch"].append(epoch + 1)
        hist["loss"].append(total / max(n, 1))
        hist["monitor_accuracy"].append(acc)
        hist["seconds"].append(time.perf_counter() - t0)
        if state_path is not None and rank == 0:
            atomic_torch_save({"model": model.state_dict(), "opt": opt.state_dict(),
                               "sched": sched.state_dict(), "gen": gen.get_state(),
                               "torch_rng": torch.get_rng_state(), "hist": hist,
                               "epoch": epoch + 1, "epochs": epochs, "n_train": len(x)}, state_path)
        if progress:
            progress(epoch, total / max(n, 1), acc)
    return hist


# ----------------------------------------------------------------------------------------------
# measurement


def progress_bar(kind: str, epochs: int, monitor: str):
    """A tqdm bar over epochs (shown on terminals) and the callback that advances it."""
    import sys

    from tqdm.auto import tqdm

    bar = tqdm(total=epochs, desc=f"{kind:>11}", unit="ep", file=sys.stdout, disable=None)

    def progress(epoch, loss, acc):
        bar.set_postfix({"loss": f"{loss:.3f}", monitor: f"{acc:.3f}"})
        bar.update()

    return bar, progress


def model_flops(model: nn.Module, x1: torch.Tensor) -> dict:
    """Analytic FLOPs of one forward pass on x1 (batch 1), with the matrix-product part also
    measured by torch.utils.flop_counter (``matmul_measured``; it must equal ``matmul``)."""
    from freqformer_snn import FreqFormer, freqformer_flops, measure_matmul_flops
    from freqformer_snn.counting import transformer_flops

    n = x1.shape[1]
    f = freqformer_flops(model, n) if isinstance(model, FreqFormer) else transformer_flops(model, n)
    f["matmul_measured"] = measure_matmul_flops(model, x1)
    f.setdefault("streaming_total", f["total"])  # a Transformer has no cheaper streaming form
    return f


def add_ratios(models: dict, base: str = "transformer") -> None:
    """Params, FLOPs and latency of every model as ratios to ``base``, measured in the same run."""
    if base not in models:
        return
    b = models[base]
    for r in models.values():
        r["params_vs_" + base] = r["params"] / b["params"]
        r["flops_vs_" + base] = r["flops"]["total"] / b["flops"]["total"]
        r["streaming_flops_vs_" + base] = r["flops"]["streaming_total"] / b["flops"]["streaming_total"]
        r["latency_vs_" + base] = r["latency_ms_batch1"] / b["latency_ms_batch1"]


def ratio_lines(models: dict, base: str = "transformer") -> list[str]:
    if base not in models:
        return []
    return ["Ratios to the Transformer (same run): " + "; ".join(
        f"{r['label']}: params ×{r['params_vs_' + base]:.2f}, FLOPs ×{r['flops_vs_' + base]:.2f} "
        f"(streaming ×{r['streaming_flops_vs_' + base]:.2f}), latency ×{r['latency_vs_' + base]:.2f}"
        for k, r in models.items() if k != base), ""]


FLOPS_NOTE = (
    "FLOPs: one multiply-add = 2. Matrix products are measured with `torch.utils.flop_counter`; "
    "FFTs, elementwise work and the Transformer's attention products (which flop_counter does not "
    "see in PyTorch's CPU attention kernel) are counted analytically "
    "(`freqformer_snn/counting.py`; softmax, norms and activations of the Transformer are not "
    "counted). \"parallel\" is the FFT form used for training and timed here; \"streaming\" is "
    "the same network run one step at a time (one complex multiply-add per resonator per step), "
    "as a streaming or spiking deployment runs it.")


@torch.no_grad()
def latency_ms(model: nn.Module, x: torch.Tensor, repeats: int = 50, warmup: int = 5) -> float:
    """Median wall time of one forward pass on x, in milliseconds."""
    model.eval()
    for _ in range(warmup):
        model(x)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - t)
    return 1000.0 * statistics.median(times)


def machine() -> dict:
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(), "torch": torch.__version__}


# ----------------------------------------------------------------------------------------------
# results folder


def write_results(out: Path, results: dict, markdown: str) -> None:
    """results.json and results.md in ``out`` (created); written atomically."""
    out.mkdir(parents=True, exist_ok=True)
    for name, text in (("results.json", json.dumps(results, indent=2, default=float)),
                       ("results.md", markdown)):
        tmp = out / (name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, out / name)


def md_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_int(n) -> str:
    return f"{int(n):,}"
