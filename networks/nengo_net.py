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
