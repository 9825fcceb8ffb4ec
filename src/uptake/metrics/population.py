"""Who a core metric counts, and how per-segment results become suppressed entries.

The population of usage, depth and the ladder is the people holding a licence on a date.
Per-segment results are one Ibis aggregation per grouping (the whole population and, with
`--by`, each segment), fetched as small frames, given a `TOTAL` row and passed through
`uptake.metrics.privacy.suppress` before they become JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import ibis
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.privacy import SUPPRESSED, TOTAL, jsonable, public_rows, suppress
from uptake.metrics.segments import NO_SEGMENT, person_segments
from uptake.warehouse.engine import Engine

SEGMENT = "segment"
Aggs = Callable[[ibis.Table], dict[str, ibis.Value]]
Derive = Callable[[pd.DataFrame], pd.DataFrame]


def licensed_on(engine: Engine, day: date) -> ibis.Table:
    """People holding any licence at the end of a day (`person_key`, distinct).

    Args:
        engine: the compute engine.
        day: the date.

    Returns:
        An Ibis table with one column `person_key`.
    """
    end = ibis.literal(datetime.combine(day + timedelta(days=1), time()))
    lic = engine.table("licenses")
    held = lic.filter((lic.assigned_at < end) & (lic.removed_at.isnull() | (lic.removed_at >= end)))
    return held.select("person_key").distinct()


def with_segment(ctx: MetricContext, t: ibis.Table, at: date | None = None) -> ibis.Table:
    """Add the `segment` column of `ctx.by` (people outside the roster: `(none)`).

    Args:
        ctx: metric context (its `by`).
        t: a table with `person_key`.
        at: date on which tenure is measured (default `ctx.as_of`).

    Returns:
        `t` with a string `segment` column (`TOTAL` for everyone without `by`).
    """
    if ctx.by is None:
        return t.mutate(segment=ibis.literal(TOTAL))
    seg = person_segments(ctx.engine, ctx.by, at or ctx.as_of).rename(seg_key="person_key")
    j = t.left_join(seg, t.person_key == seg.seg_key)
    return j.mutate(segment=j.segment.fill_null(NO_SEGMENT)).drop("seg_key")


def grouped(
    ctx: MetricContext,
    per_person: ibis.Table,
    aggs: Aggs,
    *,
    derive: Derive | None = None,
    partition: Sequence[str] = (),
    n_col: str = "n",
) -> pd.DataFrame:
    """Aggregate a per-person table overall and per segment, then suppress small groups.

    Args:
        ctx: metric context.
        per_person: one row per person (`person_key` plus inputs of `aggs`), and the
            `partition` columns when given.
        aggs: the aggregations (must include `n_col`).
        derive: adds derived columns (rates) to the fetched frame.
        partition: columns splitting independent tables (e.g. week).
        n_col: the people count deciding suppression.

    Returns:
        The suppressed frame: a `TOTAL` row per partition plus one row per segment.
    """
    total = (
        per_person.group_by(*partition).aggregate(**aggs(per_person))
        if partition
        else (per_person.aggregate(**aggs(per_person)))
    )
    frames = [ctx.engine.execute(total).assign(**{SEGMENT: TOTAL})]
    if ctx.by is not None:
        seg = with_segment(ctx, per_person)
        frames.append(ctx.engine.execute(seg.group_by(SEGMENT, *partition).aggregate(**aggs(seg))))
    frame = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else frames[0]
    )
    if derive is not None and len(frame):
        frame = derive(frame)
    # Row order decides ties between equally small complementary cells: make it stable.
    frame = frame.sort_values([*partition, SEGMENT], kind="stable").reset_index(drop=True)
    cols = [SEGMENT, *partition, *[c for c in frame.columns if c not in (SEGMENT, *partition)]]
    frame = frame[cols]
    if len(frame) and ctx.by is None:
        # Without segments the total is a table of one cell: suppress it as a group.
        frame = frame.assign(**{SEGMENT: "\0all"})
        out = suppress(frame, [SEGMENT], n_col, ctx.min_group_size, partition_cols=partition)
        out[SEGMENT] = TOTAL
        return out
    return suppress(frame, [SEGMENT], n_col, ctx.min_group_size, partition_cols=partition)


def entry(frame: pd.DataFrame, ctx: MetricContext, **extra: Any) -> dict[str, Any]:
    """A metric entry from a `grouped` frame without partitions.

    Args:
        frame: the result of `grouped`.
        ctx: metric context (its `by`).
        extra: fields added to the entry (definitions, windows).

    Returns:
        The total's values (or `{"suppressed": True}`), `extra`, and with `--by` the
        segment rows under `segments`.
    """
    tot = frame[frame[SEGMENT] == TOTAL]
    out: dict[str, Any] = {}
    if tot.empty or bool(tot[SUPPRESSED].iloc[0]):
        out[SUPPRESSED] = True
    else:
        rec = tot.iloc[0].to_dict()
        out.update({str(k): jsonable(v) for k, v in rec.items() if k not in (SEGMENT, SUPPRESSED)})
    out.update(extra)
    if ctx.by is not None:
        out["by"] = ctx.by
        out["segments"] = [r for r in public_rows(frame, [SEGMENT]) if r[SEGMENT] != TOTAL]
    return out


def partition_rows(
    frame: pd.DataFrame, ctx: MetricContext, partition: Sequence[str]
) -> dict[str, Any]:
    """Rows of a partitioned `grouped` frame: totals per partition, and segment rows.

    Args:
        frame: the result of `grouped` with partitions.
        ctx: metric context.
        partition: the partition columns.

    Returns:
        `{"rows": [...totals...], "segments": [...]}` (segments only with `--by`).
    """
    keys = [SEGMENT, *partition]
    rows = public_rows(frame.sort_values([*partition, SEGMENT], kind="stable"), keys)
    out: dict[str, Any] = {
        "rows": [{k: v for k, v in r.items() if k != SEGMENT} for r in rows if r[SEGMENT] == TOTAL]
    }
    if ctx.by is not None:
        out["segments"] = [r for r in rows if r[SEGMENT] != TOTAL]
    return out


def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den as floats, null where the denominator is zero or missing."""
    n = pd.to_numeric(num, errors="coerce").astype("float64")
    d = pd.to_numeric(den, errors="coerce").astype("float64")
    return (n / d).where(d > 0)


def complete_weeks(ctx: MetricContext, count: int | None = None) -> list[date]:
    """First days of the last `count` complete reporting weeks ending on or before as_of.

    Args:
        ctx: metric context.
        count: how many weeks (default `trend_weeks`).

    Returns:
        Week start dates, oldest first.
    """
    n = count or ctx.settings.trend_weeks
    last = ctx.current_week
    if last + timedelta(days=6) > ctx.as_of:
        last -= timedelta(days=7)
    return [last - timedelta(days=7 * i) for i in range(n - 1, -1, -1)]


def weekly_entry(
    ctx: MetricContext,
    n: str,
    values: Sequence[str],
    derive: Derive,
    headline: Sequence[str],
) -> dict[str, Any]:
    """A weekly trend entry read from `fact_segment_week` (complete weeks only).

    Args:
        ctx: metric context.
        n: the segment-week people column counted as `n`.
        values: other segment-week columns to fetch.
        derive: adds the rates.
        headline: columns of the latest week repeated at the top of the entry.

    Returns:
        Entry with the latest week's headline values, `weeks` rows and, with `--by`,
        segment rows per week; not available when no complete week has facts.
    """
    from uptake.metrics.facts import SEGMENT_WEEK, segment_week_expr

    weeks = complete_weeks(ctx)
    dims = ["all"] if ctx.by is None else ["all", ctx.by]
    sw = ctx.engine.table(SEGMENT_WEEK)
    sw = sw.filter(sw.week.isin(weeks) & sw.dimension.isin(dims))
    cols = ["dimension", "segment", "week", *values, n]
    built = set(pd.to_datetime(ctx.engine.execute(sw.select("week").distinct())["week"]).dt.date)
    quiet = [w for w in weeks if w not in built]
    if quiet and ctx.has("licenses"):
        # Weeks after the last activity the facts hold: licensed people, nobody active.
        extra = segment_week_expr(ctx.engine, quiet)
        extra = extra.filter(extra.dimension.isin(dims))
        sw = ibis.union(sw.select(*cols), extra.select(*cols), distinct=False)
    frame = ctx.engine.execute(sw.select(*[c for c in cols if c != n], n=sw[n]))
    if frame.empty:
        return {"status": "not_available", "needs": ["licenses (a complete week before as_of)"]}
    frame.loc[frame["dimension"] == "all", SEGMENT] = TOTAL
    frame = derive(frame.drop(columns="dimension"))
    frame["week"] = pd.to_datetime(frame["week"]).dt.date
    frame = frame.sort_values(["week", SEGMENT], kind="stable").reset_index(drop=True)
    if ctx.by is None:
        frame[SEGMENT] = "\0all"
    out = suppress(frame, [SEGMENT], "n", ctx.min_group_size, partition_cols=["week"])
    if ctx.by is None:
        out[SEGMENT] = TOTAL
    rows = partition_rows(out, ctx, ["week"])
    latest = rows["rows"][-1]
    result: dict[str, Any] = {
        k: latest[k] for k in ("week", "n", *headline, SUPPRESSED) if k in latest
    }
    result["weeks"] = rows["rows"]
    if ctx.by is not None:
        result["by"] = ctx.by
        result["segments"] = rows["segments"]
    return result
