"""Feedback channel health: volume per week, resolution, second-peak detection.

Volume and resolution cover feedback created in the last `feedback_weeks` reporting weeks.
Time to resolution is a Kaplan–Meier median (scipy.stats.ecdf): items still open at `as_of`
are right-censored rather than dropped, so a backlog of slow tickets lengthens the median
instead of vanishing from it. An item counts as resolved when `resolved_at` falls by `as_of`,
or when its status is one of `feedback_resolved_statuses` (then without a duration).
Peaks are searched in weekly ticket volume over `feedback_history_weeks` with
scipy.signal.find_peaks; a zero week is put before the first week with feedback so a launch
peak at the very start still counts. A second peak signals a new wave of problems.
Weekly and group numbers count people as distinct known submitters plus anonymous items,
and pass through privacy suppression.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime, time, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd
from scipy import signal
from scipy import stats as sps

from uptake.metrics import stats
from uptake.metrics.context import MetricContext
from uptake.metrics.groups import group_rows, result, suppressed_groups
from uptake.metrics.privacy import TOTAL, jsonable, public_rows
from uptake.metrics.result import MetricResult, MetricSpec, not_available

NO_CATEGORY = "(none)"
FAMILY = "feedback_health"
SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="feedback_volume",
        family=FAMILY,
        label="feedback items per week",
        unit="count",
        headline="per_week",
        needs=("feedback",),
        definition="feedback items created per reporting week, averaged over the recent weeks",
    ),
    MetricSpec(
        name="feedback_resolution",
        family=FAMILY,
        label="feedback items resolved",
        unit="share",
        headline="share_resolved",
        needs=("feedback",),
        definition=(
            "items resolved by as_of ÷ items created in the recent weeks, and the Kaplan–Meier "
            "median days to resolution (open items censored)"
        ),
    ),
    MetricSpec(
        name="feedback_peaks",
        family=FAMILY,
        label="a second wave of feedback after the first",
        unit="count",
        headline=None,
        needs=("feedback",),
        definition=(
            "peaks in weekly ticket volume (scipy.signal.find_peaks); a second peak after the "
            "first signals a new wave of problems"
        ),
    ),
)
VOLUME, RESOLUTION, PEAKS = SPECS


def compute(ctx: MetricContext) -> list[MetricResult]:
    """Feedback health results.

    Args:
        ctx: metric context.

    Returns:
        One result per spec, in order.
    """
    if ctx.missing("feedback"):
        return [not_available(spec, "feedback") for spec in SPECS]
    return [volume(ctx), resolution(ctx), peaks(ctx)]


def _first_week(ctx: MetricContext, weeks: int) -> date:
    return ctx.current_week - timedelta(weeks=weeks - 1)


def weekly_counts(
    ctx: MetricContext, weeks: int, channels: list[str] | None = None
) -> pd.DataFrame:
    """Feedback items and people per reporting week, every week of the span present.

    Args:
        ctx: metric context.
        weeks: number of weeks ending with the week of `as_of`.
        channels: channels to count (None or empty: all).

    Returns:
        `week` (date), `items`, `n` (distinct submitters + anonymous items), sorted by week.
    """
    first = _first_week(ctx, weeks)
    f = _requests(ctx)
    f = f.filter(f.ts >= datetime.combine(first, time()), f.ts < ctx.end_ts)
    if channels:
        f = f.filter(f.channel.isin(channels))
    f = f.mutate(week=ctx.week(f.ts))
    per = f.group_by("week").aggregate(
        items=f.count(),
        people=f.person_key.nunique(),
        anonymous=f.person_key.isnull().cast("int64").sum(),
    )
    df = ctx.engine.execute(per)
    df["week"] = pd.to_datetime(df.week).dt.date
    span = pd.DataFrame({"week": [first + timedelta(weeks=i) for i in range(weeks)]})
    df = span.merge(df, on="week", how="left").fillna({"items": 0, "people": 0, "anonymous": 0})
    df["items"] = df["items"].astype(int)
    df["n"] = (df.people + df.anonymous).astype(int)
    return df[["week", "items", "n"]]


def _week_table(ctx: MetricContext, df: pd.DataFrame) -> pd.DataFrame:
    """Each week its own one-cell table, suppressed when under k people."""
    frame = df.assign(week=df.week.astype(str), scope=TOTAL)[["week", "scope", "n", "items"]]
    return suppressed_groups(ctx, frame, "scope", partition_cols=["week"]).drop(columns="scope")


def volume(ctx: MetricContext) -> MetricResult:
    """Feedback volume per week over the last `feedback_weeks` weeks.

    Args:
        ctx: metric context.

    Returns:
        `n` people, `items`, `per_week` mean and `weeks` rows; not available when the
        weeks hold no feedback.
    """
    s = ctx.settings
    df = weekly_counts(ctx, s.feedback_weeks)
    people = _people(ctx, _items(ctx))
    frame = pd.DataFrame(
        [
            {
                "scope": TOTAL,
                "n": people,
                "items": int(df["items"].sum()),
                "per_week": float(df["items"].mean()),
            }
        ]
    )
    res = result(
        VOLUME,
        ctx,
        suppressed_groups(ctx, frame, "scope"),
        "scope",
        empty="feedback (in the recent weeks)",
        by_segment=False,
        weeks_counted=s.feedback_weeks,
    )
    if res.available:
        res.weeks = public_rows(_week_table(ctx, df), ["week"])
    return res


def _requests(ctx: MetricContext) -> ibis.Table:
    """Feedback that asks for something: survey answers and interview notes are left out."""
    f = ctx.engine.table("feedback")
    answers = ctx.settings.feedback_answer_channels
    return f.filter(~f.channel.isin(answers)) if answers else f


def _items(ctx: MetricContext) -> ibis.Table:
    first = _first_week(ctx, ctx.settings.feedback_weeks)
    f = _requests(ctx)
    return f.filter(f.ts >= datetime.combine(first, time()), f.ts < ctx.end_ts)


def _people(ctx: MetricContext, f: ibis.Table) -> int:
    agg = f.aggregate(
        people=f.person_key.nunique(), anonymous=f.person_key.isnull().cast("int64").sum()
    )
    row = ctx.engine.execute(agg).fillna(0).iloc[0]
    return int(row.people) + int(row.anonymous)


def resolution(ctx: MetricContext) -> MetricResult:
    """Share resolved and median time to resolution of feedback created in the span.

    Args:
        ctx: metric context.

    Returns:
        `n` people, `items`, `share_resolved` (Wilson
        interval), `median_days` (Kaplan–Meier, open items censored at `as_of`) with its
        interval, `median_days_resolved` (resolved items only), and per-category `categories`
        rows, all suppressed below k.
    """
    s = ctx.settings
    f = _items(ctx)
    df = ctx.engine.execute(f.select("person_key", "ts", "category", "status", "resolved_at"))
    if df.empty:
        return not_available(RESOLUTION, "feedback (in the recent weeks)")
    end = pd.Timestamp(ctx.end_ts)
    ts = pd.to_datetime(df.ts)
    resolved_at = pd.to_datetime(df.resolved_at)
    timed = resolved_at.notna() & (resolved_at < end) & (resolved_at >= ts)
    by_status = (
        df.status.astype(object).str.lower().isin([x.lower() for x in s.feedback_resolved_statuses])
    )
    df["resolved"] = timed | by_status
    df["days"] = np.where(
        timed,
        (resolved_at - ts).dt.total_seconds() / 86400,
        (end - ts).dt.total_seconds() / 86400,
    )
    df["timed"] = timed
    # Resolved by status without a date has no duration: it leaves the survival analysis.
    df["in_km"] = timed | ~df.resolved
    df["category"] = df.category.astype(object).where(df.category.notna(), NO_CATEGORY)

    rows = [{"category": TOTAL, **_resolution_values(df, s.confidence_level)}]
    for cat, g in df.groupby("category", sort=True):
        rows.append({"category": str(cat), **_resolution_values(g, s.confidence_level)})
    frame = suppressed_groups(ctx, pd.DataFrame(rows), "category")
    return result(
        RESOLUTION,
        ctx,
        frame,
        "category",
        by_segment=False,
        weeks_counted=s.feedback_weeks,
        categories=group_rows(frame, ["category"], "category"),
    )


def _resolution_values(df: pd.DataFrame, confidence: float) -> dict[str, Any]:
    n = int(df.person_key.nunique() + df.person_key.isna().sum())
    items = len(df)
    resolved = int(df.resolved.sum())
    ci = sps.binomtest(resolved, items).proportion_ci(confidence, method="wilson")
    km = df[df.in_km]
    med = km_median(km.days.to_numpy(float), km.timed.to_numpy(bool), confidence)
    done = df[df.timed].days.to_numpy(float)
    return {
        "n": n,
        "items": items,
        "resolved": resolved,
        "share_resolved": resolved / items,
        "share_resolved_low": float(ci.low),
        "share_resolved_high": float(ci.high),
        **med.as_dict("median_days"),
        "median_days_resolved": float(np.median(done)) if len(done) else None,
    }


def km_median(days: np.ndarray, observed: np.ndarray, confidence: float = 0.95) -> stats.Interval:
    """Kaplan–Meier median time with the interval read off the survival function's band.

    Args:
        days: time to resolution (observed) or to `as_of` (censored).
        observed: True where the item was resolved.
        confidence: confidence level of the band (Greenwood, log-log).

    Returns:
        The median (first time the survival drops to 0.5 or below) and the times at which the
        band's lower and upper curves do; None where a curve never gets that low.
    """
    if len(days) == 0 or not observed.any():
        return stats.Interval(None, None, None)
    data = sps.CensoredData(uncensored=days[observed], right=days[~observed])
    sf = sps.ecdf(data).sf
    with warnings.catch_warnings():
        # The log-log band is undefined where survival is 0 or 1; those points are NaN and
        # _cross skips them, so the warning says nothing a reader needs.
        warnings.simplefilter("ignore", RuntimeWarning)
        band = sf.confidence_interval(confidence, method="log-log")
    return stats.Interval(_cross(sf), _cross(band.low), _cross(band.high))


def _cross(curve: Any) -> float | None:
    below = np.flatnonzero(np.asarray(curve.probabilities) <= 0.5)
    return float(curve.quantiles[below[0]]) if below.size else None


def peaks(ctx: MetricContext) -> MetricResult:
    """Peaks in weekly ticket volume, flagging a second peak after the first.

    Args:
        ctx: metric context.

    Returns:
        `peaks` rows (week, items, prominence; suppressed below k people), `second_peak`
        (bool) and `prominence_min` used.
    """
    s = ctx.settings
    channels = s.feedback_peak_channels
    df = weekly_counts(ctx, s.feedback_history_weeks, channels)
    if int(df["items"].sum()) == 0:
        note = f"no feedback in channels {channels} in the last {s.feedback_history_weeks} weeks"
        return not_available(PEAKS, "feedback", note=note)
    # Weeks before the first item carry no signal; one zero week before it lets a launch
    # peak in the first week be seen as a peak.
    start = int(np.flatnonzero(df["items"].to_numpy() > 0)[0])
    series = df.iloc[max(start - 1, 0) :].reset_index(drop=True)
    x = series["items"].to_numpy(float)
    lead = 0
    if start == 0:
        x = np.concatenate([[0.0], x])
        lead = 1
    prominence = max(1.0, s.feedback_peak_prominence * float(x.max()))
    idx, props = signal.find_peaks(x, prominence=prominence)
    found = series.iloc[idx - lead].copy()
    found["prominence"] = props["prominences"]
    frame = found.assign(week=found.week.astype(str), scope=TOTAL)
    frame = frame[["week", "scope", "n", "items", "prominence"]]
    table = suppressed_groups(ctx, frame, "scope", partition_cols=["week"])
    rows = public_rows(table.drop(columns="scope"), ["week"])
    f = ctx.engine.table("feedback")
    first = datetime.combine(_first_week(ctx, s.feedback_history_weeks), time())
    f = f.filter(f.ts >= first, f.ts < ctx.end_ts)
    if channels:
        f = f.filter(f.channel.isin(channels))
    people = _people(ctx, f)
    if people < ctx.min_group_size:
        return MetricResult(PEAKS, suppressed="small")
    values = {
        "weeks_searched": len(series),
        "channels": channels or "all",
        "prominence_min": jsonable(prominence),
        "peaks": rows,
        "second_peak": len(rows) >= 2,
        "second_peak_week": rows[1]["week"] if len(rows) >= 2 else None,
    }
    return MetricResult(PEAKS, values, n=people)
