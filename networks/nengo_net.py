"""Nengo builder of the spiking FreqFormer (NEF, Eliasmith & Anderson 2003).

Per layer, every channel c owns two populations of spiking neurons:

- a **resonator** population representing z_c = (Re z, Im z) (2-D). Its recurrent connection
  implements ``dz/dt = (alpha + i beta) z + g u`` through a lowpass synapse tau. We use the
  NEF's principle 3 in its discrete form (exact for nengo's zero-order-hold lowpass at the
  simulator step dt): with ``Ad = expm(A dt)``, ``Bd`` the held-input gain and ``a = exp(-dt/tau)``,
  the recurrent transform is ``(Ad - a I) / (1 - a)`` and the input transform ``Bd / (1 - a)``.
  (The continuous form ``tau A + I`` loses amplitude and phase once tau * beta is not small, and
  a 10 ms audio hop puts channels at up to 314 rad/s.)
- a **threshold** population reading the coupled state w_c = z_c + sum_k q_ck z_{c+d_k} (2-D)
  through the **phase-locked coupling synapses**: 2x2 rotation-scalings
  ``[[Re q, -Im q], [Im q, Re q]]`` of the neighbours' states. Its encoders are unit directions
  and its intercepts sit at or above theta_c (the lowest exactly at theta_c), so it is silent
  while |w_c| < theta_c and fires above it; it decodes the event value ``max(|w_c| - theta_c, 0)``.

A channel population is an ordinary NEF population (encoders, gains, biases, decoders solved by
least squares). For speed, the C channels of a layer are stacked into one ``nengo.Ensemble`` per
kind with block-structured (``Sparse``) connections, so every neuron sees only its own channel's
signals: mathematically the same as C separate ensembles, but nengo's reference simulator then
runs a few large operators per step instead of thousands of small ones (one ensemble per channel
measured 276 s to build and 73 s per second of audio for the default keyword spotter). With
C = 1 an array is one channel: ``ResonatorArray`` and ``ThresholdArray`` are also the single
channel building blocks (and open in nengo-gui as plain nengo networks).

Linear sums (embedding, residual stream, channel mix) and the EnergyNorm (a division by the
energy over all channels, which no single population computes) run in ``nengo.Node`` s, i.e.
off-neuron, as they would off-chip on Loihi. The head (pooling over time, norm, linear read-out)
is applied to the probed output after the run (``logits``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import expm

try:
    import nengo
except ImportError as e:  # pragma: no cover - nengo is pinned in requirements.txt
    raise ImportError("the Nengo backend needs nengo (pip install nengo==4.1.0)") from e

# ----------------------------------------------------------------------------------------------
# NEF pieces (pure functions)


def discrete_resonator(alpha: float, beta: float, g: complex, dt: float):
    """Exact one-step propagator of ``dz/dt = (alpha + i beta) z + g u`` with u held over dt:
    ``z' = Ad z + Bd u`` as real (2, 2) and (2,) arrays on (Re z, Im z)."""
    A = np.array([[alpha, -beta], [beta, alpha]])
    Ad = expm(A * dt)
    Bd = np.linalg.solve(A, (Ad - np.eye(2)) @ np.array([g.real, g.imag]))
    return Ad, Bd


def resonator_transforms(alpha: float, beta: float, g: complex, tau: float, dt: float):
    """Recurrent (2, 2) and input (2,) transforms of a resonator population under a lowpass
    synapse tau in a simulator of step dt (discrete principle 3, see the module docstring)."""
    Ad, Bd = discrete_resonator(alpha, beta, g, dt)
    a = np.exp(-dt / tau)
    return (Ad - a * np.eye(2)) / (1 - a), Bd / (1 - a)


def rotation(q: complex) -> np.ndarray:
    """The (2, 2) real matrix of multiplication by the complex number q."""
    return np.array([[q.real, -q.imag], [q.imag, q.real]])


@dataclass
class Population:
    """An NEF population in units of its radius: J = gain * (encoders @ x / radius) + bias
    (connections into ``Ensemble.neurons`` carry encoders / radius; nengo applies the gain);
    ``decoders`` (n, d_out) decode the function it was solved for, times the radius."""

    encoders: np.ndarray  # (n, d)
    gain: np.ndarray  # (n,)
    bias: np.ndarray  # (n,)
    decoders: np.ndarray  # (n, d_out)


def nef_population(n: int, dims: int, rng: np.random.Generator, function=None, intercepts=None,
                   max_rates=(200.0, 400.0), encoders=None, eval_points=None,
                   neuron_type=None, reg: float = 0.05) -> Population:
    """Sample an LIF population on the unit ball and solve its decoders for ``function``
    (identity if None) by regularised least squares, as nengo's builder does."""
    neuron_type = neuron_type or nengo.LIF()
    rs = np.random.RandomState(int(rng.integers(2 ** 31)))
    if encoders is None:
        encoders = nengo.dists.UniformHypersphere(surface=True).sample(n, dims, rng=rs)
    lo, hi = (-0.9, 0.9) if intercepts is None else intercepts
    icpt = rs.uniform(lo, hi, n)
    rates = rs.uniform(*max_rates, n)
    gain, bias = neuron_type.gain_bias(rates, icpt)
    if eval_points is None:
        eval_points = nengo.dists.UniformHypersphere().sample(max(750, 20 * n), dims, rng=rs)
    A = neuron_type.rates(eval_points @ encoders.T, gain, bias)
    target = eval_points if function is None else function(eval_points)
    dec, _ = nengo.solvers.LstsqL2(reg=reg)(A, target, rng=rs)
    # Regularisation shrinks the decoded values slightly (by ~1-2%); in a recurrent loop that
    # acts as extra damping, which matters for resonators with r near 1. Undo the shrinkage.
    fit = A @ dec
    dec = dec * (np.sum(target * target, 0) / np.maximum(np.sum(fit * target, 0), 1e-12))
    return Population(np.asarray(encoders, float), gain, bias, dec)


def _blocks(rows: list[np.ndarray], row_sizes, col_sizes) -> sp.csr_matrix:
    """Block-diagonal sparse matrix from per-channel blocks (``None`` = empty)."""
    return sp.block_diag([b if b is not None else sp.csr_matrix((r, c))
                          for b, r, c in zip(rows, row_sizes, col_sizes)], format="csr")


def _sparse(m) -> nengo.transforms.Sparse:
    m = sp.csr_matrix(m)
    m.eliminate_zeros()
    coo = m.tocoo()
    return nengo.transforms.Sparse(m.shape, indices=np.stack([coo.row, coo.col], 1),
                                   init=coo.data)


# ----------------------------------------------------------------------------------------------
# channel arrays


class ResonatorArray(nengo.Network):
    """C spiking damped resonators, one 2-D population of ``n_neurons`` per channel.

    alpha, beta, g (C,): continuous-time decay (1/s), angular frequency (rad/s) and complex input
    gain, e.g. from ``freqformer_snn.export.continuous_resonator``; ``radii`` (C,): the largest
    |z| each population represents well. ``input`` (C) takes the drive u; ``output`` (2C:
    Re z_0, Im z_0, Re z_1, ...) is the state the neurons represent, ``M h*(decoded z) +
    h*(N u)`` (h: the synapse), i.e. z itself, not its lowpass-filtered copy.
    ``neurons`` is the ensemble holding all C populations (channel c = neurons c*n ... c*n+n-1).
    """

    def __init__(self, alpha, beta, g, radii, n_neurons=100, tau=0.01, dt=0.001, seed=0,
                 neuron_type=None, label="resonators", add_to_container=None):
        super().__init__(label=label, add_to_container=add_to_container)
        alpha, beta, g = (np.atleast_1d(np.asarray(v)) for v in (alpha, beta, g))
        C, n = len(alpha), n_neurons
        radii = np.broadcast_to(np.asarray(radii, float), (C,))
        neuron_type = neuron_type or nengo.LIF()
        pop = nef_population(n, 2, np.random.default_rng(seed), neuron_type=neuron_type)
        rec, inp, enc, dec = [], [], [], []
        for c in range(C):
            M, N = resonator_transforms(alpha[c], beta[c], complex(g[c]), tau, dt)
            rec.append(M)
            inp.append(N[:, None])
            enc.append(pop.encoders / radii[c])  # nengo applies the gains to .neurons inputs
            dec.append(radii[c] * pop.decoders.T)  # (2, n)
        self.C, self.n, self.population = C, n, pop
        with self:
            self.input = nengo.Node(size_in=C, label="drive")
            self.output = nengo.Node(size_in=2 * C, label="z")
            self.filtered = nengo.Node(size_in=2 * C, label="z filtered")
            self.neurons = nengo.Ensemble(C * n, 1, gain=np.tile(pop.gain, C),
                                          bias=np.tile(pop.bias, C), neuron_type=neuron_type,
                                          label="z neurons")
            # z = M h*(decoded z) + h*(N u): the value the neurons represent (h = the synapse)
            nengo.Connection(self.neurons.neurons, self.filtered, synapse=tau,
                             transform=_sparse(_blocks(dec, [2] * C, [n] * C)))
            nengo.Connection(self.filtered, self.output, synapse=None,
                             transform=_sparse(_blocks(rec, [2] * C, [2] * C)))
            nengo.Connection(self.input, self.output, synapse=tau,
                             transform=_sparse(_blocks(inp, [2] * C, [1] * C)))
            nengo.Connection(self.output, self.neurons.neurons, synapse=None,
                             transform=_sparse(_blocks(enc, [n] * C, [2] * C)))


class ThresholdArray(nengo.Network):
    """C threshold populations: channel c's neurons fire only while |a_c| > theta_c, and
    ``output`` decodes the events ``max(|a_c| - theta_c, 0)`` (filtered by tau).

    The input a_c has ``dims`` dimensions: 1 (an intensity) or 2 (the coupled state w_c itself,
    so no population has to decode |w| first). Encoders are unit vectors (+1, or evenly spread
    directions in the plane) and intercepts spread over [theta, theta + 0.9 (radius - theta)]:
    a neuron fires only when the projection of a_c on its encoder exceeds its intercept, which
    needs |a_c| > theta. ``neurons`` is the ensemble of all C populations.
    """

    def __init__(self, theta, radii, n_neurons=40, tau=0.005, dims=1, seed=0,
                 max_rates=(100.0, 200.0), neuron_type=None, label="events",
                 add_to_container=None):
        super().__init__(label=label, add_to_container=add_to_container)
        theta = np.atleast_1d(theta).astype(float)
        radii = np.broadcast_to(np.asarray(radii, float), theta.shape)
        if not ((theta > 0) & (theta < radii)).all():
            bad = np.flatnonzero(~((theta > 0) & (theta < radii)))
            raise ValueError(f"need 0 < theta < radius; channels {bad.tolist()} have "
                             f"theta={theta[bad].tolist()}, radius={radii[bad].tolist()}")
        if dims not in (1, 2):
            raise ValueError(f"dims must be 1 or 2, got {dims}")
        C, n = len(theta), n_neurons
        rng = np.random.default_rng(seed)
        pops = []
        for c in range(C):
            rho = theta[c] / radii[c]
            if dims == 1:
                enc, pts = np.ones((n, 1)), np.linspace(0, 1, 200)[:, None]
            else:
                phi = (np.arange(n) + rng.uniform()) * 2 * np.pi / n
                enc = np.stack([np.cos(phi), np.sin(phi)], 1)
                pts = nengo.dists.UniformHypersphere().sample(1000, 2, rng=np.random.RandomState(c))
            pops.append(nef_population(
                n, dims, rng, intercepts=(rho, rho + 0.9 * (1 - rho)), max_rates=max_rates,
                function=lambda x, rho=rho: np.maximum(np.linalg.norm(x, axis=1, keepdims=True)
                                                       - rho, 0),
                encoders=enc, eval_points=pts, neuron_type=neuron_type))
        self.C, self.n, self.populations = C, n, pops
        with self:
            self.input = nengo.Node(size_in=dims * C, label="intensity")
            self.output = nengo.Node(size_in=C, label="events")
            self.neurons = nengo.Ensemble(C * n, 1, gain=np.concatenate([p.gain for p in pops]),
                                          bias=np.concatenate([p.bias for p in pops]),
                                          neuron_type=neuron_type or nengo.LIF(),
                                          label="event neurons")
            nengo.Connection(self.input, self.neurons.neurons, synapse=None, transform=_sparse(
                _blocks([p.encoders / r for p, r in zip(pops, radii)], [n] * C, [dims] * C)))
            nengo.Connection(self.neurons.neurons, self.output, synapse=tau, transform=_sparse(
                _blocks([r * p.decoders.T for p, r in zip(pops, radii)], [1] * C, [n] * C)))


def coupling_matrix(offsets, coupling, channels) -> np.ndarray:
    """(2 len(channels), 2C) real matrix taking (Re z, Im z) of all C channels to w of the listed
    channels: w_c = z_c + sum_k coupling[c, k] z_{c + offsets[k]}."""
    C = coupling.shape[0]
    Q = np.zeros((2 * len(channels), 2 * C))
    for row, c in enumerate(channels):
        Q[2 * row:2 * row + 2, 2 * c:2 * c + 2] = np.eye(2)
        for k, d in enumerate(offsets):
            if 0 <= c + d < C:
                Q[2 * row:2 * row + 2, 2 * (c + d):2 * (c + d) + 2] += rotation(coupling[c, k])
    return Q


# ----------------------------------------------------------------------------------------------
# the whole network


class _Window:
    """Which rate-model step ("window") a simulator time belongs to: steps n = 1, 2, ... of
    length dt; window k holds steps k*m + 1 ... (k+1)*m, m = step_seconds / dt."""

    def __init__(self, step_seconds: float, dt: float):
        self.m = int(round(step_seconds / dt))
        if self.m < 2 or abs(self.m * dt - step_seconds) > 1e-9:
            raise ValueError(f"step_seconds ({step_seconds}) must be a multiple (>= 2) of dt ({dt})")
        self.dt, self.seconds = dt, step_seconds

    def index(self, t: float) -> int:
        return (int(round(t / self.dt)) - 1) // self.m


class _Hold:
    """Node function: outputs its input as it was at the end of the previous window."""

    def __init__(self, window: _Window, size: int):
        self.window, self.size = window, size
        self.reset()

    def reset(self):
        self.current, self.last, self.held = -1, np.zeros(self.size), np.zeros(self.size)

    def __call__(self, t, x):
        k = self.window.index(t)
        if k != self.current:
            self.held, self.current = self.last, k
        self.last = np.array(x)
        return self.held


class _Stage:
    """Node function closing layer l: input [x^l (C), mixed decoded events (C)]; output the next
    layer's input, held for a window: at the boundary of window k it becomes
    ``x^l (seen in window k - 2) + mean of the events over window k - 1 + b`` (zero before
    window ``first``, when the pipeline has not reached the next layer yet)."""

    def __init__(self, window: _Window, b: np.ndarray, first: int):
        self.window, self.b, self.first, self.C = window, b, first, len(b)
        self.reset()

    def reset(self):
        z = np.zeros(self.C)
        self.current, self.acc, self.prev_x, self.xd, self.out = -1, z, z, z, z

    def __call__(self, t, v):
        x, e = v[:self.C], v[self.C:]
        k = self.window.index(t)
        if k != self.current:
            if self.current >= 0:
                mean = self.acc * self.window.dt / self.window.seconds
                self.out = self.xd + mean + self.b if k >= self.first else np.zeros(self.C)
                self.xd = self.prev_x
            self.acc, self.current = np.zeros(self.C), k
        self.acc = self.acc + e
        self.prev_x = np.array(x)
        return self.out


class _Clips:
    """The clip interface of a pipelined network (``FreqFormerNetwork`` here and
    ``loihi.network.LoihiFreqFormer``): features in, per-step samples and logits out. Needs
    ``spec``, ``window``, ``_feats``, ``_stateful`` (node functions to reset per clip),
    ``probe_out`` (the stream after the last layer) and ``probe_w`` (per layer the held coupled
    state of the active channels, times ``_w_unit[l]``)."""

    def _feature_at(self, t):
        return self._feats[min(self.window.index(t), len(self._feats) - 1)]

    def set_features(self, features: np.ndarray) -> None:
        """The (T, F) normalised front-end features of the next clip (then ``sim.reset()``, or a
        new simulator where it has no reset, as nengo-loihi)."""
        features = np.asarray(features, np.float64)
        if features.ndim != 2 or features.shape[1] != self.spec.n_features:
            raise ValueError(f"features must be (T, {self.spec.n_features}), got {features.shape}")
        self._feats = features
        for f in self._stateful:
            f.reset()

    @property
    def n_steps(self) -> int:
        return len(self._feats)

    @property
    def run_seconds(self) -> float:
        """Simulated time of one clip: T + 2L windows (the pipeline's latency is 2L)."""
        return (self.n_steps + 2 * len(self.spec.layers)) * self.step_seconds

    def window_samples(self, sim, probe, first: int) -> np.ndarray:
        """A probe's data at the last simulator step of windows first ... first + T - 1."""
        idx = (np.arange(first, first + self.n_steps) + 1) * self.window.m - 1
        return sim.data[probe][idx]

    def intensity(self, sim, li: int) -> np.ndarray:
        """|w| of layer li's active channels for steps 0..T-1: (T, n_active)."""
        if self.probe_w[li] is None:
            return np.zeros((self.n_steps, 0))
        w = self.window_samples(sim, self.probe_w[li], 2 * li + 1)
        return np.hypot(w[:, 0::2], w[:, 1::2]) * self._w_unit[li]

    def logits(self, sim) -> np.ndarray:
        """Logits from the run: the head applied to the probed stream after the last layer,
        pooled over the clip's steps."""
        from freqformer_snn.export import head

        return head(self.spec, self.window_samples(sim, self.probe_out, 2 * len(self.spec.layers)))


class FreqFormerNetwork(_Clips, nengo.Network):
    """A whole FreqFormer classifier from a ``NetworkSpec``, as spiking populations.

    Per layer: ``ResonatorArray`` (z, all C channels) -> coupling transform (w = Q z) ->
    ``ThresholdArray`` on the 2-D w of each channel (events) -> channel mix into the residual
    stream. Channels that never cross their threshold on the calibration data
    (``radii["active"]``) get no threshold population: they would never fire.

    The network is synchronous and pipelined so that it computes the rate model's discrete steps
    (not a smeared continuous-time cousin of them): one step lasts ``step_seconds`` of simulated
    time (a window). Layer l integrates step t in window t + 2l with its input held; the coupled
    state at the window's end is held for the next window, in which the threshold populations
    fire; their decoded spikes, averaged over that window and mixed, plus the residual, become
    layer l + 1's input for window t + 2l + 2. A clip of T steps takes T + 2L windows (latency
    2L steps). Holding, averaging, the residual sums and the EnergyNorm (a division by the energy
    over all channels, which no single population computes) run in ``nengo.Node`` s, i.e.
    off-neuron, as they would off-chip on Loihi; the head (pooling, norm, read-out) is applied
    to the probed output after the run (``logits``).

    ``radii`` come from the rate model on calibration features (``calibrate``), so every
    population represents the range its channel actually uses. The input is swapped with
    ``set_features`` and ``sim.reset()``, so one build serves many clips.

    Probes: ``probe_out`` (the stream after the last layer), per layer ``probe_state`` (the
    represented z, 2C), ``probe_w`` (the held coupled state w of the active channels, 2 per
    channel; ``intensity`` gives |w|) and ``probe_counts`` (spikes per simulator step of each
    population kind, for synaptic-operation counts); with ``record_spikes`` also
    ``probe_spikes`` (the event neurons' spike trains).
    """

    KINDS = ("z", "e")

    def __init__(self, spec, radii: dict, n_neurons: int = 100, n_event_neurons: int = 20,
                 tau: float = 0.05, event_rates=(400.0, 800.0), dt: float = 0.001,
                 step_seconds: float | None = None, neuron_type=None,
                 record_spikes: bool = False, seed: int = 0, label="FreqFormer",
                 add_to_container=None):
        super().__init__(label=label, add_to_container=add_to_container)
        from freqformer_snn.export import continuous_resonator, energy_norm

        self.spec, self.dt = spec, dt
        self.step_seconds = spec.step_seconds if step_seconds is None else step_seconds
        self.window = _Window(self.step_seconds, dt)
        self._feats = np.zeros((1, spec.n_features))
        self._stateful = []
        C = spec.n_channels
        with self:
            self.input = nengo.Node(self._feature_at, label="features")
            x = nengo.Node(size_in=C, label="x0")
            nengo.Connection(self.input, x, transform=spec.embed_w, synapse=None)
            bias = nengo.Node(1.0, label="bias")
            nengo.Connection(bias, x, transform=spec.embed_b[:, None], synapse=None)
            self.layers, self.probe_state, self.probe_w = [], [], []
            self.probe_counts, self.probe_spikes = [], []
            self._w_unit = [1.0] * len(spec.layers)
            for li, L in enumerate(spec.layers):
                norm = nengo.Node(lambda t, v, g=L.norm_gain: energy_norm(v, g), size_in=C,
                                  label=f"norm{li}")
                nengo.Connection(x, norm, synapse=None)
                alpha, beta, g = continuous_resonator(L.r, L.omega, self.step_seconds)
                res = ResonatorArray(alpha, beta, g, radii["state"][li], n_neurons, tau, dt,
                                     seed=seed + li, neuron_type=neuron_type,
                                     label=f"resonators{li}")
                nengo.Connection(norm, res.input, synapse=None)
                active = np.flatnonzero(radii["active"][li])
                stage = _Stage(self.window, L.out_b, first=2 * (li + 1))
                x_next = nengo.Node(stage, size_in=2 * C, size_out=C, label=f"x{li + 1}")
                self._stateful.append(stage)
                nengo.Connection(x, x_next[:C], synapse=None)
                layer = {"z": res, "active": active, "e": None}
                self.probe_w.append(None)
                if len(active):
                    # phase-locked coupling synapses: w = Q z of the active channels, held over
                    # the next window as the 2-D input of their threshold populations
                    hold = _Hold(self.window, 2 * len(active))
                    self._stateful.append(hold)
                    w = nengo.Node(hold, size_in=2 * len(active), label=f"w{li}")
                    nengo.Connection(res.output, w, synapse=None,
                                     transform=coupling_matrix(L.offsets, L.coupling, active))
                    ev = ThresholdArray(L.theta[active], radii["intensity"][li][active],
                                        n_event_neurons, None, dims=2, seed=seed + 200 + li,
                                        max_rates=event_rates, neuron_type=neuron_type,
                                        label=f"events{li}")
                    nengo.Connection(w, ev.input, synapse=None)
                    nengo.Connection(ev.output, x_next[C:], transform=L.out_w[:, active],
                                     synapse=None)
                    layer["e"] = ev
                    self.probe_w[-1] = nengo.Probe(w, synapse=None)
                    if record_spikes:
                        self.probe_spikes.append(nengo.Probe(ev.neurons.neurons))
                counts = {}
                for kind in self.KINDS:
                    pop = layer[kind]
                    if pop is None:
                        continue
                    node = nengo.Node(size_in=1, label=f"{kind}{li} spikes")
                    nengo.Connection(pop.neurons.neurons, node, synapse=None,
                                     transform=np.full((1, pop.neurons.n_neurons), dt))
                    counts[kind] = nengo.Probe(node, synapse=None)
                self.probe_counts.append(counts)
                self.probe_state.append(nengo.Probe(res.output, synapse=None))
                self.layers.append(layer)
                x = x_next
            self.probe_out = nengo.Probe(x, synapse=None)

    def spikes(self, sim, li: int) -> dict:
        """Spikes of layer li's populations in the windows where they work on this clip's
        steps (resonators: windows 2l ..., events: 2l + 1 ...)."""
        out = {}
        for kind, probe in self.probe_counts[li].items():
            first = 2 * li + (kind == "e")
            lo, hi = first * self.window.m, (first + self.n_steps) * self.window.m
            out[kind] = float(sim.data[probe][lo:hi].sum())
        return out

    def fan_out(self, li: int) -> dict:
        """Per population kind of layer li, the number of neurons one spike reaches when the
        network's factored (decoder x transform x encoder) weights are expanded to
        neuron-to-neuron synapses: z -> own resonator population + the threshold populations
        that read it through the coupling; e -> the next layer's resonator populations (through
        the channel mix; the EnergyNorm between them is a per-step gain)."""
        lay, L, C = self.layers[li], self.spec.layers[li], self.spec.n_channels
        n_z, out = lay["z"].n, {}
        readers = np.zeros(C)  # how many threshold populations read channel j
        for c in lay["active"]:
            readers[c] += 1
            for d in L.offsets:
                if 0 <= c + d < C:
                    readers[c + d] += 1
        out["z"] = n_z + (lay["e"].n if lay["e"] else 0) * readers.mean()
        if lay["e"]:
            out["e"] = n_z * (np.abs(L.out_w[:, lay["active"]]) > 0).sum(0).mean() \
                if li + 1 < len(self.layers) else 0.0
        return out
