"""Rules on daily counts: no meaningful use, the week 3–4 drop and surface use."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import ibis
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.seats import seats
from uptake.schema.tables import MEANINGFUL_ACTIONS
from uptake.signals.base import Flag
from uptake.signals.friction.rules import FrictionRules
from uptake.signals.friction.windows import (
    I64,
    Span,
    day_col,
    day_of,
    records,
    rolling,
    starts,
)


def _counts(e: ibis.Table) -> ibis.Value:
    # A vendor's daily total stands for `quantity` actions; an event-level row for one.
    return e.quantity.cast(I64).fill_null(1)


def _iso(d: Any) -> str | None:
    return None if d is None or pd.isna(d) else pd.Timestamp(d).date().isoformat()


def meaningful_tools(ctx: MetricContext, span: Span) -> list[str]:
    """Tools with at least one meaningful event (accept, task_complete) up to `as_of`.

    Args:
        ctx: the metric context.
        span: the detection span.

    Returns:
        The tool names, sorted.
    """
    if not ctx.has("events"):
        return []
    e = ctx.engine.table("events")
    e = e.filter(e.action.isin(MEANINGFUL_ACTIONS) & (e.ts < ibis.literal(span.end_ts)))
    return sorted(str(t) for t in ctx.engine.execute(e.select("tool").distinct())["tool"])


def no_meaningful_use(
    ctx: MetricContext, rules: FrictionRules, span: Span, tools: list[str] | None = None
) -> list[Flag]:
    """Licensed `no_meaningful_days` days with no accept or task_complete yet.

    Args:
        ctx: the metric context.
        rules: the thresholds.
        span: the detection span.
        tools: `meaningful_tools(ctx, span)` when the caller has it (None: read here).

    Returns:
        At most one flag per person, `since` = first licence day + `no_meaningful_days`,
        raised when the person holds a seat that day and has no meaningful event up to it;
        only seats of tools whose data shows meaningful events anywhere count.
    """
    end = ibis.literal(span.end_ts)
    lic = seats(ctx.engine)
    lic = lic.filter(lic.assigned_at < end)
    # Only seats of tools whose data can show meaningful use: Microsoft 365 reports days of
    # use, never an accept, so its users would all look idle.
    tools = meaningful_tools(ctx, span) if tools is None else tools
    if not tools:
        return []
    lic = lic.filter(lic.tool.isin(tools))
    first = lic.group_by("person_key").aggregate(licensed_on=lic.assigned_at.min().date())
    first = first.mutate(due=first.licensed_on + ibis.interval(days=rules.no_meaningful_days))
    first = first.filter(first.due <= span.last)
    if span.first is not None:
        first = first.filter(first.due >= span.first)
    # The person must still hold a seat on the day the rule falls due.
    fd = first.select(h_key="person_key", h_due="due")
    held = lic.join(fd, lic.person_key == fd.h_key)
    due_ts = held.h_due.cast("timestamp")
    held = held.filter(
        (held.assigned_at < due_ts + ibis.interval(days=1))
        & (held.removed_at.isnull() | (held.removed_at > due_ts))
    )
    held = held.group_by(person_key=held.h_key).aggregate(tools=held.tool.collect().sort())
    cand = first.join(held, "person_key")
    if ctx.has("events"):
        e = ctx.engine.table("events")
        e = e.filter(e.ts < end)
        # One pass over the candidates' events (joined first, so an incremental run with few
        # people falling due reads few rows): first meaningful day, first event day and the
        # events up to the due day.
        cd = cand.select(c_key="person_key", c_due="due")
        e2 = e.join(cd, e.person_key == cd.c_key)
        day = e2.ts.date()
        zero = ibis.literal(0, type=I64)
        per = e2.group_by(e_key=e2.c_key).aggregate(
            first_meaningful=e2.action.isin(MEANINGFUL_ACTIONS).ifelse(day, None).min(),
            first_event=day.min(),
            before=(day <= e2.c_due).ifelse(_counts(e2), zero).sum().cast(I64),
        )
        cand = cand.left_join(per, cand.person_key == per.e_key)
        cand = cand.filter(cand.first_meaningful.isnull() | (cand.first_meaningful > cand.due))
        cand = cand.mutate(events=cand.before.fill_null(0))
    else:
        cand = cand.mutate(events=ibis.literal(0, type=I64), first_event=ibis.null("date"))
    df = ctx.engine.execute(
        cand.select("person_key", "licensed_on", "due", "tools", "events", "first_event")
    ).sort_values(["person_key"])
    return [
        Flag(
            str(r["person_key"]),
            "no_meaningful_use_14d",
            pd.Timestamp(r["due"]).date(),
            {
                "licensed_on": _iso(r["licensed_on"]),
                "days_licensed": rules.no_meaningful_days,
                "tools": [str(t) for t in r["tools"]],
                "meaningful_events": 0,
                "events": int(r["events"]),
                "first_event": _iso(r["first_event"]),
                "threshold": {
                    "days": rules.no_meaningful_days,
                    "meaningful": list(MEANINGFUL_ACTIONS),
                },
            },
        )
        for r in records(df)
    ]


def _daily(e: ibis.Table) -> ibis.Table:
    """Events per person and day (d_key, d = day number, n = events counted)."""
    return e.group_by(d_key=e.person_key, d=day_col(e.ts)).aggregate(n=_counts(e).sum())


def week3_4_drop(ctx: MetricContext, rules: FrictionRules, span: Span) -> list[Flag]:
    """Activity in days 15–28 after first use below `drop_ratio` of days 1–14.

    Activity is the number of events, each vendor row counting its `quantity`; day 1 is the
    day of the person's first event. Days 1–14 must show activity on at least
    `drop_min_active_days` days: one try-out session is not a habit that can drop. The rule
    can only be decided once day 28 has passed, so `since` is day 28 (the evidence gives
    both halves).

    Args:
        ctx: the metric context.
        rules: the thresholds.
        span: the detection span.

    Returns:
        At most one flag per person.
    """
    if not ctx.has("events"):
        return []
    half = rules.drop_days
    e = ctx.engine.table("events")
    e = e.filter(e.ts < ibis.literal(span.end_ts))
    # Days first (a few hundred thousand rows), then the join: joining every event to its
    # person's first day and counting distinct days cost seconds at ten million events.
    if span.first is None:
        daily = _daily(e)
        # The first day is the first active day: one read of the events serves both.
        first = daily.group_by(f_key=daily.d_key).aggregate(f=daily.d.min())
    else:
        # Incremental: the first day needs all history, the days only the last four weeks.
        first = e.group_by(f_key=e.person_key).aggregate(f=day_col(e.ts.min()))
        daily = _daily(e.filter(e.ts >= ibis.literal(span.start_ts(2 * half))))
    first = first.mutate(decide=first.f + (2 * half - 1))
    first = first.filter(first.decide <= span.last_day())
    if span.first is not None:
        first = first.filter(first.decide >= span.first_day())
    j = daily.join(first, daily.d_key == first.f_key)
    j = j.mutate(dd=j.d - j.f)
    j = j.filter(j.dd < 2 * half)
    zero, one = ibis.literal(0, type=I64), ibis.literal(1, type=I64)
    agg = j.group_by(person_key=j.f_key, f=j.f).aggregate(
        before=(j.dd < half).ifelse(j.n, zero).sum().cast(I64),
        after=(j.dd >= half).ifelse(j.n, zero).sum().cast(I64),
        # One row per active day, so counting rows counts distinct days.
        active=(j.dd < half).ifelse(one, zero).sum().cast(I64),
    )
    agg = agg.filter(
        (agg.after < agg.before * rules.drop_ratio) & (agg.active >= rules.drop_min_active_days)
    )
    df = ctx.engine.execute(agg).sort_values(["person_key"])
    flags = []
    for r in records(df):
        f = day_of(r["f"])
        flags.append(
            Flag(
                str(r["person_key"]),
                "week3_4_drop",
                f + timedelta(days=2 * half - 1),
                {
                    "first_use": f.isoformat(),
                    "days_1_14": {
                        "start": f.isoformat(),
                        "end": (f + timedelta(days=half - 1)).isoformat(),
                        "events": int(r["before"]),
                        "active_days": int(r["active"]),
                    },
                    "days_15_28": {
                        "start": (f + timedelta(days=half)).isoformat(),
                        "end": (f + timedelta(days=2 * half - 1)).isoformat(),
                        "events": int(r["after"]),
                    },
                    "ratio": round(int(r["after"]) / int(r["before"]), 3),
                    "threshold": {
                        "ratio": rules.drop_ratio,
                        "min_active_days": rules.drop_min_active_days,
                    },
                },
            )
        )
    return flags


def surface_use(ctx: MetricContext, rules: FrictionRules, span: Span) -> list[Flag]:
    """AI-assisted work that stays on low-stakes workflows (≥ `surface_share`, none high).

    Args:
        ctx: the metric context (needs tasks and workflows.stakes).
        rules: the thresholds.
        span: the detection span.

    Returns:
        One flag per episode (maximal run of days on which the trailing `surface_days`
        window holds), `since` = its first day.
    """
    t = span.clip(ctx.engine.table("tasks"), "started_at", rules.surface_days)
    t = t.filter(t.ai_assisted.fill_null(False))
    w = ctx.engine.table("workflows").select(wf="workflow", stakes="stakes")
    t = t.left_join(w, t.workflow == w.wf)
    one, zero = ibis.literal(1, type=I64), ibis.literal(0, type=I64)
    daily = t.group_by("person_key", d=day_col(t.started_at)).aggregate(
        ai=t.count().cast(I64),
        low=(t.stakes == "low").fill_null(False).ifelse(one, zero).sum(),
        high=(t.stakes == "high").fill_null(False).ifelse(one, zero).sum(),
    )
    n = rules.surface_days
    r = rolling(daily, {"ai_w": ("ai", n), "low_w": ("low", n), "high_w": ("high", n)}, span)
    holds = (
        (r.ai_w >= rules.surface_min_runs)
        & (r.high_w == 0)
        & (r.low_w >= r.ai_w * rules.surface_share)
    )
    df = ctx.engine.execute(starts(r, holds, span).select("person_key", "d", "ai_w", "low_w"))
    df = df.sort_values(["person_key", "d"])
    flags = []
    for r_ in records(df):
        day = day_of(r_["d"])
        flags.append(
            Flag(
                str(r_["person_key"]),
                "surface_use",
                day,
                {
                    "window": {
                        "start": day_of(r_["d"] - n + 1).isoformat(),
                        "end": day.isoformat(),
                    },
                    "ai_runs": int(r_["ai_w"]),
                    "low_stakes": int(r_["low_w"]),
                    "high_stakes": 0,
                    "unknown_stakes": int(r_["ai_w"] - r_["low_w"]),
                    "low_share": round(int(r_["low_w"]) / int(r_["ai_w"]), 3),
                    "threshold": {
                        "share": rules.surface_share,
                        "min_runs": rules.surface_min_runs,
                        "days": n,
                    },
                },
            )
        )
    return flags
