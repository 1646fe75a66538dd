"""The Loihi backend: nengo-loihi's emulator against nengo's reference simulator on the same
networks (one resonator channel, one threshold population, a tiny trained FreqFormer), weight
quantisation, the "does not fit" report, and the hardware path (skipped without NxSDK)."""

import nengo
import numpy as np
import pytest


from loihi import report, shim
from loihi.shim import LoihiLIF
from loihi.network import DECODE_TAU, resonator_channel, threshold_channel
from networks.nengo_net import discrete_resonator, nef_population, resonator_transforms

DT, TAU, STEP = 0.001, 0.05, 0.04
SIMS = {"reference": lambda net: nengo.Simulator(net, progress_bar=False),
        "emulator": lambda net: shim.simulator(net, "sim")}


def run_both(build, seconds):
    """{simulator: probe data} for a network built by ``build(loihi)`` -> (net, probe)."""
    out = {}
    for name, make in SIMS.items():
        net, probe = build(name == "emulator")
        with make(net) as sim:
            sim.run(seconds)
            out[name] = sim.data[probe]
    return out


@pytest.mark.parametrize("omega, r", [(0.3, 0.95), (1.2, 0.64)])
def test_resonator_channel_emulator_matches_reference(omega, r):
    """A pulse into one resonator channel: the emulator (8-bit weights, integer state) and the
    reference simulator follow the exact resonator, and each other, within 10% of the radius."""
    alpha, beta = np.log(r) / STEP, omega / STEP
    M, N = resonator_transforms(alpha, beta, 1.0 + 0j, TAU, DT)
    Ad, Bd = discrete_resonator(alpha, beta, 1.0 + 0j, DT)
    n = 600
    u = (np.arange(n) * DT < 0.1).astype(float)
    z, exact = np.zeros(2), []
    for k in range(n):
        z = Ad @ z + Bd * u[k]
        exact.append(z)
    exact = np.array(exact)
    radius = 1.2 * np.abs(exact).max()
    pop = nef_population(100, 2, np.random.default_rng(0), max_rates=(100, 200),
                         neuron_type=LoihiLIF())

    def build(loihi):
        with nengo.Network(seed=1) as net:
            drive = nengo.Node(lambda t: float(t <= 0.1))
            _, read = resonator_channel(pop, M, N, radius, drive, TAU, loihi, LoihiLIF(), "z")
            out = nengo.Node(size_in=2)
            read(out, np.eye(2))
            probe = nengo.Probe(out)
        return net, probe

    got = run_both(build, n * DT)
    err = {k: np.sqrt(np.mean((v - exact) ** 2)) / radius for k, v in got.items()}
    between = np.sqrt(np.mean((got["emulator"] - got["reference"]) ** 2)) / radius
    assert err["reference"] < 0.1 and err["emulator"] < 0.1, err
    assert between < 0.1


def test_threshold_channel_silent_below_theta_in_both():
    """|w| ramps from 0 to the radius: no spikes while |w| < theta (both simulators), and the
    decoded event max(|w| - theta, 0) agrees between them within 10% of the radius."""
    theta, radius, seconds = 0.5, 1.0, 1.0

    def build(loihi):
        with nengo.Network(seed=2) as net:
            w = nengo.Node(lambda t: [0.7 * t / seconds, 0.7 * t / seconds])  # |w| = 0.99 t
            out = nengo.Node(size_in=1)
            E = threshold_channel(theta, radius, w, out, 20, (100, 200), np.random.default_rng(0),
                                  loihi, LoihiLIF(), "e")
            probes = (nengo.Probe(E.neurons), nengo.Probe(out, synapse=0.05))
        return net, probes

    data = {}
    for name, make in SIMS.items():
        net, (spikes, out) = build(name == "emulator")
        with make(net) as sim:
            sim.run(seconds)
            data[name] = (sim.data[spikes], sim.data[out][:, 0])
    t = np.arange(1, int(seconds / DT) + 1) * DT
    below = 0.99 * t < theta - 0.02  # a little margin for the input filter
    for name, (spikes, _) in data.items():
        assert spikes[below].sum() == 0, f"{name}: spikes below theta"
        assert spikes[~below].sum() > 0, f"{name}: silent above theta"
    late = t > 0.7
    ref, emu = data["reference"][1][late], data["emulator"][1][late]
    lag = DECODE_TAU + 0.05  # the input and output filters delay a ramp by their time constants
    expected = np.maximum(0.99 * (t[late] - lag) - theta, 0)
    assert np.sqrt(np.mean((emu - ref) ** 2)) / radius < 0.1
    assert np.sqrt(np.mean((ref - expected) ** 2)) / radius < 0.1


def test_quantisation_is_applied_and_small():
    """target='sim' stores integer weights (8-bit mantissas); 'simreal' the same mapping in float;
    the quantised weights follow the float ones within a few per cent."""
    with nengo.Network(seed=3) as net:
        a = nengo.Ensemble(50, 1, neuron_type=LoihiLIF())
        b = nengo.Ensemble(50, 1, neuron_type=LoihiLIF())
        nengo.Connection(nengo.Node(0.3), a)
        nengo.Connection(a.neurons, b.neurons,
                         transform=np.random.default_rng(0).normal(0, 0.1, (50, 50)))
    q, f = shim.simulator(net, "sim"), shim.simulator(net, "simreal")
    weights = [w for blk in q.model.blocks for s in blk.synapses for w in s.weights]
    assert all(np.all(w == np.round(w)) for w in weights)  # integers
    assert max(np.abs(w).max() for w in weights) < 2 ** 14  # 8-bit mantissa, shifted
    fw = [w for blk in f.model.blocks for s in blk.synapses for w in s.weights]
    assert any(np.any(w != np.round(w)) for w in fw)  # floats
    stats = report.quantisation(f.model, q.model)
    assert 0 < stats["relative_error_max"] < 0.05
    q.close(), f.close()


def test_core_report_and_does_not_fit():
    """The core report counts one core per ensemble block, splits ensembles over 1024 neurons,
    and a network needing more cores than available gets a clear report."""
    with nengo.Network(seed=4) as net:
        big = nengo.Ensemble(1500, 1, neuron_type=LoihiLIF())  # more than a core's 1024
        small = nengo.Ensemble(10, 1, neuron_type=LoihiLIF())
        nengo.Connection(nengo.Node(0.5), big)
        nengo.Connection(big, small)
    with shim.simulator(net, "sim") as sim:
        rep = report.core_report(sim.model)
    assert rep["per_core_max"]["compartments"] <= 1024
    assert rep["cores"] >= 3  # the big one split in two, plus the small one (+ decode neurons)
    assert rep["compartments"] >= 1510
    assert report.fit_problems(rep, cores=128) == []
    problems = report.fit_problems(rep, cores=2)
    assert problems and "cores" in problems[0] and "2 are available" in problems[0]
    with pytest.raises(report.DoesNotFit, match="does not fit"):
        raise report.DoesNotFit(problems, rep)


def test_targets():
    assert shim.choose_target("sim")[0] == "sim"
    with pytest.raises(ValueError, match="target must be"):
        shim.choose_target("gpu")
    if not shim.HAS_NXSDK:
        assert shim.choose_target("auto")[0] == "sim"
        assert "emulator" in shim.choose_target("auto")[1]
        with pytest.raises(RuntimeError, match="NxSDK"):
            shim.choose_target("loihi")


@pytest.mark.skipif(not shim.HAS_NXSDK, reason="NxSDK (Intel's Loihi hardware SDK) is not "
                                                "installed: the hardware path cannot run here")
def test_hardware_matches_emulator():  # pragma: no cover - needs Loihi
    with nengo.Network(seed=5) as net:
        a = nengo.Ensemble(100, 1, neuron_type=LoihiLIF())
        nengo.Connection(nengo.Node(0.5), a)
        p = nengo.Probe(a, synapse=0.05)
    out = {}
    for target in ("sim", "loihi"):
        with shim.simulator(net, target) as sim:
            sim.run(0.5)
            out[target] = sim.data[p][-100:].mean()
    assert abs(out["sim"] - out["loihi"]) < 0.05


def test_tiny_model_emulator_agrees_with_reference():
    """A tiny trained FreqFormer through LoihiRunner: on 6 clips the emulator gives the class of
    nengo's reference simulator running the same network on >= 5, its decoded intensities
    correlate with the reference's at >= 0.9, and with the rate model's at >= 0.8."""
    from experiments.spiking import LoihiRunner, SpikingOptions, features
    from experiments.toy import sinusoids, trained_toy
    from freqformer_snn.export import calibrate, export, rate_forward

    toy = dict(freqs=(0.2, 0.8), jitter=0.05)
    model, x = trained_toy(**toy)
    spec = export(model)
    runner = LoihiRunner(spec, calibrate(spec, features(model, x)),
                         SpikingOptions(loihi_slowdown=4, loihi_float_clips=0))
    feats = features(model, sinusoids(6, 1, **toy)[0])
    _, trace = rate_forward(spec, feats, record=True)
    same, emu, ref, rate = 0, [], [], []
    for i, f in enumerate(feats):
        r = runner.run(f)
        same += int(np.argmax(r["logits"]) == np.argmax(r["reference_logits"]))
        emu.append(r["intensity"][0])
        ref.append(r["reference_intensity"][0])
        rate.append(trace[0]["intensity"][i][:, r["active"][0]])
        assert r["synops"] > r["spikes"] > 0
    corr = lambda a, b: np.corrcoef(np.concatenate(a).ravel(), np.concatenate(b).ravel())[0, 1]  # noqa: E731
    assert same >= 5
    assert corr(emu, ref) >= 0.9
    assert corr(emu, rate) >= 0.8
    assert runner.cores["cores"] >= 8 + len(r["active"][0])  # a core per ensemble at least
