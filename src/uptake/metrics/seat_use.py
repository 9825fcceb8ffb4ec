"""Each seat held on `as_of`: whether its holder used it, whether its use can be known.

The licences' totals (seats, used, unused, unknown) are sums of these rows, and the tool plan
(`uptake.metrics.tool_mix`) reads the same rows, so the totals it plans against are the ones
the licences publish.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import ibis
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.facts import PERSON_TOOL_DAY
from uptake.metrics.groups import SEGMENT
from uptake.metrics.seats import seats as all_seats
from uptake.metrics.segments import DIM_PERSON, NO_SEGMENT, segment_of


def seat_frame(ctx: MetricContext) -> pd.DataFrame:
    """One row per seat assigned on `as_of` with its use and reclaim status (read once).

    Args:
        ctx: metric context.

    Returns:
        Frame (person_key, tool, monthly_cost, used, known, status, new_starter, candidate,
        reason[, segment]).
    """
    # The licences and the tool plan read the same rows within one computation.
    return ctx.memo.once("seat_frame", lambda: _read(ctx))


def _read(ctx: MetricContext) -> pd.DataFrame:
    end = ibis.literal(datetime.combine(ctx.as_of + timedelta(days=1), time()))
    lic = all_seats(ctx.engine)
    seats = lic.filter(
        (lic.assigned_at < end) & (lic.removed_at.isnull() | (lic.removed_at >= end))
    )
    used = _used_pairs(ctx)
    known = _known_tools(ctx)
    s = seats.left_join(used, (seats.person_key == used.u_key) & (seats.tool == used.u_tool))
    s = s.left_join(known, s.tool == known.k_tool)
    dim = ctx.engine.table(DIM_PERSON)
    extra = {SEGMENT: segment_of(dim, ctx.by, ctx.as_of)} if ctx.by else {}
    people = dim.select(d_key=dim.person_key, status=dim.status, hire_date=dim.hire_date, **extra)
    s = s.left_join(people, s.person_key == people.d_key)
    df = ctx.engine.execute(
        s.select(
            "person_key",
            "tool",
            "monthly_cost",
            "assigned_at",
            "status",
            "hire_date",
            *([SEGMENT] if ctx.by else []),
            used=s.u_key.notnull(),
            known=s.k_tool.notnull(),
        )
    )
    grace = pd.Timestamp(ctx.as_of - timedelta(days=ctx.settings.reclaim_grace_days))
    hired = pd.to_datetime(df["hire_date"]).dt.normalize()
    assigned = pd.to_datetime(df["assigned_at"]).dt.normalize()
    new = (hired.notna() & (hired > grace)) | (assigned > grace)
    left = df["status"].eq("left")
    leave = df["status"].eq("leave")
    unused = df["known"] & ~df["used"]
    df["new_starter"] = new
    df["candidate"] = left | (unused & ~leave & ~new)
    df["reason"] = None
    df.loc[unused & ~left, "reason"] = "unused"
    df.loc[left, "reason"] = "left"
    if ctx.by:
        df[SEGMENT] = df[SEGMENT].fillna(NO_SEGMENT).astype(str)
    return df


def _used_pairs(ctx: MetricContext) -> ibis.Table:
    """(person, tool) with activity in the window, from events or last-activity facts."""
    days = ctx.engine.table(PERSON_TOOL_DAY)
    ev = days.filter((days.day >= ctx.window_start) & (days.day <= ctx.as_of) & (days.events > 0))
    pairs = ev.select(u_key=ev.person_key, u_tool=ev.tool)
    if ctx.has("person_facts"):
        f = ctx.engine.table("person_facts")
        f = f.filter(
            (f.fact == "last_activity")
            & (f.report_date <= ctx.as_of)
            & (f.value_date >= ctx.window_start)
            & (f.value_date <= ctx.as_of)
        )
        pairs = ibis.union(pairs, f.select(u_key=f.person_key, u_tool=f.tool), distinct=False)
    return pairs.distinct()


def _known_tools(ctx: MetricContext) -> ibis.Table:
    """Tools whose use uptake can observe in the window: their data reaches into it.

    A tool whose events (or last-activity reports) all came before the window, as when its
    export stopped or the date asked for is past the data, says nothing about this window:
    its seats' use is unknown, not unused (at an as-of date past the data every seat had
    been "unused" and to reclaim).
    """
    days = ctx.engine.table(PERSON_TOOL_DAY)
    days = days.filter((days.day >= ctx.window_start) & (days.day <= ctx.as_of))
    tools = days.select(k_tool=days.tool)
    if ctx.has("person_facts"):
        f = ctx.engine.table("person_facts")
        f = f.filter(
            (f.fact == "last_activity")
            & (f.report_date >= ctx.window_start)
            & (f.report_date <= ctx.as_of)
        )
        tools = ibis.union(tools, f.select(k_tool=f.tool), distinct=False)
    return tools.distinct()
