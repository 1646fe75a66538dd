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


def main():
    nb = new_notebook(cells=QUICKSTART, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, HERE / "01_quickstart.ipynb")


if __name__ == "__main__":
    main()
