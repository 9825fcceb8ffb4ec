"""Training on a tiny GoEmotions-shaped folder: same data and seed, same bytes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from uptake.errors import InputError
from uptake.signals.voice import data, model
from uptake.signals.voice.train import predict, train

NAMES = [
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
]  # fmt: skip
PHRASES = {
    "annoyance": ["this is so annoying", "ugh it broke again", "fed up with this junk"],
    "anger": ["I am furious about this", "this makes me angry"],
    "disappointment": ["what a letdown", "I expected better honestly"],
    "disapproval": ["that is just wrong", "I disagree with this"],
    "confusion": ["I don't understand how this works", "wait what does that mean?"],
    "fear": ["I'm scared it will delete things", "this is frightening"],
    "nervousness": ["I'm nervous about trying it", "kinda anxious about the rollout"],
    "neutral": ["the meeting is at noon", "we moved the report to monday", "ok see you there"],
    "gratitude": ["thanks a lot for the help", "thank you so much"],
}


def _folder(root: Path, seed: int) -> Path:
    rng = random.Random(seed)
    root.mkdir()
    (root / "emotions.txt").write_text("\n".join(NAMES) + "\n", encoding="utf-8")
    for split, n in (("train", 400), ("dev", 120), ("test", 120)):
        lines = []
        for i in range(n):
            emotion = rng.choice(sorted(PHRASES))
            text = f"{rng.choice(PHRASES[emotion])} {rng.choice(['', 'today', 'lol', 'again'])}"
            lines.append(f"{text.strip()}\t{NAMES.index(emotion)}\t{split}{i}")
        (root / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_same_data_and_seed_give_the_same_bytes(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "goemotions", seed=3)
    a = train(folder, out_dir=tmp_path / "a")
    b = train(folder, out_dir=tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()
    card_a, card_b = (p.parent / "model_card.json" for p in (a, b))
    assert card_a.read_bytes() == card_b.read_bytes()
    # The written model learned the tiny data: its test split is almost perfectly separable.
    loaded = model.from_dict(json.loads(a.read_text(encoding="ascii")))
    test = data.load_split(folder, "test")
    pred = predict(loaded, test.texts)
    for cls in ("frustrated", "uncertain"):
        assert (pred[cls] == test.labels[cls]).mean() > 0.9, cls


def test_labels_follow_the_mapping(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "goemotions", seed=4)
    split = data.load_split(folder, "dev")
    for emotions, f, u in zip(
        split.emotions, split.labels["frustrated"], split.labels["uncertain"], strict=True
    ):
        assert f == bool(emotions & set(data.FRUSTRATION))
        assert u == bool(emotions & set(data.UNCERTAINTY))


def test_a_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        data.load_split(tmp_path, "train")
    with pytest.raises(InputError):
        data.load_split(tmp_path, "validation")
