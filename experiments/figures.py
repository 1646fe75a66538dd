"""Figures shared by the experiments (matplotlib, Agg backend, PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402


def _save(fig, path: Path, dpi: int = 120) -> Path:
    """Lay out, write and close a figure; returns its path."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def learning_curves(histories: dict, labels: dict, path: Path, monitor: str,
                    reference: tuple[float, str] | None = None) -> Path:
    """Training loss and monitored accuracy per epoch, one line per model."""
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
    for kind, h in histories.items():
        ax[0].plot(h["epoch"], h["loss"], label=labels[kind])
        ax[1].plot(h["epoch"], [100 * a for a in h["monitor_accuracy"]], label=labels[kind])
    ax[0].set(xlabel="epoch", ylabel="training loss", yscale="log")
    ax[1].set(xlabel="epoch", ylabel=f"{monitor} accuracy (%)")
    if reference:
        ax[1].axhline(reference[0], color="grey", ls=":", lw=1, label=reference[1])
    ax[1].legend(fontsize=8)
    return _save(fig, path)


def frequency_field(model, x1: torch.Tensor, path: Path, title: str = "",
                    input_trace: np.ndarray | None = None, input_label: str = "input") -> Path:
    """The input on top; then per block the intensity |w| (left) and the threshold events
    max(|w| - theta, 0) (right), channel x time, channels sorted by resonator frequency."""
    tr = model.eval().trace(x1)
    n = len(tr)
    fig = plt.figure(figsize=(10, 2 + 2.0 * n))
    grid = fig.add_gridspec(1 + n, 2)
    ax_in = fig.add_subplot(grid[0, :])
    if input_trace is None:
        input_trace = x1[0, :, 0].numpy()
    if input_trace.ndim == 1:
        ax_in.plot(input_trace, color="k", lw=0.8)
        ax_in.set_xlim(0, len(input_trace) - 1)
    else:  # (features, T) image, e.g. the filter bank
        ax_in.imshow(input_trace, aspect="auto", origin="lower", cmap="viridis",
                     interpolation="nearest")
    ax_in.set(ylabel=input_label, title=title)
    resonant = model.config.mixer == "resonator"
    for i, rec in enumerate(tr):
        a = rec["intensity"][0].T.numpy()  # (C, T)
        e = rec["events"][0].T.numpy()
        order = np.argsort(model.blocks[i].field.omega.detach().numpy()) if resonant \
            else np.arange(a.shape[0])
        for j, (img, name, cmap) in enumerate([(a, "intensity |w|", "magma"),
                                               (e, "events", "inferno")]):
            ax = fig.add_subplot(grid[1 + i, j])
            im = ax.imshow(img[order], aspect="auto", origin="lower", cmap=cmap,
                           interpolation="nearest")
            fig.colorbar(im, ax=ax, pad=0.01)
            rate = f", {100 * (e > 0).mean():.0f}% active" if j else ""
            ax.set_title(f"block {i}: {name}{rate}", fontsize=9)
            if j == 0:
                ax.set_ylabel("channel (by ω)")
            if i == n - 1:
                ax.set_xlabel("time step")
    return _save(fig, path, dpi=110)


def confusion(cm: np.ndarray, labels: list[str], path: Path, title: str = "") -> Path:
    """Row-normalised confusion matrix with counts."""
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if cm[i, j]:
                ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=60, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    return _save(fig, path)


def accuracy_vs_snr(curves: dict, labels: dict, path: Path) -> Path:
    """curves: kind -> {snr (str or float, 'clean' allowed): accuracy}."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for kind, c in curves.items():
        snrs = [k for k in c if k != "clean"]
        ax.plot([float(s) for s in snrs], [100 * c[s] for s in snrs], "o-", label=labels[kind])
    ax.set(xlabel="SNR (dB), held-out background noise", ylabel="test accuracy (%)")
    ax.invert_xaxis()
    ax.legend(fontsize=8)
    return _save(fig, path)


def spike_raster(run: dict, path: Path, title: str = "") -> Path:
    """One panel per layer: every event neuron's spikes over time (neurons grouped by channel)."""
    trains = run["trains"]
    fig, axes = plt.subplots(len(trains), 1, figsize=(10, 1.2 + 1.6 * len(trains)), sharex=True,
                             squeeze=False)
    for li, (ax, (idx, t)) in enumerate(zip(axes[:, 0], trains)):
        ax.plot(t, idx, "|", ms=2, color="k", alpha=0.6)
        ax.set(ylabel=f"layer {li}\nneuron")
    axes[-1, 0].set(xlabel="simulated time from the layer's first event window (s)")
    axes[0, 0].set_title(title)
    return _save(fig, path)


def decoded_intensity(run: dict, trace: list, step_seconds: float, path: Path, title: str = "",
                      n_channels: int = 4) -> Path:
    """Decoded intensity |w| of a few active channels per layer (solid) over the rate model's
    (dashed), clip 0 of ``trace``."""
    n_layers = len(run["intensity"])
    fig, axes = plt.subplots(n_layers, 1, figsize=(10, 1.2 + 1.8 * n_layers), sharex=True,
                             squeeze=False)
    for li, ax in enumerate(axes[:, 0]):
        dec, act = run["intensity"][li], run["active"][li]
        t = np.arange(1, len(dec) + 1) * step_seconds
        for j in np.linspace(0, len(act) - 1, min(n_channels, len(act))).astype(int):
            line, = ax.plot(t, dec[:, j], lw=1)
            ax.plot(t, trace[li]["intensity"][0][:, act[j]], "--", lw=1, color=line.get_color())
        ax.set(ylabel=f"layer {li}\n|w|")
    axes[-1, 0].set(xlabel="input time (s)")
    axes[0, 0].set_title(title)
    return _save(fig, path)


def core_map(cores: list[dict], limits: dict, path: Path, title: str = "") -> Path:
    """Per Loihi core, the fraction of each resource used (compartments, axons, synapse memory),
    cores in nengo-loihi's order (one ensemble block per core)."""
    fig, ax = plt.subplots(figsize=(10, 3.2))
    idx = np.arange(len(cores))
    for k in limits:
        ax.plot(idx, [c[k] / limits[k] for c in cores], ".", ms=4, label=k)
    ax.set(xlabel="core", ylabel="fraction of the core's limit", ylim=(0, 1.05), title=title)
    ax.legend(ncol=4, fontsize=8, loc="upper right")
    return _save(fig, path)


def attention_spectra(spectra, path: Path, title: str = "") -> Path:
    """One layer's centred |FFT2| of the attention maps, one panel per head (log scale)."""
    spectra = np.asarray(spectra)
    H, T = spectra.shape[0], spectra.shape[-1]
    fig, axes = plt.subplots(1, H, figsize=(2.6 * H, 2.8), squeeze=False)
    ext = [-T // 2, T - T // 2, -T // 2, T - T // 2]
    for h, ax in enumerate(axes[0]):
        ax.imshow(np.log10(spectra[h] + 1e-6), origin="lower", extent=ext, cmap="magma")
        ax.set(title=f"head {h}", xlabel="key frequency", ylabel="query frequency" if h == 0 else "")
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def lm_curves(histories: dict, path: Path) -> Path:
    """Validation loss over training iterations, one line per model."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, hist in histories.items():
        ax.plot([h["iter"] for h in hist], [h["val_loss"] for h in hist], ".-", label=name)
    ax.set(xlabel="iteration", ylabel="validation loss", title="character-level Shakespeare")
    ax.legend(fontsize=8)
    return _save(fig, path)
