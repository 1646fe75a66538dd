"""The one place that imports nengo-loihi: which target runs, and why.

``target="loihi"`` (the chip) needs Intel's NxSDK, which is not on PyPI; without it the network
runs on nengo-loihi's bit-accurate emulator (``target="sim"``: integer state, 8-bit weights,
Loihi's decays and refractory arithmetic). ``"simreal"`` is the same emulator in floating point,
without the discretisation, used to measure what quantisation costs.
"""

from __future__ import annotations

import warnings

TARGETS = ("auto", "sim", "simreal", "loihi")

with warnings.catch_warnings():
    # nengo-loihi 1.1.0 warns that nengo 4.1.0 is newer than it was tested with; the emulator
    # works with it (../shared/DESIGN.md) and the tests here check that it does.
    warnings.filterwarnings("ignore", message=".*has not been tested with your `nengo` version")
    try:
        import nengo_loihi
        from nengo_loihi.hardware import HAS_NXSDK
        from nengo_loihi.neurons import LoihiLIF  # noqa: F401  (the chip's LIF, for nengo too)
    except ImportError as e:  # pragma: no cover - nengo-loihi is pinned in requirements.txt
        raise ImportError("the Loihi backend needs nengo-loihi (pip install nengo-loihi==1.1.0)") from e


def choose_target(target: str = "auto") -> tuple[str, str]:
    """The nengo-loihi target to run on and a sentence saying why."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    if target == "loihi" and not HAS_NXSDK:
        raise RuntimeError("target='loihi' needs Intel's NxSDK (the Loihi hardware SDK), which is "
                           "not installed; use target='sim' (the emulator)")
    if target == "auto":
        if HAS_NXSDK:
            return "loihi", "NxSDK found: running on Loihi hardware"
        return "sim", ("NxSDK (the Loihi hardware SDK) is not installed: running on nengo-loihi's "
                       "bit-accurate emulator (target='sim')")
    return target, {"sim": "nengo-loihi's bit-accurate emulator (target='sim')",
                    "simreal": "nengo-loihi's emulator in floating point (target='simreal', no "
                               "quantisation)",
                    "loihi": "Loihi hardware (NxSDK)"}[target]


def simulator(net, target: str = "sim", seed: int = 0, dt: float = 0.001):
    """A ``nengo_loihi.Simulator`` for ``net`` on ``target`` (no progress bar: nengo-loihi has
    none and warns when asked). Its notes on filters it merges (one input filter per Loihi
    compartment), on weight bits lost in rounding, and numpy's on the emulator's NaN-filled
    integer state are expected here and silenced; what rounding costs is measured
    (``loihi.report.quantisation``, float vs quantised emulator runs)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="tau_s is")
        warnings.filterwarnings("ignore", message="Lost .* extra bits in weight rounding")
        # the emulator fills integer state with NaN before setting it (numpy warns; harmless)
        warnings.filterwarnings("ignore", message="invalid value encountered in cast")
        return nengo_loihi.Simulator(net, dt=dt, target=target, seed=seed, progress_bar=False)
