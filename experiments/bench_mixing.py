"""One causal self-attention layer vs one FreqFormer mixer of the same width: forward + backward
time and peak memory as the sequence grows.

    python -m experiments.bench_mixing [--lengths 256,1024,4096,16384] [--width 128]

Both run in this process, one after the other at each length, batch 1, with the same input;
times are medians over ``--repeats`` (after a warm-up), memory the peak bytes allocated by one
forward + backward beyond what was in use before (``freqformer_snn.counting.peak_bytes``).
Attention is measured twice: as written in ``freqformer_snn.gpt`` (explicit (H, T, T) score
matrices, what the GPT trains with and what the attention-spectrum analysis reads) and through
PyTorch's fused ``scaled_dot_product_attention``. Explicit attention lengths whose estimated need
exceeds ``--max-gib`` are skipped and reported as such, not run into the machine's memory limit.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from freqformer_snn.counting import peak_bytes
from freqformer_snn.gpt import CausalSelfAttention, FreqMixer, GPTConfig


class FusedAttention(CausalSelfAttention):
    """The same layer through PyTorch's fused ``scaled_dot_product_attention`` (no (T, T) maps
    kept for backward on its memory-efficient path): attention at its best on this machine."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                   for t in self.c_attn(x).split(C, dim=2))
        y = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).reshape(B, T, C))

from .common import field, machine, md_table, parse_config, write_results


@dataclass
class BenchConfig:
    lengths: str = field("256,1024,4096,16384", "sequence lengths T")
    width: int = field(128, "channels / embedding width")
    heads: int = field(4, "attention heads")
    repeats: int = field(5, "timed repeats per length (median reported)")
    max_gib: float = field(12.0, "skip attention where its (H, T, T) tensors would need more")
    threads: int = field(2, "torch CPU threads")
    out: str = field("runs/bench_mixing", "results folder")

    def length_list(self) -> list[int]:
        try:
            ls = [int(v) for v in self.lengths.split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"--lengths must be integers like 256,1024, got {self.lengths!r}") from None
        if not ls or min(ls) < 2:
            raise ValueError("--lengths must be integers >= 2")
        return ls


def attention_gib(T: int, heads: int) -> float:
    """Rough need of attention's forward + backward: ~5 float32 (H, T, T) tensors (scores,
    masked, softmax, and their gradients)."""
    return 5 * heads * T * T * 4 / 2 ** 30


def measure(layer: torch.nn.Module, x: torch.Tensor, repeats: int) -> dict:
    def step():
        layer.zero_grad(set_to_none=True)
        xi = x.detach().requires_grad_(True)
        layer(xi).square().mean().backward()

    step()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return {"ms": 1000 * statistics.median(times), "peak_bytes": peak_bytes(step)}


def run(cfg: BenchConfig) -> dict:
    from tqdm import tqdm

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(0)
    gcfg = GPTConfig(n_embd=cfg.width, n_head=cfg.heads)
    layers = {"attention": CausalSelfAttention(gcfg), "fused": FusedAttention(gcfg),
              "freqformer": FreqMixer(gcfg)}
    rows = []
    for T in tqdm(cfg.length_list(), desc="lengths", unit="T"):
        x = torch.randn(1, T, cfg.width)
        row = {"T": T}
        for name, layer in layers.items():
            if name == "attention" and attention_gib(T, cfg.heads) > cfg.max_gib:
                row[name] = {"skipped": f"needs ~{attention_gib(T, cfg.heads):.0f} GiB "
                                        f"(> --max-gib {cfg.max_gib})"}
                continue
            reps = cfg.repeats if T <= 4096 else max(1, cfg.repeats // 2)
            row[name] = measure(layer, x, reps)
        a, s, f = row["attention"], row["fused"], row["freqformer"]
        row["fused_time_ratio"] = s["ms"] / f["ms"]
        if "ms" in a:
            row["time_ratio"] = a["ms"] / f["ms"]
            if a["peak_bytes"] and f["peak_bytes"]:
                row["memory_ratio"] = a["peak_bytes"] / f["peak_bytes"]
        if s["peak_bytes"] and f["peak_bytes"]:
            row["fused_memory_ratio"] = s["peak_bytes"] / f["peak_bytes"]
        rows.append(row)
    f_mem = [(r["T"], r["freqformer"]["peak_bytes"]) for r in rows if r["freqformer"]["peak_bytes"]]
    slope = float(np.polyfit(np.log([t for t, _ in f_mem]), np.log([m for _, m in f_mem]), 1)[0]) \
        if len(f_mem) > 1 else float("nan")
    res = {"config": asdict(cfg), "machine": machine(), "rows": rows,
           "freqformer_memory_exponent": slope,
           "command": " ".join(["python", *sys.orig_argv[1:]])}
    md = markdown(res)
    write_results(Path(cfg.out), res, md)
    print(md)
    return res


def markdown(res: dict) -> str:
    def cell(r, k, f):
        return r[k]["skipped"] if "skipped" in r[k] else f(r[k])

    mib = lambda v: "—" if v["peak_bytes"] is None else f"{v['peak_bytes'] / 2 ** 20:.1f}"  # noqa: E731
    ratio = lambda r, k: f"{r[k]:.1f}x" if k in r else "—"  # noqa: E731
    rows = [[r["T"], cell(r, "attention", lambda v: f"{v['ms']:.1f}"), f"{r['fused']['ms']:.1f}",
             f"{r['freqformer']['ms']:.1f}", ratio(r, "time_ratio"), ratio(r, "fused_time_ratio"),
             cell(r, "attention", mib), mib(r["fused"]), mib(r["freqformer"]),
             ratio(r, "memory_ratio"), ratio(r, "fused_memory_ratio")] for r in res["rows"]]
    c, m = res["config"], res["machine"]
    return "\n".join([
        f"# Mixing layers: causal attention vs FreqFormer mixer (width {c['width']}, "
        f"{c['heads']} heads, batch 1, forward + backward)", "",
        md_table(["T", "attention ms", "fused attention ms", "FreqFormer ms",
                  "time ratio (attention / FreqFormer)", "time ratio (fused / FreqFormer)",
                  "attention MiB", "fused MiB", "FreqFormer MiB", "memory ratio",
                  "memory ratio (fused)"], rows), "",
        f"Medians over {c['repeats']} repeats (fewer above T = 4096) after a warm-up, both layers "
        f"in one process, {c['threads']} torch threads; machine {m['processor']}, {m['cpus']} "
        f"CPUs. FreqFormer peak memory grows as T^{res['freqformer_memory_exponent']:.2f} "
        "(log-log slope over the lengths run; 1 = linear).", "",
        f"Command: `{res['command']}`"]) + "\n"


def main(argv=None):
    try:
        return run(parse_config(BenchConfig, argv, description=__doc__.split("\n")[0]))
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
