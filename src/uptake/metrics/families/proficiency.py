"""Time to proficiency: days from licence to first reaching L3, Kaplan–Meier.

For each person with a licence assigned before the last complete week ending on or before
`as_of`, the ladder is evaluated at the end of every week since (see `ladder_history.history`).
The event is the first week-end at L3 or above; its time is the days from the first licence
assignment to that week's last day (so times resolve to the week). People not yet at L3 are
right-censored at the last week-end they were observed licensed.

The data start (the first day with any activity in the facts) is a left truncation: for a
licence assigned before it, the days between assignment and the data start are days nobody
observed, not days of non-use. Such a person enters the risk set late, at (data start −
assignment) days (delayed entry: at risk at time t when entry < t ≤ exit); `left_truncated`
counts them. The survival curve of "not yet proficient" is the Kaplan–Meier estimate with
delayed entry (written here: scipy's `ecdf` has no truncation); the
median is the first time it falls to 0.5 or below, with a 95 % confidence interval from the
log-log pointwise band (the times where the band's limits cross 0.5; the upper limit is
null when the band never reaches it). Reported overall, per role and per rollout cohort
(and per `--by` segment), each group suppressed below k.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from uptake.metrics.context import MetricContext
from uptake.metrics.facts import PERSON_DAY
from uptake.metrics.families.ladder import BASIS, basis
from uptake.metrics.families.ladder_history import history
from uptake.metrics.groups import SEGMENT, complete_weeks, group_rows, head, noisy
from uptake.metrics.privacy import TOTAL, population_rows, suppress
from uptake.metrics.release import release_hide
from uptake.metrics.result import MetricResult, MetricSpec, PublicRows, not_available
from uptake.metrics.segments import DIM_PERSON, NO_SEGMENT, segment_of

SPEC = MetricSpec(
    name="time_to_proficiency",
    family="proficiency",
    label="median days from licence to L3 on the adoption ladder",
    unit="days",
    headline="median_days",
    needs=("licenses", "events", "tasks", "workflows.stakes"),
    definition=(
        "Kaplan–Meier median of days from first licence to the first week ending at L3 or "
        "above; people not there yet count as censored, people licensed before the data "
        "starts enter late (left truncation)"
    ),
)
SPECS: tuple[MetricSpec, ...] = (SPEC,)


def kaplan_meier(
    times: np.ndarray,
    events: np.ndarray,
    confidence: float = 0.95,
    entry: np.ndarray | None = None,
) -> dict[str, Any]:
    """Kaplan–Meier estimate of time to event with right-censoring and delayed entry.

    A subject with entry e > 0 is at risk at time t only when e < t ≤ its time (left
    truncation: before e it was not observed, so it neither survives nor fails there); a
    subject with entry 0 is at risk from the start, as in the plain estimator.

    Args:
        times: time of event or censoring per subject.
        events: True where the event was observed, False where censored.
        confidence: level of the median's confidence interval.
        entry: time each subject entered observation (None: all at 0).

    Returns:
        n (subjects ever at risk), events, censored, median and its interval (None when
        not reached), and the curve as (time, survival) points at every distinct time.
    """
    times = np.asarray(times, dtype=float)
    events = np.asarray(events, dtype=bool)
    start = np.zeros(len(times)) if entry is None else np.asarray(entry, dtype=float)
    # Entry 0 means "from the start": -inf keeps an event at time 0 in its own risk set.
    start = np.where(start > 0, start, -np.inf)
    # A subject whose time is not after its entry was never observed at risk.
    keep = times > start
    times, events, start = times[keep], events[keep], start[keep]
    out: dict[str, Any] = {
        "n": len(times),
        "events": int(events.sum()),
        "censored": int((~events).sum()),
        "median": None,
        "ci_low": None,
        "ci_high": None,
        "curve": [],
    }
    if not events.any():
        return out
    q = np.unique(times)
    at_risk = np.array([((start < t) & (times >= t)).sum() for t in q], dtype=float)
    died = np.array([(events & (times == t)).sum() for t in q], dtype=float)
    s = np.cumprod(1.0 - died / at_risk)
    out["curve"] = [(float(t), float(p)) for t, p in zip(q, s, strict=True)]
    out["median"] = _first_at_or_below(q, s, 0.5)
    if len(q) > 1 or events.sum() > 1:
        low, high = _log_log_band(s, at_risk, died, confidence)
        out["ci_low"] = _first_at_or_below(q, low, 0.5)
        out["ci_high"] = _first_at_or_below(q, high, 0.5)
    return out


def _log_log_band(
    s: np.ndarray, at_risk: np.ndarray, died: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise log-log band of a survival curve from Greenwood's variance."""
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(died / (at_risk * (at_risk - died)))
        log_s = np.log(s)
        se = np.sqrt(greenwood) / np.abs(log_s)
        theta = np.log(-log_s)
        low = np.exp(-np.exp(theta + z * se))
        high = np.exp(-np.exp(theta - z * se))
    # Undefined where S = 1 (nothing has happened: NaN, read as "not below") and where S
    # reaches 0 (its limits are 0 there).
    low = np.where(s <= 0, 0.0, np.where(s >= 1, np.nan, low))
    high = np.where(s <= 0, 0.0, np.where(s >= 1, np.nan, high))
    return low, high


def _first_at_or_below(q: np.ndarray, s: np.ndarray, level: float) -> float | None:
    hit = np.flatnonzero(np.nan_to_num(s, nan=1.0) <= level + 1e-12)
    return float(q[hit[0]]) if hit.size else None


def compute(ctx: MetricContext) -> list[MetricResult]:
    """The `time_to_proficiency` result.

    Args:
        ctx: metric context (facts refreshed).

    Returns:
        One result.
    """
    rules = basis(ctx)
    missing = ctx.missing("licenses")
    if missing or rules is None:
        return [not_available(SPEC, *(missing or ["tasks", "events"]))]
    start = data_start(ctx)
    if start is not None and ctx.week_of(start) > complete_weeks(ctx, 1)[-1]:
        # No week has ended since the data began: no level was ever observed, so no one can
        # be counted as not yet proficient.
        return [
            not_available(
                SPEC,
                "events (a complete week since the data starts)",
                note=f"the data starts on {start.isoformat()}, after the last complete week",
            )
        ]
    frame = durations(ctx, rules)
    if frame.empty:
        return [not_available(SPEC, "licenses (assigned before as_of)")]
    if not ((frame["entry"] <= 0) | (frame["days"] > frame["entry"])).any():
        # Everyone was proficient before the data shows them: nobody was observed at risk.
        return [not_available(SPEC, "events (from before people became proficient)")]
    return [summarise(ctx, frame, rules)]


def first_l3(ctx: MetricContext, rules: str) -> ibis.Table | None:
    """Per person: the first week (start date) ending at L3+, and the last week observed.

    Args:
        ctx: metric context.
        rules: ladder basis.

    Returns:
        Table (person_key, first_l3, last_seen) over every complete week from the first
        licence to as_of, or None when no licence precedes as_of.
    """
    last = complete_weeks(ctx, 1)[-1]
    dim = ctx.engine.table(DIM_PERSON)
    first = ctx.engine.execute(dim.aggregate(first=dim.first_assigned.min()))["first"].iloc[0]
    if first is None or pd.isna(first):
        return None
    begin = pd.Timestamp(first).date()
    data = data_start(ctx)
    if data is not None and data > begin:
        # Weeks before any data hold no levels to find (nobody can be at L3 on no activity).
        begin = data
    start = ctx.week_of(begin)
    if start > last:
        return None
    weeks = [start + timedelta(days=7 * i) for i in range((last - start).days // 7 + 1)]
    h = history(ctx, weeks, rules)
    return h.group_by("person_key").aggregate(
        first_l3=(h.level >= 3).ifelse(h.week, ibis.null("date")).min(),
        last_seen=h.week.max(),
    )


def data_start(ctx: MetricContext) -> date | None:
    """The first day with any activity in the facts, up to `as_of` (where observation starts).

    Args:
        ctx: metric context (facts refreshed).

    Returns:
        The day, or None when nothing was recorded by `as_of`.
    """
    days = ctx.engine.table(PERSON_DAY)
    days = days.filter(days.day <= ctx.as_of)
    first = ctx.engine.execute(days.aggregate(first=days.day.min()))["first"].iloc[0]
    return None if first is None or pd.isna(first) else pd.Timestamp(first).date()


def durations(ctx: MetricContext, rules: str) -> pd.DataFrame:
    """Per person: days to first L3 (or to censoring), whether reached, entry, role and cohort.

    Args:
        ctx: metric context.
        rules: ladder basis.

    Returns:
        Frame (person_key, days, reached, entry, role, cohort[, segment]); `entry` is the
        days from assignment to the data start (0 when assigned on or after it). Its
        `attrs["data_start"]` holds the data start.
    """
    per = first_l3(ctx, rules)
    if per is None:
        return pd.DataFrame()
    per = per.rename(h_key="person_key")
    dim = ctx.engine.table(DIM_PERSON)
    cols = {"role": dim.role, "cohort": dim.cohort}
    if ctx.by is not None:
        cols[SEGMENT] = segment_of(dim, ctx.by, ctx.as_of)
    people = dim.filter(dim.first_assigned.notnull()).select("person_key", "first_assigned", **cols)
    j = per.inner_join(people, per.h_key == people.person_key)
    df = ctx.engine.execute(j.drop("h_key"))
    assigned = pd.to_datetime(df["first_assigned"]).dt.normalize()
    reached = df["first_l3"].notna()
    end = pd.to_datetime(df["first_l3"].where(reached, df["last_seen"])) + pd.Timedelta(days=6)
    df["days"] = (end - assigned).dt.days.clip(lower=0)
    df["reached"] = reached
    start = data_start(ctx)
    if start is None:
        df["entry"] = 0
    else:
        # Levels are observed per week, so observation starts with the week holding the
        # data start: a level reached that week ends (day 6) after the entry.
        first_week = pd.Timestamp(ctx.week_of(start))
        df["entry"] = (first_week - assigned).dt.days.clip(lower=0)
    out = df.drop(columns=["first_l3", "last_seen", "first_assigned"])
    out.attrs["data_start"] = start
    return out


def _group_table(ctx: MetricContext, frame: pd.DataFrame, col: str | None) -> pd.DataFrame:
    groups: list[tuple[str, pd.DataFrame]] = [(TOTAL, frame)]
    if col is not None:
        keys = frame[col].fillna(NO_SEGMENT).astype(str)
        groups += [(str(g), sub) for g, sub in frame.groupby(keys, sort=True)]
    rows = []
    level = ctx.settings.confidence_level
    for name, sub in groups:
        km = _estimate(sub, level)
        rows.append(
            {
                "group": name,
                "n": km["n"],
                "reached": km["events"],
                "censored": km["censored"],
                "median_days": km["median"],
                "ci_low": km["ci_low"],
                "ci_high": km["ci_high"],
            }
        )
    table = pd.DataFrame(rows)
    if col is None:
        table["group"] = "\0all"
        out = suppress(table, ["group"], "n", ctx.min_group_size)
        out["group"] = TOTAL
    else:
        dim = ctx.by if col == SEGMENT else col
        hide = release_hide(ctx, frame["person_key"].tolist(), table, "group", dim=dim)
        out = suppress(table, ["group"], "n", ctx.min_group_size, hide=hide)
    # People counts, noised as the ladder's are: exact, one more "reached" between two dates
    # was one person reaching L3. The censored are the rest, so the three agree.
    out = noisy(ctx, out, ["n", "reached"], ["group"], f"{SPEC.name}:{col or 'all'}")
    if out.attrs.get("noisy"):
        left = pd.to_numeric(out["n"], errors="coerce") - pd.to_numeric(out["reached"])
        counts = [None if pd.isna(v) else int(v) for v in left]
        out["censored"] = pd.Series(counts, index=out.index, dtype=object)
    return out


def _estimate(frame: pd.DataFrame, level: float) -> dict[str, Any]:
    return kaplan_meier(
        frame["days"].to_numpy(), frame["reached"].to_numpy(), level, frame["entry"].to_numpy()
    )


def summarise(ctx: MetricContext, frame: pd.DataFrame, rules: str) -> MetricResult:
    """The result: overall estimate and curve, per role, per cohort, per segment.

    Args:
        ctx: metric context.
        frame: the result of `durations`.
        rules: ladder basis.

    Returns:
        The `time_to_proficiency` result.
    """
    overall = _group_table(ctx, frame, None)
    values, why = head(overall, "group")
    res = MetricResult(
        SPEC, suppressed=why, basis=BASIS[rules], noisy=bool(overall.attrs.get("noisy"))
    )
    if why is None:
        res.n = values.pop("n")
        res.values.update(values)
        km = _estimate(frame, ctx.settings.confidence_level)
        # People licensed before the data start; a count of people, hidden with the total.
        early = int((frame["entry"] > 0).sum())
        # With the noise on, a count of no one stays 0, as a metric's empty rows do.
        res.values["left_truncated"] = (
            ctx.noise.count(early, SPEC.name, "left_truncated") if early else 0
        )
        points = [{"day": t, "not_proficient": round(p, 6)} for t, p in km["curve"]]
        res.values["curve"] = population_rows(points, res.n, ctx.min_group_size)
        if res.values.get("median_days") is None:
            res.notes = ("median not reached: fewer than half have reached L3 so far",)
    start = frame.attrs.get("data_start")
    res.values["data_start"] = start.isoformat() if start is not None else None
    res.values["method"] = (
        "Kaplan–Meier with delayed entry (people licensed before the data start enter at "
        "data start − assignment days), log-log CI of the median (Greenwood)"
    )
    for name, col in (("by_role", "role"), ("by_cohort", "cohort")):
        res.values[name] = _rows(_group_table(ctx, frame, col))
    if ctx.by is not None:
        res.by = ctx.by
        res.segments = _rows(_group_table(ctx, frame, SEGMENT))
    return res


def _rows(table: pd.DataFrame) -> PublicRows:
    return group_rows(table, ["group"], "group")
