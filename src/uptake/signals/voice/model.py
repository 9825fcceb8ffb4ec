"""The shipped voice model: a JSON artifact of TF-IDF vocabularies and logistic-regression heads.

The artifact holds no pickle: each vectorizer is rebuilt from its parameters, vocabulary and
IDF weights, each head from int16-quantised coefficients (base64), so loading runs no code
from the file and the same training run always writes the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer

from uptake.errors import InputError
from uptake.signals.voice.baselines import keyword_predict
from uptake.signals.voice.store import ScoreStore

ARTIFACT = Path(__file__).with_name("model.json")
CARD = Path(__file__).with_name("model_card.json")
_Q = 32767
# Version of how scores are computed from the artifact (`combine`, the head's link): part of
# the identity under which scores are kept, so a change here never reads older scores.
SCORING = 1
# Texts whose scores a loaded model remembers (about 100 bytes each beside the text).
MEMO_TEXTS = 200_000


def encode(values: np.ndarray, dtype: str) -> str:
    """Little-endian bytes of an array in base64 (the artifact's array form).

    Args:
        values: the array.
        dtype: numpy dtype to store it as ("<i2", "<f4").

    Returns:
        ASCII base64 text.
    """
    return base64.b64encode(np.asarray(values, dtype=dtype).tobytes()).decode("ascii")


def decode(text: str, dtype: str) -> np.ndarray:
    """Inverse of `encode`.

    Args:
        text: base64 text.
        dtype: the dtype it was stored as.

    Returns:
        A float64 array.
    """
    return np.frombuffer(base64.b64decode(text), dtype=dtype).astype(np.float64)


def quantise(coef: np.ndarray) -> dict[str, Any]:
    """A head's coefficients as int16 steps of one scale (keeps the artifact small).

    Args:
        coef: float coefficients.

    Returns:
        {"scale": float, "q": base64 int16}.
    """
    top = float(np.max(np.abs(coef))) or 1.0
    # Rounded so the JSON float is exact on every platform and the bytes stay deterministic.
    scale = float(f"{top / _Q:.9e}")
    q = np.clip(np.rint(coef / scale), -_Q, _Q)
    return {"scale": scale, "q": encode(q, "<i2")}


@dataclass(frozen=True)
class VoiceModel:
    """A loaded artifact: vectorizers, heads, and how heads combine into each class."""

    vectorizers: list[TfidfVectorizer]
    heads: dict[str, tuple[np.ndarray, float]]
    classes: dict[str, dict[str, Any]]
    lexicon: bool = False
    # The artifact's identity (a digest of its text and of how scores are combined): scores
    # kept in a store under it are this model's. Empty: nothing is kept in a store.
    ident: str = ""
    _memo: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def features(self, texts: Sequence[str]) -> csr_matrix:
        """The stacked TF-IDF features of texts (and the cue-word columns, if trained with them)."""
        return stack_features(self.vectorizers, texts, self.lexicon)

    def head_probs(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Each head's probability per text."""
        x = self.features(texts)
        out = {}
        for name, (coef, intercept) in self.heads.items():
            z = x @ coef + intercept
            out[name] = 1.0 / (1.0 + np.exp(-z))
        return out

    def probs(self, texts: Sequence[str], store: ScoreStore | None = None) -> dict[str, np.ndarray]:
        """Each class's score per text (each distinct text scored once per loaded model).

        Args:
            texts: feedback texts.
            store: scores kept between processes (a workspace's), read before scoring and
                given what is scored; None: this process only.

        Returns:
            Class name to scores in [0, 1].
        """
        # A text's score depends on that text alone, so repeated texts and texts scored
        # earlier (by this process, or by another one into the store) are looked up: the
        # same floats, without the TF-IDF work.
        names = list(self.classes)
        distinct = list(dict.fromkeys(texts))
        with self._lock:
            known = {t: self._memo[t] for t in distinct if t in self._memo}
        remembered = set(known)
        digests = store.digests(distinct) if distinct and store is not None and self.ident else None
        found: dict[bytes, np.ndarray] = {}
        if digests is not None and store is not None:
            found = store.get(self.ident, digests)
            known.update(
                (t, found[d]) for t, d in zip(distinct, digests, strict=True) if d in found
            )
        fresh = [t for t in distinct if t not in known]
        if fresh:
            scored = self._score(fresh)
            known.update(zip(fresh, np.column_stack([scored[c] for c in names]), strict=True))
        if digests is not None and store is not None:
            # Scored here or remembered from an earlier call: kept for the next process.
            pairs = zip(distinct, digests, strict=True)
            store.put(self.ident, {d: known[t] for t, d in pairs if d not in found})
        self._remember({t: known[t] for t in distinct if t not in remembered})
        table = np.array([known[t] for t in texts], dtype=np.float64).reshape(
            len(texts), len(names)
        )
        return {c: table[:, i].copy() for i, c in enumerate(names)}

    def _remember(self, rows: dict[str, np.ndarray]) -> None:
        if not rows:
            return
        with self._lock:
            while self._memo and len(self._memo) + len(rows) > MEMO_TEXTS:
                self._memo.pop(next(iter(self._memo)))
            if len(rows) <= MEMO_TEXTS:
                self._memo.update(rows)

    def _score(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        heads = self.head_probs(texts)
        return {
            cls: combine(
                [heads[h] for h in spec["heads"]], [heads[h] for h in spec.get("any_of", [])]
            )
            for cls, spec in self.classes.items()
        }


def combine(direct: list[np.ndarray], any_of: list[np.ndarray]) -> np.ndarray:
    """One class score: the mean of its heads, counting the component heads as one.

    Args:
        direct: probabilities of heads trained on the class itself.
        any_of: probabilities of heads trained on its component emotions; they enter the
            mean as one term, the chance that any of them holds (noisy-or).

    Returns:
        The combined score.
    """
    parts = list(direct)
    if any_of:
        parts.append(1.0 - np.prod(1.0 - np.vstack(any_of), axis=0))
    if not parts:
        raise InputError("a voice class needs at least one head")
    return np.mean(np.vstack(parts), axis=0)


def stack_features(
    vectorizers: Sequence[TfidfVectorizer], texts: Sequence[str], lexicon: bool
) -> csr_matrix:
    """TF-IDF blocks side by side, then one 0/1 column per class for its cue words.

    Args:
        vectorizers: fitted vectorizers.
        texts: texts.
        lexicon: whether to add the cue-word columns.

    Returns:
        The feature matrix.
    """
    blocks = [v.transform(list(texts)) for v in vectorizers]
    if lexicon:
        # Reddit comments rarely complain about software ("keeps crashing", "fed up"), so
        # the keyword baseline's cue words join as features whose weight the data sets.
        hits = keyword_predict(list(texts))
        blocks.append(csr_matrix(np.column_stack([hits[c] for c in sorted(hits)]).astype(float)))
    return hstack(blocks).tocsr()


def from_dict(doc: dict[str, Any], ident: str = "") -> VoiceModel:
    """Rebuild a model from the artifact's JSON document.

    Args:
        doc: the parsed artifact.
        ident: the artifact's identity for a score store (empty: none).

    Returns:
        The model, ready to score texts.
    """
    vectorizers = []
    for spec in doc["vectorizers"]:
        params = dict(spec["params"])
        params["ngram_range"] = tuple(params["ngram_range"])
        vocab = {term: i for i, term in enumerate(spec["vocabulary"])}
        vec = TfidfVectorizer(vocabulary=vocab, dtype=np.float64, **params)
        vec.idf_ = decode(spec["idf"], "<f4")
        vectorizers.append(vec)
    heads = {
        name: (decode(h["q"], "<i2") * h["scale"], float(h["intercept"]))
        for name, h in doc["heads"].items()
    }
    return VoiceModel(
        vectorizers=vectorizers,
        heads=heads,
        classes=doc["classes"],
        lexicon=bool(doc.get("lexicon", False)),
        ident=ident,
    )


def dumps(doc: dict[str, Any]) -> str:
    """The artifact's canonical text (sorted keys, ASCII, no spaces): same model, same bytes.

    Args:
        doc: the artifact document.

    Returns:
        JSON text ending in a newline.
    """
    return json.dumps(doc, sort_keys=True, ensure_ascii=True, separators=(",", ":")) + "\n"


@lru_cache(maxsize=1)
def shipped() -> VoiceModel:
    """The model shipped inside the package (loaded once).

    Returns:
        The loaded model.
    """
    if not ARTIFACT.is_file():
        raise InputError(
            f"the voice model {ARTIFACT.name} is missing; run `python -m uptake.signals.voice`"
        )
    text = ARTIFACT.read_text(encoding="ascii")
    ident = hashlib.blake2b(f"{SCORING}\n{text}".encode("ascii"), digest_size=12).hexdigest()
    return from_dict(json.loads(text), ident)
