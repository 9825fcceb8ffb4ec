"""Abandonment early warning: a label, a rules baseline and a calibrated model per person-week.

Label: a person abandons on the first day they have held a seat for ≥ 28 days with no
meaningful event (accept or task_complete) in the last 28 days. A person-week is positive
when that happens within `HORIZON_DAYS` (28) after the week ends. Features read only days
up to the week's end. `train` fits a calibrated gradient-boosting model on the weeks whose
label window closed before a cutoff and scores the later weeks against the three classic
rules; `score` ranks the people at risk now; both persist in a folder the caller gives.
"""

from uptake.signals.early_warning.frame import (
    HORIZON_DAYS,
    RULES,
    History,
    abandonment,
    load_history,
    person_weeks,
)
from uptake.signals.early_warning.model import (
    SIGNAL,
    ModelCard,
    default_cutoff,
    evaluate,
    evaluate_scores,
    flags,
    load_model,
    precision_at_top,
    score,
    train,
)

__all__ = [
    "HORIZON_DAYS",
    "RULES",
    "SIGNAL",
    "History",
    "ModelCard",
    "abandonment",
    "default_cutoff",
    "evaluate",
    "evaluate_scores",
    "flags",
    "load_history",
    "load_model",
    "person_weeks",
    "precision_at_top",
    "score",
    "train",
]
