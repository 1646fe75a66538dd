"""Google Speech Commands v2: the real dataset's layout, a reader with checks, and an offline
synthetic builder in exactly that layout.

Layout (as distributed)::

    root/<word>/<speaker>_nohash_<k>.wav     16 kHz mono 16-bit PCM, <= 1 s
    root/_background_noise_/*.wav            long noise recordings
    root/validation_list.txt                 "<word>/<file>.wav" per line
    root/testing_list.txt

The standard 12-class task: the 10 keywords, ``_silence_`` (clips cut from background noise) and
``_unknown_`` (the other 25 words).

Without a real copy, ``build_synthetic`` makes one offline with the eSpeak NG library shipped in
the PyPI package ``espeakng-loader`` (through ctypes): all 35 words, many synthetic speakers
(English voice x variant x rate x pitch x pitch range), generated white/pink/brown background
noise, and the split by speaker, so validation and test speakers are never heard in training.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import os
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
CLIP = SAMPLE_RATE  # 1 s
KEYWORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
OTHER_WORDS = ("backward", "bed", "bird", "cat", "dog", "eight", "five", "follow", "forward",
               "four", "happy", "house", "learn", "marvin", "nine", "one", "seven", "sheila",
               "six", "three", "tree", "two", "visual", "wow", "zero")
WORDS = tuple(sorted(KEYWORDS + OTHER_WORDS))  # the 35 words of v2
SILENCE, UNKNOWN = "_silence_", "_unknown_"
LABELS = KEYWORDS + (SILENCE, UNKNOWN)  # the 12 classes, in this order
NOISE_DIR = "_background_noise_"
SPLIT_FILES = {"validation": "validation_list.txt", "testing": "testing_list.txt"}


class DatasetError(ValueError):
    """A dataset folder or file that cannot be used as Speech Commands."""


# ----------------------------------------------------------------------------------------------
# WAV files


def read_wav(path: str | os.PathLike, expect_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Read a 16-bit PCM mono WAV as float32 in [-1, 1]; raise DatasetError on anything else.

    Checks: readable RIFF/WAVE header (corrupt), sample rate, channels (stereo), sample width,
    no frames (empty), fewer frames on disk than the header promises (truncated).
    """
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as w:
            rate, channels, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
            raw = w.readframes(n)
    except (wave.Error, EOFError, OSError) as e:
        raise DatasetError(f"{path}: not a readable WAV file ({e})") from e
    if rate != expect_rate:
        raise DatasetError(f"{path}: sample rate {rate} Hz, expected {expect_rate} Hz")
    if channels != 1:
        raise DatasetError(f"{path}: {channels} channels, expected mono")
    if width != 2:
        raise DatasetError(f"{path}: {8 * width}-bit samples, expected 16-bit PCM")
    if n == 0:
        raise DatasetError(f"{path}: empty (no audio frames)")
    if len(raw) < n * width:
        raise DatasetError(f"{path}: truncated ({len(raw) // width} of {n} frames present)")
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def write_wav(path: str | os.PathLike, audio: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Write float audio in [-1, 1] as 16-bit PCM mono (clipped to range)."""
    pcm = np.clip(np.round(np.asarray(audio, dtype=np.float64) * 32767), -32768, 32767).astype("<i2")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def clipped_fraction(audio: np.ndarray) -> float:
    """Fraction of samples at full scale: a clipped recording has many."""
    return float(np.mean(np.abs(audio) >= 32767 / 32768))


def fit_clip(audio: np.ndarray, length: int = CLIP) -> np.ndarray:
    """Zero-pad (at the end) or cut to exactly ``length`` samples, as the standard task does."""
    if len(audio) >= length:
        return audio[:length]
    return np.pad(audio, (0, length - len(audio)))


# ----------------------------------------------------------------------------------------------
# reading a dataset folder


@dataclass
class Split:
    """File lists of one split: (path relative to root, 12-class label index)."""

    name: str
    items: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class ScanReport:
    """What ``scan`` found and what it skipped, with reasons (logged, never silent)."""

    splits: dict[str, Split]
    noise_files: list[str]
    skipped: dict[str, str] = field(default_factory=dict)  # relative path -> reason
    has_split_lists: bool = True

    def counts(self) -> dict:
        return {name: {LABELS[c]: sum(1 for _, y in s.items if y == c) for c in range(len(LABELS))}
                for name, s in self.splits.items()}


def label_of(word: str) -> int:
    return LABELS.index(word) if word in KEYWORDS else LABELS.index(UNKNOWN)


def _read_list(path: Path, root: Path) -> set[str]:
    entries = set()
    for line_no, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if not (root / line).is_file():
            raise DatasetError(f"{path}:{line_no}: listed file {line!r} does not exist under {root}")
        entries.add(line)
    return entries


def scan(root: str | os.PathLike, require_split_lists: bool = True,
         check_audio: bool = True) -> ScanReport:
    """Index a Speech Commands folder into train/validation/testing splits.

    With ``require_split_lists=False`` a folder without the lists is accepted and every file goes
    to a single split named "all" (for evaluating on any folder in this layout). Unreadable or
    malformed WAV files are skipped, counted and logged (``check_audio``); a folder that is
    missing, has no word folders, or a word folder with no WAV files, is an error.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder not found: {root}")
    words = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")
                   and not p.name.startswith("."))
    if not words:
        raise DatasetError(f"{root}: no word folders (expected one folder per word, e.g. yes/, no/)")
    lists = {name: root / f for name, f in SPLIT_FILES.items()}
    missing = [str(p.name) for p in lists.values() if not p.is_file()]
    has_lists = not missing
    if missing and require_split_lists:
        raise DatasetError(f"{root}: missing split list(s) {missing}; pass a folder with "
                           f"validation_list.txt and testing_list.txt, or evaluate without splits")
    listed = {name: _read_list(p, root) for name, p in lists.items()} if has_lists else {}
    splits = {n: Split(n) for n in (("train", "validation", "testing") if has_lists else ("all",))}
    skipped: dict[str, str] = {}
    for word in words:
        files = sorted((root / word).glob("*.wav"))
        if not files:
            raise DatasetError(f"{root / word}: class folder has no .wav files")
        y = label_of(word)
        for f in files:
            rel = f"{word}/{f.name}"
            if check_audio:
                try:
                    audio = read_wav(f)
                    if clipped_fraction(audio) > 0.01:
                        raise DatasetError(f"{f}: clipped ({100 * clipped_fraction(audio):.1f}% "
                                           f"of samples at full scale)")
                except DatasetError as e:
                    skipped[rel] = str(e)
                    log.warning("skipping %s", e)
                    continue
            if not has_lists:
                splits["all"].items.append((rel, y))
            elif rel in listed["validation"]:
                splits["validation"].items.append((rel, y))
            elif rel in listed["testing"]:
                splits["testing"].items.append((rel, y))
            else:
                splits["train"].items.append((rel, y))
    noise_dir = root / NOISE_DIR
    noise = sorted(f"{NOISE_DIR}/{p.name}" for p in noise_dir.glob("*.wav")) if noise_dir.is_dir() else []
    if skipped:
        log.warning("%d of the files under %s were skipped (see ScanReport.skipped)", len(skipped), root)
    return ScanReport(splits, noise, skipped, has_lists)


# ----------------------------------------------------------------------------------------------
# eSpeak NG through ctypes


class ESpeak:
    """Minimal ctypes binding of the eSpeak NG shared library shipped by ``espeakng-loader``.

    ``say(text, voice, rate, pitch, pitch_range)`` returns float32 audio at ``sample_rate``
    (22,050 Hz). Synchronous mode: no audio device, no threads.
    """

    _AUDIO_OUTPUT_SYNCHRONOUS = 2
    _RATE, _PITCH, _RANGE = 1, 3, 4
    _POS_CHARACTER = 1

    def __init__(self):
        try:
            import espeakng_loader
        except ImportError as e:  # pragma: no cover - the pinned requirements install it
            raise DatasetError("building the synthetic dataset needs the PyPI package "
                               "espeakng-loader (pip install espeakng-loader==0.2.4)") from e
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data_parent = os.path.dirname(espeakng_loader.get_data_path())
        self.sample_rate = self.lib.espeak_Initialize(self._AUDIO_OUTPUT_SYNCHRONOUS, 0,
                                                      data_parent.encode(), 0)
        if self.sample_rate <= 0:
            raise DatasetError(f"eSpeak NG failed to initialise (data at {data_parent})")
        self._chunks: list[np.ndarray] = []
        proto = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                 ctypes.c_void_p)
        self._callback = proto(self._collect)  # keep a reference: C holds only the pointer
        self.lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav, n, events):
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    def say(self, text: str, voice: str = "en", rate: int = 175, pitch: int = 50,
            pitch_range: int = 50) -> np.ndarray:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise DatasetError(f"eSpeak NG has no voice {voice!r}")
        for param, value in ((self._RATE, rate), (self._PITCH, pitch), (self._RANGE, pitch_range)):
            self.lib.espeak_SetParameter(param, int(value), 0)
        self._chunks = []
        data = text.encode()
        self.lib.espeak_Synth(data, len(data) + 1, 0, self._POS_CHARACTER, 0, 0, None, None)
        self.lib.espeak_Synchronize()
        if not self._chunks:
            raise DatasetError(f"eSpeak NG produced no audio for {text!r} with voice {voice!r}")
        return np.concatenate(self._chunks).astype(np.float32) / 32768.0


ACCENTS = ("en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd", "en-us-nyc")
VARIANTS = ("", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
            "klatt", "klatt2", "klatt3", "croak", "whisper")


@dataclass(frozen=True)
class Speaker:
    """One synthetic speaker: a voice and the prosody it keeps for every word."""

    voice: str
    rate: int  # words per minute
    pitch: int  # 0..99
    pitch_range: int  # 0..99

    @property
    def id(self) -> str:  # 8 hex digits, like the real dataset's speaker hashes
        return hashlib.sha1(repr(self).encode()).hexdigest()[:8]


def make_speakers(n: int, seed: int = 0) -> list[Speaker]:
    rng = np.random.default_rng(seed)
    out, seen = [], set()
    while len(out) < n:
        accent = ACCENTS[rng.integers(len(ACCENTS))]
        variant = VARIANTS[rng.integers(len(VARIANTS))]
        s = Speaker(accent + (f"+{variant}" if variant else ""), int(rng.integers(120, 230)),
                    int(rng.integers(20, 85)), int(rng.integers(10, 90)))
        if s.id not in seen:
            seen.add(s.id)
            out.append(s)
    return out


def trim_silence(audio: np.ndarray, rel_db: float = -40.0) -> np.ndarray:
    """Cut leading/trailing samples more than ``rel_db`` below the peak envelope."""
    env = np.abs(audio)
    above = np.nonzero(env > env.max() * 10 ** (rel_db / 20))[0]
    return audio[above[0]: above[-1] + 1] if len(above) else audio


def colored_noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """White, pink (1/f) or brown (1/f^2) noise, unit RMS, by shaping a white spectrum."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1]
    spec *= {"white": 1.0, "pink": f ** -0.5, "brown": f ** -1.0}[kind]
    x = np.fft.irfft(spec, n)
    return (x / np.sqrt(np.mean(x ** 2))).astype(np.float32)


SYNTH_VERSION = 1


@dataclass
class SynthConfig:
    n_speakers: int = 120
    repeats: int = 2  # utterances of each word per speaker
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    noise_seconds: int = 60  # length of each generated background noise file
    seed: int = 0

    def manifest(self) -> dict:
        return {"synth_version": SYNTH_VERSION, **self.__dict__}


def build_synthetic(root: str | os.PathLike, cfg: SynthConfig = SynthConfig(),
                    progress=None) -> Path:
    """Build a synthetic Speech Commands v2 folder at ``root`` (offline); returns root.

    A complete earlier build with the same settings is reused. The build goes into
    ``<root>.partial`` and is renamed to ``root`` only when complete (``synth_manifest.json``
    written last), so a killed build never looks complete; an earlier build with other settings
    is replaced. A folder at ``root`` that this builder did not make is never overwritten.
    """
    import shutil

    from scipy.signal import resample_poly

    root = Path(root)
    manifest_path = root / "synth_manifest.json"
    if manifest_path.is_file():
        if json.loads(manifest_path.read_text()) == cfg.manifest():
            try:
                report = scan(root, check_audio=False)
                n = sum(len(sp.items) for sp in report.splits.values())
                if n != len(WORDS) * cfg.n_speakers * cfg.repeats or len(report.noise_files) != 4:
                    raise DatasetError(f"{n} clips and {len(report.noise_files)} noise files")
                return root
            except DatasetError as e:
                log.warning("rebuilding incomplete synthetic dataset at %s: %s", root, e)
    elif root.exists() and any(root.iterdir()):
        raise DatasetError(f"{root} exists and was not made by this builder; refusing to overwrite "
                           f"it (choose another folder for the synthetic dataset)")
    final, root = root, root.with_name(root.name + ".partial")
    shutil.rmtree(root, ignore_errors=True)
    rng = np.random.default_rng(cfg.seed)
    speakers = make_speakers(cfg.n_speakers, cfg.seed)
    n_val = max(1, round(cfg.val_fraction * len(speakers)))
    n_test = max(1, round(cfg.test_fraction * len(speakers)))
    order = rng.permutation(len(speakers))
    val_ids = {speakers[i].id for i in order[:n_val]}
    test_ids = {speakers[i].id for i in order[n_val:n_val + n_test]}
    tts = ESpeak()
    lists = {"validation": [], "testing": []}
    total = len(speakers) * len(WORDS) * cfg.repeats
    done = 0
    for spk in speakers:
        for word in WORDS:
            for k in range(cfg.repeats):
                # each repetition varies a little around the speaker's own prosody
                audio = tts.say(word, spk.voice, spk.rate + int(rng.integers(-15, 16)),
                                min(99, max(0, spk.pitch + int(rng.integers(-5, 6)))), spk.pitch_range)
                audio = trim_silence(resample_poly(audio, SAMPLE_RATE, tts.sample_rate))[:CLIP]
                audio = audio / (np.abs(audio).max() + 1e-9) * rng.uniform(0.2, 0.9)
                start = int(rng.integers(0, CLIP - len(audio) + 1))
                clip = np.zeros(CLIP, np.float32)
                clip[start:start + len(audio)] = audio
                clip += 10 ** (rng.uniform(-70, -50) / 20) * rng.standard_normal(CLIP)  # room floor
                rel = f"{word}/{spk.id}_nohash_{k}.wav"
                write_wav(root / rel, clip)
                if spk.id in val_ids:
                    lists["validation"].append(rel)
                elif spk.id in test_ids:
                    lists["testing"].append(rel)
                done += 1
                if progress:
                    progress(done, total)
    n = cfg.noise_seconds * SAMPLE_RATE
    for kind in ("white", "pink", "brown"):
        write_wav(root / NOISE_DIR / f"{kind}_noise.wav", 0.3 * colored_noise(kind, n, rng).clip(-3, 3) / 3)
    mix = colored_noise("pink", n, rng) + 0.5 * colored_noise("brown", n, rng) \
        + 0.2 * colored_noise("white", n, rng)
    write_wav(root / NOISE_DIR / "mixed_noise.wav", 0.3 * (mix / np.abs(mix).max()))
    for name, entries in lists.items():
        (root / SPLIT_FILES[name]).write_text("\n".join(sorted(entries)) + "\n")
    (root / "synth_manifest.json").write_text(json.dumps(cfg.manifest(), indent=1))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(root, final)
    return final


# ----------------------------------------------------------------------------------------------
# in-memory splits for training and evaluation

NOISE_PORTIONS = {"train": (0.0, 0.8), "validation": (0.8, 0.9), "testing": (0.9, 1.0),
                  "all": (0.0, 1.0)}


class NoiseBank:
    """Background noise of one split: each noise file is cut in time (train 80%, validation 10%,
    testing 10%), so test clips are mixed with noise never heard in training."""

    def __init__(self, root: str | os.PathLike, files: list[str], split: str):
        lo, hi = NOISE_PORTIONS[split]
        self.tracks = []
        for rel in files:
            a = read_wav(Path(root) / rel)
            seg = a[int(lo * len(a)): int(hi * len(a))]
            if len(seg) >= CLIP:
                self.tracks.append(seg)
        self.split = split

    def __bool__(self):
        return bool(self.tracks)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n random 1-s segments, unit RMS, shape (n, CLIP)."""
        if not self.tracks:
            raise DatasetError(f"no background noise for the {self.split} split "
                               f"(need {NOISE_DIR}/*.wav of at least 10 s)")
        out = np.empty((n, CLIP), np.float32)
        for i in range(n):
            t = self.tracks[rng.integers(len(self.tracks))]
            s = rng.integers(0, len(t) - CLIP + 1)
            seg = t[s:s + CLIP]
            out[i] = seg / (np.sqrt(np.mean(seg ** 2)) + 1e-8)
        return out


def mix_at_snr(clean: np.ndarray, noise: np.ndarray, snr_db) -> np.ndarray:
    """clean + noise scaled so that 10 log10(P_clean / P_noise) = snr_db, per row; clipped to
    [-1, 1] as a recording would be."""
    p_clean = np.mean(clean ** 2, axis=-1, keepdims=True)
    p_noise = np.mean(noise ** 2, axis=-1, keepdims=True) + 1e-12
    snr = np.asarray(snr_db, dtype=np.float64).reshape(-1, 1) if np.ndim(snr_db) else snr_db
    scale = np.sqrt(p_clean / (p_noise * 10 ** (np.asarray(snr) / 10)))
    return np.clip(clean + scale * noise, -1.0, 1.0).astype(np.float32)


@dataclass
class AudioSet:
    """One split in memory: audio (N, CLIP) float32, 12-class labels (N,), source of each clip."""

    audio: np.ndarray
    labels: np.ndarray
    files: list[str]

    def __len__(self):
        return len(self.labels)


def load_split(root: str | os.PathLike, report: ScanReport, split: str, seed: int = 0,
               unknown_ratio: float | None = 1.0, silence_ratio: float = 1.0) -> AudioSet:
    """The standard 12-class split: every keyword clip, ``unknown_ratio`` x (mean keyword count)
    clips drawn from the 25 other words (None: all of them), and ``silence_ratio`` x (mean
    keyword count) ``_silence_`` clips cut from this split's portion of the background noise at
    a random volume. Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    items = report.splits[split].items
    unk = LABELS.index(UNKNOWN)
    known = [it for it in items if it[1] < len(KEYWORDS)]
    unknown = [it for it in items if it[1] == unk]
    per_class = len(known) / len(KEYWORDS) if known else len(unknown) / 25 * len(KEYWORDS)
    n_unk = len(unknown) if unknown_ratio is None else min(len(unknown), round(unknown_ratio * per_class))
    chosen = known + [unknown[i] for i in sorted(rng.choice(len(unknown), n_unk, replace=False))]
    audio = [fit_clip(read_wav(Path(root) / rel)) for rel, _ in chosen]
    labels = [y for _, y in chosen]
    files = [rel for rel, _ in chosen]
    n_sil = round(silence_ratio * per_class)
    noise = NoiseBank(root, report.noise_files, split)
    if n_sil and noise:
        sil = noise.sample(n_sil, rng) * rng.uniform(0.0, 0.3, (n_sil, 1)).astype(np.float32)
        audio += list(np.clip(sil, -1, 1))
        labels += [LABELS.index(SILENCE)] * n_sil
        files += [f"{SILENCE}/{noise.split}_{i}" for i in range(n_sil)]
    if not audio:
        raise DatasetError(f"{root}: split {split!r} is empty")
    return AudioSet(np.stack(audio).astype(np.float32), np.asarray(labels, np.int64), files)
