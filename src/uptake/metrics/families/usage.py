"""Usage rate: licensed people with at least one event, in the window and weekly.

`usage_rate`: people holding a licence on `as_of` with ≥ 1 event in the current window
(the `window_days` days ending at `as_of`) ÷ those licensed people. `weekly_active_rate`:
per complete reporting week ending on or before `as_of` (the last `trend_weeks`), people
licensed at the week's end with ≥ 1 event in the week ÷ those licensed people, read from
`fact_segment_week`. Both are segmented by any segment dimension with `--by`. A window in
which nobody has any event says so (not available) rather than showing a zero.

`--by tool` breaks `usage_rate` down by tool: per tool, people holding a seat of it on
`as_of` and those of them who used that tool in the window. Tools are not a partition of
people (one person may hold several), so each tool's row is a table of its own, shown at or
above the minimum group size and with the release noise; the weekly rate is not per tool.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import ibis
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.facts import PERSON_DAY, PERSON_TOOL_DAY
from uptake.metrics.groups import (
    any_activity,
    group_rows,
    grouped,
    licensed_on,
    noisy,
    ratio,
    result,
    suppressed_groups,
    weekly_result,
)
from uptake.metrics.privacy import TOTAL
from uptake.metrics.release import SEGMENT
from uptake.metrics.result import MetricResult, MetricSpec, not_available
from uptake.metrics.seats import seats
from uptake.metrics.segments import TOOL
from uptake.metrics.tool_mix import shared_plan

FAMILY = "usage"
# `--by tool` breaks usage_rate down by tool.
BY_TOOL = True
NEEDS = ("licenses", "events")
SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="usage_rate",
        family=FAMILY,
        label="licensed people active in the window",
        unit="share",
        headline="rate",
        needs=NEEDS,
        definition="licensed people with ≥1 event in the window ÷ licensed people",
    ),
    MetricSpec(
        name="weekly_active_rate",
        family=FAMILY,
        label="licensed people active in the latest complete week",
        unit="share",
        headline="rate",
        needs=NEEDS,
        definition=(
            "per complete week: people licensed at the week's end with ≥1 event in it ÷ "
            "those licensed people"
        ),
    ),
)
USAGE_RATE, WEEKLY_ACTIVE_RATE = SPECS


def compute(ctx: MetricContext) -> list[MetricResult]:
    """Usage results: `usage_rate` (window) and `weekly_active_rate`.

    Args:
        ctx: metric context (facts refreshed).

    Returns:
        One result per spec, in order.
    """
    missing = ctx.missing(*NEEDS)
    if missing:
        return [not_available(spec, *missing) for spec in SPECS]
    return [usage_rate(ctx), weekly_active_rate(ctx)]


def window_activity(ctx: MetricContext) -> ibis.Table:
    """Per licensed person on `as_of`: events, actions and meaningful events in the window.

    Args:
        ctx: metric context.

    Returns:
        Table (person_key, events, actions, meaningful), zeros for inactive people.
    """
    days = ctx.engine.table(PERSON_DAY)
    days = days.filter((days.day >= ctx.window_start) & (days.day <= ctx.as_of))
    act = days.group_by("person_key").aggregate(
        w_events=days.events.sum(), w_actions=days.actions.sum(), w_meaningful=days.meaningful.sum()
    )
    base = licensed_on(ctx.engine, ctx.as_of)
    j = base.left_join(act, base.person_key == act.person_key)
    return j.select(
        base.person_key,
        events=j.w_events.fill_null(0),
        actions=j.w_actions.fill_null(0),
        meaningful=j.w_meaningful.fill_null(0),
    )


def usage_rate(ctx: MetricContext) -> MetricResult:
    """Window usage rate, overall and per segment.

    Args:
        ctx: metric context.

    Returns:
        n (licensed people), active, rate and the window.
    """
    if not any_activity(ctx, ctx.window_start, "events"):
        return not_available(USAGE_RATE, "events (in the window)")
    one = ibis.literal(1, type="int64")
    zero = ibis.literal(0, type="int64")

    def aggs(t: ibis.Table) -> dict[str, ibis.Value]:
        return {"n": t.count(), "active": (t.events > 0).ifelse(one, zero).sum()}

    def derive(f: pd.DataFrame) -> pd.DataFrame:
        return f.assign(rate=ratio(f["active"], f["n"]))

    frame = grouped(
        ctx, window_activity(ctx), aggs, derive=derive, people=["active"], question=USAGE_RATE.name
    )
    out = result(
        USAGE_RATE,
        ctx,
        frame,
        empty="licenses (held on as_of)",
        window={"start": ctx.window_start.isoformat(), "end": ctx.as_of.isoformat()},
    )
    if ctx.by_tool and out.suppressed is None and out.available:
        out.by = TOOL
        out.segments = _by_tool(ctx, derive)
    return out


def _by_tool(ctx: MetricContext, derive: Callable[[pd.DataFrame], pd.DataFrame]) -> Any:
    """Per tool: seat holders on `as_of` and those who used that tool in the window."""
    end = ibis.literal(datetime.combine(ctx.as_of + timedelta(days=1), time()))
    lic = seats(ctx.engine)
    held = lic.filter((lic.assigned_at < end) & (lic.removed_at.isnull() | (lic.removed_at >= end)))
    held = held.select("person_key", "tool").distinct()
    td = ctx.engine.table(PERSON_TOOL_DAY)
    td = td.filter((td.day >= ctx.window_start) & (td.day <= ctx.as_of) & (td.events > 0))
    used = td.select(u_key=td.person_key, u_tool=td.tool).distinct()
    j = held.left_join(used, (held.person_key == used.u_key) & (held.tool == used.u_tool))
    one = ibis.literal(1, type="int64")
    zero = ibis.literal(0, type="int64")
    per = j.group_by(j.tool).aggregate(
        n=j.count(), active=j.u_key.notnull().ifelse(one, zero).sum()
    )
    frame = ctx.engine.execute(per).rename(columns={"tool": SEGMENT})
    frame = derive(frame).sort_values(SEGMENT, kind="stable").reset_index(drop=True)
    # Each tool is its own population: suppress and add noise one table at a time. Tools
    # overlap, so the tool plan (shared with the tools family) also hides a tool whose seat
    # holders could be subtracted from another shown group.
    plan = shared_plan(ctx)
    planned = plan.hidden if plan is not None else {}
    rows = []
    for i in range(len(frame)):
        tool = str(frame[SEGMENT].iloc[i])
        one_tool = frame.iloc[[i]].reset_index(drop=True)
        alone = suppressed_groups(ctx, one_tool.assign(**{SEGMENT: TOTAL}), n_col="n")
        why = planned.get(f"seats:{tool}")
        if why is not None and not bool(alone["suppressed"].iloc[0]):
            alone = alone.assign(suppressed=True, suppressed_reason=why)
        alone = noisy(ctx, alone, ["n", "active"], [SEGMENT], f"{USAGE_RATE.name}:tool", derive)
        rows.append(alone.assign(**{SEGMENT: tool}))
    if not rows:
        return group_rows(suppressed_groups(ctx, frame, n_col="n"), [SEGMENT])
    return group_rows(pd.concat(rows, ignore_index=True), [SEGMENT])


def weekly_active_rate(ctx: MetricContext) -> MetricResult:
    """Weekly active rate over the last complete weeks, overall and per segment.

    Args:
        ctx: metric context.

    Returns:
        The latest week's n, active and rate, and `weeks` rows.
    """

    def derive(f: pd.DataFrame) -> pd.DataFrame:
        return f.assign(rate=ratio(f["active"], f["n"]))

    return weekly_result(
        WEEKLY_ACTIVE_RATE,
        ctx,
        "licensed",
        ["active"],
        derive,
        ["active", "rate"],
        ("active", "events (in the recent complete weeks)"),
    )
