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
from loihi.report import DoesNotFit

from .common import field, fmt_int, machine, md_table, write_results

BACKENDS = ("nengo", "brian2", "loihi")
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
    loihi_target: str = field("auto", "loihi: auto (the chip if NxSDK imports, else the emulator), "
                                      "sim (bit-accurate emulator), simreal (emulator in float)")
    loihi_neurons: int = field(100, "loihi: LIF neurons per resonator ensemble")
    loihi_event_neurons: int = field(20, "loihi: LIF neurons per threshold ensemble")
    loihi_slowdown: float = field(4.0, "loihi: simulated seconds per second of input")
    loihi_cores: int = field(4096, "loihi: neuron cores available (128 per chip; 4096 = a 32-chip "
                                   "Nahuku board); a network needing more gets a 'does not fit' "
                                   "report")
    loihi_float_clips: int = field(20, "loihi: clips also run on the float emulator (simreal), "
                                       "to measure what weight quantisation costs")
    save_every: int = field(25, "spiking backends: write the results so far every N clips")

    def spiking_backends(self) -> list[str]:
        chosen = [b.strip() for b in self.backend.split(",") if b.strip()]
        if chosen == ["torch"]:
            return []
        if not chosen or set(chosen) - set(BACKENDS):
            raise ValueError(f"--backend must be torch or a comma-separated subset of {BACKENDS}, "
                             f"got {self.backend!r}")
        if not self.checkpoint:
            raise ValueError("--backend nengo/brian2/loihi needs --checkpoint PATH (a trained "
                             "FreqFormer)")
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
        out = {"logits": net.logits(sim), "wall_s": wall,
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


class LoihiRunner:
    """The Loihi-shaped network (``loihi.network``) on nengo-loihi, a new simulator per clip
    (nengo-loihi's has no reset), and the same network on nengo's reference simulator, the
    float reference it is compared with. Raises ``loihi.report.DoesNotFit`` when the network
    needs more than ``opt.loihi_cores`` cores or breaks a core's limits."""

    def __init__(self, spec, radii, opt: SpikingOptions, record_spikes=False):
        import nengo

        from loihi import report, shim
        from loihi.network import LoihiFreqFormer

        self.target, self.target_note = shim.choose_target(opt.loihi_target)
        kw = dict(n_neurons=opt.loihi_neurons, n_event_neurons=opt.loihi_event_neurons,
                  tau=opt.tau, step_seconds=spec.step_seconds * opt.loihi_slowdown)
        self.net = LoihiFreqFormer(spec, radii, loihi=True, **kw)
        self.ref = LoihiFreqFormer(spec, radii, loihi=False, **kw)
        self.ref_sim = nengo.Simulator(self.ref, progress_bar=False)
        self.record, self.opt = record_spikes, opt
        try:
            sim = self._simulator(self.target)
        except nengo.exceptions.BuildError as e:
            raise report.DoesNotFit([str(e)]) from e
        self.cores = report.core_report(sim.model)
        problems = report.fit_problems(self.cores, opt.loihi_cores)
        if problems:
            sim.close()
            raise report.DoesNotFit(problems, self.cores)
        self.quantisation = None
        if self.target == "sim":
            with self._simulator("simreal") as float_sim:
                self.quantisation = report.quantisation(float_sim.model, sim.model)
        sim.close()
        pops = self.net.populations
        self.n_neurons = {k: sum(e.n_neurons for lay in pops for e in lay[k]) for k in ("z", "e")}
        self.settings = {"target": self.target, "neuron_type": "LoihiLIF", **{
            k: getattr(opt, k) for k in ("loihi_neurons", "loihi_event_neurons", "tau",
                                         "loihi_slowdown", "loihi_cores")},
            "dt_s": self.net.dt, "step_seconds": self.net.step_seconds,
            "pipeline_latency_steps": 2 * len(spec.layers)}

    def _simulator(self, target):
        from loihi import shim

        return shim.simulator(self.net, target)

    def run(self, feats: np.ndarray, target: str | None = None, reference: bool = True) -> dict:
        from loihi.report import OpCounter

        net = self.net
        net.set_features(feats)
        sim = self._simulator(target or self.target)
        ops = OpCounter(sim, record=self.record)
        t = time.perf_counter()
        sim.run(net.run_seconds)
        wall = time.perf_counter() - t
        out = {"logits": net.logits(sim), "wall_s": wall, "sim_s": net.run_seconds,
               "work_s": net.n_steps * net.step_seconds,
               "spikes": float(ops.spikes.sum()) + ops.input_spikes, "synops": ops.synops,
               "intensity": [net.intensity(sim, li) for li in range(len(net.spec.layers))],
               "active": net.active}
        if self.record:  # event neurons of each layer, in their event windows
            step = np.repeat(np.arange(len(ops.trains)), [len(f) for f in ops.trains])
            comp = np.concatenate(ops.trains)  # spiking compartments, step by step
            out["trains"] = []
            for li in range(len(net.spec.layers)):
                pos, n = np.full(len(ops.spikes), -1), 0  # compartment -> event neuron of layer li
                for k, sl in ops.slices.items():
                    if f"'e{li}." in k:  # "<Ensemble 'e0.3'>"
                        pos[sl] = n + np.arange(sl.stop - sl.start)
                        n += sl.stop - sl.start
                lo = (2 * li + 1) * net.window.m
                keep = (pos[comp] >= 0) & (step >= lo) & (step < lo + net.n_steps * net.window.m)
                out["trains"].append((pos[comp][keep], (step[keep] - lo) * sim.dt))
        sim.close()
        if reference:
            self.ref.set_features(feats)
            self.ref_sim.reset()
            self.ref_sim.run(self.ref.run_seconds)
            out["reference_logits"] = self.ref.logits(self.ref_sim)
            out["reference_intensity"] = [self.ref.intensity(self.ref_sim, li)
                                          for li in range(len(self.ref.spec.layers))]
        return out


RUNNERS = {"nengo": NengoRunner, "brian2": Brian2Runner, "loihi": LoihiRunner}


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
        try:
            runner = RUNNERS[b](spec, radii, opt)
        except DoesNotFit as e:  # a report, not a crash
            res["backends"][b] = {"fits": False, "problems": e.problems, "settings": {
                k: getattr(opt, k) for k in ("loihi_neurons", "loihi_event_neurons",
                                             "loihi_cores")},
                **{k: v for k, v in e.report.items() if k != "per_core"}}
            print(f"{b}: {e}", file=sys.stderr)
            continue
        build_s = time.perf_counter() - t0
        preds, walls, sims, works, spikes, synops = [], [], [], [], [], []
        dec = [[] for _ in spec.layers]
        ref = [[] for _ in spec.layers]
        nref_preds, nref_dec = [], [[] for _ in spec.layers]  # the backend's own reference
        n_neur = sum(runner.n_neurons.values())

        def summary(k: int) -> dict:
            """Measurements over the first k clips."""
            p = np.array(preds)
            syn = float(np.mean(synops))
            out = {
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
            if nref_preds:  # loihi: the same network on nengo's reference simulator
                q = np.array(nref_preds)
                out["reference"] = {
                    "accuracy": float((q == y[:k]).mean()),
                    "agreement": float((p == q).mean()),
                    "intensity_correlation": [pearson(d, r) if d else float("nan")
                                              for d, r in zip(dec, nref_dec)]}
            return out

        for i in tqdm(range(n), desc=f"{b} ({n} clips)", unit="clip", leave=False):
            r = runner.run(feats[i])
            preds.append(int(np.argmax(r["logits"])))
            walls.append(r["wall_s"]), sims.append(r["sim_s"]), works.append(r["work_s"])
            spikes.append(r["spikes"]), synops.append(r["synops"])
            for li, act in enumerate(r["active"]):
                if len(act):
                    dec[li].append(r["intensity"][li])
                    ref[li].append(trace[li]["intensity"][i][:, act])
                    if "reference_intensity" in r:
                        nref_dec[li].append(r["reference_intensity"][li])
            if "reference_logits" in r:
                nref_preds.append(int(np.argmax(r["reference_logits"])))
            if (i + 1) % opt.save_every == 0 and i + 1 < n:  # a long run leaves partial results
                res["backends"][b] = summary(i + 1)
                write_results(out, res, markdown(res))
        res["backends"][b] = summary(n)
        if b == "loihi":
            res["backends"][b]["loihi"] = loihi_section(runner, feats, y, preds, opt)
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


PUBLISHED_LOIHI_KWS_MJ = 0.27  # Blouw et al. 2018, per inference (../shared/ANCHORS.md)


def loihi_section(runner: LoihiRunner, feats, y, preds, opt: SpikingOptions) -> dict:
    """What the chip imposes, and what quantisation costs: the first ``loihi_float_clips``
    clips again on the float emulator (simreal), beside the quantised run's classes."""
    from tqdm import tqdm

    k = min(opt.loihi_float_clips, len(feats)) if runner.target == "sim" else 0
    fl = [int(np.argmax(runner.run(feats[i], target="simreal", reference=False)["logits"]))
          for i in tqdm(range(k), desc="loihi float emulator", unit="clip", leave=False)]
    p = np.array(preds[:k])
    return {"target": runner.target, "why": runner.target_note,
            "cores": {kk: v for kk, v in runner.cores.items() if kk != "per_core"},
            "quantisation": runner.quantisation,
            "float_emulator": {"clips": k, "accuracy": float((np.array(fl) == y[:k]).mean()) if k
                               else float("nan"),
                               "quantised_accuracy_same_clips": float((p == y[:k]).mean()) if k
                               else float("nan"),
                               "same_class_as_quantised": float((np.array(fl) == p).mean()) if k
                               else float("nan")},
            "off_chip": "embedding, EnergyNorm, residual sums, window holds and the head run on "
                        "the host (Loihi cores hold neurons and synapses only; the EnergyNorm "
                        "divides by the energy over all channels); each layer crosses chip->host "
                        "twice and host->chip twice",
            "published_kws_mj": PUBLISHED_LOIHI_KWS_MJ}


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
    ran = {b: r for b, r in res["backends"].items() if r.get("fits", True)}
    for b, r in ran.items():
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
              "and not counted; Loihi: the synapse entries each on-chip spike and each "
              "host->chip spike reaches in nengo-loihi's mapping, over the whole run). "
              "Published: Loihi keyword spotting 0.27 mJ per inference (Blouw et al. 2018).",
              "The networks are synchronous pipelines: layer l works on step t in window t + 2l "
              "(inputs held over a window, events counted over the next), so they compute the "
              "rate model's steps with a latency of 2 steps per layer; Nengo and Brian2 count "
              "spikes in the windows where each population works on this clip.", ""]
    for b, r in ran.items():
        lines.append(f"- {b}: energy estimate ×{r['energy_uj_estimate'] / rate['energy_uj_estimate']:.1f} "
                     f"the rate model's; settings {r['settings']}; neurons {r['neurons']}; build "
                     f"{r['build_s']:.1f} s; median wall time per clip "
                     f"{r['wall_s_per_clip_median']:.2f} s.")
    for b, r in res["backends"].items():
        if not r.get("fits", True):
            lines += ["", f"**{b}: the network does not fit** with these settings "
                      f"({r['settings']}):", ""] + [f"- {p}" for p in r["problems"]]
    if "loihi" in ran:
        lines += [""] + loihi_markdown(ran["loihi"], rate)
    lines += ["", f"Command: `{res['command']}`"]
    if not final:
        lines += ["", "**Partial results**: the run is still going (or was stopped)."]
    lines += [""] + [f"![{f}]({f})" for f in res.get("figures", [])]
    return "\n".join(lines) + "\n"


def loihi_markdown(r: dict, rate: dict) -> list[str]:
    ref = r["reference"]
    lines = ["## Loihi", "",
             md_table(["", "accuracy", "same class as the Loihi run", "corr. |w| per layer "
                       "with the Loihi run"],
                      [[f"Loihi ({r['settings']['target']})", f"{100 * r['accuracy']:.1f}%", "—", "—"],
                       ["same network, nengo reference simulator",
                        f"{100 * ref['accuracy']:.1f}%", f"{100 * ref['agreement']:.1f}%",
                        " / ".join(f"{v:.3f}" for v in ref["intensity_correlation"])],
                       ["rate model (same clips)", f"{100 * r['rate_accuracy_same_clips']:.1f}%",
                        f"{100 * r['agreement_with_rate']:.1f}%", "—"]]), "",
             f"- Accuracy, Loihi minus nengo reference: "
             f"{100 * (r['accuracy'] - ref['accuracy']):+.1f} points ({r['clips_done']} clips)."]
    if "loihi" not in r:  # partial results: the chip report comes at the end
        return lines
    lo = r["loihi"]
    c, q, fl = lo["cores"], lo["quantisation"], lo["float_emulator"]
    mj = r["energy_uj_estimate"] / 1000
    lines += [f"- Target: {lo['why']}.",
             f"- Cores: {c['cores']} ({c['chips']} chip(s) of 128), {fmt_int(c['compartments'])} "
             f"compartments, {fmt_int(c['synapses'])} synapses; per core at most "
             + ", ".join(f"{c['per_core_max'][k]} / {c['per_core_limit'][k]} {k}"
                         for k in c["per_core_max"]) + f"; {c['host_nodes']} nodes on the host.",
             f"- Off-chip: {lo['off_chip']}."]
    if q:
        lines.append(f"- Weight quantisation: {q['weight_bits']}-bit weights with a shared "
                     f"exponent per synapse group; relative RMS weight error median "
                     f"{q['relative_error_median']:.4f}, 90th percentile "
                     f"{q['relative_error_p90']:.4f}, max {q['relative_error_max']:.4f} over "
                     f"{q['synapse_groups']} groups.")
    if fl["clips"]:
        lines.append(f"- Quantisation's effect on accuracy ({fl['clips']} clips): float emulator "
                     f"{100 * fl['accuracy']:.1f}% vs quantised {100 * fl['quantised_accuracy_same_clips']:.1f}%"
                     f"; same class on {100 * fl['same_class_as_quantised']:.1f}%.")
    lines += [f"- Energy **estimate** per inference: {mj:.3f} mJ ({fmt_int(r['synops_per_inference'])}"
              f" synaptic operations x 23.6 pJ, on-chip synapse entries reached by each spike, "
              f"host->chip spikes included; neuron updates and the host not counted) vs the "
              f"published Loihi keyword spotter's {lo['published_kws_mj']} mJ (Blouw et al. "
              f"2018) and the rate model's {rate['energy_uj_estimate'] / 1000:.4f} mJ estimate.",
              f"- Emulator speed: {r['sim_seconds_per_wall_second']:.3f} simulated s per wall s "
              f"({r['input_seconds_per_wall_second']:.3f} s of input per wall s)."]
    return lines
