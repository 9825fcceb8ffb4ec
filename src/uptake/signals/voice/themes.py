"""Themes in feedback text: clusters with top terms, per-segment counts at or above k, quotes.

A pure function over lists: the caller reads the texts, their authors (pseudonymous keys) and
segments from the warehouse. Counts are distinct people, never texts, because the minimum
group size protects people; a theme's segment counts go through the same table rule as every
metric (`uptake.metrics.privacy.table_hidden`: small cells and the cells that would reveal
them by subtraction are hidden).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from uptake.errors import InputError
from uptake.ingest.redact import redact
from uptake.metrics.privacy import check_k, table_hidden

_QUOTE_CHARS = 280
# Greetings and fillers of feedback messages: frequent, they say nothing of the topic, and
# led theme labels ("does, copilot, time, hello, week").
_FILLER = frozenset(
    ("hello", "hi", "hey", "morning", "afternoon", "evening", "team", "all", "thanks", "thank",
     "please", "apologies", "sorry", "does", "did", "really", "just", "also", "ok", "okay",
     "sure", "yes", "fyi", "ping", "ref")
)  # fmt: skip
_STOP = sorted(ENGLISH_STOP_WORDS | _FILLER)


@dataclass(frozen=True)
class Theme:
    """One theme of feedback.

    Attributes:
        theme: index of the theme (largest first).
        label: its top terms joined, or a placeholder when it counts fewer than k people.
        terms: the top terms (empty when hidden).
        people: distinct people in the theme (None when fewer than k).
        segments: segment to distinct people; None where the cell is suppressed.
        quotes: up to three redacted representative texts (only when people ≥ k).
    """

    theme: int
    label: str
    terms: list[str]
    people: int | None
    segments: dict[str, int | None] = field(default_factory=dict)
    quotes: list[str] = field(default_factory=list)


def themes(
    texts: Sequence[str],
    segments: Sequence[str],
    k: int,
    n_themes: int = 6,
    *,
    people: Sequence[str] | None = None,
    n_terms: int = 5,
    n_quotes: int = 3,
    seed: int = 0,
) -> list[Theme]:
    """Cluster feedback texts into labelled themes with k-safe counts and redacted quotes.

    Args:
        texts: feedback texts.
        segments: each text's segment (team, function…), aligned with `texts`.
        k: minimum group size (at least 3); counts below it are hidden.
        n_themes: number of clusters (fewer when there are fewer distinct texts).
        people: each text's author (pseudonymous key); without it every text counts as its
            own person, which is only right when each person wrote one text.
        n_terms: top terms per theme label.
        n_quotes: representative quotes per theme (at most 3).
        seed: the factorisation's seed.

    Returns:
        Themes, largest first. A theme with fewer than k distinct people keeps no terms,
        counts or quotes.
    """
    check_k(k)
    if len(segments) != len(texts) or (people is not None and len(people) != len(texts)):
        raise InputError("themes: texts, segments and people must have the same length")
    authors = list(people) if people is not None else [f"text-{i}" for i in range(len(texts))]
    keep = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()]
    # In a fixed order (by text, then author): the themes must not depend on the order the
    # warehouse returns rows in.
    keep.sort(key=lambda i: (texts[i], str(authors[i])))
    if not keep:
        return []
    # Redacted before clustering, so neither a quote nor a theme's terms ("jane", "doe")
    # can carry an address, number or credential.
    docs = [redact(texts[i]) or "" for i in keep]
    vec = TfidfVectorizer(stop_words=_STOP, ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    try:
        x = vec.fit_transform(docs)
    except ValueError:
        # Too few texts for a term to appear twice: one theme with no vocabulary.
        vec = TfidfVectorizer(stop_words=_STOP)
        x = vec.fit_transform(docs) if any(len(d) > 2 for d in docs) else None
    if x is None or x.shape[1] == 0:
        return []
    n = max(1, min(n_themes, len({d.strip().lower() for d in docs}), x.shape[0], x.shape[1]))
    weight = _topics(x, n, seed)
    terms = np.asarray(vec.get_feature_names_out())
    # Each text belongs to its strongest topic; the texts most of whose weight is that topic
    # are its most typical, and come first as quotes.
    label = weight.argmax(axis=1)
    typical = weight[np.arange(len(docs)), label] / np.maximum(weight.sum(axis=1), 1e-12)
    seg_names = sorted({str(segments[i]) for i in keep})
    found = []
    for c in range(n):
        rows = np.flatnonzero(label == c)
        if not len(rows):
            continue  # a topic no text leans to most: not a theme
        who = {authors[keep[r]] for r in rows}
        per_seg = {
            s: len({authors[keep[r]] for r in rows if str(segments[keep[r]]) == s})
            for s in seg_names
        }
        found.append((len(who), c, rows, per_seg))
    found.sort(key=lambda f: (-f[0], f[1]))
    out = []
    for rank, (n_people, _c, rows, per_seg) in enumerate(found):
        if n_people < k:
            out.append(Theme(theme=rank, label=f"(fewer than {k} people)", terms=[], people=None))
            continue
        top = _label(terms, _distinct(x, rows), n_terms)
        cells = np.array([per_seg[s] for s in seg_names], dtype=float)
        hidden = table_hidden(cells, k)
        shown = {s: (None if h else per_seg[s]) for s, h in zip(seg_names, hidden, strict=True)}
        out.append(
            Theme(
                theme=rank,
                label=", ".join(top),
                terms=top,
                people=n_people,
                segments=shown,
                quotes=_quotes(docs, rows, -typical, min(n_quotes, 3)),
            )
        )
    return out


def _topics(x: Any, n: int, seed: int) -> np.ndarray:
    """Each text's weight on n topics (a texts × n array).

    A non-negative factorisation of the TF-IDF matrix: k-means on it (used until December
    2026) set most of the feedback in one cluster beside a few of near-identical texts for
    some orders of the same rows (85 people in one theme, five themes of fewer than five),
    where the topics stay apart.
    """
    if n == 1:
        return np.ones((x.shape[0], 1))
    nmf = NMF(n_components=n, init="nndsvda", random_state=seed, max_iter=1000)
    with warnings.catch_warnings():
        # Short of full convergence the topics are still usable; a command prints no warning.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return np.asarray(nmf.fit_transform(x))


def _distinct(x: Any, rows: np.ndarray) -> np.ndarray:
    """Each term's mean weight in the theme's texts less its mean in the others."""
    inside = np.asarray(x[rows].mean(axis=0)).ravel()
    rest = np.setdiff1d(np.arange(x.shape[0]), rows)
    outside = np.asarray(x[rest].mean(axis=0)).ravel() if len(rest) else 0.0
    return np.asarray(inside - outside)


def _label(terms: np.ndarray, score: np.ndarray, n: int) -> list[str]:
    """Up to n terms the theme uses more than the others, each adding a word to the label.

    Terms as frequent elsewhere (what every message says) are left out, and so is a term
    whose words the label already has ("data, checks does", not "… does data, does").
    """
    out: list[str] = []
    words: set[str] = set()
    for i in np.argsort(-score, kind="stable"):
        if score[i] <= 0:
            break
        term = str(terms[i])
        parts = set(term.split())
        if parts <= words:
            continue
        out.append(term)
        words |= parts
        if len(out) == n:
            break
    return out


def _quotes(docs: list[str], rows: np.ndarray, rank: np.ndarray, n: int) -> list[str]:
    """The n (already redacted) most typical texts (lowest rank), shortened, without repeats."""
    quotes: list[str] = []
    for r in rows[np.argsort(rank[rows], kind="stable")]:
        text = " ".join(docs[r].split())
        if len(text) > _QUOTE_CHARS:
            text = text[: _QUOTE_CHARS - 1].rstrip() + "…"
        if text and text not in quotes:
            quotes.append(text)
        if len(quotes) == n:
            break
    return quotes
