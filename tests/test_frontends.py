"""Front ends: bit slicing and the (causal) filter bank."""

import math

import pytest
import torch

from freqformer_snn import BitSlicer, FilterBank


def test_bit_slicer_known_values():
    bs = BitSlicer(n_bits=3, lo=0.0, hi=7.0)
    bits = bs(torch.tensor([[0.0, 5.0, 7.0, 3.0]]))
    assert bits.tolist() == [[[0, 0, 0], [1, 0, 1], [1, 1, 1], [0, 1, 1]]]


@pytest.mark.parametrize("n_bits", [8, 24])
def test_bit_slicer_round_trip_within_quantisation(n_bits):
    bs = BitSlicer(n_bits=n_bits, lo=-4, hi=4)
    x = torch.rand(2, 50) * 8 - 4
    step = 8 / (2 ** n_bits - 1)
    assert (bs.decode(bs(x)) - x).abs().max() <= step / 2 + 1e-6
    assert bs(x.unsqueeze(-1)).shape == (2, 50, n_bits)


def test_bit_slicer_signed_and_errors():
    bs = BitSlicer(n_bits=4, signed=True)
    assert set(bs(torch.randn(3, 5)).unique().tolist()) <= {-1.0, 1.0}
    with pytest.raises(ValueError, match="NaN"):
        bs(torch.tensor([[float("nan")]]))
    with pytest.raises(ValueError, match="expected"):
        bs(torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match="n_bits"):
        BitSlicer(n_bits=0)


def tone(freq, sr=16000, n=16000):
    t = torch.arange(n) / sr
    return torch.sin(2 * math.pi * freq * t).unsqueeze(0)


@pytest.mark.parametrize("freq", [300.0, 1000.0, 4000.0])
def test_filter_bank_tone_peaks_in_its_band(freq):
    fb = FilterBank(n_bands=40)
    e = fb(tone(freq))  # (1, T, 40)
    assert e.shape == (1, fb.n_frames(16000), 40)
    band = e[0, 10:].mean(0).argmax().item()
    nearest = (fb.centre_hz - freq).abs().argmin().item()
    assert abs(band - nearest) <= 1


def test_causal_filter_bank_does_not_see_the_future():
    fb = FilterBank(causal=True)
    a = torch.randn(1, 8000) * 0.1
    b = a.clone()
    b[0, 4000:] = torch.randn(4000)
    ea, eb = fb(a), fb(b)
    t_last = (4000 - 1) // fb.hop  # the last frame that ends before sample 4000
    assert torch.allclose(ea[:, :t_last + 1], eb[:, :t_last + 1])
    assert not torch.allclose(ea[:, t_last + 1:], eb[:, t_last + 1:])


def test_filter_bank_bad_input():
    fb = FilterBank()
    with pytest.raises(ValueError, match=r"\(B, S\)"):
        fb(torch.randn(16000))
    with pytest.raises(ValueError, match="at least"):
        fb(torch.randn(1, 10))
    with pytest.raises(ValueError, match="NaN"):
        fb(torch.full((1, 1000), float("nan")))


@pytest.mark.parametrize("kind, x", [
    ("none", torch.randn(4, 30, 3) * 5 + 2),
    ("filterbank", torch.randn(4, 4000) * 0.1),
    ("bits", torch.randn(4, 30)),
])
def test_front_end_fit_standardises(kind, x):
    from freqformer_snn.frontends import FrontEnd, FrontEndConfig

    fe = FrontEnd(FrontEndConfig(front_end=kind, n_inputs=3, n_bands=8, n_bits=6))
    fe.fit(x)
    f = fe(x).reshape(-1, fe.n_features)
    assert f.shape[1] == fe.n_features
    live = fe.std > 1e-3  # a constant feature (e.g. the top bit) keeps std clamped
    assert torch.allclose(f.mean(0)[live], torch.zeros(int(live.sum())), atol=1e-4)
    assert torch.allclose(f.std(0)[live], torch.ones(int(live.sum())), atol=1e-3)


def test_audio_model_end_to_end():
    from freqformer_snn import FreqFormer, FreqFormerConfig

    m = FreqFormer(FreqFormerConfig(front_end="filterbank", n_bands=16, n_classes=12, n_channels=8))
    audio = torch.randn(2, 16000) * 0.1
    assert m(audio).shape == (2, 12)
    assert m.features(audio).shape == (2, m.front.n_steps(16000), 8)
    with pytest.raises(ValueError, match=r"\(B, S\)"):
        m(torch.randn(2, 100, 1))
