"""The two baselines the voice model is measured against: keywords, and plain TF-IDF + LR."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from uptake.signals.voice.data import CLASSES, Split

# Hand-written cue words (prefixes match inflections: "frustrat" → frustrated, frustrating).
_KEYWORDS = {
    "frustrated": (
        r"annoy\w*|angry|anger|furious|mad|hate[sd]?|frustrat\w*|fed up|sick of|tired of"
        r"|disappoint\w*|terrible|awful|horrible|worst|useless|stupid|ridiculous|sucks?"
        r"|wtf|broken|crash\w*|pathetic|disagree|wrong|bullshit|waste"
    ),
    "uncertain": (
        r"confus\w*|not sure|unsure|don'?t understand|don'?t know|no idea|unclear|lost"
        r"|wondering|how do i|what does|scared|afraid|fear\w*|nervous|anxious|worried|worry"
        r"|terrif\w*|panic\w*|is it safe|hesitant"
    ),
}
_PATTERNS = {
    cls: re.compile(rf"\b(?:{words})\b", re.IGNORECASE) for cls, words in _KEYWORDS.items()
}


def keyword_predict(texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Flag each text whose words include a cue word of the class.

    Args:
        texts: feedback texts.

    Returns:
        Class name to a boolean array, one value per text.
    """
    return {
        cls: np.array([bool(pat.search(t)) for t in texts], dtype=bool)
        for cls, pat in _PATTERNS.items()
    }


def best_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """The probability cut-off that maximises F1 (the first of equal bests, on a 0.01 grid).

    Args:
        y: true labels.
        p: predicted probabilities.

    Returns:
        The threshold and its F1.
    """
    grid = np.round(np.arange(0.02, 0.99, 0.01), 2)
    scores = [f1_score(y, p >= t, zero_division=0) for t in grid]
    i = int(np.argmax(scores))
    return float(grid[i]), float(scores[i])


def tfidf_lr_predict(train: Split, dev: Split, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Plain TF-IDF (scikit-learn defaults) + logistic regression, threshold tuned on dev.

    Args:
        train: the split to fit on.
        dev: the split to choose each class's threshold on.
        texts: the texts to predict.

    Returns:
        Class name to a boolean array, one value per text.
    """
    vec = TfidfVectorizer()
    x_train = vec.fit_transform(train.texts)
    x_dev = vec.transform(dev.texts)
    x = vec.transform(list(texts))
    out = {}
    for cls in CLASSES:
        model = LogisticRegression(max_iter=1000).fit(x_train, train.labels[cls])
        threshold, _ = best_threshold(dev.labels[cls], model.predict_proba(x_dev)[:, 1])
        out[cls] = model.predict_proba(x)[:, 1] >= threshold
    return out
