"""How well the adoption ladder recovers the simulator's ground truth.

The simulator records, per person, `proficient_on` (first day truly at L3: their latent chance
of AI-assisting an eligible high-stakes run reached 50 %), `proficient_on_observed` (first day
the ladder's L3 rule held on the generated tasks over 28 days) and `abandoned_on`. This module puts
the ladder beside them: on `as_of`, L3+ (measured) against truly-L3+ (proficient and not
abandoned) for the licensed people — accuracy, Cohen's kappa and the confusion counts — and
the week in which the ladder first shows L3 against the observed first day.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from uptake.errors import NotAvailableError
from uptake.metrics.context import MetricContext
from uptake.metrics.families.ladder import basis, person_levels
from uptake.metrics.families.proficiency import first_l3


def ladder_agreement(ctx: MetricContext, truth: pd.DataFrame) -> dict[str, Any]:
    """Agreement of the measured ladder with ground truth on `ctx.as_of`.

    Args:
        ctx: metric context (facts refreshed).
        truth: one row per person with `person_key`, `proficient_on`,
            `proficient_on_observed` and `abandoned_on` (dates, null when never).

    Returns:
        n, accuracy, kappa, confusion counts, and first-L3 timing agreement.
    """
    rules = basis(ctx)
    if rules is None:
        raise NotAvailableError("the ladder needs activity", needs=["tasks", "events"])
    levels = person_levels(ctx)
    t = truth.copy()
    for c in ("proficient_on", "proficient_on_observed", "abandoned_on"):
        t[c] = pd.to_datetime(t[c]).dt.date
    df = levels[["person_key", "level"]].merge(t, on="person_key", how="inner")
    on = ctx.as_of
    true_l3 = df["proficient_on"].map(lambda d: d is not None and not pd.isna(d) and d <= on)
    gone = df["abandoned_on"].map(lambda d: d is not None and not pd.isna(d) and d <= on)
    truly = (true_l3 & ~gone).to_numpy()
    measured = (df["level"] >= 3).to_numpy()
    out: dict[str, Any] = {
        "as_of": on.isoformat(),
        "basis": rules,
        "n": len(df),
        "accuracy": round(float((truly == measured).mean()), 4) if len(df) else None,
        "kappa": round(float(cohen_kappa_score(truly, measured)), 4) if len(df) else None,
        "true_positive": int((truly & measured).sum()),
        "false_positive": int((~truly & measured).sum()),
        "false_negative": int((truly & ~measured).sum()),
        "true_negative": int((~truly & ~measured).sum()),
        "measured_l3_share": round(float(measured.mean()), 4) if len(df) else None,
        "true_l3_share": round(float(truly.mean()), 4) if len(df) else None,
    }
    out.update(_timing(ctx, rules, t))
    return out


def _timing(ctx: MetricContext, rules: str, truth: pd.DataFrame) -> dict[str, Any]:
    """First week-end at L3 (measured) against the observed first day of the rule."""
    per = first_l3(ctx, rules)
    if per is None:
        return {}
    mine = ctx.engine.execute(per)
    df = mine.merge(truth, on="person_key", how="inner")
    seen = df["first_l3"].notna()
    obs = df["proficient_on_observed"].map(lambda d: _observed_in_range(d, ctx)).astype(bool)
    both = seen & obs
    week_end = pd.to_datetime(df.loc[both, "first_l3"]) + pd.Timedelta(days=6)
    observed = pd.to_datetime(df.loc[both, "proficient_on_observed"])
    lag = (week_end - observed).dt.days.to_numpy()
    return {
        "first_l3_people": int(both.sum()),
        "first_l3_only_measured": int((seen & ~obs).sum()),
        "first_l3_only_observed": int((~seen & obs).sum()),
        "first_l3_lag_days_median": float(np.median(lag)) if lag.size else None,
        "first_l3_same_week_share": round(float(((lag >= 0) & (lag <= 6)).mean()), 4)
        if lag.size
        else None,
    }


def _observed_in_range(d: Any, ctx: MetricContext) -> bool:
    """Whether an observed first-L3 day falls in the complete weeks the ladder evaluates."""
    if d is None or pd.isna(d):
        return False
    last_end = ctx.current_week + timedelta(days=6)
    if last_end > ctx.as_of:
        last_end -= timedelta(days=7)
    return bool(d <= last_end)
