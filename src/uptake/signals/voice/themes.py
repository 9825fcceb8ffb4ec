"""Themes in feedback text: clusters with top terms, per-segment counts at or above k, quotes.

A pure function over lists: the caller reads the texts, their authors (pseudonymous keys) and
segments from the warehouse. Counts are distinct people, never texts, because the minimum
group size protects people; a theme's segment counts go through the same table rule as every
metric (`uptake.metrics.privacy.table_hidden`: small cells and the cells that would reveal
them by subtraction are hidden).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer

from uptake.errors import InputError
from uptake.ingest.redact import redact
from uptake.metrics.privacy import check_k, table_hidden

_QUOTE_CHARS = 280


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
        seed: KMeans seed.

    Returns:
        Themes, largest first. A theme with fewer than k distinct people keeps no terms,
        counts or quotes.
    """
    check_k(k)
    if len(segments) != len(texts) or (people is not None and len(people) != len(texts)):
        raise InputError("themes: texts, segments and people must have the same length")
    authors = list(people) if people is not None else [f"text-{i}" for i in range(len(texts))]
    keep = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()]
    if not keep:
        return []
    # Redacted before clustering, so neither a quote nor a theme's terms ("jane", "doe")
    # can carry an address, number or credential.
    docs = [redact(texts[i]) or "" for i in keep]
    vec = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    try:
        x = vec.fit_transform(docs)
    except ValueError:
        # Too few texts for a term to appear twice: one theme with no vocabulary.
        vec = TfidfVectorizer(stop_words="english")
        x = vec.fit_transform(docs) if any(len(d) > 2 for d in docs) else None
    if x is None or x.shape[1] == 0:
        return []
    n = max(1, min(n_themes, len({d.strip().lower() for d in docs}), x.shape[0]))
    km = KMeans(n_clusters=n, n_init=10, random_state=seed).fit(x)
    terms = np.asarray(vec.get_feature_names_out())
    # Distance to the own centre: the most typical texts come first as quotes.
    dist = np.asarray(km.transform(x)[np.arange(x.shape[0]), km.labels_]).ravel()
    seg_names = sorted({str(segments[i]) for i in keep})
    found = []
    for c in range(n):
        rows = np.flatnonzero(km.labels_ == c)
        who = {authors[keep[r]] for r in rows}
        per_seg = {
            s: len({authors[keep[r]] for r in rows if str(segments[keep[r]]) == s})
            for s in seg_names
        }
        found.append((len(who), c, rows, per_seg))
    found.sort(key=lambda f: (-f[0], f[1]))
    out = []
    for rank, (n_people, c, rows, per_seg) in enumerate(found):
        if n_people < k:
            out.append(Theme(theme=rank, label=f"(fewer than {k} people)", terms=[], people=None))
            continue
        top = terms[np.argsort(-km.cluster_centers_[c], kind="stable")[:n_terms]].tolist()
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
                quotes=_quotes(docs, rows, dist, min(n_quotes, 3)),
            )
        )
    return out


def _quotes(docs: list[str], rows: np.ndarray, dist: np.ndarray, n: int) -> list[str]:
    """The n (already redacted) texts nearest the theme's centre, shortened, without repeats."""
    quotes: list[str] = []
    for r in rows[np.argsort(dist[rows], kind="stable")]:
        text = " ".join(docs[r].split())
        if len(text) > _QUOTE_CHARS:
            text = text[: _QUOTE_CHARS - 1].rstrip() + "…"
        if text and text not in quotes:
            quotes.append(text)
        if len(quotes) == n:
            break
    return quotes
