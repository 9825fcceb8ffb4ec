"""Confidence: the latest pulse score, and a score inferred from behaviour for the rest.

A person's confidence is their latest pulse answer (0–10). People without one get an
*inferred* score from behaviour: a ridge regression fitted on the surveyed people's per-person
features (active weeks, meaningful-event share, bounce sessions, override rate, high-stakes
AI share, activity volume), always marked `inferred`, with its error measured on surveyed
people held out from fitting (fixed-seed split) against a predict-the-mean baseline.
Relational work is Ibis; the model runs in scikit-learn on the one-row-per-person frame.
Individual scores are only returned by `per_person` (the individual path); `compute` returns
group numbers that pass through privacy suppression. The AI tool NPS is its own family (`nps`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from uptake.metrics import stats
from uptake.metrics.context import MetricContext
from uptake.metrics.groups import (
    SEGMENT,
    result,
    segment_frame,
    suppressed_groups,
)
from uptake.metrics.privacy import TOTAL
from uptake.metrics.release import release_hide
from uptake.metrics.result import MetricResult, MetricSpec, not_available
from uptake.metrics.seats import seats
from uptake.metrics.segments import NO_SEGMENT
from uptake.schema.tables import MEANINGFUL_ACTIONS

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

SESSION_MARKERS = ("session_start", "session_end")
FEATURES = (
    "active_week_share",
    "actions_per_week_log",
    "meaningful_share",
    "bounce_share",
    "override_rate",
    "high_stakes_ai_share",
)
SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="confidence",
        family="confidence",
        label="mean confidence of surveyed people (0–10)",
        unit="score",
        headline="mean",
        needs=("responses.score",),
        definition="each person's latest pulse confidence answer (0–10), mean with a t interval",
    ),
    MetricSpec(
        name="confidence_inferred",
        family="confidence",
        label="mean inferred confidence of people not surveyed (0–10)",
        unit="score",
        headline="mean",
        needs=("responses.score", "events"),
        definition=(
            "a ridge regression on behaviour, fitted on surveyed people, scores everyone "
            "else; its error on held-out surveyed people is reported beside it"
        ),
        basis="estimate",
    ),
)
CONFIDENCE, INFERRED = SPECS


@dataclass
class ConfidenceResult:
    """Per-person confidence (surveyed and inferred) plus the inferred model's evidence."""

    people: pd.DataFrame
    model: dict[str, Any] | None
    model_needs: list[str] = field(default_factory=list)


def compute(ctx: MetricContext) -> list[MetricResult]:
    """Confidence results: surveyed scores, and inferred scores with the model's error.

    Args:
        ctx: metric context.

    Returns:
        One result per spec, in order.
    """
    s = ctx.settings
    if ctx.missing("responses.score"):
        return [not_available(spec, "responses.score") for spec in SPECS]
    res = per_person(ctx)
    surveyed = res.people[~res.people.inferred]
    if surveyed.empty:
        note = f"no {s.confidence_instrument}/{s.confidence_item} answers"
        return [not_available(spec, "responses.score", note=note) for spec in SPECS]
    out = [_score_result(CONFIDENCE, ctx, surveyed)]
    if res.model is None:
        few = f"fewer than {s.confidence_min_train} surveyed people with behaviour to fit the model"
        needs = res.model_needs or ["responses.score"]
        out.append(not_available(INFERRED, *needs, note=None if res.model_needs else few))
    else:
        inferred = _score_result(INFERRED, ctx, res.people[res.people.inferred])
        if inferred.available and not inferred.suppressed:
            inferred.values.update(inferred=True, model=res.model)
        out.append(inferred)
    return out


# -- per person ------------------------------------------------------------------------------


def latest_pulse(ctx: MetricContext) -> ibis.Table:
    """Each person's latest confidence answer within the maximum age, up to `as_of`.

    Args:
        ctx: metric context.

    Returns:
        Ibis table `person_key`, `score`, `answered_at`.
    """
    s = ctx.settings
    r = ctx.engine.table("responses")
    since = ctx.end_ts - timedelta(days=s.confidence_max_age_days)
    r = r.filter(
        r.instrument == s.confidence_instrument,
        r.item == s.confidence_item,
        r.person_key.notnull(),
        r.score.between(0, 10),
        r.ts >= since,
        r.ts < ctx.end_ts,
    )
    w = ibis.window(group_by=r.person_key, order_by=[ibis.desc(r.ts), ibis.desc(r.response_id)])
    ranked = r.mutate(rank=ibis.row_number().over(w))
    latest = ranked.filter(ranked["rank"] == 0)
    return latest.select("person_key", "score", answered_at=latest.ts)


def per_person(ctx: MetricContext) -> ConfidenceResult:
    """Confidence of every person in scope: surveyed answers, else an inferred score.

    Individual path only: callers that show these values must respect the coaching policy.

    Args:
        ctx: metric context.

    Returns:
        `people` with `person_key`, `score`, `inferred` (bool), `answered_at`; `model` holds
        the inferred model's features, coefficients and held-out error (None when it could not
        be fitted, with `model_needs` naming missing inputs).
    """
    surveyed = ctx.engine.execute(latest_pulse(ctx))
    surveyed = surveyed.sort_values("person_key").reset_index(drop=True)
    surveyed["inferred"] = False
    if ctx.missing("events"):
        return ConfidenceResult(surveyed, None, ["events"])
    feats = behaviour_features(ctx)
    cols = [c for c in FEATURES if c in feats.columns]
    train = surveyed.merge(feats, on="person_key", how="inner")
    usable = [c for c in cols if train[c].notna().any()]
    if len(train) < ctx.settings.confidence_min_train or not usable:
        return ConfidenceResult(surveyed, None)
    model, evidence = fit_and_evaluate(train, usable, ctx)
    rest = feats[~feats.person_key.isin(surveyed.person_key)].sort_values("person_key")
    inferred = pd.DataFrame(
        {
            "person_key": rest.person_key.to_numpy(),
            "score": np.clip(model.predict(rest[usable]), 0, 10) if len(rest) else [],
            "answered_at": pd.NaT,
            "inferred": True,
        }
    )
    people = pd.concat([surveyed, inferred], ignore_index=True)
    return ConfidenceResult(people, evidence)


def behaviour_features(ctx: MetricContext) -> pd.DataFrame:
    """Per-person behaviour over the feature window, one row per person in scope.

    People in scope: those with a licence active in the window, any event in it, or a pulse
    answer. Features a person has no data for are NaN (the model imputes them).

    Args:
        ctx: metric context.

    Returns:
        `person_key` plus the columns of `FEATURES` that the warehouse can support.
    """
    s = ctx.settings
    end = ctx.end_ts
    start = end - timedelta(days=s.confidence_feature_days)
    n_weeks = math.ceil(s.confidence_feature_days / 7)

    ev = ctx.engine.table("events")
    ev = ev.filter(ev.ts >= start, ev.ts < end)
    is_action = ~ev.action.isin(SESSION_MARKERS)
    is_meaningful = ev.action.isin(MEANINGFUL_ACTIONS)
    acts = ev.filter(is_action)
    activity = acts.group_by("person_key").aggregate(
        actions=acts.count(),
        meaningful=acts.action.isin(MEANINGFUL_ACTIONS).cast("int64").sum(),
        active_weeks=ctx.week(acts.ts).nunique(),
    )
    sess = (
        ev.filter(ev.session_id.notnull())
        .group_by(["person_key", "session_id"])
        .aggregate(
            actions=is_action.cast("int64").sum(),
            meaningful=is_meaningful.cast("int64").sum(),
        )
    )
    bounce = (sess.meaningful == 0) & (sess.actions <= s.bounce_max_actions)
    sessions = sess.group_by("person_key").aggregate(
        sessions=sess.count(), bounces=bounce.cast("int64").sum()
    )
    frames = [ctx.engine.execute(activity), ctx.engine.execute(sessions)]
    if ctx.has("decisions"):
        d = ctx.engine.table("decisions")
        d = d.filter(d.ts >= start, d.ts < end)
        frames.append(
            ctx.engine.execute(
                d.group_by("person_key").aggregate(
                    decisions=d.count(), overrides=(~d.followed).cast("int64").sum()
                )
            )
        )
    if ctx.has("tasks") and ctx.has("workflows"):
        t = ctx.engine.table("tasks")
        wf = ctx.engine.table("workflows")
        high = wf.filter(wf.stakes == "high").select(hs_workflow=wf.workflow)
        t = t.filter(t.started_at >= start, t.started_at < end)
        t = t.join(high, t.workflow == high.hs_workflow)
        frames.append(
            ctx.engine.execute(
                t.group_by("person_key").aggregate(
                    high_runs=t.count(), high_ai=t.ai_assisted.cast("int64").sum()
                )
            )
        )
    keys = _scope(ctx, start, end)
    df = pd.DataFrame({"person_key": pd.Series(sorted(keys), dtype=object)})
    for f in frames:
        df = df.merge(f, on="person_key", how="left")
    out = pd.DataFrame({"person_key": df.person_key})
    actions = df["actions"].fillna(0).astype(float)
    out["active_week_share"] = df["active_weeks"].fillna(0).astype(float) / n_weeks
    out["actions_per_week_log"] = np.log1p(actions / n_weeks)
    out["meaningful_share"] = _ratio(df["meaningful"], actions)
    out["bounce_share"] = _ratio(df["bounces"], df["sessions"])
    if "decisions" in df:
        out["override_rate"] = _ratio(df["overrides"], df["decisions"])
    if "high_runs" in df:
        out["high_stakes_ai_share"] = _ratio(df["high_ai"], df["high_runs"])
    return out


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype(float)
    return (num.fillna(0).astype(float) / den).where(den > 0)


def _scope(ctx: MetricContext, start: datetime, end: datetime) -> set[str]:
    """People whose confidence is reported: licensed in the window, active, or surveyed."""
    keys: set[str] = set()
    ev = ctx.engine.table("events")
    ev = ev.filter(ev.ts >= start, ev.ts < end)
    keys |= set(ctx.engine.execute(ev.select("person_key").distinct()).person_key)
    keys |= set(ctx.engine.execute(latest_pulse(ctx).select("person_key")).person_key)
    if ctx.has("licenses"):
        lic = seats(ctx.engine)
        lic = lic.filter(lic.assigned_at < end, lic.removed_at.isnull() | (lic.removed_at >= start))
        keys |= set(ctx.engine.execute(lic.select("person_key").distinct()).person_key)
    if ctx.has("people"):
        p = ctx.engine.table("people")
        left = ctx.engine.execute(p.filter(p.employment_status == "left").select("person_key"))
        keys -= set(left.person_key)
    keys.discard(None)  # type: ignore[arg-type]
    return keys


def fit_and_evaluate(
    train: pd.DataFrame, cols: list[str], ctx: MetricContext
) -> tuple[Pipeline, dict[str, Any]]:
    """Measure the model's error on held-out surveyed people, then refit it on all of them.

    Args:
        train: surveyed people with `score` and the feature columns.
        cols: feature columns to use.
        ctx: metric context (seed, test share).

    Returns:
        The model fitted on every surveyed person, and its evidence: features, standardised
        coefficients, sample sizes, held-out MAE and the predict-the-mean baseline's MAE.
    """
    # Imported here: scikit-learn takes about half a second to import, and only a workspace
    # with pulse answers to learn from fits the model.
    from sklearn.metrics import mean_absolute_error
    from sklearn.model_selection import train_test_split

    s = ctx.settings
    train = train.sort_values("person_key").reset_index(drop=True)
    fit_part, test_part = train_test_split(
        train, test_size=s.confidence_test_share, random_state=s.seed
    )
    held = _model().fit(fit_part[cols], fit_part.score)
    pred = np.clip(held.predict(test_part[cols]), 0, 10)
    mae = float(mean_absolute_error(test_part.score, pred))
    base = float(
        mean_absolute_error(test_part.score, np.full(len(test_part), fit_part.score.mean()))
    )
    model = _model().fit(train[cols], train.score)
    ridge = model.named_steps["ridgecv"]
    evidence = {
        "kind": "ridge regression on per-person behaviour",
        "features": cols,
        "coefficients": {c: round(float(b), 6) for c, b in zip(cols, ridge.coef_, strict=True)},
        "n_train": len(fit_part),
        "n_test": len(test_part),
        "n_fitted": len(train),
        "mae": round(mae, 6),
        "baseline_mae": round(base, 6),
        "skill": round(1 - mae / base, 6) if base > 0 else None,
        "seed": s.seed,
    }
    return model, evidence


def _model() -> Pipeline:
    # Ridge keeps a handful of correlated ratios stable on a few dozen surveyed people;
    # RidgeCV's leave-one-out choice of alpha is deterministic.
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        RidgeCV(alphas=np.logspace(-2, 3, 11)),
    )


# -- group outputs ---------------------------------------------------------------------------


def _score_result(spec: MetricSpec, ctx: MetricContext, people: pd.DataFrame) -> MetricResult:
    """Mean (t interval) and median score overall and per segment, suppressed below k."""
    s = ctx.settings
    df = people[["person_key", "score"]].copy()
    seg = segment_frame(ctx)
    groups: list[tuple[str, pd.DataFrame]] = [(TOTAL, df)]
    if seg is not None:
        df = df.merge(seg, on="person_key", how="left")
        df[SEGMENT] = df[SEGMENT].fillna(NO_SEGMENT)
        groups += [(str(g), part) for g, part in df.groupby(SEGMENT, sort=True)]
    rows = []
    for name, part in groups:
        x = part.score.to_numpy(dtype=float)
        ci = stats.mean_ci(x, s.confidence_level).clip(0, 10)
        rows.append(
            {
                SEGMENT: name,
                "n": len(x),
                **ci.as_dict("mean"),
                "median": float(np.median(x)) if len(x) else None,
            }
        )
    frame = pd.DataFrame(rows)
    hide = release_hide(ctx, people["person_key"].tolist(), frame) if seg is not None else None
    return result(spec, ctx, suppressed_groups(ctx, frame, hide=hide), empty="responses.score")
