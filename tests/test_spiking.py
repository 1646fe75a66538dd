"""Spiking building blocks against the rate model's dynamics, with explicit tolerances.

Backends are a parameter: each test runs for every backend in BACKENDS (Nengo now; Brian2 joins
when its builder lands), against the same analytic reference.
"""

import numpy as np
import pytest
from scipy.linalg import expm

from freqformer_snn.export import continuous_resonator

nengo = pytest.importorskip("nengo")
b2 = pytest.importorskip("brian2")
from networks.brian2_net import resonator_channel, threshold_population, use_target  # noqa: E402
from networks.nengo_net import ResonatorChannel, ThresholdPopulation  # noqa: E402

BACKENDS = ["nengo", "brian2"]
DT_STEP, R, OMEGA = 0.01, 0.97, 0.2  # one rate-model step = 10 ms; omega = 0.2 rad/step = 20 rad/s


def held_input_step(alpha, beta, g, dt):
    """Exact propagator over dt of the augmented system [Re z, Im z, u] with u held."""
    M = np.zeros((3, 3))
    M[:2, :2] = [[alpha, -beta], [beta, alpha]]
    M[:2, 2] = [g.real, g.imag]
    return expm(M * dt)


def test_continuous_resonator_reproduces_the_discrete_step():
    """Integrating dz/dt = (alpha + i beta) z + g u exactly over one step with u held equals
    z' = r e^{i omega} z + sqrt(1 - r^2) u."""
    alpha, beta, g = continuous_resonator(R, OMEGA, DT_STEP)
    step = held_input_step(alpha, beta, g, DT_STEP)
    z0, u = np.array([0.3, -0.2]), 0.7
    z1 = step @ np.array([*z0, u])
    lam = R * np.exp(1j * OMEGA)
    ref = lam * complex(*z0) + np.sqrt(1 - R ** 2) * u
    assert np.allclose(z1[:2], [ref.real, ref.imag], atol=1e-12)


def ideal_response(alpha, beta, g, u, dt):
    """Exact zero-order-hold simulation of the linear resonator (the analytic reference)."""
    step = held_input_step(alpha, beta, g, dt)
    z, out = np.zeros(2), []
    for ut in u:
        z = (step @ np.array([*z, ut]))[:2]
        out.append(z)
    return np.array(out)


def run_resonator(backend, drive_w, amp=0.2, T=2.0, seed=0, target="numpy"):
    """Steady-state RMS amplitude of |z|: (spiking backend, analytic reference); and the spike
    count of the channel's event neurons (brian2) or None."""
    alpha, beta, g = continuous_resonator(R, OMEGA, DT_STEP)
    if backend == "brian2":
        use_target(target)
        dt = 0.2e-3
        t = np.arange(int(T / dt)) * dt
        drive = b2.TimedArray(amp * np.sin(drive_w * t), dt=dt * b2.second, name="drive")
        group = resonator_channel(alpha, beta, g, theta=0.4, drive=drive, n=10, dt=dt, name="ch")
        state = b2.StateMonitor(group, ["x", "y"], record=[0], name="ch_state")
        spikes = b2.SpikeMonitor(group, name="ch_spikes")
        net = b2.Network(group, state, spikes, name="resonator_test")
        net.run(T * b2.second, namespace={})
        z = np.stack([state.x[0], state.y[0]], 1)
        ideal = ideal_response(alpha, beta, g, amp * np.sin(drive_w * np.asarray(state.t)), dt)
        late = np.asarray(state.t) > T / 2
        return (np.sqrt(np.mean(np.sum(z[late] ** 2, 1))),
                np.sqrt(np.mean(np.sum(ideal[late] ** 2, 1))), spikes.num_spikes)
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(lambda t: amp * np.sin(drive_w * t))
        ch = ResonatorChannel(alpha, beta, g, radius=1.0, n_neurons=400, tau=0.02)
        nengo.Connection(stim, ch.input, synapse=None)
        probe = nengo.Probe(ch.state, synapse=0.01)
    with nengo.Simulator(net, progress_bar=False) as sim:
        sim.run(T)
    t = sim.trange()
    ideal = ideal_response(alpha, beta, g, amp * np.sin(drive_w * t), sim.dt)
    late = t > T / 2  # steady state
    return (np.sqrt(np.mean(np.sum(sim.data[probe][late] ** 2, 1))),
            np.sqrt(np.mean(np.sum(ideal[late] ** 2, 1))), None)


@pytest.mark.parametrize("backend", BACKENDS)
def test_resonator_resonates_at_its_own_frequency_only(backend):
    beta = OMEGA / DT_STEP
    own, own_ideal, own_spikes = run_resonator(backend, beta)
    far, far_ideal, far_spikes = run_resonator(backend, 5 * beta)
    assert own_ideal > 0.5 and far_ideal < 0.1 * own_ideal  # the reference itself resonates
    rel = {"nengo": 0.25, "brian2": 0.02}[backend]  # NEF decoding error vs exact membrane ODE
    assert own == pytest.approx(own_ideal, rel=rel)
    assert far < 0.25 * own
    if backend == "brian2":  # events: the channel fires when it resonates (|z| > theta), not else
        assert own_spikes > 0 and far_spikes == 0


def run_threshold(backend, theta, levels, window=0.2):
    """Per level: (spike count in the settled half of its window, decoded value or None)."""
    T = window * len(levels)
    if backend == "brian2":
        use_target("numpy")
        dt = 1e-4
        a = np.repeat(levels, int(round(window / dt)))
        pop = threshold_population(theta, b2.TimedArray(a, dt=dt * b2.second, name="intensity"),
                                   n=20, dt=dt, name="events")
        spikes = b2.SpikeMonitor(pop, name="events_spikes")
        b2.Network(pop, spikes, name="threshold_test").run(T * b2.second, namespace={})
        t = np.asarray(spikes.t)
        return [(int(np.sum((t > window * i + window / 2) & (t <= window * (i + 1)))), None)
                for i in range(len(levels))]
    with nengo.Network(seed=1) as net:
        stim = nengo.Node(lambda t: levels[min(int(t / window), len(levels) - 1)])
        pop = ThresholdPopulation(theta, radius=1.0, n_neurons=100)
        nengo.Connection(stim, pop.input, synapse=None)
        spikes = nengo.Probe(pop.neurons.neurons)
        out = nengo.Probe(pop.output, synapse=0.02)
    with nengo.Simulator(net, progress_bar=False) as sim:
        sim.run(T)
    t = sim.trange()
    res = []
    for i in range(len(levels)):
        w = (t > window * i + window / 2) & (t <= window * (i + 1))
        res.append((int(round(sim.data[spikes][w].sum() * sim.dt)), sim.data[out][w].mean()))
    return res


@pytest.mark.parametrize("backend", BACKENDS)
def test_threshold_population_is_silent_below_theta(backend):
    theta, levels = 0.3, [0.1, 0.25, 0.4, 0.6, 0.9]
    counts = []
    for a, (n_spikes, decoded) in zip(levels, run_threshold(backend, theta, levels)):
        if a < theta:
            assert n_spikes == 0, f"spikes below threshold at a={a}"
        else:
            assert n_spikes > 0, f"no spikes above threshold at a={a}"
        if decoded is not None:
            assert decoded == pytest.approx(max(a - theta, 0), abs=0.06)
        counts.append(n_spikes)
    assert counts[2] < counts[3] < counts[4]  # the rate grows with the excess over theta


def test_bad_thresholds():
    with pytest.raises(ValueError, match="0 < theta < radius"):
        ThresholdPopulation(1.5, radius=1.0)
    with pytest.raises(ValueError, match="positive"):
        threshold_population(0.0, b2.TimedArray([0.0], dt=b2.ms, name="x"))


@pytest.mark.slow
def test_brian2_cython_target_matches_numpy():
    """The cython target (compiled once into .cache/brian2, ~45 s the first time on 2 cores)."""
    beta = OMEGA / DT_STEP
    try:
        cy = run_resonator("brian2", beta, target="cython")
    finally:
        use_target("numpy")
    py = run_resonator("brian2", beta, target="numpy")
    assert cy[0] == pytest.approx(py[0], rel=1e-6) and cy[2] == py[2]
