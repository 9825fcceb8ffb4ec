"""Voice: frustration and uncertainty in feedback text, and the themes people write about.

`classify` scores texts with the model shipped in this package (`model.json`, trained on
GoEmotions by `python -m uptake.signals.voice`; see `model_card.json` for its data and test
scores); it never reads the training data. `themes` clusters feedback into labelled themes
with k-safe counts and redacted quotes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from uptake.signals.voice.baselines import keyword_predict, tfidf_lr_predict
from uptake.signals.voice.model import shipped
from uptake.signals.voice.store import ScoreStore
from uptake.signals.voice.themes import Theme, themes
from uptake.signals.voice.train import evaluate_voice, train

__all__ = [
    "ScoreStore",
    "Theme",
    "classify",
    "distress",
    "evaluate_voice",
    "keyword_predict",
    "tfidf_lr_predict",
    "themes",
    "train",
]


def classify(texts: Sequence[str | None], store: ScoreStore | None = None) -> pd.DataFrame:
    """Whether each text sounds frustrated and/or uncertain, with the model's scores.

    Args:
        texts: feedback texts (None or blank counts as neither).
        store: scores kept by earlier processes, and where new ones are kept (None: none).

    Returns:
        One row per text, in order: `frustrated`, `uncertain` (bool), `p_frustrated`,
        `p_uncertain` (scores in [0, 1]; the flags use the thresholds in the model card).
    """
    model = shipped()
    clean = [t if isinstance(t, str) else "" for t in texts]
    probs = model.probs(clean, store) if clean else {c: np.zeros(0) for c in model.classes}
    blank = np.array([not t.strip() for t in clean], dtype=bool)
    out = {}
    for cls in ("frustrated", "uncertain"):
        p = np.where(blank, 0.0, probs[cls])
        out[cls] = p >= model.classes[cls]["threshold"]
        out[f"p_{cls}"] = p
    return pd.DataFrame(out, columns=["frustrated", "uncertain", "p_frustrated", "p_uncertain"])


def distress(texts: Sequence[str | None], store: ScoreStore | None = None) -> np.ndarray:
    """Distress language: a text that is both frustrated and uncertain.

    Args:
        texts: feedback texts.
        store: as for `classify`.

    Returns:
        One boolean per text.
    """
    frame = classify(texts, store)
    return (frame["frustrated"] & frame["uncertain"]).to_numpy(dtype=bool)
