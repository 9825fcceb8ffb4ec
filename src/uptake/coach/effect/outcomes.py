"""Per person with an arm: the outcomes coaching should move, before and after assignment.

Individual data: it feeds the aggregate estimate and tests, never a surface.

The baseline is each person's ladder level at the end of the last reporting week that ends
before the day they were assigned (strictly pre-assignment); the outcome is read at the end
of the last complete week on or before as_of. The pre-period is the same number of weeks
before the baseline, shortened to the weeks the person was licensed and the data observed
(levels before the data starts are not known). Levels come from the ladder's weekly history
(on the activity proxy when there are no tasks: the result says so).

- Ladder: levels gained baseline → end; moved up ≥ 1 level. Pre: the same over the pre-period.
- Proficiency: among people below L3 at the baseline, reached L3 by the end (and the days
  from assignment to the first week-end at L3+, censored at the end). Pre: among people below
  L3 at the pre-period's start, reached L3 by the baseline.
- Abandonment (the early-warning label: licensed ≥ 28 days, no meaningful event in the last
  28): among people not abandoned on the assignment day, abandoned by as_of. Pre: among
  people not abandoned at the pre-period's start (the same number of days back, not before
  their first seat), abandoned by the assignment day.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from uptake.coach.arms import ARMS
from uptake.errors import InputError, NotAvailableError
from uptake.metrics.context import MetricContext
from uptake.metrics.families.ladder import basis
from uptake.metrics.families.ladder_history import history
from uptake.metrics.families.proficiency import data_start
from uptake.metrics.groups import complete_weeks
from uptake.metrics.segments import person_segments
from uptake.signals.early_warning.frame import abandonment, load_history

LADDER = ("lvl_pre", "lvl_base", "lvl_end", "gained", "pre_gained", "up", "pre_up")
PROFICIENCY = ("prof", "prof_days", "prof_reached", "pre_prof")
ABANDONMENT = ("abandoned", "pre_abandoned")


def clean_arms(arms: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The arms that count on `as_of`: treatment or holdout, assigned on or before it.

    Args:
        arms: person_key, arm, assigned_at (as `uptake.coach.arms.assigned_arms`).
        as_of: last day of the measurement.

    Returns:
        person_key, arm, assigned (date) — one row per person.
    """
    if arms.empty:
        return pd.DataFrame({"person_key": [], "arm": [], "assigned": []})
    frame = arms[arms["arm"].isin(ARMS) & arms["assigned_at"].notna()].copy()
    frame["assigned"] = pd.to_datetime(frame["assigned_at"]).dt.date
    frame = frame[frame["assigned"] <= as_of]
    frame = frame.sort_values(["person_key", "assigned"], kind="stable")
    return frame.drop_duplicates("person_key")[["person_key", "arm", "assigned"]].reset_index(
        drop=True
    )


def person_outcomes(ctx: MetricContext, arms: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Each person's outcomes before and after assignment (NaN: not in that population).

    Args:
        ctx: metric context (facts refreshed).
        arms: person_key, arm, assigned_at.
        by: a segment dimension to attach as `segment`, or None.

    Returns:
        person_key, arm, assigned, [segment], the `LADDER`, `PROFICIENCY` and `ABANDONMENT`
        columns; `attrs` holds `basis` (ladder rules), `end` (the outcome week's last day)
        and `abandonment` (False when the workspace has no seats to judge it).
    """
    rules = basis(ctx)
    if rules is None or ctx.missing("licenses"):
        needs = ctx.missing("licenses") or ["tasks", "events"]
        raise NotAvailableError("the coaching effect needs licences and activity", needs=needs)
    frame = clean_arms(arms, ctx.as_of)
    levels, ends = _levels(ctx, rules, frame)
    frame = pd.concat([frame, _ladder(frame, levels, ends)], axis=1)
    ab = _abandonment(ctx, frame)
    frame = pd.concat([frame, ab], axis=1)
    if by is not None:
        seg = ctx.engine.execute(person_segments(ctx.engine, by, ctx.as_of))
        frame = frame.merge(seg, on="person_key", how="left")
        frame["segment"] = frame["segment"].fillna("(none)").astype(str)
    frame.attrs.update(basis=rules, end=ends[-1] if len(ends) else None, abandonment=ab.attrs["ok"])
    return frame


def _levels(ctx: MetricContext, rules: str, frame: pd.DataFrame) -> tuple[np.ndarray, list[date]]:
    """Level per person (rows of `frame`) at the end of every week since the data starts."""
    start = data_start(ctx)
    last = complete_weeks(ctx, 1)[-1]
    if start is None or ctx.week_of(start) > last:
        raise NotAvailableError(
            "the coaching effect needs a complete week of activity",
            needs=["events (a complete week since the data starts)"],
        )
    first = ctx.week_of(start)
    weeks = [first + timedelta(days=7 * i) for i in range((last - first).days // 7 + 1)]
    grid = np.full((len(frame), len(weeks)), np.nan)
    if len(frame):
        h = ctx.engine.execute(history(ctx, weeks, rules))
        row = pd.Series(np.arange(len(frame)), index=frame["person_key"].astype(str))
        h = h[h["person_key"].astype(str).isin(row.index)]
        col = {w: i for i, w in enumerate(weeks)}
        r = row[h["person_key"].astype(str)].to_numpy()
        c = np.array([col[pd.Timestamp(w).date()] for w in h["week"]], dtype=np.int64)
        grid[r, c] = h["level"].to_numpy(dtype=float)
    return grid, [w + timedelta(days=6) for w in weeks]


def _ladder(frame: pd.DataFrame, grid: np.ndarray, ends: list[date]) -> pd.DataFrame:
    n, w = grid.shape
    out = pd.DataFrame(np.nan, index=frame.index, columns=[*LADDER, *PROFICIENCY])
    if n == 0 or w == 0:
        return out
    end_days = np.array(ends, dtype="datetime64[D]")
    assigned = frame["assigned"].to_numpy(dtype="datetime64[D]")
    # Baseline: the last week ending before the assignment day.
    base = np.searchsorted(end_days, assigned, side="left") - 1
    last = w - 1
    known = ~np.isnan(grid)
    first_known = np.where(known.any(axis=1), known.argmax(axis=1), w)
    rows = np.arange(n)
    ok = (base >= 0) & (base < last)
    b = np.clip(base, 0, last)
    lvl_base = np.where(ok, grid[rows, b], np.nan)
    lvl_end = np.where(ok, grid[:, last], np.nan)
    span = last - b
    pre = np.maximum(b - span, first_known)
    has_pre = ok & (pre < b)
    p = np.clip(pre, 0, last)
    lvl_pre = np.where(has_pre, grid[rows, p], np.nan)
    out["lvl_pre"], out["lvl_base"], out["lvl_end"] = lvl_pre, lvl_base, lvl_end
    out["gained"] = lvl_end - lvl_base
    out["pre_gained"] = lvl_base - lvl_pre
    out["up"] = np.where(np.isnan(out["gained"]), np.nan, out["gained"] >= 1)
    out["pre_up"] = np.where(np.isnan(out["pre_gained"]), np.nan, out["pre_gained"] >= 1)
    # Proficiency: the first week-end at L3+ after the baseline (or after the pre start).
    at3 = np.nan_to_num(grid, nan=0.0) >= 3
    cols = np.arange(w)[None, :]
    after = at3 & (cols > b[:, None])
    reached = after.any(axis=1)
    first3 = np.where(reached, after.argmax(axis=1), last)
    risk = ok & (lvl_base < 3)
    out["prof"] = np.where(risk, reached.astype(float), np.nan)
    days = (end_days[first3] - assigned).astype(np.int64)
    out["prof_days"] = np.where(risk, np.maximum(days, 0), np.nan)
    out["prof_reached"] = np.where(risk, reached.astype(float), np.nan)
    pre_hit = (at3 & (cols > p[:, None]) & (cols <= b[:, None])).any(axis=1)
    out["pre_prof"] = np.where(has_pre & (lvl_pre < 3), pre_hit.astype(float), np.nan)
    return out


def _abandonment(ctx: MetricContext, frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(np.nan, index=frame.index, columns=list(ABANDONMENT))
    out.attrs["ok"] = False
    if not ctx.has("licenses") or frame.empty:
        return out
    try:
        h = load_history(ctx)
    except InputError:
        return out
    out.attrs["ok"] = True
    ab = abandonment(h)
    row = pd.Series(np.arange(len(h.keys)), index=h.keys.astype(str))
    keys = frame["person_key"].astype(str)
    seated = keys.isin(row.index).to_numpy()
    r = row.reindex(keys).fillna(-1).to_numpy(dtype=np.int64)
    a = np.array([h.col(d) for d in frame["assigned"]], dtype=np.int64)
    end = h.days - 1
    lic = np.where(seated, h.licence[np.maximum(r, 0)], end + 1)
    first = np.where(seated, ab[np.maximum(r, 0)], -1)
    never = first < 0

    # In the population on day x: seated by then and not abandoned on or before x.
    def alive(x: np.ndarray) -> np.ndarray:
        return seated & (lic <= x) & (never | (first > x))

    risk = alive(a) & (a < end)
    out["abandoned"] = np.where(risk, (~never & (first <= end)).astype(float), np.nan)
    pre = np.maximum(a - (end - a), lic)
    has_pre = alive(pre) & (pre < a)
    out["pre_abandoned"] = np.where(has_pre, (~never & (first <= a)).astype(float), np.nan)
    return out
