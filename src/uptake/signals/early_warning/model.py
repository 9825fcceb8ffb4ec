"""Early-warning model: train on earlier person-weeks, score people, compare with the rules."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

from uptake.errors import InputError
from uptake.metrics.context import MetricContext
from uptake.signals.base import Flag
from uptake.signals.early_warning.frame import (
    HORIZON_DAYS,
    RULES,
    Distress,
    _Sums,
    abandonment,
    features_at,
    held,
    load_history,
    person_weeks,
    rules_score,
)

SIGNAL = "abandonment_risk"
MODEL_FILE = "model.joblib"
CARD_FILE = "model_card.json"
TOP_SHARE = 0.10
SEED = 20260
# Evaluation weeks: those ending in the EVAL_DAYS before the last week whose label is known.
EVAL_DAYS = 28
# The model's inputs and the way each may move the risk (-1 down, +1 up). The model trains on
# the first weeks of a rollout and is scored on later ones: on every feature, unconstrained,
# it learned tenure-bound patterns that did not carry over (ROC AUC 0.78-0.83 on two simulated
# seeds, below days quiet alone at 0.94-0.96). The label's own clock and last week's active
# days, held to the sensible direction, carry over; quiet against the person's usual gap,
# weekly trends and first-fortnight use added nothing there, or cost AUC on small rollouts.
MODEL_FEATURES: dict[str, int] = {"need_days": -1, "active_days_7d": -1}


@dataclass
class ModelCard:
    """What was trained, on what, and how well it did on the later weeks it never saw.

    Attributes:
        signal: the signal's name.
        trained_on: the workspace's `as_of` when trained.
        cutoff: training rows are weeks whose label window ends by this day; evaluation rows
            are weeks ending on or after it.
        horizon_days: a week is positive when abandonment follows within this many days.
        seed: the random seed of the model and the calibration folds.
        features: the model's inputs, in order.
        train_rows, train_positives, train_people: the training set.
        eval_rows, eval_positives: the evaluation set.
        threshold: the risk at which a score enters the top 10 % of the evaluation rows.
        scores: `model`, `rules` and `quiet` (days already quiet, alone) metrics on the
            evaluation weeks (see `evaluate_scores`).
        proxy_tools: tools without meaningful events whose actions stood in for them.
        label: the label's definition in words.
    """

    signal: str
    trained_on: str
    cutoff: str
    horizon_days: int
    seed: int
    features: list[str]
    train_rows: int
    train_positives: int
    train_people: int
    eval_rows: int
    eval_positives: int
    threshold: float
    scores: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    proxy_tools: list[str] = field(default_factory=list)
    label: str = (
        "licensed ≥ 28 days and no meaningful event (accept or task_complete) for 28 days; "
        "a person-week is positive when that first holds within horizon_days after it"
    )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def load(cls, model_dir: Path | str) -> ModelCard:
        """Read the card stored beside a model.

        Args:
            model_dir: the folder `train` wrote.

        Returns:
            The card.
        """
        path = Path(model_dir) / CARD_FILE
        if not path.exists():
            raise InputError(f"{path}: no early-warning model card; train the model first")
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def precision_at_top(y: np.ndarray, s: np.ndarray, share: float = TOP_SHARE) -> float:
    """Precision among the top `share` of scores, ties at the cut broken at random (expected).

    Args:
        y: labels (0/1).
        s: scores.
        share: the top share.

    Returns:
        Expected share of positives among the top ⌈share·n⌉ rows.
    """
    y, s = np.asarray(y, dtype=float), np.asarray(s, dtype=float)
    k = max(1, math.ceil(share * len(s)))
    cut = np.sort(s)[::-1][k - 1]
    above = s > cut
    tied = s == cut
    # The tied rows fill the remaining places; each carries the tied group's positive rate.
    rest = k - int(above.sum())
    return float((y[above].sum() + rest * y[tied].mean()) / k)


def lead_times(frame: pd.DataFrame, score: str, threshold: float) -> pd.Series:
    """Days from the first week a person's score reached the threshold to their abandonment.

    Args:
        frame: person-weeks with `person_key`, `week_end`, `abandoned_on` and the score.
        score: the score column.
        threshold: the flagging threshold.

    Returns:
        Lead in days per person who abandoned and was flagged before (index person_key).
    """
    f = frame[frame.abandoned_on.notna() & (frame[score] >= threshold)]
    first = f.groupby("person_key").agg(week_end=("week_end", "min"), ab=("abandoned_on", "first"))
    return pd.Series(
        [(a - w).days for w, a in zip(first.week_end, first.ab, strict=True)],
        index=first.index,
        dtype=float,
    )


def evaluate_scores(frame: pd.DataFrame, score: str) -> dict[str, float | int | None]:
    """ROC AUC, average precision, precision in the top 10 % and median lead time of a score.

    Args:
        frame: person-weeks (all weeks of the period, labels known or not) with the score.
        score: the score column.

    Returns:
        Metrics; `people_abandoning` counts people whose abandonment falls after the first
        week of the frame, `people_flagged` those flagged in a week before it.
    """
    known = frame[frame.known]
    y, s = known.label.to_numpy(dtype=int), known[score].to_numpy(dtype=float)
    k = max(1, math.ceil(TOP_SHARE * len(s)))
    threshold = float(np.sort(s)[::-1][k - 1]) if len(s) else math.nan
    start = frame.week_end.min()
    aband = frame[frame.abandoned_on.notna()]
    aband = aband[[a > start for a in aband.abandoned_on]]
    leads = lead_times(aband, score, threshold)
    two = len(set(y)) == 2
    return {
        "rows": len(known),
        "positives": int(y.sum()),
        "roc_auc": float(roc_auc_score(y, s)) if two else None,
        "average_precision": float(average_precision_score(y, s)) if two else None,
        "precision_top10": precision_at_top(y, s) if len(s) else None,
        "threshold": threshold,
        "people_abandoning": int(aband.person_key.nunique()),
        "people_flagged": len(leads),
        "median_lead_days": float(leads.median()) if len(leads) else None,
    }


def _classifier(seed: int, groups: np.ndarray, x: pd.DataFrame, y: np.ndarray) -> Any:
    base = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=300,
        max_leaf_nodes=15,
        min_samples_leaf=20,
        l2_regularization=1.0,
        monotonic_cst=[MODEL_FEATURES.get(str(c), 0) for c in x.columns],
        random_state=seed,
    )
    # One OpenMP thread: on a small shared machine more threads made the fit 20× slower
    # (spinning workers), and the data is too small to gain from them.
    # Folds by person: one person's weeks are alike, so splitting them would calibrate on
    # rows the booster has nearly seen.
    folds = list(GroupKFold(n_splits=3).split(x, y, groups))
    model = CalibratedClassifierCV(base, method="sigmoid", cv=folds)
    with threadpool_limits(limits=1):
        return model.fit(x, y)


def _predict(model: Any, x: pd.DataFrame) -> np.ndarray:
    if not len(x):
        return np.zeros(0)
    with threadpool_limits(limits=1):
        return np.asarray(model.predict_proba(x)[:, 1], dtype=float)


def split(frame: pd.DataFrame, cutoff: date, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Time split: training weeks whose label window ends by `cutoff`, evaluation weeks after.

    Args:
        frame: person-weeks.
        cutoff: the split day.
        horizon: the label's horizon in days.

    Returns:
        (train rows with known labels, evaluation rows ending on or after the cutoff).
    """
    ends = frame.week_end
    train = frame[[w + timedelta(days=horizon) <= cutoff for w in ends]]
    return train[train.known], frame[[w >= cutoff for w in ends]]


def default_cutoff(as_of: date, horizon: int = HORIZON_DAYS) -> date:
    """The split day: evaluation weeks end in the `EVAL_DAYS` before the last labelled one.

    Args:
        as_of: last day of data.
        horizon: the label's horizon in days.

    Returns:
        `as_of − horizon − EVAL_DAYS`.
    """
    return as_of - timedelta(days=horizon + EVAL_DAYS)


def _too_short(tr: pd.DataFrame, cutoff: date, horizon: int, why: str) -> InputError:
    """The error for training weeks that cannot train a model, saying how much history would.

    A week trains only once its label is known by the cutoff, and the default cutoff keeps
    the last `EVAL_DAYS` of labelled weeks for evaluation: with the default split, about
    four training weeks need `2 × horizon + EVAL_DAYS` days of history plus four weeks.
    """
    weeks = tr.week_end.nunique()
    enough = math.ceil((2 * horizon + EVAL_DAYS) / 7) + 4
    return InputError(
        f"early warning: too little history to train: {weeks} week(s) end {horizon} days or "
        f"more before the cutoff {cutoff} ({why}); a week is labelled {horizon} days after it "
        f"ends and the last {EVAL_DAYS} labelled days are kept for evaluation, so ingest a "
        f"longer history ({enough} weeks or more)"
    )


def train(
    ctx: MetricContext,
    out_dir: Path | str,
    *,
    cutoff: date | None = None,
    horizon: int = HORIZON_DAYS,
    seed: int = SEED,
    distress: Distress | None = None,
) -> ModelCard:
    """Train the calibrated model on the weeks before a cutoff, score the later weeks, save.

    Args:
        ctx: metric context over a warehouse with refreshed facts; `as_of` ends the data.
        out_dir: folder for `model.joblib` and `model_card.json` (created).
        cutoff: the split day (default: `default_cutoff(ctx.as_of, horizon)`).
        horizon: days after a week in which abandonment makes it positive.
        seed: random seed.
        distress: optional test of a feedback text for distress language (rules and model).

    Returns:
        The model card (also written to `out_dir`).
    """
    h = load_history(ctx, distress)
    frame = person_weeks(h, ctx.week_offset, horizon)
    cutoff = cutoff or default_cutoff(ctx.as_of, horizon)
    tr, ev = split(frame, cutoff, horizon)
    if tr.label.nunique() < 2 or tr.person_key.nunique() < 3:
        raise _too_short(
            tr, cutoff, horizon, f"{len(tr)} labelled person-weeks, {int(tr.label.sum())} positive"
        )
    # An input the training weeks hold constant carries no information; the card lists only
    # the features the model really uses.
    cols = [c for c in MODEL_FEATURES if tr[c].nunique(dropna=False) > 1]
    if not cols:
        raise _too_short(tr, cutoff, horizon, "they hold every input constant")
    model = _classifier(seed, tr.person_key.to_numpy(), tr[cols], tr.label.to_numpy(dtype=int))
    ev = ev.assign(model=_predict(model, ev[cols]))
    scores = _compare(ev)
    card = ModelCard(
        signal=SIGNAL,
        trained_on=ctx.as_of.isoformat(),
        cutoff=cutoff.isoformat(),
        horizon_days=horizon,
        seed=seed,
        features=cols,
        train_rows=len(tr),
        train_positives=int(tr.label.sum()),
        train_people=int(tr.person_key.nunique()),
        eval_rows=int(ev.known.sum()),
        eval_positives=int(ev[ev.known].label.sum()),
        threshold=_threshold(ev, "model"),
        scores=scores,
        proxy_tools=list(h.proxy_tools),
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, out / MODEL_FILE)
    (out / CARD_FILE).write_text(json.dumps(card.to_dict(), indent=2), encoding="utf-8")
    return card


def _threshold(frame: pd.DataFrame, score: str) -> float:
    s = frame.loc[frame.known, score].to_numpy(dtype=float)
    if not len(s):
        return 1.0
    return float(np.sort(s)[::-1][max(1, math.ceil(TOP_SHARE * len(s))) - 1])


def load_model(model_dir: Path | str) -> tuple[Any, ModelCard]:
    """The stored model and its card.

    Args:
        model_dir: the folder `train` wrote.

    Returns:
        (fitted classifier, card).
    """
    card = ModelCard.load(model_dir)
    return joblib.load(Path(model_dir) / MODEL_FILE), card


def evaluate(
    ctx: MetricContext,
    model_dir: Path | str,
    *,
    since: date | None = None,
    distress: Distress | None = None,
    labels: pd.DataFrame | None = None,
) -> dict[str, dict[str, float | int | None]]:
    """Score a stored model and the rules on another workspace's person-weeks.

    Args:
        ctx: metric context over the workspace to evaluate on (facts refreshed).
        model_dir: the folder `train` wrote.
        since: only weeks ending on or after this day (None: every week).
        distress: optional distress test for the rules and the model.
        labels: optional (person_key, week_end, label, known, abandoned_on) to replace the
            workspace's own labels (e.g. labels from the canonical view of the same people).

    Returns:
        `model`, `rules` and `quiet` (days without a meaningful event, alone) metrics (see
        `evaluate_scores`).
    """
    model, card = load_model(model_dir)
    frame = person_weeks(load_history(ctx, distress), ctx.week_offset, card.horizon_days)
    if since is not None:
        frame = frame[[w >= since for w in frame.week_end]]
    if labels is not None:
        keep = ["person_key", "week_end", "label", "known", "abandoned_on"]
        frame = frame.drop(columns=keep[2:]).merge(labels[keep], on=keep[:2], how="inner")
    return _compare(frame.assign(model=_predict(model, frame[card.features])))


def _compare(frame: pd.DataFrame) -> dict[str, dict[str, float | int | None]]:
    # `quiet_days` alone is the bar the model must really clear: the label is 28 quiet
    # days, so days already quiet rank most of it (the classic rules are a weak bar).
    frame = frame.assign(quiet=frame.quiet_days.fillna(0))
    return {k: evaluate_scores(frame, k) for k in ("model", "rules", "quiet")}


def score(
    ctx: MetricContext, model_dir: Path | str, *, distress: Distress | None = None
) -> pd.DataFrame:
    """Abandonment risk of every person holding a seat on `ctx.as_of` who has not abandoned.

    Args:
        ctx: metric context over a warehouse with refreshed facts.
        model_dir: the folder `train` wrote.
        distress: optional distress test (as in training).

    Returns:
        Frame (person_key, risk 0..1, flagged — risk in the training evaluation's top 10 %,
        rules — share of the classic predictors that hold, rules_hit, quiet_days), highest
        risk first.
    """
    model, card = load_model(model_dir)
    h = load_history(ctx, distress)
    e = h.days - 1
    x = features_at(h, _Sums(h), e)
    ab = abandonment(h)
    risk_rows = held(h, e) & (h.licence <= e) & (ab < 0)
    x = x[risk_rows]
    # Plain lists, not a pandas row per person (iterrows cost 0.34 s at 10,000 people).
    hits = x[[f"rule_{r}" for r in RULES]].to_numpy(dtype=bool).tolist()
    out = pd.DataFrame(
        {
            "person_key": h.keys[risk_rows],
            "risk": _predict(model, x[card.features]),
            "rules": rules_score(x),
            "rules_hit": [[r for r, hit in zip(RULES, row, strict=True) if hit] for row in hits],
            "quiet_days": x["quiet_days"].to_numpy(),
        }
    )
    out.insert(2, "flagged", out.risk >= card.threshold)
    return out.sort_values(["risk", "person_key"], ascending=[False, True], ignore_index=True)


def flags(
    ctx: MetricContext, model_dir: Path | str, *, distress: Distress | None = None
) -> list[Flag]:
    """A `Flag` for each person whose risk is in the top 10 % (the card's threshold).

    Args:
        ctx: metric context over a warehouse with refreshed facts.
        model_dir: the folder `train` wrote.
        distress: optional distress test.

    Returns:
        Flags, highest risk first, dated `ctx.as_of`.
    """
    s = score(ctx, model_dir, distress=distress)
    return [
        Flag(
            person_key=str(r["person_key"]),
            signal=SIGNAL,
            since=ctx.as_of,
            evidence={
                "risk": round(float(r["risk"]), 4),
                "rules_hit": list(r["rules_hit"]),
                "quiet_days": float(r["quiet_days"]),
            },
        )
        for r in s[s.flagged].to_dict("records")
    ]
