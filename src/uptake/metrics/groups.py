"""Who a metric counts, and how per-group numbers become suppressed, typed results.

The population of usage, depth and the ladder is the people holding a licence on a date.
Group numbers are one Ibis aggregation per grouping (the whole population and, with `--by`,
each segment), fetched as small frames, given a `TOTAL` row and passed through
`uptake.metrics.privacy.suppress`; `result` then turns such a frame into a `MetricResult`
whose segment rows are `PublicRows`. Families with their own groups (workflows, categories,
cohorts) use `suppressed_groups`, `head` and `group_rows` on frames they build themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from uptake.errors import NotAvailableError, PrivacyError
from uptake.metrics.context import MetricContext
from uptake.metrics.privacy import (
    REASON,
    SUPPRESSED,
    TOTAL,
    jsonable,
    public_rows,
    reason,
    suppress,
)
from uptake.metrics.release import SEGMENT, release_hide, release_plan
from uptake.metrics.result import MetricResult, MetricSpec, PublicRows
from uptake.metrics.result import not_available as _not_available
from uptake.metrics.seats import seats
from uptake.metrics.segments import (
    DIM_PERSON,
    NO_SEGMENT,
    person_segments,
)
from uptake.warehouse.engine import Engine

Aggs = Callable[[ibis.Table], dict[str, ibis.Value]]
Derive = Callable[[pd.DataFrame], pd.DataFrame]
# A lone total is a table of one cell: suppressed as a group under this private key.
_ALONE = "\0all"


def licensed_on(engine: Engine, day: date) -> ibis.Table:
    """People holding any licence at the end of a day (`person_key`, distinct).

    Args:
        engine: the compute engine.
        day: the date.

    Returns:
        An Ibis table with one column `person_key`.
    """
    end = ibis.literal(datetime.combine(day + timedelta(days=1), time()))
    lic = seats(engine)
    held = lic.filter((lic.assigned_at < end) & (lic.removed_at.isnull() | (lic.removed_at >= end)))
    return held.select("person_key").distinct()


def any_activity(ctx: MetricContext, first: date, column: str | None = None) -> bool:
    """Whether the person-day facts hold anything from `first` to `as_of` (inclusive).

    A span without any activity is a span without data, reported as not available rather
    than as everyone at zero.

    Args:
        ctx: metric context.
        first: first day of the span.
        column: count only days where this person-day column is above zero (e.g. `events`).

    Returns:
        True when at least one person-day row falls in the span.
    """
    from uptake.metrics.facts import PERSON_DAY

    days = ctx.engine.table(PERSON_DAY)
    days = days.filter((days.day >= first) & (days.day <= ctx.as_of))
    if column is not None:
        days = days.filter(days[column] > 0)
    return bool(ctx.engine.execute(days.limit(1).count()).iloc[0, 0])


# -- segments --------------------------------------------------------------------------------


def segment_table(ctx: MetricContext, at: date | None = None) -> ibis.Table | None:
    """Person → segment value for `ctx.by`, or None when no segmentation was asked for.

    Args:
        ctx: metric context.
        at: date on which tenure is measured (default `ctx.as_of`).

    Returns:
        A table with `person_key` and `segment` (string), or None.

    Raises:
        NotAvailableError: `dim_person` is missing (the facts were never refreshed); reads
            never build it.
    """
    if ctx.by is None:
        return None
    if not ctx.has(DIM_PERSON):
        raise NotAvailableError(
            f"segments by {ctx.by} need the refreshed facts (dim_person is missing)",
            needs=[DIM_PERSON],
        )
    return person_segments(ctx.engine, ctx.by, at or ctx.as_of)


def segment_frame(ctx: MetricContext) -> pd.DataFrame | None:
    """Person → segment as pandas (one row per person), or None without `ctx.by`.

    Args:
        ctx: metric context.

    Returns:
        A frame with `person_key` and `segment`, or None.
    """
    seg = segment_table(ctx)
    if seg is None:
        return None
    df = ctx.engine.execute(seg.select("person_key", SEGMENT))
    df[SEGMENT] = df[SEGMENT].astype(object).where(df[SEGMENT].notna(), NO_SEGMENT).astype(str)
    return df.drop_duplicates("person_key")


def with_segment(
    ctx: MetricContext, t: ibis.Table, person: str = "person_key", at: date | None = None
) -> ibis.Table:
    """Add the `segment` column of `ctx.by` (people outside the roster get "(none)").

    Args:
        ctx: metric context; without `ctx.by` every row gets the one segment `TOTAL`.
        t: a table with a person column.
        person: name of that column.
        at: date on which tenure is measured (default `ctx.as_of`).

    Returns:
        `t` with a string `segment` column.
    """
    seg = segment_table(ctx, at)
    if seg is None:
        return t.mutate(segment=ibis.literal(TOTAL))
    seg = seg.rename(seg_person="person_key", seg_value=SEGMENT)
    joined = t.left_join(seg, t[person] == seg.seg_person)
    return joined.mutate(segment=joined.seg_value.fill_null(NO_SEGMENT)).drop(
        "seg_person", "seg_value"
    )


# -- suppression -----------------------------------------------------------------------------


def suppressed_groups(
    ctx: MetricContext,
    frame: pd.DataFrame,
    group_col: str = SEGMENT,
    *,
    n_col: str = "n",
    partition_cols: Sequence[str] = (),
    hide: np.ndarray | None = None,
) -> pd.DataFrame:
    """Run a per-group frame (with its `TOTAL` margin rows) through privacy suppression.

    Args:
        ctx: metric context (its minimum group size).
        frame: one row per group, plus a `TOTAL` row per partition when the total is shown.
        group_col: the group column.
        n_col: the people count that decides suppression.
        partition_cols: columns splitting the frame into independent tables.
        hide: rows the release plan hides (see `release_hide`), aligned with `frame`.

    Returns:
        The suppressed frame.
    """
    cells = frame[group_col].astype(object) != TOTAL
    if len(frame) and not cells.any():
        # A lone total is a cell of its own table, not the margin of hidden cells.
        alone = frame.assign(**{group_col: _ALONE})
        out = suppress(
            alone, [group_col], n_col=n_col, k=ctx.min_group_size, partition_cols=partition_cols
        )
        out[group_col] = TOTAL
        return out
    return suppress(
        frame,
        [group_col],
        n_col=n_col,
        k=ctx.min_group_size,
        partition_cols=partition_cols,
        hide=hide,
    )


def grouped(
    ctx: MetricContext,
    per_person: ibis.Table,
    aggs: Aggs,
    *,
    derive: Derive | None = None,
    partition: Sequence[str] = (),
    n_col: str = "n",
    people: Sequence[str] = (),
    question: str = "",
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
        people: further columns counting people (besides `n_col`) that carry the release
            noise when `privacy.noise` is on; `derive` then runs again on the noisy counts.
        question: what the frame counts (the metric's name): part of every noise draw, so
            two metrics never share a draw.

    Returns:
        The suppressed frame: a `TOTAL` row per partition plus one row per segment; with
        noise, `attrs["noisy"]` is True.
    """
    total = (
        per_person.group_by(*partition).aggregate(**aggs(per_person))
        if partition
        else per_person.aggregate(**aggs(per_person))
    )
    frames = [ctx.engine.execute(total).assign(**{SEGMENT: TOTAL})]
    if ctx.by is not None:
        if partition:
            # The release plan is made per population; partitions would need one each.
            raise PrivacyError("segment rows per partition need a release plan per partition")
        seg = with_segment(ctx, per_person)
        frames.append(ctx.engine.execute(seg.group_by(SEGMENT, *partition).aggregate(**aggs(seg))))
    filled = [f for f in frames if len(f)]
    frame = pd.concat(filled, ignore_index=True) if filled else frames[0]
    if derive is not None and len(frame):
        frame = derive(frame)
    # Row order decides ties between equally small complementary cells: make it stable.
    frame = frame.sort_values([*partition, SEGMENT], kind="stable").reset_index(drop=True)
    cols = [SEGMENT, *partition, *[c for c in frame.columns if c not in (SEGMENT, *partition)]]
    hide = None
    if ctx.by is not None:
        keys = ctx.engine.execute(per_person.select("person_key"))["person_key"]
        hide = release_hide(ctx, keys.tolist(), frame)
    out = suppressed_groups(ctx, frame[cols], n_col=n_col, partition_cols=partition, hide=hide)
    return noisy(ctx, out, [n_col, *people], [SEGMENT, *partition], question, derive)


def noisy(
    ctx: MetricContext,
    frame: pd.DataFrame,
    people: Sequence[str],
    keys: Sequence[str],
    question: str,
    derive: Derive | None = None,
) -> pd.DataFrame:
    """A suppressed frame with the release noise on its people counts (when it is on).

    Suppression decides on exact counts first; the noisy counts are then what is shown and
    what every rate is derived from, so the numbers on one row agree with each other.

    Args:
        ctx: metric context (its `noise`).
        frame: the result of `suppress`.
        people: the columns counting people (`n` first).
        keys: the columns naming a row (group and partition).
        question: what the frame counts (the metric's name).
        derive: recomputes the derived columns from the counts.

    Returns:
        The frame, noisy and re-derived, with `attrs["noisy"]` set; unchanged when noise is off.
    """
    if not ctx.noise.enabled or not len(frame):
        return frame
    out = ctx.noise.perturb(frame, list(people), list(keys), question, ctx.by or "all")
    n_col = people[0]
    # A row counting nobody (a total before the metric's first input, a week in which no one
    # had eligible runs) stays 0, so a metric says which input it lacks. Noise hides nothing
    # there: the row's exact sums, over no one, are zero or missing and say so already.
    # Made noisy and raised to k below, it showed k people where there were none.
    counts = pd.to_numeric(frame[n_col], errors="coerce")
    nobody = counts.eq(0).fillna(False).to_numpy(dtype=bool)
    if nobody.any():
        out.loc[nobody, list(people)] = frame.loc[nobody, list(people)].to_numpy()
    # A shown group has at least k people, which its being shown already says: a noisy n
    # under k is raised to k (post-processing, no privacy cost) instead of reading "n = 2".
    shown = ~out[SUPPRESSED].to_numpy(dtype=bool) & ~nobody
    if shown.any():
        raised = pd.to_numeric(out.loc[shown, n_col]).clip(lower=ctx.min_group_size)
        out.loc[shown, n_col] = raised.astype(out[n_col].dtype, errors="ignore")
    if derive is not None:
        again = derive(out.loc[shown].copy())
        for c in again.columns:
            if c in out.columns and c not in people and c not in keys:
                out.loc[shown, c] = again[c].to_numpy()
    out.attrs.update(frame.attrs)
    out.attrs["noisy"] = True
    return out


def head(frame: pd.DataFrame, group_col: str = SEGMENT) -> tuple[dict[str, Any], Any]:
    """The `TOTAL` row of a suppressed frame: its values, or why it is hidden.

    Args:
        frame: the result of `suppress` holding one `TOTAL` row.
        group_col: the group column.

    Returns:
        `(values, None)` for a shown total (values without the group column), or
        `({}, reason)` when it is hidden or missing.
    """
    at = (frame[group_col].astype(object) == TOTAL).to_numpy().nonzero()[0]
    if at.size == 0:
        return {}, "small"
    why = reason(frame, int(at[0]))
    if why is not None:
        return {}, why
    rec = frame.iloc[int(at[0])].to_dict()
    skip = (group_col, SUPPRESSED, REASON)
    return {str(c): jsonable(v) for c, v in rec.items() if c not in skip}, None


def group_rows(frame: pd.DataFrame, keys: Sequence[str], group_col: str = SEGMENT) -> PublicRows:
    """The non-total rows of a suppressed frame as public rows (hidden rows carry only keys).

    Args:
        frame: the result of `suppress`.
        keys: columns identifying a row.
        group_col: the group column holding `TOTAL` on margin rows.

    Returns:
        JSON-ready rows, `TOTAL` rows left out.
    """
    return public_rows(frame, keys).where(lambda r: r.get(group_col) != TOTAL)


def result(
    spec: MetricSpec,
    ctx: MetricContext,
    frame: pd.DataFrame,
    group_col: str = SEGMENT,
    *,
    empty: str | None = None,
    segments: PublicRows | None = None,
    by_segment: bool = True,
    basis: str | None = None,
    **extra: Any,
) -> MetricResult:
    """A metric result from a suppressed frame holding a `TOTAL` row (and segment rows).

    Args:
        spec: the metric.
        ctx: metric context (its `by`).
        frame: the result of `grouped` or `suppressed_groups`.
        group_col: the group column.
        empty: the missing input to name when the total counts nobody (then the result
            is not available rather than a zero).
        segments: segment rows to attach instead of the frame's own (with `ctx.by`).
        by_segment: False for a metric whose groups are not segments (no segment rows).
        basis: what the numbers rest on, when more precise than the spec's.
        extra: values added to the total's (windows, rules).

    Returns:
        The result: the total's values and `n`, or why it is hidden; with `ctx.by` the
        segment rows.
    """
    values, why = head(frame, group_col)
    n = values.pop("n", None)
    if why is None and empty is not None and not n:
        return _not_available(spec, empty)
    out = MetricResult(
        spec,
        {**values, **extra},
        n=n,
        suppressed=why,
        basis=basis,
        noisy=bool(frame.attrs.get("noisy")),
    )
    if ctx.by is not None and by_segment:
        out.by = ctx.by
        out.segments = segments if segments is not None else group_rows(frame, [group_col])
    return out


# -- time ------------------------------------------------------------------------------------


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


def weekly_result(
    spec: MetricSpec,
    ctx: MetricContext,
    n: str,
    values: Sequence[str],
    derive: Derive,
    headline: Sequence[str],
    activity: tuple[str, str],
) -> MetricResult:
    """A weekly trend read from `fact_segment_week` (complete weeks only).

    Args:
        spec: the metric.
        ctx: metric context.
        n: the segment-week people column counted as `n`.
        values: other segment-week columns to fetch.
        derive: adds the rates.
        headline: columns of the latest week repeated as the result's values.
        activity: the column that shows the weeks hold data, and the input to name when
            it is zero in every week.

    Returns:
        The latest week's headline values, `weeks` rows and, with `--by`, segment rows per
        week; not available when no complete week has facts or activity.
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
        return _not_available(spec, "licenses (a complete week before as_of)")
    column, need = activity
    if not (pd.to_numeric(frame.loc[frame["dimension"] == "all", column]).fillna(0) > 0).any():
        return _not_available(spec, need)
    frame.loc[frame["dimension"] == "all", SEGMENT] = TOTAL
    frame = derive(frame.drop(columns="dimension"))
    frame["week"] = pd.to_datetime(frame["week"]).dt.date
    frame = frame.sort_values(["week", SEGMENT], kind="stable").reset_index(drop=True)
    out = _weekly_suppressed(ctx, frame, weeks, eligible=(n == "elig_people"))
    people = [c for c in ("n", "active", "elig_people") if c in out.columns]
    out = noisy(ctx, out, people, [SEGMENT, "week"], spec.name, derive)
    rows = public_rows(out.sort_values(["week", SEGMENT], kind="stable"), [SEGMENT, "week"])
    totals = rows.where(lambda r: r[SEGMENT] == TOTAL).derive(
        lambda r: {k: v for k, v in r.items() if k != SEGMENT}
    )
    latest = totals[-1]
    res = MetricResult(
        spec,
        {k: latest[k] for k in ("week", *headline) if k in latest},
        n=latest.get("n"),
        suppressed=latest[SUPPRESSED] or None,
        weeks=totals,
        noisy=bool(out.attrs.get("noisy")),
    )
    if ctx.by is not None:
        res.by = ctx.by
        res.segments = rows.where(lambda r: r[SEGMENT] != TOTAL)
    return res


def _weekly_suppressed(
    ctx: MetricContext, frame: pd.DataFrame, weeks: list[date], *, eligible: bool
) -> pd.DataFrame:
    """Suppress a weekly series so that no week of a segment can be derived.

    Each week's population (licensed people, or those of them with eligible runs when the
    series counts those) gets its own release plan. A segment hidden in any week, or hidden
    in the window's plan, is hidden in every week: otherwise the window's value minus the
    visible weeks (or the visible weeks summed) would give the hidden one.
    """
    if ctx.by is None:
        return suppressed_groups(ctx, frame, partition_cols=["week"])
    from uptake.metrics.facts import PERSON_DAY, PERSON_WEEK
    from uptake.metrics.facts.build import licensed_weeks

    held = licensed_on(ctx.engine, ctx.as_of)
    weekly = licensed_weeks(ctx.engine, weeks)
    if eligible:
        days = ctx.engine.table(PERSON_DAY)
        days = days.filter((days.day >= ctx.window_start) & (days.day <= ctx.as_of))
        days = days.filter(days.elig > 0).select("person_key").distinct()
        held = held.semi_join(days, held.person_key == days.person_key)
        pw = ctx.engine.table(PERSON_WEEK)
        pw = pw.filter(pw.elig > 0).select(pw_key=pw.person_key, pw_week=pw.week)
        weekly = weekly.semi_join(
            pw, (weekly.person_key == pw.pw_key) & (weekly.week == pw.pw_week)
        )
    window = ctx.engine.execute(held)["person_key"]
    segs = set(release_plan(ctx, window.tolist()).reasons(ctx.by))
    pairs = ctx.engine.execute(weekly)
    pairs["week"] = pd.to_datetime(pairs["week"]).dt.date
    for week, part in pairs.groupby("week", sort=True):
        at = pd.Timestamp(str(week)).date() + timedelta(days=6)
        segs |= set(release_plan(ctx, part["person_key"].tolist(), at).reasons(ctx.by))
    seg = frame[SEGMENT].astype(object)
    while True:
        hide = (seg.isin(list(segs)) & (seg != TOTAL)).to_numpy(dtype=bool)
        out = suppressed_groups(ctx, frame, partition_cols=["week"], hide=hide)
        now = set(seg[out[SUPPRESSED].to_numpy(dtype=bool) & (seg != TOTAL).to_numpy()])
        if now <= segs:
            return out
        segs |= now
