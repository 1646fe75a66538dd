"""A trained FreqFormer run as spiking networks, side by side with its rate model.

Used by ``python -m experiments.speech_commands --backend nengo,brian2 --checkpoint PATH`` and
the same flags of ``experiments.sequence_classification``. The model is exported to a
``NetworkSpec`` (saved in the results folder), the populations' ranges are calibrated on
held-out clips, and every backend runs the same clips as its rate model. Measured per backend:
accuracy and agreement with the rate model, per-layer correlation of the decoded intensities |w|
with the rate model's, spikes and synaptic operations per inference, firing rates, simulated
seconds per wall second, and an energy estimate from operation counts.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from freqformer_snn.counting import freqformer_flops
from freqformer_snn.export import calibrate, export, rate_forward

from .common import field, fmt_int, machine, md_table, write_results

BACKENDS = ("nengo", "brian2")
# ../shared/ANCHORS.md (published per-operation energies; the products below are estimates)
PJ_SYNOP_LOIHI = 23.6  # Davies et al. 2018
PJ_MAC_FP32_45NM = 4.6  # Horowitz 2014


@dataclass
class SpikingOptions:
    """Command-line options shared by the experiments for the spiking backends."""

    backend: str = field("torch", "torch: train and evaluate rate models; nengo and/or brian2 "
                                  "(comma-separated): run --checkpoint as a spiking network")
    checkpoint: str = field("", "trained FreqFormer checkpoint for the spiking backends")
    limit: int = field(0, "spiking backends: run the first N test clips (0: the whole test set)")
    calibration: int = field(200, "spiking backends: held-out clips that set population ranges")
    n_neurons: int = field(400, "nengo: neurons per resonator population")
    n_event_neurons: int = field(40, "nengo: neurons per threshold (event) population")
    tau: float = field(0.05, "nengo: synapse time constant of the resonator populations (s)")
    event_max_rate: float = field(800.0, "nengo: threshold neurons fire at event_max_rate/2.."
                                         "event_max_rate Hz at the largest calibrated |w|")
    slowdown: float = field(2.0, "nengo: simulated seconds per second of input (NEF resonators "
                                 "need the channel frequencies slow against their synapses)")
    brian2_event_neurons: int = field(10, "brian2: event neurons per channel")
    brian2_max_rate: float = field(800.0, "brian2: event neurons fire at max_rate/2..max_rate Hz "
                                          "at the largest calibrated intensity")
    brian2_dt: float = field(5e-4, "brian2: integration step (s)")
    brian2_target: str = field("cython", "brian2 code generation: cython or numpy")
    save_every: int = field(25, "spiking backends: write the results so far every N clips")

    def spiking_backends(self) -> list[str]:
        chosen = [b.strip() for b in self.backend.split(",") if b.strip()]
        if chosen == ["torch"]:
            return []
        if not chosen or set(chosen) - set(BACKENDS):
            raise ValueError(f"--backend must be torch or a comma-separated subset of {BACKENDS}, "
                             f"got {self.backend!r}")
        if not self.checkpoint:
            raise ValueError("--backend nengo/brian2 needs --checkpoint PATH (a trained FreqFormer)")
        if self.limit < 0 or self.calibration < 1:
            raise ValueError("--limit must be >= 0 and --calibration positive")
        return chosen


def features(model, x: torch.Tensor, batch: int = 256) -> np.ndarray:
    """Normalised front-end features (B, T, F) as float64, what a NetworkSpec consumes."""
    with torch.no_grad():
        return np.concatenate([model.front(x[i:i + batch]).numpy() for i in
                               range(0, len(x), batch)]).astype(np.float64)


def pearson(a: list, b: list) -> float:
    a, b = np.concatenate([v.ravel() for v in a]), np.concatenate([v.ravel() for v in b])
    return float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else float("nan")


# ----------------------------------------------------------------------------------------------
# one backend over many clips


class NengoRunner:
    def __init__(self, spec, radii, opt: SpikingOptions, record_spikes=False):
        import nengo

        from networks.nengo_net import FreqFormerNetwork

        self.net = FreqFormerNetwork(spec, radii, n_neurons=opt.n_neurons,
                                     n_event_neurons=opt.n_event_neurons, tau=opt.tau,
                                     event_rates=(opt.event_max_rate / 2, opt.event_max_rate),
                                     step_seconds=spec.step_seconds * opt.slowdown,
                                     neuron_type=nengo.SpikingRectifiedLinear(),
                                     record_spikes=record_spikes)
        self.sim = nengo.Simulator(self.net, progress_bar=False)
        self.n_neurons = {k: sum(lay[k].neurons.n_neurons for lay in self.net.layers if lay[k])
                          for k in self.net.KINDS}
        self.settings = {"n_neurons": opt.n_neurons, "n_event_neurons": opt.n_event_neurons,
                         "neuron_type": "SpikingRectifiedLinear", "tau_s": opt.tau,
                         "event_max_rate_hz": opt.event_max_rate, "dt_s": self.sim.dt,
                         "pipeline_latency_steps": 2 * len(spec.layers),
                         "step_seconds": self.net.step_seconds, "slowdown": opt.slowdown}

    def run(self, feats: np.ndarray) -> dict:
        from networks.nengo_net import classify

        net, sim = self.net, self.sim
        net.set_features(feats)
        sim.reset()
        t = time.perf_counter()
        sim.run(net.run_seconds)
        wall = time.perf_counter() - t
        spikes, synops = [], 0.0
        for li in range(len(net.layers)):
            fan, n = net.fan_out(li), net.spikes(sim, li)
            spikes.append(n)
            synops += sum(n[k] * fan[k] for k in n)
        out = {"logits": classify(net.spec, sim, net), "wall_s": wall,
               "sim_s": net.run_seconds, "spikes": sum(sum(s.values()) for s in spikes),
               "synops": synops,
               "work_s": net.n_steps * net.step_seconds,
               "intensity": [net.intensity(sim, li) for li in range(len(net.layers))],
               "active": [lay["active"] for lay in net.layers]}
        if net.probe_spikes:
            out["trains"] = []
            for li, p in enumerate(net.probe_spikes):  # the event windows of this clip's steps
                lo = (2 * li + 1) * net.window.m
                steps, idx = np.nonzero(sim.data[p][lo:lo + net.n_steps * net.window.m])
                out["trains"].append((idx, steps * sim.dt))
        return out


class Brian2Runner:
    def __init__(self, spec, radii, opt: SpikingOptions, record_spikes=False):
        from networks.brian2_net import FreqFormerNetwork, use_target

        use_target(opt.brian2_target)
        self.net = FreqFormerNetwork(spec, radii, n_event_neurons=opt.brian2_event_neurons,
                                     dt=opt.brian2_dt, max_rate=opt.brian2_max_rate,
                                     record_spikes=record_spikes)
        self.n_neurons = {"e": self.net.n_neurons}
        self.fan = [np.mean(np.bincount(np.asarray(m.i[:]), minlength=len(m.source)))
                    for m in self.net.mixers]
        self.settings = {"n_event_neurons": opt.brian2_event_neurons, "dt_s": self.net.dt,
                         "max_rate_hz": opt.brian2_max_rate,
                         "step_seconds": self.net.step_seconds,
                         "pipeline_latency_steps": 2 * len(spec.layers),
                         "target": opt.brian2_target}

    def run(self, feats: np.ndarray) -> dict:
        r = self.net.run(feats)
        spikes = np.array(r["spikes"], float)
        # the last layer's events feed only the head's stream, counted like the others
        out = {"logits": r["logits"], "wall_s": r["wall_s"],
               "sim_s": r["sim_s"], "work_s": len(feats) * self.net.step_seconds,
               "spikes": float(spikes.sum()),
               "synops": float(sum(s * f for s, f in zip(spikes, self.fan))),
               "intensity": r["intensity"], "active": self.net.active}
        if r["trains"]:
            out["trains"] = r["trains"]
        return out


RUNNERS = {"nengo": NengoRunner, "brian2": Brian2Runner}


# ----------------------------------------------------------------------------------------------
# the study


def run(model, labels: list[str], x_test: torch.Tensor, y_test: np.ndarray,
        x_calib: torch.Tensor, opt: SpikingOptions, out: Path, data_note: str,
        title: str) -> dict:
    """Run the spiking backends on ``opt.limit`` test clips; write results (json, md, figures)
    into ``out`` and return them."""
    from tqdm import tqdm

    from . import figures as fig

    backends = opt.spiking_backends()
    out.mkdir(parents=True, exist_ok=True)
    spec = export(model, labels)
    spec.save(out / "network")
    n = len(x_test) if opt.limit == 0 else min(opt.limit, len(x_test))
    feats, y = features(model, x_test[:n]), np.asarray(y_test[:n])
    radii = calibrate(spec, features(model, x_calib[:opt.calibration]))
    rate_logits, trace = rate_forward(spec, feats, record=True)
    rate_pred = rate_logits.argmax(1)
    with torch.no_grad():
        torch_pred = model.eval()(x_test[:n]).argmax(1).numpy()
    T = feats.shape[1]
    flops = freqformer_flops(model, x_test.shape[1])
    rate_macs = flops["streaming_total"] / 2
    res = {"title": title, "data": data_note, "clips": n, "calibration_clips": min(
        opt.calibration, len(x_calib)), "steps_per_clip": T, "input_seconds": T * spec.step_seconds,
        "machine": machine(), "spec": str(out / "network"),
        "command": " ".join(["python", *sys.orig_argv[1:]]),
        "rate": {"accuracy": float((rate_pred == y).mean()),
                 "agrees_with_torch": float((rate_pred == torch_pred).mean()),
                 "macs_per_inference": rate_macs,
                 "energy_uj_estimate": rate_macs * PJ_MAC_FP32_45NM * 1e-6,
                 "event_rate": [float((tr["events"] > 0).mean()) for tr in trace]},
        "active_channels": [int(a.sum()) for a in radii["active"]], "backends": {}}
    figures = []
    for b in backends:
        t0 = time.perf_counter()
        runner = RUNNERS[b](spec, radii, opt)
        build_s = time.perf_counter() - t0
        preds, walls, sims, works, spikes, synops = [], [], [], [], [], []
        dec = [[] for _ in spec.layers]
        ref = [[] for _ in spec.layers]
        n_neur = sum(runner.n_neurons.values())

        def summary(k: int) -> dict:
            """Measurements over the first k clips."""
            p = np.array(preds)
            syn = float(np.mean(synops))
            return {
                "clips_done": k, "accuracy": float((p == y[:k]).mean()),
                "rate_accuracy_same_clips": float((rate_pred[:k] == y[:k]).mean()),
                "agreement_with_rate": float((p == rate_pred[:k]).mean()),
                "intensity_correlation": [pearson(d, r) if d else float("nan")
                                          for d, r in zip(dec, ref)],
                "neurons": runner.n_neurons, "build_s": build_s,
                "spikes_per_inference": float(np.mean(spikes)),
                "mean_rate_hz": float(np.mean(spikes) / n_neur / np.mean(works)),
                "synops_per_inference": syn,
                "energy_uj_estimate": syn * PJ_SYNOP_LOIHI * 1e-6,
                "sim_seconds_per_wall_second": float(np.sum(sims) / np.sum(walls)),
                "input_seconds_per_wall_second": float(k * T * spec.step_seconds / np.sum(walls)),
                "wall_s_per_clip_median": float(np.median(walls)),
                "settings": runner.settings}

        for i in tqdm(range(n), desc=f"{b} ({n} clips)", unit="clip", leave=False):
            r = runner.run(feats[i])
            preds.append(int(np.argmax(r["logits"])))
            walls.append(r["wall_s"]), sims.append(r["sim_s"]), works.append(r["work_s"])
            spikes.append(r["spikes"]), synops.append(r["synops"])
            for li, act in enumerate(r["active"]):
                if len(act):
                    dec[li].append(r["intensity"][li])
                    ref[li].append(trace[li]["intensity"][i][:, act])
            if (i + 1) % opt.save_every == 0 and i + 1 < n:  # a long run leaves partial results
                res["backends"][b] = summary(i + 1)
                write_results(out, res, markdown(res))
        res["backends"][b] = summary(n)
        # one clip again, with spike trains, for the figures
        demo = RUNNERS[b](spec, radii, opt, record_spikes=True).run(feats[0])
        figures.append(fig.spike_raster(demo, out / f"raster_{b}.png",
                                        f"{b}: event neurons, one clip").name)
        figures.append(fig.decoded_intensity(demo, trace, spec.step_seconds, out / f"traces_{b}.png",
                                             f"{b}: decoded |w| (solid) vs rate model (dashed)").name)
    res["figures"] = figures
    md = markdown(res, final=True)
    write_results(out, res, md)
    print(md)
    return res


def markdown(res: dict, final: bool = False) -> str:
    rate = res["rate"]
    lines = [f"# {res['title']}: spiking backends", "",
             f"Data: {res['data']}. {res['clips']} test clips ({res['steps_per_clip']} steps, "
             f"{res['input_seconds']:.2f} s of input each); population ranges calibrated on "
             f"{res['calibration_clips']} held-out clips. Active channels per layer (ever above "
             f"threshold on those): {res['active_channels']}. Machine: "
             f"{res['machine']['processor']}, {res['machine']['cpus']} CPUs.", ""]
    rows = [["rate model (numpy, from the spec)", f"{100 * rate['accuracy']:.1f}%", "—", "—", "—",
             "—", fmt_int(rate["macs_per_inference"]) + " MACs",
             f"{rate['energy_uj_estimate']:.2f} µJ (MACs × 4.6 pJ)", "—"]]
    for b, r in res["backends"].items():
        rows.append([f"{b} ({r['clips_done']} clips; rate model "
                     f"{100 * r['rate_accuracy_same_clips']:.1f}% on them)",
                     f"{100 * r['accuracy']:.1f}%", f"{100 * r['agreement_with_rate']:.1f}%",
                     " / ".join(f"{c:.3f}" for c in r["intensity_correlation"]),
                     fmt_int(r["spikes_per_inference"]), f"{r['mean_rate_hz']:.1f}",
                     fmt_int(r["synops_per_inference"]) + " synops",
                     f"{r['energy_uj_estimate']:.1f} µJ (synops × 23.6 pJ)",
                     f"{r['input_seconds_per_wall_second']:.3f} "
                     f"({r['sim_seconds_per_wall_second']:.3f} sim s/s)"])
    lines.append(md_table(["", "accuracy", "same class as rate", "corr. |w| per layer",
                           "spikes / inference", "mean rate (Hz)", "operations / inference",
                           "energy estimate / inference", "input s per wall s"], rows))
    lines += ["", f"The rate model from the spec gives the PyTorch model's class on "
              f"{100 * rate['agrees_with_torch']:.1f}% of these clips.",
              "Energy figures are **estimates** from operation counts with published per-operation "
              "energies (../shared/ANCHORS.md: Loihi synaptic operation 23.6 pJ, Davies et al. "
              "2018; 32-bit float MAC at 45 nm 4.6 pJ, Horowitz 2014); they leave out neuron "
              "updates, memory traffic and the off-neuron parts (embedding, EnergyNorm, residual "
              "sums, head). Synaptic operations count every spike once per neuron it reaches when "
              "the network's factored weights are expanded to neuron-to-neuron synapses "
              "(Nengo: resonator, coupling and event populations; Brian2: event neurons to the "
              "next layer's stream; its resonators and coupling are continuous compartments "
              "and not counted). Published: Loihi keyword spotting 0.27 mJ per inference "
              "(Blouw et al. 2018).",
              "Both networks are synchronous pipelines: layer l works on step t in window t + 2l "
              "(inputs held over a window, events counted over the next), so they compute the "
              "rate model's steps with a latency of 2 steps per layer; spikes are counted in the "
              "windows where each population works on this clip.", ""]
    for b, r in res["backends"].items():
        lines.append(f"- {b}: energy estimate ×{r['energy_uj_estimate'] / rate['energy_uj_estimate']:.1f} "
                     f"the rate model's; settings {r['settings']}; neurons {r['neurons']}; build "
                     f"{r['build_s']:.1f} s; median wall time per clip "
                     f"{r['wall_s_per_clip_median']:.2f} s.")
    lines += ["", f"Command: `{res['command']}`"]
    if not final:
        lines += ["", "**Partial results**: the run is still going (or was stopped)."]
    lines += [""] + [f"![{f}]({f})" for f in res.get("figures", [])]
    return "\n".join(lines) + "\n"
