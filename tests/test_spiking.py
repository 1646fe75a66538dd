"""Spiking building blocks against the rate model's dynamics, with explicit tolerances.

Backends are a parameter: each test runs for every backend in BACKENDS (Nengo now; Brian2 joins
when its builder lands), against the same analytic reference.
"""

import numpy as np
import pytest
from scipy.linalg import expm

from freqformer_snn.export import continuous_resonator

nengo = pytest.importorskip("nengo")
from networks.nengo_net import ResonatorChannel, ThresholdPopulation  # noqa: E402

BACKENDS = ["nengo"]
DT_STEP, R, OMEGA = 0.01, 0.97, 0.2  # one rate-model step = 10 ms; omega = 0.2 rad/step = 20 rad/s


def test_continuous_resonator_reproduces_the_discrete_step():
    """Integrating dz/dt = (alpha + i beta) z + g u exactly over one step with u held equals
    z' = r e^{i omega} z + sqrt(1 - r^2) u."""
    alpha, beta, g = continuous_resonator(R, OMEGA, DT_STEP)
    M = np.zeros((3, 3))  # augmented system [Re z, Im z, u]
    M[:2, :2] = [[alpha, -beta], [beta, alpha]]
    M[:2, 2] = [g.real, g.imag]
    step = expm(M * DT_STEP)
    z0, u = np.array([0.3, -0.2]), 0.7
    z1 = step @ np.array([*z0, u])
    lam = R * np.exp(1j * OMEGA)
    ref = lam * complex(*z0) + np.sqrt(1 - R ** 2) * u
    assert np.allclose(z1[:2], [ref.real, ref.imag], atol=1e-12)


def ideal_response(alpha, beta, g, u, dt):
    """Exact zero-order-hold simulation of the linear resonator (the analytic reference)."""
    M = np.zeros((3, 3))
    M[:2, :2] = [[alpha, -beta], [beta, alpha]]
    M[:2, 2] = [g.real, g.imag]
    step = expm(M * dt)
    z, out = np.zeros(2), []
    for ut in u:
        z = (step @ np.array([*z, ut]))[:2]
        out.append(z)
    return np.array(out)


def run_resonator(backend, drive_w, amp=0.2, T=2.0, seed=0):
    alpha, beta, g = continuous_resonator(R, OMEGA, DT_STEP)
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
            np.sqrt(np.mean(np.sum(ideal[late] ** 2, 1))))


@pytest.mark.parametrize("backend", BACKENDS)
def test_resonator_resonates_at_its_own_frequency_only(backend):
    beta = OMEGA / DT_STEP
    own, own_ideal = run_resonator(backend, beta)
    far, far_ideal = run_resonator(backend, 5 * beta)
    assert own_ideal > 0.5 and far_ideal < 0.1 * own_ideal  # the reference itself resonates
    assert own == pytest.approx(own_ideal, rel=0.25)
    assert far < 0.25 * own


@pytest.mark.parametrize("backend", BACKENDS)
def test_threshold_population_is_silent_below_theta(backend):
    theta, levels = 0.3, [0.1, 0.25, 0.4, 0.6, 0.9]
    with nengo.Network(seed=1) as net:
        stim = nengo.Node(lambda t: levels[min(int(t / 0.2), len(levels) - 1)])
        pop = ThresholdPopulation(theta, radius=1.0, n_neurons=100)
        nengo.Connection(stim, pop.input, synapse=None)
        spikes = nengo.Probe(pop.neurons.neurons)
        out = nengo.Probe(pop.output, synapse=0.02)
    with nengo.Simulator(net, progress_bar=False) as sim:
        sim.run(0.2 * len(levels))
    t = sim.trange()
    for i, a in enumerate(levels):
        window = (t > 0.2 * i + 0.1) & (t <= 0.2 * (i + 1))
        n_spikes = sim.data[spikes][window].sum() * sim.dt
        if a < theta:
            assert n_spikes == 0, f"spikes below threshold at a={a}"
        else:
            assert n_spikes > 0, f"no spikes above threshold at a={a}"
        assert sim.data[out][window].mean() == pytest.approx(max(a - theta, 0), abs=0.06)
    with pytest.raises(ValueError, match="0 < theta < radius"):
        ThresholdPopulation(1.5, radius=1.0)
