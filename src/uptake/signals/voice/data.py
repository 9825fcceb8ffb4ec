"""Reading the GoEmotions folder: texts and the two voice labels per split."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from uptake.errors import InputError

# Which GoEmotions emotions make up each voice class (the spec's mapping).
FRUSTRATION = ("anger", "annoyance", "disappointment", "disapproval")
UNCERTAINTY = ("confusion", "nervousness", "fear")
CLASSES = {"frustrated": FRUSTRATION, "uncertain": UNCERTAINTY}
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class Split:
    """One GoEmotions split: texts, the emotion names of each text, and the two voice labels."""

    texts: list[str]
    emotions: list[frozenset[str]]
    labels: dict[str, np.ndarray]


def emotion_names(folder: Path) -> list[str]:
    """The 28 emotion names in id order.

    Args:
        folder: the GoEmotions folder (with emotions.txt).

    Returns:
        Names indexed by label id.
    """
    path = Path(folder) / "emotions.txt"
    if not path.is_file():
        raise InputError(f"GoEmotions folder {folder} has no emotions.txt")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_split(folder: Path, split: str) -> Split:
    """Read one split (train, dev or test) of GoEmotions.

    Args:
        folder: the GoEmotions folder.
        split: "train", "dev" or "test".

    Returns:
        The split's texts, emotions and boolean labels per voice class.
    """
    if split not in SPLITS:
        raise InputError(f"unknown GoEmotions split {split!r}; expected one of {SPLITS}")
    names = emotion_names(folder)
    path = Path(folder) / f"{split}.tsv"
    if not path.is_file():
        raise InputError(f"GoEmotions folder {folder} has no {split}.tsv")
    texts: list[str] = []
    emotions: list[frozenset[str]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        # QUOTE_NONE: Reddit text holds bare double quotes that are not CSV quoting.
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) < 2:
                continue
            texts.append(row[0])
            emotions.append(frozenset(names[int(i)] for i in row[1].split(",") if i))
    labels = {
        cls: np.array([bool(e & set(parts)) for e in emotions], dtype=bool)
        for cls, parts in CLASSES.items()
    }
    return Split(texts=texts, emotions=emotions, labels=labels)


def fingerprint(folder: Path) -> dict[str, str]:
    """SHA-256 of each split file, so a model card names exactly the data it came from.

    Args:
        folder: the GoEmotions folder.

    Returns:
        File name to hex digest.
    """
    out = {}
    for name in (*(f"{s}.tsv" for s in SPLITS), "emotions.txt"):
        out[name] = hashlib.sha256((Path(folder) / name).read_bytes()).hexdigest()
    return out
