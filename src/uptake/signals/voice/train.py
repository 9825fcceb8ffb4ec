"""Training the voice model from GoEmotions and scoring it against the two baselines."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_fscore_support

from uptake.signals.voice import model as vm
from uptake.signals.voice.baselines import best_threshold, keyword_predict, tfidf_lr_predict
from uptake.signals.voice.data import CLASSES, Split, fingerprint, load_split

SEED = 42
# A fixed date rather than "today", so retraining on the same data writes the same bytes.
TRAINED_ON = "2026-12-01"
# Word 1–2-grams carry the cue phrases ("fed up", "not sure"); character 2–5-grams within
# word boundaries catch spelling variants, elongations and punctuation ("?!", "...").
VECTORIZERS: list[dict[str, Any]] = [
    {
        "analyzer": "word",
        "ngram_range": [1, 2],
        "min_df": 3,
        "max_features": 40000,
        "sublinear_tf": True,
        "lowercase": True,
    },
    {
        "analyzer": "char_wb",
        "ngram_range": [2, 5],
        "min_df": 5,
        "max_features": 60000,
        "sublinear_tf": True,
        "lowercase": True,
    },
]
# The heads of each class and their inverse regularisation C, chosen by dev F1 (the
# experiments printed test F1 beside it, but no choice followed test). "lr" is logistic
# regression on the TF-IDF features; "nb" the same on features scaled by their naive-Bayes
# log-count ratio (Wang & Manning 2012), which lifts rare but telling n-grams; "any_of"
# would add one "nb" head per component emotion through a noisy-or. On dev, lr + nb beat lr
# alone (frustrated 0.526 vs 0.516, uncertain 0.496 vs 0.472); component heads added
# nothing on dev (0.490–0.491), so they are off.
HEADS: dict[str, dict[str, Any]] = {
    "frustrated": {"lr": 1.0, "nb": 0.5, "any_of": None},
    "uncertain": {"lr": 1.0, "nb": 0.25, "any_of": None},
}

# Whether the keyword baseline's cue words join the features (one 0/1 column per class).
# On dev: frustrated 0.526 → 0.529, uncertain 0.496 → 0.506.
LEXICON = True

Progress = Callable[[str], None]


def _fit_head(x: Any, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    # Balanced class weights: the classes are 5–15 % of texts, and F1 rewards recall.
    lr = LogisticRegression(
        C=c, class_weight="balanced", solver="liblinear", max_iter=2000, random_state=SEED
    )
    lr.fit(x, y)
    return lr.coef_.ravel(), float(lr.intercept_[0])


def _fit_nb_head(x: Any, present: Any, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """A logistic regression on NB-scaled features, its scale folded into the coefficients."""
    pos = np.asarray(present[y].sum(axis=0)).ravel() + 1.0
    neg = np.asarray(present[~y].sum(axis=0)).ravel() + 1.0
    ratio = np.log((pos / pos.sum()) / (neg / neg.sum()))
    coef, intercept = _fit_head(x.multiply(ratio).tocsr(), y, c)
    # (x * r) . w == x . (r * w): the shipped head needs no ratio vector.
    return coef * ratio, intercept


def _head(coef: np.ndarray, intercept: float) -> dict[str, Any]:
    return {**vm.quantise(coef), "intercept": float(f"{intercept:.9e}")}


def build(folder: Path, progress: Progress | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fit the model on train, tune thresholds on dev, score on test.

    Args:
        folder: the GoEmotions folder.
        progress: optional callback for one-line progress messages.

    Returns:
        The artifact document and the model card.
    """
    say = progress or (lambda _m: None)
    train, dev, test = (load_split(folder, s) for s in ("train", "dev", "test"))
    say(f"loaded {len(train.texts)} train, {len(dev.texts)} dev, {len(test.texts)} test texts")
    vecs = []
    docs = []
    for vspec in VECTORIZERS:
        params = {**vspec, "ngram_range": tuple(vspec["ngram_range"])}
        vec = TfidfVectorizer(dtype=np.float64, **params)
        vec.fit(train.texts)
        vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
        vecs.append(vec)
        # IDF stored as float32: the loaded model is the one scored, so nothing is lost silently.
        docs.append({"params": vspec, "vocabulary": vocab, "idf": vm.encode(vec.idf_, "<f4")})
    x = vm.stack_features(vecs, train.texts, LEXICON)
    say(f"features: {x.shape[1]}")
    present = (x > 0).astype(np.float64)
    heads: dict[str, Any] = {}
    classes: dict[str, Any] = {}
    for cls, parts in CLASSES.items():
        plan = HEADS[cls]
        y = train.labels[cls]
        spec: dict[str, Any] = {"heads": [], "any_of": []}
        if plan.get("lr") is not None:
            heads[f"{cls}_lr"] = _head(*_fit_head(x, y, plan["lr"]))
            spec["heads"].append(f"{cls}_lr")
        if plan.get("nb") is not None:
            heads[f"{cls}_nb"] = _head(*_fit_nb_head(x, present, y, plan["nb"]))
            spec["heads"].append(f"{cls}_nb")
        if plan.get("any_of") is not None:
            for emotion in parts:
                ye = np.array([emotion in e for e in train.emotions], dtype=bool)
                heads[f"{emotion}_nb"] = _head(*_fit_nb_head(x, present, ye, plan["any_of"]))
                spec["any_of"].append(f"{emotion}_nb")
        classes[cls] = spec
        say(f"fitted {cls}: heads {spec['heads']} any of {spec['any_of']}")
    doc: dict[str, Any] = {
        "vectorizers": docs,
        "lexicon": LEXICON,
        "heads": heads,
        "classes": classes,
    }
    doc = _tune(doc, dev)
    model = vm.from_dict(doc)
    card = _card(folder, doc, model, dev, test, x.shape[1])
    return doc, card


def _tune(doc: dict[str, Any], dev: Split) -> dict[str, Any]:
    """Each class's threshold: the F1-best cut-off on dev, for the model as loaded."""
    model = vm.from_dict(doc)
    probs = model.probs(dev.texts)
    for cls in CLASSES:
        threshold, _ = best_threshold(dev.labels[cls], probs[cls])
        doc["classes"][cls]["threshold"] = threshold
    return doc


def scores(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 of the positive class, rounded to 4 places.

    Args:
        y: true labels.
        pred: predicted labels.

    Returns:
        {"precision", "recall", "f1"}.
    """
    p, r, f, _ = precision_recall_fscore_support(y, pred, average="binary", zero_division=0)
    return {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4)}


def predict(model: vm.VoiceModel, texts: list[str]) -> dict[str, np.ndarray]:
    """Each class's decision for texts with the model's own thresholds.

    Args:
        model: a loaded voice model.
        texts: texts.

    Returns:
        Class name to booleans.
    """
    probs = model.probs(texts)
    return {cls: probs[cls] >= model.classes[cls]["threshold"] for cls in CLASSES}


def _card(
    folder: Path, doc: dict[str, Any], model: vm.VoiceModel, dev: Split, test: Split, n: int
) -> dict[str, Any]:
    dev_pred, test_pred = predict(model, dev.texts), predict(model, test.texts)
    return {
        "name": "uptake voice: frustration and uncertainty in feedback text",
        "data": {
            "name": "GoEmotions (Demszky et al., ACL 2020), CC BY 4.0",
            "splits": "fit on train.tsv, thresholds on dev.tsv, scores on test.tsv",
            "sha256": fingerprint(folder),
        },
        "classes": {cls: list(parts) for cls, parts in CLASSES.items()},
        "features": {"vectorizers": VECTORIZERS, "cue_word_columns": LEXICON, "n_features": n},
        "model": {
            "heads": (
                "logistic regression (liblinear, balanced class weights); `nb` heads on "
                "features scaled by the naive-Bayes log-count ratio (folded into the weights)"
            ),
            "plan (inverse regularisation C per head kind)": HEADS,
            "combine": "mean of the class heads and the noisy-or of the component heads",
            "classes": {
                cls: {"heads": spec["heads"], "any_of": spec["any_of"]}
                for cls, spec in doc["classes"].items()
            },
            "coefficients": "int16-quantised per head; IDF float32",
        },
        "thresholds": {cls: doc["classes"][cls]["threshold"] for cls in CLASSES},
        "scores": {
            "dev": {cls: scores(dev.labels[cls], dev_pred[cls]) for cls in CLASSES},
            "test": {cls: scores(test.labels[cls], test_pred[cls]) for cls in CLASSES},
        },
        "trained_on": TRAINED_ON,
        "seed": SEED,
    }


def train(folder: Path, out_dir: Path | None = None, progress: Progress | None = None) -> Path:
    """Train the voice model and write `model.json` and `model_card.json`.

    Args:
        folder: the GoEmotions folder.
        out_dir: where to write (default: inside the package, where `classify` reads it).
        progress: optional callback for one-line progress messages.

    Returns:
        The path of the written artifact.
    """
    doc, card = build(folder, progress)
    target = Path(out_dir) if out_dir is not None else vm.ARTIFACT.parent
    target.mkdir(parents=True, exist_ok=True)
    artifact = target / vm.ARTIFACT.name
    artifact.write_text(vm.dumps(doc), encoding="ascii")
    (target / vm.CARD.name).write_text(
        json.dumps(card, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    vm.shipped.cache_clear()
    return artifact


def evaluate_voice(folder: Path, model: vm.VoiceModel | None = None) -> dict[str, Any]:
    """Precision, recall and F1 per class on GoEmotions test: keywords, TF-IDF + LR, the model.

    Args:
        folder: the GoEmotions folder.
        model: the model to score (default: the shipped one).

    Returns:
        {"keyword" | "tfidf_lr" | "model": {class: {"precision", "recall", "f1"}}, "n_test": int}.
    """
    train_, dev, test = (load_split(folder, s) for s in ("train", "dev", "test"))
    chosen = model if model is not None else vm.shipped()
    preds = {
        "keyword": keyword_predict(test.texts),
        "tfidf_lr": tfidf_lr_predict(train_, dev, test.texts),
        "model": predict(chosen, test.texts),
    }
    out: dict[str, Any] = {
        name: {cls: scores(test.labels[cls], p[cls]) for cls in CLASSES}
        for name, p in preds.items()
    }
    out["n_test"] = len(test.texts)
    return out
