"""Usage rate: licensed people with at least one event, in the window and weekly.

`usage_rate`: people holding a licence on `as_of` with ≥ 1 event in the current window
(the `window_days` days ending at `as_of`) ÷ those licensed people. `weekly_active_rate`:
per complete reporting week ending on or before `as_of` (the last `trend_weeks`), people
licensed at the week's end with ≥ 1 event in the week ÷ those licensed people, read from
`fact_segment_week`. Both are segmented by any segment dimension with `--by`. A window in
which nobody has any event says so (not available) rather than showing a zero.

`--by tool` breaks `usage_rate` down by tool: per tool, people holding a seat of it on
`as_of` and those of them who used that tool in the window (a tool reporting weekly or
monthly: listed in a period overlapping the window with some use, said on its row). Tools
are not a partition of people (one person may hold several), so each tool's row is a table
of its own, shown at or above the minimum group size, with the release noise and under the
tool plan; the weekly rate is not per tool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import numpy as np
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.dimensions import TOOL
from uptake.metrics.facts import PERSON_DAY
from uptake.metrics.groups import (
    any_activity,
    grouped,
    licensed_on,
    noisy,
    ratio,
    result,
    weekly_result,
)
from uptake.metrics.release import SEGMENT
from uptake.metrics.result import MetricResult, MetricSpec, not_available
from uptake.metrics.tool_mix import (
    day_grain,
    hide_rows,
    public_rows_each,
    shared_plan,
    suppress_each,
)
from uptake.metrics.tool_presence import period_counted

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
    plan = shared_plan(ctx)
    if plan is None:
        return public_rows_each(pd.DataFrame({SEGMENT: [], "n": [], "active": []}))
    pres = plan.presence
    tools = sorted(pres.held_now)
    frame = pd.DataFrame({
        SEGMENT: tools,
        "n": [plan.size(f"seats:{t}") for t in tools],
        "active": [plan.size(f"used:{t}") for t in tools],
    })  # fmt: skip
    if not all(day_grain(pres, t) for t in tools):
        # A weekly or monthly report cannot be cut at the window's edges: said on its row.
        frame["grain_note"] = [
            None if day_grain(pres, t) else period_counted(t, pres.grains[t]) for t in tools
        ]
    frame = derive(frame)
    # Each tool is its own population, suppressed one table at a time; tools overlap, so the
    # tool plan (shared with the tools family) hides a tool whose seat holders, or those of
    # them who used it, could be subtracted from another shown group.
    out = suppress_each(ctx, frame, hide_rows(plan, [f"seats:{t}" for t in tools]))
    shown = ~out["suppressed"].to_numpy(dtype=bool)
    out = noisy(ctx, out, ["n", "active"], [SEGMENT], f"{USAGE_RATE.name}:tool", derive)
    why = [plan.hidden.get(f"used:{t}") if s else None for t, s in zip(tools, shown, strict=True)]
    gone = np.array([w is not None for w in why], dtype=bool)
    out["active_suppressed"] = pd.Series(why, index=out.index, dtype=object)
    out["rate_suppressed"] = out["active_suppressed"]
    for col in ("active", "rate"):
        out[col] = out[col].astype(object).where(~gone, None)
    return public_rows_each(out)


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
