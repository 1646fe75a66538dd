"""Brian2 builder of the spiking FreqFormer: LIF-style event neurons driven by resonators.

Every channel c of a layer is a resonator compartment (Izhikevich's resonate-and-fire idea in
its "driven" form: a damped oscillator ``dz/dt = (alpha + i beta) z + g h`` as two state
variables) feeding a population of spiking **event neurons**. The coupling synapses sum the
neighbours' states rotated by the learned phase offset (``w_c = z_c + sum_k q_ck z_{c+d_k}``
with q = |q| e^{-i psi}: a rotation by psi, the same as a delay of psi / beta_j at the source
channel's frequency). The event neurons integrate the intensity above threshold::

    a     = sqrt(Re w^2 + Im w^2)                       intensity |w_c|
    dv/dt = k * clip(a - theta, 0, inf)                 fires at v > 1, v -= 1

so they are silent while a <= theta and fire at k (a - theta) spikes/s above it: each population
is a sigma-delta code of the event value e = max(a - theta, 0). Their spikes are the only signal
that leaves a layer: synapses to the next layer's residual stream carry the channel-mix weights
(``out_w[i, c] / (k n)``, into an exponential trace of time constant tau_s), so the stream
receives ``out_w @ e`` smoothed by tau_s. The EnergyNorm is a summed variable over channels
(a one-unit "energy" group) linked back to every channel. Only the embedding of the input
features (a linear map of the filter-bank frame, set once per step) runs in Python.

Every Brian2 object is named explicitly (automatic names defeat the compile cache) and the cython
cache lives in the project's ``.cache/brian2``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

try:
    import brian2 as b2
except ImportError as e:  # pragma: no cover - brian2 is pinned in requirements.txt
    raise ImportError("the Brian2 backend needs brian2 (pip install brian2==2.9.0)") from e

CACHE = Path(__file__).resolve().parent.parent / ".cache" / "brian2"

EVENTS = """
dv/dt = k*clip(a - theta, 0, inf) : 1
k : hertz (constant)
theta : 1 (constant)
"""


def use_target(target: str = "numpy") -> None:
    """Pick Brian2's code-generation target ("numpy" needs no compiler; "cython" compiles once
    into the project's cache)."""
    if target not in ("numpy", "cython"):
        raise ValueError(f"target must be 'numpy' or 'cython', got {target!r}")
    b2.prefs.codegen.target = target
    b2.prefs.codegen.runtime.cython.cache_dir = str(CACHE)


def resonator_equations(layer: int | str = "") -> str:
    """State equations of the resonators of one layer (per-channel constants ``alpha{l}``,
    ``beta{l}``, ``gre{l}``, ``gim{l}``; the drive is ``h{l}``)."""
    l = layer
    return f"""
dzr{l}/dt = alpha{l}*zr{l} - beta{l}*zi{l} + gre{l}*h{l} : 1
dzi{l}/dt = beta{l}*zr{l} + alpha{l}*zi{l} + gim{l}*h{l} : 1
alpha{l} : hertz (constant)
beta{l} : hertz (constant)
gre{l} : hertz (constant)
gim{l} : hertz (constant)
"""


def set_resonators(group, layer, alpha, beta, g) -> None:
    """Per-channel constants of ``resonator_equations(layer)`` (alpha, beta in 1/s, complex g)."""
    for var, v in (("alpha", alpha), ("beta", beta), ("gre", np.real(g)), ("gim", np.imag(g))):
        setattr(group, f"{var}{layer}", v * b2.Hz)


def event_neurons(theta, a_max, channel, n: int, eqs_a: str, dt: float, name: str, seed: int = 0,
                  max_rates=(100.0, 200.0)):
    """A NeuronGroup of n event neurons per entry of ``theta`` (see module docstring).

    ``a_max`` (per channel) is the largest intensity expected; each neuron's slope k is drawn so
    it fires at ``max_rates`` there. ``eqs_a`` defines the intensity ``a`` (e.g. from linked
    variables). ``channel`` maps the populations to channel indices (stored as ``channel``).
    """
    theta, a_max = np.atleast_1d(theta).astype(float), np.atleast_1d(a_max).astype(float)
    if not (theta > 0).all():
        raise ValueError(f"theta must be positive, got {theta}")
    rng = np.random.default_rng(seed)
    group = b2.NeuronGroup(len(theta) * n, EVENTS + eqs_a + "channel : integer (constant)",
                           threshold="v > 1", reset="v -= 1", method="euler",
                           dt=dt * b2.second, name=name)
    group.theta = np.repeat(theta, n)
    span = np.maximum(np.repeat(a_max - theta, n), 1e-6)
    group.k = rng.uniform(*max_rates, len(theta) * n) / span * b2.Hz
    group.v = rng.uniform(0, 1, len(theta) * n)  # dither: the populations' neurons out of step
    group.channel = np.repeat(np.atleast_1d(channel), n)
    return group


def threshold_population(theta: float, intensity: "b2.TimedArray", n: int = 20,
                         dt: float = 1e-4, name: str = "threshold0", seed: int = 0,
                         a_max: float = 1.0):
    """Event neurons alone, driven by a given intensity a(t) (a TimedArray): silent below
    theta. The caller runs it with ``namespace={"intensity": intensity}``."""
    group = event_neurons(theta, a_max, 0, n, "a = intensity(t) : 1\n", dt, name, seed)
    group.namespace["intensity"] = intensity
    return group


def resonator_channel(alpha: float, beta: float, g: complex, theta: float,
                      drive: "b2.TimedArray", n: int = 20, dt: float = 1e-4,
                      name: str = "channel0", seed: int = 0, a_max: float = 1.0):
    """One channel driven by ``drive`` (a dimensionless TimedArray): the resonator compartment
    (a one-unit group with ``zr``, ``zi``) and its n event neurons (``a = |z|``).
    Returns (resonator group, event group)."""
    res = b2.NeuronGroup(1, resonator_equations() + "h = drive(t) : 1\n", method="rk2",
                         dt=dt * b2.second, name=name, namespace={"drive": drive})
    set_resonators(res, "", alpha, beta, np.asarray(g))
    ev = event_neurons(theta, a_max, 0, n, "a = sqrt(wr**2 + wi**2) : 1\nwr : 1 (linked)\n"
                       "wi : 1 (linked)\n", dt, f"{name}_events", seed)
    ev.wr = b2.linked_var(res, "zr", index=np.zeros(n, int))
    ev.wi = b2.linked_var(res, "zi", index=np.zeros(n, int))
    return res, ev


def coupling_synapses(group, layer, offsets, coupling, dt: float, name: str, source: str = "z"):
    """Phase-locked coupling synapses inside ``group`` (one unit per channel, with resonator
    variables ``{source}r{layer}``, ``{source}i{layer}`` and summed targets ``wr{layer}``,
    ``wi{layer}``):
    ``w_i = z_i + sum_k q_ik z_{i + offsets[k]}``, each synapse rotating its source state by
    arg(q) and scaling it by |q| (a self-synapse with q = 1 carries z_i)."""
    C, l = len(group), layer
    pre, post, q = list(range(C)), list(range(C)), [1.0 + 0j] * C
    for i in range(C):
        for k, d in enumerate(offsets):
            if 0 <= i + d < C and coupling[i, k] != 0:
                pre.append(i + d), post.append(i), q.append(coupling[i, k])
    syn = b2.Synapses(group, group, f"""qr : 1 (constant)
qi : 1 (constant)
wr{l}_post = qr*{source}r{l}_pre - qi*{source}i{l}_pre : 1 (summed)
wi{l}_post = qi*{source}r{l}_pre + qr*{source}i{l}_pre : 1 (summed)""", dt=dt * b2.second, name=name)
    syn.connect(i=np.array(pre), j=np.array(post))
    syn.qr, syn.qi = np.real(q), np.imag(q)
    return syn


class FreqFormerNetwork:
    """A whole FreqFormer classifier from a ``NetworkSpec`` as a ``brian2.Network``.

    The network is synchronous and pipelined, so that it computes the rate model's discrete
    steps and not a smeared continuous-time cousin of them: one rate-model step lasts
    ``step_seconds`` of simulated time (a "window"; the spec's, i.e. real time, by default).

    - window k, layer l: the resonators integrate rate step t = k - 2l with their input held
      (the ZOH the resonator mapping assumes), so at the window's end z is exactly z_t;
    - at the window boundary z_t is held (``zhr``, ``zhi``); the coupling synapses form w_t from the
      held states and during window k + 1 the event neurons fire at k (|w_t| - theta) spikes/s;
    - every spike adds ``out_w[i, c] / (k n step_seconds)`` to the window's accumulator of
      channel i, so at the next boundary the accumulator holds ``out_w @ e_t`` (up to one spike per
      neuron; the remainder of v carries over, sigma-delta style), and the residual stream
      x^{l+1}_t = x^l_t + acc + b becomes layer l+1's held input for window k + 2.

    A clip of T steps therefore takes T + 2L windows (latency 2L steps). Only the embedding of
    the input features (a linear map of the filter-bank frame, set once per window) and the
    window-boundary bookkeeping (``run_regularly``: sample, hold, shift) are not neurons and
    synapses. ``radii`` (from ``freqformer_snn.export.calibrate``) set each event population's
    range and say which channels ever cross threshold (only those get event neurons). The
    resonators are integrated with ``method`` (Runge-Kutta 4 keeps even undamped channels stable
    to ~1e-7 per step at beta * dt = 0.16). ``run(features)`` simulates one clip; the network is
    built once and restored to its initial state before every clip.
    """

    def __init__(self, spec, radii: dict, n_event_neurons: int = 10, dt: float = 5e-4,
                 step_seconds: float | None = None, max_rate: float = 200.0,
                 method: str = "rk4", record_spikes: bool = False, seed: int = 0,
                 name: str = "freqformer"):
        from freqformer_snn.export import continuous_resonator

        self.spec, self.dt, self.n = spec, dt, n_event_neurons
        self.step_seconds = spec.step_seconds if step_seconds is None else step_seconds
        if not self.step_seconds / dt >= 2 or abs(self.step_seconds / dt - round(
                self.step_seconds / dt)) > 1e-6:
            raise ValueError(f"step_seconds ({self.step_seconds}) must be a multiple (>= 2) of "
                             f"dt ({dt})")
        C, nl = spec.n_channels, len(spec.layers)
        self._feats = np.zeros((1, spec.n_features))
        # xin{nl}: the stream after the last layer (read by the head); xnext: the embedded input
        # of the next window (written by Python, taken over at the boundary)
        eqs = [f"xin{nl} : 1", "xnext : 1"]
        for l in range(nl):
            eqs += [f"xin{l} : 1", f"xd{l} : 1", f"acc{l} : 1",
                    f"zhr{l} : 1", f"zhi{l} : 1", f"wr{l} : 1", f"wi{l} : 1",
                    f"b{l} : 1 (constant)", f"ng{l} : 1 (constant)", f"ms{l} : 1 (linked)",
                    # silent until the pipeline brings layer l its first step (window 2l)
                    f"h{l} = int(t > {2 * l * self.step_seconds - dt / 2}*second) * ng{l} * xin{l}"
                    f" / sqrt(ms{l} + 1e-6) : 1", resonator_equations(l),
                    f"A{l} = sqrt(wr{l}**2 + wi{l}**2) : 1",
                    f"Z{l} = sqrt(zhr{l}**2 + zhi{l}**2) : 1"]
        ch = b2.NeuronGroup(C, "\n".join(eqs), method=method, dt=dt * b2.second,
                            name=f"{name}_channels")
        boundary = []
        for l in reversed(range(nl)):  # last layer first: every line reads last window's values
            # xd holds the stream layer l read in the window before last (x^l_t when the
            # accumulator holds out_w @ e_t)
            boundary += [f"xin{l + 1} = xd{l} + acc{l} + b{l}", f"acc{l} = 0",
                         f"xd{l} = xin{l}", f"zhr{l} = zr{l}", f"zhi{l} = zi{l}"]
        boundary.append("xin0 = xnext")
        ch.run_regularly("\n".join(boundary), dt=self.step_seconds * b2.second, when="start",
                         order=0, name=f"{name}_boundary")
        energy = b2.NeuronGroup(1, "\n".join(f"ms{l} : 1" for l in range(nl)), dt=dt * b2.second,
                                name=f"{name}_energy")
        objects = [ch, energy]
        self.events, self.active, self.spike_monitors, self.mixers = [], [], [], []
        for l, L in enumerate(spec.layers):
            alpha, beta, g = continuous_resonator(L.r, L.omega, self.step_seconds)
            set_resonators(ch, l, alpha, beta, g)
            setattr(ch, f"b{l}", L.out_b)
            setattr(ch, f"ng{l}", L.norm_gain)
            setattr(ch, f"ms{l}", b2.linked_var(energy, f"ms{l}", index=np.zeros(C, int)))
            norm = b2.Synapses(ch, energy, f"ms{l}_post = xin{l}_pre**2 / {C} : 1 (summed)",
                               dt=dt * b2.second, name=f"{name}_energy{l}")
            norm.connect()
            coup = coupling_synapses(ch, l, L.offsets, L.coupling, dt, f"{name}_coupling{l}",
                                     source="zh")
            objects += [norm, coup]
            active = np.flatnonzero(radii["active"][l])
            self.active.append(active)
            if not len(active):
                self.events.append(None)
                continue
            a_max = radii["intensity"][l][active] / 1.2
            ev = event_neurons(L.theta[active], a_max, active, n_event_neurons,
                               "a = sqrt(wr**2 + wi**2) : 1\nwr : 1 (linked)\nwi : 1 (linked)\n",
                               dt, f"{name}_events{l}", seed + l,
                               max_rates=(max_rate / 2, max_rate))
            idx = np.repeat(active, n_event_neurons)
            ev.wr = b2.linked_var(ch, f"wr{l}", index=idx)
            ev.wi = b2.linked_var(ch, f"wi{l}", index=idx)
            # event synapses: neuron (c, j) -> channel i, weight out_w[i, c] / (k n step_seconds)
            mix = b2.Synapses(ev, ch, "w : 1 (constant)", on_pre=f"acc{l}_post += w",
                              dt=dt * b2.second, name=f"{name}_mix{l}")
            W = L.out_w[:, active]  # (C, n_active)
            src, dst = np.nonzero(np.repeat(W.T, n_event_neurons, axis=0))
            mix.connect(i=src, j=dst)
            k = np.asarray(ev.k[:] / b2.Hz)
            mix.w = W[dst, src // n_event_neurons] / (k[src] * n_event_neurons * self.step_seconds)
            mon = b2.SpikeMonitor(ev, name=f"{name}_spikes{l}")
            self.events.append(ev)
            self.mixers.append(mix)
            self.spike_monitors.append(mon)
            objects += [ev, mix, mon]
        self.state = b2.StateMonitor(
            ch, [f"{v}{l}" for l in range(nl) for v in ("Z", "A")] + [f"xin{nl}"], record=True,
            dt=self.step_seconds * b2.second, when="end", name=f"{name}_state")
        self._embed = b2.NetworkOperation(self._set_input, dt=self.step_seconds * b2.second,
                                          when="end", name=f"{name}_input")
        self.channels, self.record_spikes = ch, record_spikes
        self.net = b2.Network(*objects, self.state, self._embed, name=name)
        self.net.store("init")
        self.n_neurons = sum(len(e) for e in self.events if e is not None)

    def _embedded(self, k: int) -> np.ndarray:
        f = self._feats[k] if k < len(self._feats) else np.zeros(self.spec.n_features)
        return self.spec.embed_w @ f + self.spec.embed_b

    def _set_input(self, t):
        """During window k: the input of window k + 1 (taken over at its boundary)."""
        self.channels.xnext = self._embedded(int(round(float(t / b2.second) / self.step_seconds)) + 1)

    def run(self, features: np.ndarray) -> dict:
        """Simulate one clip of (T, F) normalised features. Returns logits, per layer the
        intensities |w| of the active channels and |z| (T, ...), per layer the spikes of the
        clip's windows, the spike trains (when recorded) and the wall time of the simulation."""
        from freqformer_snn.export import head

        features = np.asarray(features, np.float64)
        if features.ndim != 2 or features.shape[1] != self.spec.n_features:
            raise ValueError(f"features must be (T, {self.spec.n_features}), got {features.shape}")
        self.net.restore("init")
        self._feats = features
        self.channels.xnext = self._embedded(0)
        T, nl, step = len(features), len(self.spec.layers), self.step_seconds
        t0 = time.perf_counter()
        self.net.run((T + 2 * nl) * step * b2.second, namespace={})
        wall = time.perf_counter() - t0
        x = np.asarray(getattr(self.state, f"xin{nl}")).T[2 * nl:2 * nl + T]  # (T, C)
        logits = head(self.spec, x)
        res = {"logits": logits, "wall_s": wall, "sim_s": (T + 2 * nl) * step, "intensity": [],
               "state": [], "spikes": [], "trains": []}
        for l, act in enumerate(self.active):
            rows = slice(2 * l + 1, 2 * l + 1 + T)  # window of layer l's events for steps 0..T-1
            res["state"].append(np.asarray(getattr(self.state, f"Z{l}")).T[rows])
            res["intensity"].append(np.asarray(getattr(self.state, f"A{l}")).T[rows][:, act])
        for l, mon in zip([l for l, e in enumerate(self.events) if e is not None],
                          self.spike_monitors):
            t = np.asarray(mon.t / b2.second)
            inside = (t >= (2 * l + 1) * step) & (t < (2 * l + 1 + T) * step)
            res["spikes"].append(int(inside.sum()))
            if self.record_spikes:
                res["trains"].append((np.asarray(mon.i)[inside], t[inside] - (2 * l + 1) * step))
        return res
