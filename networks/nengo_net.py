"""Nengo building blocks of the spiking FreqFormer (NEF, Eliasmith & Anderson 2003).

A resonator channel is a 2-D ensemble representing (Re z, Im z). Its recurrent connection
implements ``dz/dt = (alpha + i beta) z + g u`` through a lowpass synapse tau: with
``A = [[alpha, -beta], [beta, alpha]]`` the recurrent transform is ``tau A + I`` and the input
transform ``tau [Re g, Im g]^T`` (the NEF's "principle 3"). A threshold population is a 1-D
ensemble of intensity neurons whose intercepts sit at or above theta (the lowest exactly at theta):
silent below threshold, firing above it, its decoded output ``max(a - theta, 0)``.

Only plain nengo objects are used, so the networks run in nengo's reference simulator, open in
nengo-gui and go through nengo-loihi.
"""

from __future__ import annotations

import numpy as np

try:
    import nengo
except ImportError as e:  # pragma: no cover - nengo is pinned in requirements.txt
    raise ImportError("the Nengo backend needs nengo (pip install nengo==4.1.0)") from e


def resonator_transforms(alpha: float, beta: float, g: complex, tau: float):
    """Recurrent (2, 2) and input (2, 1) transforms of an NEF damped oscillator."""
    A = np.array([[alpha, -beta], [beta, alpha]])
    rec = tau * A + np.eye(2)
    inp = tau * np.array([[g.real], [g.imag]])
    return rec, inp


class ResonatorChannel(nengo.Network):
    """One FreqFormer channel: a spiking damped resonator.

    Parameters
    ----------
    alpha, beta, g : continuous-time decay (1/s), angular frequency (rad/s) and complex input
        gain, e.g. from ``freqformer_snn.export.continuous_resonator``.
    radius : the largest |z| the ensemble represents well.
    tau : recurrent synapse time constant (s).

    Attributes: ``input`` (1-D node to connect the drive to), ``state`` (the 2-D ensemble).
    """

    def __init__(self, alpha, beta, g, radius=1.0, n_neurons=400, tau=0.02, label=None,
                 seed=None, add_to_container=None):
        super().__init__(label=label, seed=seed, add_to_container=add_to_container)
        rec, inp = resonator_transforms(float(alpha), float(beta), complex(g), tau)
        with self:
            self.input = nengo.Node(size_in=1, label="drive")
            self.state = nengo.Ensemble(n_neurons, 2, radius=radius, label="z")
            nengo.Connection(self.input, self.state, transform=inp, synapse=tau)
            nengo.Connection(self.state, self.state, transform=rec, synapse=tau)


class ThresholdPopulation(nengo.Network):
    """Intensity neurons that fire only above theta; decodes ``max(a - theta, 0)``.

    Encoders are all +1 and intercepts spread over [theta, 0.95 radius) (in units of the radius),
    so no neuron receives enough current to fire while the intensity a is below theta, and the
    spread of onsets lets the population decode the ramp above it. ``input`` takes a, ``output`` gives the event
    value; ``neurons`` is the ensemble whose spikes are the channel's events.
    """

    def __init__(self, theta, radius=1.0, n_neurons=100, label=None, seed=None,
                 add_to_container=None):
        super().__init__(label=label, seed=seed, add_to_container=add_to_container)
        if not 0 < theta < radius:
            raise ValueError(f"need 0 < theta < radius, got theta={theta}, radius={radius}")
        with self:
            self.input = nengo.Node(size_in=1, label="intensity")
            self.neurons = nengo.Ensemble(
                n_neurons, 1, radius=radius, encoders=np.ones((n_neurons, 1)),
                intercepts=nengo.dists.Uniform(theta / radius, max(0.95, theta / radius + 0.05)),
                max_rates=nengo.dists.Uniform(100, 200), label="events")
            self.output = nengo.Node(size_in=1, label="events")
            nengo.Connection(self.input, self.neurons, synapse=None)
            nengo.Connection(self.neurons, self.output, synapse=None,
                             function=lambda a: max(a[0] - theta, 0.0),
                             eval_points=np.linspace(0, radius, 200).reshape(-1, 1))


class FreqFormerNetwork(nengo.Network):
    """A whole FreqFormer classifier from a ``NetworkSpec``, as spiking ensembles.

    Per layer and channel c: a ``ResonatorChannel`` (2-D, z_c), a 2-D ensemble w_c fed by z_c
    and by its neighbours z_{c+d} through 2x2 rotation-scaling transforms (the phase-locked
    coupling synapses ``Re/Im`` of ``coupling[c, k]``, with the synapse's lowpass cancelled by
    feeding ``z + tau dz/dt``), decoding |w_c| into a
    ``ThresholdPopulation`` with threshold theta_c, whose event output feeds the next layer
    through the channel mix ``out_w``. Linear sums (embedding, residual, channel mix) and the
    EnergyNorm (a division by the channel energy, which no single population computes) run in
    ``nengo.Node`` s, i.e. off-neuron, as they would off-chip on Loihi. The head (pooling over
    time, norm, linear read-out) is applied to the probed output ``x_out`` after the run
    (``classify``).

    ``radii`` come from the rate model on calibration features (``calibrate``), so every
    population represents the range its channel actually uses. ``step_seconds`` sets how much
    simulated time one rate-model step takes (the dynamics are the same in step units).
    """

    def __init__(self, spec, features, radii: dict, step_seconds: float | None = None,
                 n_neurons: int = 200, n_event_neurons: int = 50, tau: float = 0.01,
                 label="FreqFormer", seed=None, add_to_container=None):
        super().__init__(label=label, seed=seed, add_to_container=add_to_container)
        from freqformer_snn.export import continuous_resonator, energy_norm

        dt_step = spec.step_seconds if step_seconds is None else step_seconds
        feats = np.asarray(features, dtype=np.float64)  # (T, F)
        self.step_seconds, self.n_steps = dt_step, feats.shape[0]
        C = spec.n_channels
        with self:
            self.input = nengo.Node(lambda t: feats[min(int(t / dt_step), len(feats) - 1)],
                                    label="features")
            x = nengo.Node(size_in=C, label="x0")
            nengo.Connection(self.input, x, transform=spec.embed_w, synapse=None)
            bias = nengo.Node(1.0, label="bias")
            nengo.Connection(bias, x, transform=spec.embed_b[:, None], synapse=None)
            self.layers = []
            for li, L in enumerate(spec.layers):
                norm = nengo.Node(lambda t, v, g=L.norm_gain: energy_norm(v, g), size_in=C,
                                  label=f"norm{li}")
                nengo.Connection(x, norm, synapse=None)
                alpha, beta, g = continuous_resonator(L.r, L.omega, dt_step)
                zs, ws, evs = [], [], []
                for c in range(C):
                    ch = ResonatorChannel(alpha[c], beta[c], g[c], radius=radii["state"][li][c],
                                          n_neurons=n_neurons, tau=tau, label=f"z{li}.{c}")
                    nengo.Connection(norm[c], ch.input, synapse=None)
                    zs.append(ch)
                for c in range(C):
                    w = nengo.Ensemble(n_neurons, 2, radius=radii["intensity"][li][c],
                                       label=f"w{li}.{c}")
                    sources = [(c, 1.0 + 0j)] + [
                        (c + d, L.coupling[c, k]) for k, d in enumerate(L.offsets)
                        if 0 <= c + d < C and L.coupling[c, k] != 0]
                    for j, q in sources:
                        # w_c += q z_j. The synapse tau would lowpass z_j (a lag and a loss that
                        # grow with beta_j); sending q (z_j + tau dz_j/dt) instead, i.e.
                        # q (I + tau A_j) z_j + q tau g_j u_j, cancels the filter exactly.
                        Q = np.array([[q.real, -q.imag], [q.imag, q.real]])
                        A = np.array([[alpha[j], -beta[j]], [beta[j], alpha[j]]])
                        nengo.Connection(zs[j].state, w, synapse=tau,
                                         transform=Q @ (np.eye(2) + tau * A))
                        nengo.Connection(norm[j], w, synapse=tau,
                                         transform=tau * Q @ np.array([[g[j].real], [g[j].imag]]))
                    ev = ThresholdPopulation(L.theta[c], radius=radii["intensity"][li][c],
                                             n_neurons=n_event_neurons, label=f"e{li}.{c}")
                    nengo.Connection(w, ev.input, function=lambda v: np.sqrt(v[0] ** 2 + v[1] ** 2),
                                     synapse=tau)
                    ws.append(w)
                    evs.append(ev)
                x_next = nengo.Node(size_in=C, label=f"x{li + 1}")
                nengo.Connection(x, x_next, synapse=None)
                nengo.Connection(bias, x_next, transform=L.out_b[:, None], synapse=None)
                for c, ev in enumerate(evs):
                    nengo.Connection(ev.output, x_next, transform=L.out_w[:, c:c + 1], synapse=tau)
                self.layers.append({"z": zs, "w": ws, "events": evs})
                x = x_next
            self.x_out = x
            self.probe_out = nengo.Probe(x, synapse=tau)
            self.probe_intensity = [[nengo.Probe(ev.input, synapse=tau) for ev in lay["events"]]
                                    for lay in self.layers]
            self.probe_spikes = [[nengo.Probe(ev.neurons.neurons) for ev in lay["events"]]
                                 for lay in self.layers]

    @property
    def run_seconds(self) -> float:
        return self.n_steps * self.step_seconds

    def step_samples(self, sim, probe) -> np.ndarray:
        """A probe's data sampled at the end of every rate-model step: (T, dims)."""
        t = sim.trange()
        idx = [min(np.searchsorted(t, (i + 1) * self.step_seconds) - 1, len(t) - 1)
               for i in range(self.n_steps)]
        return sim.data[probe][idx]


def calibrate(spec, features: np.ndarray, margin: float = 1.2) -> dict:
    """Per layer and channel, the largest |z| and |w| the rate network reaches on ``features``
    (B, T, F), times ``margin``: the radii of the populations."""
    from freqformer_snn.export import rate_forward

    _, trace = rate_forward(spec, features, record=True)
    return {k: [np.maximum(margin * rec[k].max(axis=(0, 1)), 1e-3) for rec in trace]
            for k in ("state", "intensity")}


def classify(spec, sim, net: FreqFormerNetwork) -> np.ndarray:
    """Logits from the spiking run: the head applied to the probed output, pooled over steps."""
    from freqformer_snn.export import energy_norm

    x = net.step_samples(sim, net.probe_out)  # (T, C)
    pooled = x.mean(0) if spec.pool == "mean" else x[-1]
    return energy_norm(pooled, spec.head_norm_gain) @ spec.head_w.T + spec.head_b
