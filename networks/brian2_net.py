"""Brian2 building blocks of the spiking FreqFormer.

A channel is a population of neurons driven by a resonator (Izhikevich's resonate-and-fire idea,
in the "LIF driven by the resonator" form): every neuron carries the channel's resonator state
(x, y) = (Re z, Im z) in its equations, and an event membrane v charged by the intensity above
threshold::

    dx/dt = alpha x - beta y + g_re drive(t)
    dy/dt = beta x + alpha y + g_im drive(t)
    a     = sqrt(x^2 + y^2)                              intensity |z|
    dv/dt = (gain (a - theta) - v) / tau_m               fires at v > 0, reset to -1

so the population is silent while a < theta (v settles below 0) and fires faster the further a
rises above it. Every Brian2 object is named explicitly (automatic names defeat the compile cache)
and the cython cache lives in the project's ``.cache/brian2``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

try:
    import brian2 as b2
except ImportError as e:  # pragma: no cover - brian2 is pinned in requirements.txt
    raise ImportError("the Brian2 backend needs brian2 (pip install brian2==2.9.0)") from e

CACHE = Path(__file__).resolve().parent.parent / ".cache" / "brian2"

EVENTS = """
dv/dt = (gain*(a - theta) - v)/tau_m : 1
gain : 1 (constant)
"""
RESONATOR = """
dx/dt = alpha*x - beta*y + g_re*drive(t) : 1
dy/dt = beta*x + alpha*y + g_im*drive(t) : 1
a = sqrt(x**2 + y**2) : 1
""" + EVENTS


def use_target(target: str = "numpy") -> None:
    """Pick Brian2's code-generation target ("numpy" needs no compiler; "cython" compiles once
    into the project's cache)."""
    if target not in ("numpy", "cython"):
        raise ValueError(f"target must be 'numpy' or 'cython', got {target!r}")
    b2.prefs.codegen.target = target
    b2.prefs.codegen.runtime.cython.cache_dir = str(CACHE)


def resonator_channel(alpha: float, beta: float, g: complex, theta: float,
                      drive: "b2.TimedArray", n: int = 20, tau_m: float = 0.01,
                      gain_range=(20.0, 60.0), dt: float = 1e-4, name: str = "channel0",
                      seed: int = 0):
    """A NeuronGroup of n resonate-and-fire neurons for one channel (see module docstring).

    alpha (1/s), beta (rad/s) and the complex gain g come from
    ``freqformer_snn.export.continuous_resonator``; ``drive`` is a dimensionless TimedArray;
    ``dt`` (s) is the group's own integration step (Euler).
    """
    ns = {"alpha": alpha / b2.second, "beta": beta / b2.second, "g_re": g.real / b2.second,
          "g_im": g.imag / b2.second, "drive": drive}
    return _event_group(RESONATOR, ns, theta, n, tau_m, gain_range, dt, name, seed)


def threshold_population(theta: float, intensity: "b2.TimedArray", n: int = 20,
                         tau_m: float = 0.01, gain_range=(20.0, 60.0), dt: float = 1e-4,
                         name: str = "threshold0", seed: int = 0):
    """Event neurons alone, driven by a given intensity a(t): silent below theta."""
    return _event_group("a = intensity(t) : 1\n" + EVENTS, {"intensity": intensity}, theta, n,
                        tau_m, gain_range, dt, name, seed)


def _event_group(eqs, ns, theta, n, tau_m, gain_range, dt, name, seed):
    if not theta > 0:
        raise ValueError(f"theta must be positive, got {theta}")
    ns = {**ns, "theta": theta, "tau_m": tau_m * b2.second}
    group = b2.NeuronGroup(n, eqs, threshold="v > 0", reset="v = -1", method="euler",
                           namespace=ns, dt=dt * b2.second, name=name)
    group.gain = np.random.default_rng(seed).uniform(*gain_range, n)
    group.v = -1
    return group
