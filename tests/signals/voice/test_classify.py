"""The shipped voice model: hand-written sentences, the card, the artifact, the test split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from uptake.signals import voice
from uptake.signals.voice import data, model
from uptake.signals.voice.baselines import keyword_predict, tfidf_lr_predict
from uptake.signals.voice.train import predict, scores

GOEMOTIONS = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "goemotions"
needs_data = pytest.mark.skipif(
    not (GOEMOTIONS / "test.tsv").is_file(),
    reason=f"GoEmotions not found at {GOEMOTIONS} (the shared data folder beside the repo)",
)
CARD = json.loads(model.CARD.read_text(encoding="utf-8"))


def test_hand_written_sentences() -> None:
    frame = voice.classify(
        [
            "this keeps crashing and I'm fed up",
            "I'm not sure how to use this, is it safe?",
            "Thanks, the new summary feature saved me an hour today.",
            None,
            "",
        ]
    )
    assert list(frame.columns) == ["frustrated", "uncertain", "p_frustrated", "p_uncertain"]
    assert frame["frustrated"].tolist() == [True, False, False, False, False]
    assert frame["uncertain"].tolist() == [False, True, False, False, False]
    # Scores rank the sentences, not only the flags.
    assert frame["p_frustrated"][0] > frame["p_frustrated"][2]
    assert frame["p_uncertain"][1] > frame["p_uncertain"][2]
    assert frame[["p_frustrated", "p_uncertain"]].iloc[3:].eq(0).all().all()


def test_distress_needs_both() -> None:
    texts = [
        "I'm so frustrated and confused, why does this keep failing? I'm scared I'll lose my work",
        "this keeps crashing and I'm fed up",
        "I'm not sure how to use this, is it safe?",
    ]
    both = voice.classify(texts)
    flags = voice.distress(texts)
    assert flags.tolist() == (both["frustrated"] & both["uncertain"]).tolist()
    assert flags.tolist() == [True, False, False]


def test_classify_never_reads_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("classify read the training data")

    monkeypatch.setattr(data, "load_split", refuse)
    model.shipped.cache_clear()
    assert len(voice.classify(["fine"])) == 1


def test_artifact_is_small_and_matches_its_card() -> None:
    assert model.ARTIFACT.stat().st_size < 5_000_000
    doc = json.loads(model.ARTIFACT.read_text(encoding="ascii"))
    for cls in ("frustrated", "uncertain"):
        assert doc["classes"][cls]["threshold"] == CARD["thresholds"][cls]
    assert CARD["seed"] == 42 and CARD["trained_on"]
    # The artifact is stored in canonical form, so retraining writes the same bytes.
    assert model.dumps(doc) == model.ARTIFACT.read_text(encoding="ascii")


@needs_data
def test_test_split_scores_equal_the_card() -> None:
    test = data.load_split(GOEMOTIONS, "test")
    assert data.fingerprint(GOEMOTIONS) == CARD["data"]["sha256"]
    pred = predict(model.shipped(), test.texts)
    for cls in ("frustrated", "uncertain"):
        assert scores(test.labels[cls], pred[cls]) == CARD["scores"]["test"][cls]


@needs_data
def test_model_beats_both_baselines_and_reaches_its_floor() -> None:
    train, dev, test = (data.load_split(GOEMOTIONS, s) for s in ("train", "dev", "test"))
    ours = predict(model.shipped(), test.texts)
    kw = keyword_predict(test.texts)
    lr = tfidf_lr_predict(train, dev, test.texts)
    for cls in ("frustrated", "uncertain"):
        y = test.labels[cls]
        f1 = scores(y, ours[cls])["f1"]
        assert f1 > scores(y, kw[cls])["f1"], cls
        assert f1 > scores(y, lr[cls])["f1"], cls
        assert f1 >= FLOOR[cls], cls


# The goal is F1 >= 0.50 per class; the shipped model measures frustrated 0.538, uncertain
# 0.501 (see the model card), so both floors are the goal itself.
FLOOR = {"frustrated": 0.50, "uncertain": 0.50}


def test_each_distinct_text_is_scored_once_with_the_same_floats(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = [
        "this keeps crashing and I'm fed up",
        "I'm not sure how to use this, is it safe?",
        "this keeps crashing and I'm fed up",
        "Thanks, the new summary feature saved me an hour today.",
    ]
    fresh = model.from_dict(json.loads(model.ARTIFACT.read_text(encoding="ascii")))
    scored: list[int] = []
    features = model.VoiceModel.features

    def counting(self: model.VoiceModel, batch: list[str]) -> object:
        scored.append(len(batch))
        return features(self, batch)

    monkeypatch.setattr(model.VoiceModel, "features", counting)
    first = fresh.probs(texts)
    # A later call scores only what it has not seen; the repeat within a call is looked up.
    second = fresh.probs([texts[3], "where do I find the prompt library?", texts[0]])
    assert scored == [3, 1]
    # Looked-up scores are the very floats a model that never saw the texts computes.
    other = model.from_dict(json.loads(model.ARTIFACT.read_text(encoding="ascii")))
    for cls in fresh.classes:
        alone = [float(other.probs([t])[cls][0]) for t in texts]
        assert first[cls].tolist() == alone
        assert second[cls].tolist() == [
            alone[3],
            other.probs(["where do I find the prompt library?"])[cls][0],
            alone[0],
        ]
    assert fresh.probs([])["frustrated"].shape == (0,)


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "MEMO_TEXTS", 3)
    fresh = model.from_dict(json.loads(model.ARTIFACT.read_text(encoding="ascii")))
    fresh.probs(["a", "b"])
    fresh.probs(["c", "d"])
    assert list(fresh._memo) == ["b", "c", "d"]
    got = fresh.probs(["a", "b", "c", "d", "e"])
    assert len(fresh._memo) <= 3
    assert len(got["frustrated"]) == 5
