"""Time buckets, segment lookup and suppressed group entries shared by the analytics families.

Relational helpers return Ibis expressions (they run on DuckDB and Spark alike); the entry
helpers turn a small per-group pandas frame into the JSON of a metric entry, always through
`uptake.metrics.privacy.suppress`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import pandas as pd

from uptake.metrics import segments
from uptake.metrics.context import MetricContext
from uptake.metrics.privacy import SUPPRESSED, TOTAL, jsonable, public_rows, suppress

SEGMENT = "segment"
NO_SEGMENT = segments.NO_SEGMENT
_ALONE = "\0total"


def week_expr(ctx: MetricContext, ts: ibis.Value) -> ibis.Value:
    """First day (a date) of the reporting week containing a timestamp.

    Args:
        ctx: metric context (its week start).
        ts: a timestamp expression.

    Returns:
        A date expression.
    """
    shift = ctx.week_offset
    if shift == 0:
        return ts.truncate("W").cast("date")
    # Weeks starting on weekday `shift`: move back, take the ISO Monday, move forward again.
    days = ibis.interval(days=shift)
    return ((ts - days).truncate("W") + days).cast("date")


def segment_table(ctx: MetricContext) -> ibis.Table | None:
    """Person → segment value for `ctx.by`, or None when no segmentation was asked for.

    Args:
        ctx: metric context.

    Returns:
        A table with `person_key` and `segment` (string), or None.
    """
    if ctx.by is None:
        return None
    # dim_person is materialised by the metrics refresh; build it when a family runs alone.
    if not ctx.engine.has(segments.DIM_PERSON):
        segments.build_dim_person(ctx.engine)
    return segments.person_segments(ctx.engine, ctx.by, ctx.as_of)


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


def with_segment(ctx: MetricContext, t: ibis.Table, person: str = "person_key") -> ibis.Table:
    """Add a `segment` column (people outside the roster get "(none)").

    Args:
        ctx: metric context; without `ctx.by` every row gets the one segment `TOTAL`.
        t: a table with a person column.
        person: name of that column.

    Returns:
        `t` with a string `segment` column.
    """
    seg = segment_table(ctx)
    if seg is None:
        return t.mutate(segment=ibis.literal(TOTAL))
    seg = seg.rename(seg_person="person_key", seg_value=SEGMENT)
    joined = t.left_join(seg, t[person] == seg.seg_person)
    return joined.mutate(segment=joined.seg_value.fill_null(NO_SEGMENT)).drop(
        "seg_person", "seg_value"
    )


def suppressed_groups(
    ctx: MetricContext,
    frame: pd.DataFrame,
    group_col: str = SEGMENT,
    *,
    n_col: str = "n",
    partition_cols: Sequence[str] = (),
) -> pd.DataFrame:
    """Run a per-group frame (with its `TOTAL` margin rows) through privacy suppression.

    Args:
        ctx: metric context (its minimum group size).
        frame: one row per group, plus a `TOTAL` row per partition when the total is shown.
        group_col: the group column.
        n_col: the people count that decides suppression.
        partition_cols: columns splitting the frame into independent tables.

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
        frame, [group_col], n_col=n_col, k=ctx.min_group_size, partition_cols=partition_cols
    )


def total_row(frame: pd.DataFrame, group_col: str = SEGMENT) -> dict[str, Any]:
    """The `TOTAL` row of a suppressed frame as entry values (just the flag when hidden).

    Args:
        frame: the result of `suppress` holding exactly one `TOTAL` row.
        group_col: the group column.

    Returns:
        The row's values without the group column, or `{"suppressed": True}`.
    """
    rows = frame[frame[group_col].astype(object) == TOTAL]
    if rows.empty:
        return {SUPPRESSED: True}
    rec = rows.iloc[0].to_dict()
    if rec[SUPPRESSED]:
        return {SUPPRESSED: True}
    return {str(c): jsonable(v) for c, v in rec.items() if c not in (group_col, SUPPRESSED)}


def group_rows(
    frame: pd.DataFrame, keys: Sequence[str], group_col: str = SEGMENT
) -> list[dict[str, Any]]:
    """The non-total rows of a suppressed frame as JSON rows (hidden rows carry only keys).

    Args:
        frame: the result of `suppress`.
        keys: columns identifying a row.
        group_col: the group column holding `TOTAL` on margin rows.

    Returns:
        JSON-ready rows, `TOTAL` rows left out.
    """
    return [r for r in public_rows(frame, keys) if r.get(group_col) != TOTAL]
