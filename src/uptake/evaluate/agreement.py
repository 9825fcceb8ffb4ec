"""Agreement of a measured classification with a reference: n, accuracy, kappa, confusion."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np


def agreement(
    reference: Iterable[str], measured: Iterable[str], labels: Sequence[str]
) -> dict[str, Any]:
    """How often `measured` gives the class `reference` gives, person by person.

    Args:
        reference: the reference class per person (ground truth, or the canonical view).
        measured: the measured class per person, aligned with `reference`.
        labels: every class, in the order the confusion table lists them.

    Returns:
        n, accuracy (share of people classed alike), Cohen's kappa (agreement beyond
        chance; None when undefined, e.g. both sides put everyone in one class) and the
        confusion table: `matrix[i][j]` people the reference puts in `labels[i]` and the
        measurement in `labels[j]`.
    """
    # Imported here: scikit-learn takes half a second to load, and only evaluation needs it.
    from sklearn.metrics import cohen_kappa_score

    ref = np.asarray(list(reference), dtype=object)
    got = np.asarray(list(measured), dtype=object)
    if len(ref) != len(got):
        raise ValueError(f"reference has {len(ref)} people, measured {len(got)}")
    unknown = (set(ref) | set(got)) - set(labels)
    if unknown:
        raise ValueError(f"classes not in labels: {sorted(map(str, unknown))}")
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for r, g in zip(ref, got, strict=True):
        matrix[index[r]][index[g]] += 1
    n = len(ref)
    accuracy = float((ref == got).mean()) if n else None
    kappa: float | None = None
    if n:
        # sklearn warns and returns nan when chance agreement is total: say "undefined".
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore")
            k = float(cohen_kappa_score(ref, got, labels=list(labels)))
        kappa = None if math.isnan(k) else k
    return {
        "n": n,
        "accuracy": None if accuracy is None else round(accuracy, 4),
        "kappa": None if kappa is None else round(kappa, 4),
        "labels": list(labels),
        "confusion": matrix,
    }
