"""Contracts of the rate model: shapes, causality, parallel == step, stability, bad input,
determinism, events."""

import math

import pytest
import torch

from freqformer_snn import (
    FreqFormer,
    FreqFormerBlock,
    FreqFormerConfig,
    IntensityGate,
    PhaseCoupling,
    ResonatorField,
    SeedFreqFormerBlock,
    resonator_scan,
    resonator_step,
    threshold_events,
)

BLOCKS = [FreqFormerBlock, SeedFreqFormerBlock]
SEEDS = [0, 1, 2, 3, 4]


def make_block(cls, C=12, seed=0, **kw):
    torch.manual_seed(seed)
    return cls(FreqFormerConfig(n_channels=C, **kw)).eval()


# -- shapes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", BLOCKS)
@pytest.mark.parametrize("shape", [(1, 1, 12), (3, 17, 12), (2, 64, 12)])
def test_block_maps_btc_to_btc(cls, shape):
    y, _ = make_block(cls)(torch.randn(shape))
    assert y.shape == shape


@pytest.mark.parametrize("mixer", ["resonator", "seed"])
def test_model_output_shapes(mixer):
    m = FreqFormer(FreqFormerConfig(n_inputs=3, n_classes=5, n_channels=8, mixer=mixer))
    assert m(torch.randn(4, 20, 3)).shape == (4, 5)
    lm = FreqFormer(FreqFormerConfig(task="lm", vocab_size=11, n_channels=8, mixer=mixer))
    assert lm(torch.randint(0, 11, (4, 20))).shape == (4, 20, 11)


# -- causality (a property over random inputs) ---------------------------------------------


def _perturb_after(x, t, gen):
    x2 = x.clone()
    x2[:, t + 1:] = torch.randn(x2[:, t + 1:].shape, generator=gen) * 3
    return x2


@pytest.mark.parametrize("cls", BLOCKS)
@pytest.mark.parametrize("seed", SEEDS)
def test_block_is_causal(cls, seed):
    gen = torch.Generator().manual_seed(seed)
    blk = make_block(cls, seed=seed)
    x = torch.randn(2, 30, 12, generator=gen)
    t = int(torch.randint(0, 29, (1,), generator=gen))
    y1, _ = blk(x)
    y2, _ = blk(_perturb_after(x, t, gen))
    assert torch.allclose(y1[:, :t + 1], y2[:, :t + 1], atol=1e-5)
    assert not torch.allclose(y1[:, t + 1:], y2[:, t + 1:], atol=1e-3)  # the test can fail


@pytest.mark.parametrize("seed", SEEDS)
def test_language_model_is_causal(seed):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    m = FreqFormer(FreqFormerConfig(task="lm", vocab_size=20, n_channels=16, n_layers=3)).eval()
    x = torch.randint(0, 20, (2, 25), generator=gen)
    t = int(torch.randint(0, 24, (1,), generator=gen))
    x2 = x.clone()
    x2[:, t + 1:] = torch.randint(0, 20, x2[:, t + 1:].shape, generator=gen)
    with torch.no_grad():
        assert torch.allclose(m(x)[:, :t + 1], m(x2)[:, :t + 1], atol=1e-5)


def test_resonator_block_mixes_time_and_seed_block_does_not():
    """What DESIGN.md calls the one insight: the sketch's block never sees another position."""
    x = torch.randn(1, 30, 12)
    x2 = x.clone()
    x2[:, 5] += 2.0
    for cls, mixes in [(FreqFormerBlock, True), (SeedFreqFormerBlock, False)]:
        blk = make_block(cls)
        d = (blk(x)[0] - blk(x2)[0]).abs()[0, 6:].max()
        assert (d > 1e-3) == mixes, cls.__name__


# -- parallel form == step form ------------------------------------------------------------


def test_resonator_impulse_response_matches_analytic():
    """Fixed reference: the impulse response of one channel is r^k e^{i omega k}."""
    r, omega = torch.tensor([0.9]), torch.tensor([0.7])
    u = torch.zeros(1, 20, 1)
    u[0, 0, 0] = 1.0
    z = resonator_scan(u, r, omega)[0, :, 0]
    k = torch.arange(20, dtype=torch.float64)
    ref = 0.9 ** k * torch.exp(1j * 0.7 * k)
    assert torch.allclose(z.to(torch.complex128), ref, atol=1e-6)


@pytest.mark.parametrize("T", [1, 7, 100, 1000])
def test_resonator_parallel_equals_step(T):
    torch.manual_seed(T)
    field = ResonatorField(16)
    x = torch.randn(3, T, 16)
    with torch.no_grad():
        z_par = field(x)
        z = torch.zeros(3, 16, dtype=torch.complex64)
        steps = []
        for t in range(T):
            z = field.step(x[:, t], z)
            steps.append(z)
    assert (z_par - torch.stack(steps, 1)).abs().max() <= 1e-4


def test_resonator_chunks_with_carried_state_equal_whole():
    field = ResonatorField(8)
    x = torch.randn(2, 90, 8)
    with torch.no_grad():
        whole = field(x)
        a = field(x[:, :40])
        b = field(x[:, 40:], z0=a[:, -1])
    assert (torch.cat([a, b], 1) - whole).abs().max() <= 1e-4


@pytest.mark.parametrize("mixer", ["resonator", "seed"])
def test_model_parallel_equals_streaming(mixer):
    torch.manual_seed(0)
    m = FreqFormer(FreqFormerConfig(n_inputs=2, n_channels=16, n_layers=3, mixer=mixer)).eval()
    x = torch.randn(2, 200, 2)
    with torch.no_grad():
        assert (m.features(x) - m.stream_features(x)).abs().max() <= 1e-4


def test_resonator_step_function():
    lam = torch.polar(torch.tensor([0.5]), torch.tensor([math.pi / 2]))
    z = resonator_step(torch.tensor([[1 + 0j]]), torch.tensor([[1.0]]), lam)
    assert torch.allclose(z, torch.tensor([[1 + 0.5j]]))


# -- stability -----------------------------------------------------------------------------


def test_radius_and_frequency_stay_in_range_for_any_parameter():
    field = ResonatorField(6)
    with torch.no_grad():
        field.r_raw.copy_(torch.tensor([-1e4, -10, 0, 10, 1e4, float("inf")]))
        field.omega_raw.copy_(torch.tensor([-1e4, -10, 0, 10, 1e4, 3.0]))
    assert ((field.r > 0) & (field.r < 1)).all()
    assert ((field.omega >= 0) & (field.omega <= math.pi)).all()


def test_no_nan_or_inf_at_65536_steps():
    torch.manual_seed(0)
    m = FreqFormer(FreqFormerConfig(n_channels=8, n_layers=2, r_max=0.9999)).eval()
    with torch.no_grad():
        for blk in m.blocks:  # push every pole to the edge of stability
            blk.field.r_raw.fill_(20.0)
        h = m.features(torch.randn(1, 65536, 1))
    assert torch.isfinite(h).all()


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", BLOCKS)
@pytest.mark.parametrize("x, err, match", [
    (torch.randn(12), ValueError, "rank 1"),
    (torch.randn(2, 5, 7), ValueError, "expected 12 channels"),
    (torch.full((1, 3, 12), float("nan")), ValueError, "NaN"),
    (torch.ones(1, 3, 12, dtype=torch.long), TypeError, "float"),
    ([[1.0] * 12], TypeError, "torch.Tensor"),
])
def test_bad_input_gets_clear_error(cls, x, err, match):
    with pytest.raises(err, match=match):
        make_block(cls)(x)


def test_model_bad_input():
    m = FreqFormer(FreqFormerConfig(n_inputs=1, n_channels=8))
    with pytest.raises(ValueError, match="expected 1 channels"):
        m(torch.randn(2, 10, 3))
    x = torch.randn(2, 10, 1)
    x[1, 4, 0] = float("inf")
    with pytest.raises(ValueError, match="1 NaN/Inf"):
        m(x)
    lm = FreqFormer(FreqFormerConfig(task="lm", vocab_size=5, n_channels=8))
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        lm(torch.tensor([[1, 7]]))
    with pytest.raises(ValueError, match="token ids"):
        lm(torch.randn(2, 3))


@pytest.mark.parametrize("kw, match", [
    ({"mixer": "attention"}, "mixer"), ({"n_channels": 0}, "n_channels"),
    ({"task": "lm"}, "vocab_size"), ({"gate_p": 1.0}, "gate_p"), ({"pool": "max"}, "pool"),
])
def test_config_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        FreqFormerConfig(**kw)


# -- determinism ---------------------------------------------------------------------------


@pytest.mark.parametrize("mixer", ["resonator", "seed"])
def test_same_seed_same_weights_and_outputs(mixer):
    def build():
        torch.manual_seed(123)
        return FreqFormer(FreqFormerConfig(n_channels=16, mixer=mixer)).eval()

    a, b = build(), build()
    for (n, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(p, q), n
    x = torch.randn(3, 30, 1)
    assert torch.equal(a(x), b(x))
    torch.manual_seed(124)
    c = FreqFormer(FreqFormerConfig(n_channels=16, mixer=mixer)).eval()
    assert not torch.equal(a(x), c(x))


# -- events, coupling, gate ----------------------------------------------------------------


def test_threshold_events_forward_and_surrogate_gradient():
    a = torch.tensor([[0.1, 0.5, 0.9]], requires_grad=True)
    theta = torch.tensor([0.5, 0.5, 0.5], requires_grad=True)
    e = threshold_events(a, theta, beta=0.1)
    assert torch.allclose(e, torch.tensor([[0.0, 0.0, 0.4]]))
    e.sum().backward()
    assert (a.grad > 0).all()  # surrogate: gradient even below threshold
    assert a.grad[0, 0] < a.grad[0, 1] < a.grad[0, 2]
    assert torch.allclose(theta.grad, -a.grad[0])


def test_event_rate_is_fraction_above_threshold():
    m = FreqFormer(FreqFormerConfig(n_channels=8, n_layers=2)).eval()
    x = torch.randn(4, 30, 1)
    m(x)
    tr = m.trace(x)
    for blk, rec, rate in zip(m.blocks, tr, m.event_rates):
        manual = (rec["intensity"] > blk.events.theta).float().mean().item()
        assert rate == pytest.approx(manual)
        assert ((rec["events"] > 0).float().mean().item()) == pytest.approx(manual)
    assert 0.0 <= m.event_rate <= 1.0


def test_phase_coupling_interference():
    """In-phase neighbours add to the intensity, anti-phase neighbours cancel it."""
    pc = PhaseCoupling(2, band=1)
    omega = torch.tensor([1.0, 1.0])  # same frequency: proximity 1
    with torch.no_grad():
        pc.strength.fill_(0.5)
    same = torch.tensor([[[1 + 0j, 1 + 0j]]])
    anti = torch.tensor([[[1 + 0j, -1 + 0j]]])
    assert torch.allclose(pc(same, omega).abs(), torch.tensor([[[1.5, 1.5]]]))
    assert torch.allclose(pc(anti, omega).abs(), torch.tensor([[[0.5, 0.5]]]))
    with torch.no_grad():  # a learned phase offset of pi turns anti-phase into resonance
        pc.phase.fill_(math.pi)
    assert torch.allclose(pc(anti, omega).abs(), torch.tensor([[[1.5, 1.5]]]), atol=1e-6)
    with torch.no_grad():
        pc.log_sigma.fill_(math.log(0.2))
    far = torch.tensor([0.1, 3.0])  # far apart in frequency (14 sigma): no coupling
    assert torch.allclose(pc(anti, far).abs(), torch.tensor([[[1.0, 1.0]]]), atol=1e-4)


def test_intensity_gate_silences_whole_channels_in_training_only():
    torch.manual_seed(0)
    g = IntensityGate(0.5)
    x = torch.ones(8, 10, 32)
    y = g.train()(x)
    per_channel = y.std(1)  # a channel is either all 0 or all 2 over time
    assert torch.all(per_channel == 0)
    assert set(y.unique().tolist()) == {0.0, 2.0}
    assert torch.equal(g.eval()(x), x)
