"""The FreqFormer as a Nengo network shaped for Loihi (nengo-loihi maps it onto cores).

The same synchronous pipeline as ``networks.nengo_net.FreqFormerNetwork`` (layer l works on step
t in window t + 2l; see there), with every population an ordinary ``nengo.Ensemble`` (one per
channel: nengo-loihi puts each on its own core or cores) of LIF neurons as Loihi computes them
(``nengo_loihi.neurons.LoihiLIF``: whole-step refractory periods and inter-spike intervals, so
the reference simulator runs the chip's neuron too, and decoders are solved for its rates):

- channel c of layer l: a 2-D **resonator** ensemble R_c (radius: its calibrated |z| range) with
  the recurrent connection ``R_c -> R_c`` (transform ``M_c``, lowpass tau) and the drive ``N_c u``
  of the discrete principle 3 (``networks.nengo_net.resonator_transforms``): on chip. The
  recurrent connection is solved as neuron-to-neuron weights: as a decoded connection
  nengo-loihi would route it through on/off decode neurons, which saturate at one radius, and
  ``M_c`` of a fast channel maps z to several radii (``M ~ tau A``). The decoders are solved
  here (``networks.nengo_net.nef_population``, with its correction of the regulariser's
  shrinkage, which would otherwise damp the resonators with r near 1).
- a 2-D **threshold** ensemble E_c on the coupled state w_c (unit-direction encoders, intercepts
  at or above theta_c: silent below it), decoding ``max(|w_c| - theta_c, 0)``: on chip.
- the **phase-locked coupling** ``w = Q z`` is a linear read-out of the resonators' decoded
  states, sampled at each window's end and held over the next; the EnergyNorm (a division by
  the energy over all channels), the residual sums and the window holds are ``nengo.Node`` s.
  Loihi cores hold neurons and synapses only, so these run **off-chip**, on the host: every
  layer crosses chip -> host twice (resonator states, events; decoded on the host from the
  spikes) and host -> chip twice (drive, held w). nengo-loihi sends host values to the chip as
  spikes of on/off neuron pairs, which code values in [-1, 1] only: the host sends u / u_max and
  w / radius, and the chip's input synapses (encoders / radius, per neuron) scale them back.

A Loihi compartment has one input filter for all its synapses; host -> chip connections are
therefore built without a host-side synapse (``loihi=True``), the chip's filter (tau for the
resonators, nengo-loihi's decode_tau = 5 ms for the threshold ensembles) doing the filtering. With
``loihi=False`` the same filters sit on the connections, so nengo's reference simulator runs the
same network: it is the float reference the emulator is compared with.
"""

from __future__ import annotations

import nengo
import numpy as np
from .shim import LoihiLIF

from freqformer_snn.export import continuous_resonator, energy_norm
from networks.nengo_net import (_Clips, _Hold, _Stage, _Window, coupling_matrix, nef_population,
                                resonator_transforms)

DECODE_TAU = 0.005  # nengo-loihi's filter on host -> chip spikes (Model.decode_tau)


def resonator_channel(pop, M, N, radius, drive, tau, loihi, neuron_type, label):
    """One resonator ensemble (call inside a network): population ``pop`` (an
    ``networks.nengo_net.Population`` on the unit ball) with radius ``radius``, driven by the
    host value ``drive`` (in [-1, 1]; N includes its scale) through ``enc/radius @ N`` into the
    neurons, and the recurrent neuron-to-neuron weights ``enc/radius @ M @ decoders``. Returns the
    ensemble and ``read(post, Q)``, which connects ``Q z`` to a host node: Q applied to
    ``M h*(decoded z) + h*(N u)``, the represented state (not its lowpassed lag)."""
    dec = radius * pop.decoders.T  # (2, n): z from the neurons' filtered spikes
    R = nengo.Ensemble(len(pop.gain), 2, radius=radius, encoders=pop.encoders, gain=pop.gain,
                       bias=pop.bias, neuron_type=neuron_type, label=label)
    enc = pop.encoders / radius  # nengo applies the gains to .neurons inputs
    N = np.reshape(N, (2, 1))
    nengo.Connection(drive, R.neurons, transform=enc @ N, synapse=None if loihi else tau)
    nengo.Connection(R.neurons, R.neurons, transform=enc @ M @ dec, synapse=tau)

    def read(post, Q):
        nengo.Connection(R.neurons, post, transform=Q @ M @ dec, synapse=tau)
        nengo.Connection(drive, post, transform=Q @ N, synapse=tau)

    return R, read


def threshold_channel(theta, radius, w, post, n, rates, rng, loihi, neuron_type, label):
    """One threshold ensemble on the 2-D coupled state, fed from the host value ``w`` (in units
    of ``radius``): unit-direction encoders, intercepts in [theta, theta + 0.9 (radius - theta)]
    (silent while |w| < theta); its spikes, through decoders solved for max(|w| - theta, 0),
    go to the host node ``post`` (neuron-level: no decode neurons on the chip)."""
    rho = theta / radius
    phi = (np.arange(n) + 0.5) * 2 * np.pi / n
    pop = nef_population(
        n, 2, rng, intercepts=(rho, rho + 0.9 * (1 - rho)), max_rates=rates,
        encoders=np.stack([np.cos(phi), np.sin(phi)], 1), neuron_type=neuron_type,
        function=lambda x: np.maximum(np.linalg.norm(x, axis=1, keepdims=True) - rho, 0))
    E = nengo.Ensemble(n, 2, radius=radius, encoders=pop.encoders, gain=pop.gain, bias=pop.bias,
                       neuron_type=neuron_type, label=label)
    nengo.Connection(w, E.neurons, transform=pop.encoders, synapse=None if loihi else DECODE_TAU)
    nengo.Connection(E.neurons, post, transform=radius * pop.decoders.T, synapse=None)
    return E


class LoihiFreqFormer(_Clips, nengo.Network):
    """A FreqFormer classifier from a ``NetworkSpec`` in Loihi-ready Nengo form.

    ``radii``: from ``freqformer_snn.export.calibrate`` ("drive", "state", "intensity",
    "active"); channels that never cross their threshold on the calibration data get no threshold
    ensemble. ``rates`` / ``event_rates``: max-rate ranges (Hz) of the resonator and threshold
    neurons (Loihi's 1 ms tick makes rates above ~250 Hz coarse). ``loihi``: build for
    nengo-loihi (see the module docstring) or for nengo's reference simulator. Probes:
    ``probe_out`` (the stream after the last layer), per layer ``probe_w`` (the held coupled
    state, 2 per active channel, in units of its radius). ``populations[l]`` lists layer l's
    {"z": [R_c], "e": [E_c]}.
    """

    def __init__(self, spec, radii: dict, n_neurons: int = 100, n_event_neurons: int = 20,
                 tau: float = 0.05, rates=(100.0, 200.0), event_rates=(100.0, 200.0),
                 dt: float = 0.001, step_seconds: float | None = None, loihi: bool = True,
                 neuron_type=None, seed: int = 0, label="FreqFormer-Loihi",
                 add_to_container=None):
        super().__init__(label=label, seed=seed, add_to_container=add_to_container)
        self.spec, self.dt = spec, dt
        self.step_seconds = spec.step_seconds if step_seconds is None else step_seconds
        self.window = _Window(self.step_seconds, dt)
        self._feats = np.zeros((1, spec.n_features))
        self._stateful, self._w_unit = [], []
        lif = neuron_type or LoihiLIF()
        rng = np.random.default_rng(seed)
        C = spec.n_channels
        with self:
            self.input = nengo.Node(self._feature_at, label="features")
            x = nengo.Node(size_in=C, label="x0")
            nengo.Connection(self.input, x, transform=spec.embed_w, synapse=None)
            nengo.Connection(nengo.Node(1.0, label="bias"), x, transform=spec.embed_b[:, None],
                             synapse=None)
            self.populations, self.probe_w, self.active = [], [], []
            for li, L in enumerate(spec.layers):
                u_max = radii["drive"][li]
                rad_z, rad_w = radii["state"][li], radii["intensity"][li]
                active = np.flatnonzero(radii["active"][li])
                # host: u / u_max (in [-1, 1]) and w / radius, as the chip's inputs need them
                norm = nengo.Node(lambda t, v, g=L.norm_gain, s=u_max: energy_norm(v, g) / s,
                                  size_in=C, label=f"norm{li}")
                nengo.Connection(x, norm, synapse=None)
                alpha, beta, g = continuous_resonator(L.r, L.omega, self.step_seconds)
                Q = coupling_matrix(L.offsets, L.coupling, active)  # (2A, 2C)
                Q /= np.repeat(rad_w[active], 2)[:, None]
                hold = _Hold(self.window, 2 * len(active))
                w = nengo.Node(hold, size_in=2 * len(active), label=f"w{li}")
                stage = _Stage(self.window, L.out_b, first=2 * (li + 1))
                x_next = nengo.Node(stage, size_in=2 * C, size_out=C, label=f"x{li + 1}")
                self._stateful += [hold, stage]
                self._w_unit.append(rad_w[active])
                nengo.Connection(x, x_next[:C], synapse=None)
                # one population sample for all channels of the layer (as ResonatorArray),
                # decoders solved once, with the shrinkage correction that keeps r near 1
                pop = nef_population(n_neurons, 2, rng, max_rates=rates, neuron_type=lif)
                res = []
                for c in range(C):
                    M, N = resonator_transforms(alpha[c], beta[c], complex(g[c]), tau, dt)
                    R, read = resonator_channel(pop, M, N * u_max[c], rad_z[c], norm[c], tau,
                                                loihi, lif, f"z{li}.{c}")
                    Qc = Q[:, 2 * c:2 * c + 2]
                    if np.any(Qc):
                        read(w, Qc)
                    res.append(R)
                # events of the active channels, decoded on the host, mixed into the stream
                ev = nengo.Node(size_in=max(len(active), 1), label=f"events{li}")
                nengo.Connection(ev, x_next[C:], synapse=None,
                                 transform=L.out_w[:, active] if len(active) else np.zeros((C, 1)))
                events = [threshold_channel(L.theta[c], rad_w[c], w[2 * a:2 * a + 2], ev[a],
                                            n_event_neurons, event_rates, rng, loihi, lif,
                                            f"e{li}.{c}") for a, c in enumerate(active)]
                self.populations.append({"z": res, "e": events})
                self.active.append(active)
                self.probe_w.append(nengo.Probe(w, synapse=None) if len(active) else None)
                x = x_next
            self.probe_out = nengo.Probe(x, synapse=None)
