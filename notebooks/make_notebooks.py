"""Writes the notebooks from their cell sources (run: python notebooks/make_notebooks.py).

Kept as code so that the .ipynb files stay output-free and reviewable; the test suite executes
the written notebooks headless (tests/test_notebooks.py).
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

QUICKSTART = [
    new_markdown_cell("""# FreqFormer quickstart: keyword spotting

This notebook builds a small synthetic Speech Commands dataset offline (eSpeak NG), trains
FreqFormer, a Transformer and the seed block with `--quick` settings, then looks inside: the log-mel
filter bank the model listens through, the frequency field of each block (channel intensity over
time, threshold events outlined), and the confusion matrix.

The `--quick` models train for two epochs on a few speakers, so their accuracy is near chance; the
default run (`python -m experiments.speech_commands`) is the real experiment."""),
    new_code_cell("""from pathlib import Path
import numpy as np
import torch
import matplotlib.pyplot as plt
from IPython.display import Audio, Image, display

from experiments import speech_commands as kws
from freqformer_snn import load_model
from freqformer_snn import speech_commands as sc

OUT = Path("runs/speech_commands/notebook")"""),
    new_markdown_cell("## 1. Build the dataset and train (`--quick`)"),
    new_code_cell("""results = kws.main(["--quick", "--listen", "--out", str(OUT)])
{k: round(r["test_accuracy"], 3) for k, r in results["models"].items()}"""),
    new_markdown_cell("## 2. One test clip: audio and filter bank"),
    new_code_cell("""root = Path(results["dataset"]["path"])
report = sc.scan(root)
test = sc.load_split(root, report, "testing")
i = int(np.nonzero(test.labels == 0)[0][0])  # the first "yes"
print(test.files[i], "->", sc.LABELS[test.labels[i]])
display(Audio(test.audio[i], rate=sc.SAMPLE_RATE))

model, extra = load_model(OUT / "freqformer.pt")
clip = torch.from_numpy(test.audio[i:i + 1])
bands = model.front(clip)[0].T.numpy()
plt.figure(figsize=(7, 2.5))
plt.imshow(bands, aspect="auto", origin="lower")
plt.xlabel("frame (10 ms)"); plt.ylabel("log-mel band"); plt.title("normalised filter bank")
plt.show()"""),
    new_markdown_cell("""## 3. The frequency field

Each block's resonators ring at their learned frequencies; coupling lets phase-aligned neighbours
reinforce each other; only intensities above each channel's threshold become events (outlined)."""),
    new_code_cell("""trace = model.trace(clip)
for b, rec in enumerate(trace):
    events = (rec["events"] > 0).float().mean().item()
    print(f"block {b}: intensity {tuple(rec['intensity'].shape)}, event rate {events:.3f}")
display(Image(filename=str(OUT / "frequency_field.png")))"""),
    new_markdown_cell("And as sound: every channel a tone, its loudness the channel's intensity."),
    new_code_cell("""for name in results["listen"]:
    print(name)
    display(Audio(filename=str(OUT / name)))"""),
    new_markdown_cell("## 4. Confusion matrix and noise robustness"),
    new_code_cell("""display(Image(filename=str(OUT / "confusion.png")))
display(Image(filename=str(OUT / "accuracy_vs_snr.png")))
print((OUT / "results.md").read_text()[:1500])"""),
]


SPIKING = [
    new_markdown_cell("""# One clip through the rate model, Nengo and Brian2

A trained FreqFormer is exported to a backend-neutral `NetworkSpec` and built twice as a spiking
network: in **Nengo** (every channel an NEF population representing the resonator state
(Re z, Im z), phase-locked coupling transforms, threshold populations that fire only above θ) and
in **Brian2** (resonator compartments driving integrate-and-fire event neurons; spikes are the
only signal between layers). Here the network is tiny (8 channels, one block, trained in a few
seconds to tell a slow sinusoid from a fast one) so the notebook runs in the test suite; the same
code runs the keyword spotter:
`python -m experiments.speech_commands --backend nengo,brian2 --checkpoint PATH`."""),
    new_code_cell("""import numpy as np
import torch
import matplotlib.pyplot as plt

from experiments.common import train_classifier
from experiments.spiking import RUNNERS, SpikingOptions, features
from freqformer_snn import FreqFormer, FreqFormerConfig
from freqformer_snn.export import calibrate, export, rate_forward

def toy(n, seed, T=40):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    w = np.where(y == 0, 0.3, 1.8) + rng.uniform(-0.1, 0.1, n)
    x = rng.uniform(0.5, 1.5, (n, 1)) * np.sin(w[:, None] * np.arange(T) + rng.uniform(0, 6.3, (n, 1)))
    return torch.tensor(x[..., None], dtype=torch.float32), torch.tensor(y)

torch.manual_seed(0)
model = FreqFormer(FreqFormerConfig(n_classes=2, n_channels=8, n_layers=1, coupling_band=2))
x, y = toy(256, 0)
train_classifier(model, x, y, x, y, epochs=30, batch_size=32, lr=1e-2, weight_decay=0.0, seed=0)
model.eval()
spec = export(model, labels=["slow", "fast"])
L = spec.layers[0]
print(f"{spec.n_channels} channels; omega (rad/step) {np.round(L.omega, 2)}; r {np.round(L.r, 3)}")
print(f"thresholds {np.round(L.theta, 2)}; coupling offsets {L.offsets.tolist()}")"""),
    new_markdown_cell("""## Build both networks

`calibrate` runs the rate network on training inputs to size every population (the largest |z|
and |w| each channel reaches) and to find the channels that ever cross their threshold."""),
    new_code_cell("""radii = calibrate(spec, features(model, x))
opt = SpikingOptions(n_neurons=200, n_event_neurons=40, brian2_target="numpy")
runners = {b: RUNNERS[b](spec, radii, opt, record_spikes=True) for b in ("nengo", "brian2")}
for b, r in runners.items():
    print(b, "neurons:", r.n_neurons, "settings:", r.settings)"""),
    new_markdown_cell("## One clip, three ways"),
    new_code_cell("""xt, yt = toy(1, 7)
f = features(model, xt)
rate_logits, trace = rate_forward(spec, f, record=True)
runs = {b: r.run(f[0]) for b, r in runners.items()}
print("label:", spec.labels[int(yt[0])], "| rate:", spec.labels[rate_logits[0].argmax()],
      "|", " | ".join(f"{b}: {spec.labels[int(np.argmax(r['logits']))]}" for b, r in runs.items()))
for b, r in runs.items():
    act = r["active"][0]
    c = np.corrcoef(r["intensity"][0].ravel(), trace[0]["intensity"][0][:, act].ravel())[0, 1]
    print(f"{b:>7}: |w| correlation with the rate model {c:.3f}, {r['spikes']:.0f} spikes, "
          f"{r['synops']:.0f} synaptic operations, {r['sim_s']:.2f} s simulated in {r['wall_s']:.2f} s")"""),
    new_code_cell("""act = runs["brian2"]["active"][0]
fields = {"rate model": trace[0]["intensity"][0][:, act],
          "Nengo (decoded)": runs["nengo"]["intensity"][0],
          "Brian2": runs["brian2"]["intensity"][0]}
fig, ax = plt.subplots(1, 4, figsize=(14, 3))
ax[0].plot(xt[0, :, 0]); ax[0].set(title="input", xlabel="step")
vmax = max(v.max() for v in fields.values())
for a, (name, v) in zip(ax[1:], fields.items()):
    a.imshow(v.T, aspect="auto", origin="lower", vmin=0, vmax=vmax)
    a.set(title=f"|w|: {name}", xlabel="step", ylabel="active channel")
plt.tight_layout(); plt.show()"""),
    new_markdown_cell("""## Spikes

Event neurons of every active channel (grouped by channel). Nengo's step lasts `slowdown` times
longer in simulated time: its NEF resonators need their frequencies slow against the synapse."""),
    new_code_cell("""fig, ax = plt.subplots(1, 2, figsize=(14, 3))
for a, (b, r) in zip(ax, runs.items()):
    idx, t = r["trains"][0]
    a.plot(t, idx, "|", ms=3, color="k")
    a.set(title=f"{b}: event neurons", xlabel="simulated time (s)", ylabel="neuron")
plt.tight_layout(); plt.show()"""),
]


def main():
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nbformat.write(new_notebook(cells=QUICKSTART, metadata=meta), HERE / "01_quickstart.ipynb")
    nbformat.write(new_notebook(cells=SPIKING, metadata=meta), HERE / "02_spiking_backends.ipynb")


if __name__ == "__main__":
    main()
