"""Spiking building blocks against the rate model's dynamics, with explicit tolerances.

Backends are a parameter: each test runs for every backend in BACKENDS against the same
analytic reference. Nengo's channels are NEF populations (decoding noise: loose tolerances);
Brian2's resonators are exact ODE compartments driving spiking event neurons (tight ones).
"""

import numpy as np
import pytest
from scipy.linalg import expm

from freqformer_snn.export import continuous_resonator

nengo = pytest.importorskip("nengo")
b2 = pytest.importorskip("brian2")
from networks.brian2_net import (  # noqa: E402
    coupling_synapses,
    resonator_channel,
    resonator_equations,
    set_resonators,
    threshold_population,
    use_target,
)
from networks.nengo_net import (  # noqa: E402
    ResonatorArray,
    ThresholdArray,
    coupling_matrix,
    discrete_resonator,
    resonator_transforms,
)

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


def test_discrete_principle_three_is_exact_without_noise():
    """The recurrent/input transforms close the loop through nengo's discrete lowpass exactly:
    x[k] = a x[k-1] + (1 - a)(M x[k-1] + N u) reproduces z' = Ad z + Bd u."""
    alpha, beta, g = continuous_resonator(R, 2.5, DT_STEP)  # a fast channel: beta = 250 rad/s
    tau, dt = 0.05, 0.001
    M, N = resonator_transforms(alpha, beta, g, tau, dt)
    Ad, Bd = discrete_resonator(alpha, beta, g, dt)
    a = np.exp(-dt / tau)
    x = z = np.array([0.3, -0.1])
    for u in np.sin(np.arange(500) * 0.3):
        x = a * x + (1 - a) * (M @ x + N * u)
        z = Ad @ z + Bd * u
    assert np.allclose(x, z, atol=1e-9)


def run_resonator(backend, drive_w, amp=0.2, T=2.0, seed=0, target="numpy"):
    """Steady-state RMS amplitude of |z|: (spiking backend, analytic reference); and the spike
    count of the channel's event neurons (brian2) or None."""
    alpha, beta, g = continuous_resonator(R, OMEGA, DT_STEP)
    if backend == "brian2":
        use_target(target)
        dt = 0.2e-3
        t = np.arange(int(T / dt)) * dt
        drive = b2.TimedArray(amp * np.sin(drive_w * t), dt=dt * b2.second, name="drive")
        res, ev = resonator_channel(alpha, beta, g, theta=0.4, drive=drive, n=10, dt=dt,
                                    name="ch")
        state = b2.StateMonitor(res, ["zr", "zi"], record=[0], name="ch_state")
        spikes = b2.SpikeMonitor(ev, name="ch_spikes")
        net = b2.Network(res, ev, state, spikes, name="resonator_test")
        net.run(T * b2.second, namespace={})
        z = np.stack([state.zr[0], state.zi[0]], 1)
        ideal = ideal_response(alpha, beta, g, amp * np.sin(drive_w * np.asarray(state.t)), dt)
        late = np.asarray(state.t) > T / 2
        return (np.sqrt(np.mean(np.sum(z[late] ** 2, 1))),
                np.sqrt(np.mean(np.sum(ideal[late] ** 2, 1))), spikes.num_spikes)
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(lambda t: amp * np.sin(drive_w * t))
        ch = ResonatorArray(alpha, beta, g, radii=1.0, n_neurons=400, tau=0.05,
                            neuron_type=nengo.SpikingRectifiedLinear(), seed=seed)
        nengo.Connection(stim, ch.input, synapse=None)
        probe = nengo.Probe(ch.output, synapse=None)
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
    rel = {"nengo": 0.15, "brian2": 0.02}[backend]  # NEF decoding error vs exact ODE
    assert own == pytest.approx(own_ideal, rel=rel)
    assert far < 0.25 * own
    if backend == "brian2":  # events: the channel fires when it resonates (|z| > theta), not else
        assert own_spikes > 0 and far_spikes == 0


def run_coupled(backend, q, T=1.0):
    """Two channels; only channel 0 is driven, channel 1 reads it through one coupling synapse q.
    Returns (w_1, reference z_0) over the second half: w_1 = z_1 + q z_0 with z_1 ~ 0."""
    alpha, beta, g = continuous_resonator(R, OMEGA, DT_STEP)
    coupling = np.array([[0.0], [q]])  # offsets [-1]: channel 1 reads channel 0
    if backend == "brian2":
        use_target("numpy")
        dt = 0.2e-3
        t = np.arange(int(T / dt)) * dt
        drive = b2.TimedArray(0.2 * np.sin(20 * t), dt=dt * b2.second, name="drive")
        eqs = resonator_equations(0) + "h0 = drive(t) * int(i == 0) : 1\nwr0 : 1\nwi0 : 1\n"
        grp = b2.NeuronGroup(2, eqs, method="rk2", dt=dt * b2.second, name="pair",
                             namespace={"drive": drive})
        set_resonators(grp, 0, np.full(2, alpha), np.full(2, beta), np.full(2, g))
        syn = coupling_synapses(grp, 0, np.array([-1]), coupling, dt, "pair_coupling")
        mon = b2.StateMonitor(grp, ["wr0", "wi0"], record=[1], name="pair_state", when="end")
        b2.Network(grp, syn, mon, name="coupling_test").run(T * b2.second, namespace={})
        tt, w = np.asarray(mon.t), mon.wr0[0] + 1j * mon.wi0[0]
    else:
        with nengo.Network(seed=0) as net:
            stim = nengo.Node(lambda t: [0.2 * np.sin(20 * t), 0.0])
            ch = ResonatorArray(np.full(2, alpha), np.full(2, beta), np.full(2, g), radii=1.0,
                                n_neurons=400, tau=0.05, neuron_type=nengo.SpikingRectifiedLinear())
            nengo.Connection(stim, ch.input, synapse=None)
            w_node = nengo.Node(size_in=2)
            nengo.Connection(ch.output, w_node, synapse=None,
                             transform=coupling_matrix(np.array([-1]), coupling, [1]))
            probe = nengo.Probe(w_node, synapse=None)
        with nengo.Simulator(net, progress_bar=False) as sim:
            sim.run(T)
        tt, w = sim.trange(), sim.data[probe][:, 0] + 1j * sim.data[probe][:, 1]
        dt = sim.dt
    ref = ideal_response(alpha, beta, g, 0.2 * np.sin(20 * tt), dt)
    late = tt > T / 2
    return w[late], ref[late, 0] + 1j * ref[late, 1]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("q", [0.8 * np.exp(-1j * np.pi / 3), 0.5 * np.exp(1j * 2.0)])
def test_coupling_locks_phase_as_designed(backend, q):
    """The coupled signal follows the source resonator rotated by arg(q) and scaled by |q|:
    the phase offset is held over the whole steady state, not just on average."""
    w, z0 = run_coupled(backend, q)
    offset = np.angle(w * np.conj(z0))  # per sample
    locked = np.angle(np.mean(np.exp(1j * offset)))
    tol = {"nengo": 0.25, "brian2": 0.01}[backend]  # radians
    assert abs(np.angle(np.exp(1j * (locked - np.angle(q))))) < tol
    assert np.abs(np.mean(np.exp(1j * offset))) > {"nengo": 0.9, "brian2": 0.999}[backend]
    gain = np.sqrt(np.mean(np.abs(w) ** 2) / np.mean(np.abs(z0) ** 2))
    assert gain == pytest.approx(abs(q), rel={"nengo": 0.2, "brian2": 0.01}[backend])


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
        pop = ThresholdArray(theta, radii=1.0, n_neurons=100, tau=0.02)
        nengo.Connection(stim, pop.input, synapse=None)
        spikes = nengo.Probe(pop.neurons.neurons)
        out = nengo.Probe(pop.output, synapse=None)
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


def test_two_dimensional_threshold_population_needs_the_magnitude_above_theta():
    """Fed the 2-D coupled state, a threshold population is silent while |w| < theta in every
    direction, and fires and decodes |w| - theta above it."""
    theta, window = 0.4, 0.2
    points = [(0.3, 0.0), (0.0, -0.35), (-0.25, 0.25), (0.6, 0.0), (0.0, -0.8), (-0.5, 0.5)]
    with nengo.Network(seed=2) as net:
        stim = nengo.Node(lambda t: points[min(int(t / window), len(points) - 1)])
        pop = ThresholdArray(theta, radii=1.0, n_neurons=60, tau=0.02, dims=2)
        nengo.Connection(stim, pop.input, synapse=None)
        spikes = nengo.Probe(pop.neurons.neurons)
        out = nengo.Probe(pop.output, synapse=None)
    with nengo.Simulator(net, progress_bar=False) as sim:
        sim.run(window * len(points))
    t = sim.trange()
    for i, p in enumerate(points):
        w = (t > window * i + window / 2) & (t <= window * (i + 1))
        n_spikes = sim.data[spikes][w].sum() * sim.dt
        excess = max(np.hypot(*p) - theta, 0)
        assert (n_spikes > 0) == (excess > 0), f"w={p}"
        assert sim.data[out][w].mean() == pytest.approx(excess, abs=0.08), f"w={p}"


def test_bad_thresholds():
    with pytest.raises(ValueError, match="0 < theta < radius"):
        ThresholdArray([0.2, 1.5], radii=1.0)
    with pytest.raises(ValueError, match="dims"):
        ThresholdArray(0.2, radii=1.0, dims=3)
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
