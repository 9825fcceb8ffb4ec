"""Fact expressions: person-day, person-week, person-tool-day and segment-week (Ibis)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import ibis

from uptake.metrics.context import constant_table, empty_table, week_expr
from uptake.metrics.seats import seats
from uptake.metrics.segments import DIM_PERSON, SEGMENTS, segment_of
from uptake.schema.tables import MEANINGFUL_ACTIONS
from uptake.warehouse.engine import Engine

PERSON_DAY = "fact_person_day"
PERSON_WEEK = "fact_person_week"
PERSON_TOOL_DAY = "fact_person_tool_day"
SEGMENT_WEEK = "fact_segment_week"
STATE = "fact_state"

# Counts summed from person-day up to person-week and segment-week.
COUNTS = (
    "events",
    "actions",
    "meaningful",
    "feedback_events",
    "runs",
    "elig",
    "ai_elig",
    "ai_elig_done",
    "elig_done",
    "low",
    "ai_low",
    "ai_runs",
    "decisions",
    "overrides",
    "feedback_given",
    "help_given",
)
# Counts carried to the segment-week facts.
SEGMENT_COUNTS = ("events", "actions", "meaningful", "elig", "ai_elig", "ai_elig_done", "elig_done")
# People counts of the segment-week facts besides `licensed`.
SEGMENT_PEOPLE = ("active", "elig_people")
# Tables whose rows land in one day of the person-day facts.
DAY_SOURCES = ("events", "tasks", "decisions", "feedback", "help_edges")
# Tables whose change can alter facts in any week (eligibility, identities).
GLOBAL_SOURCES = ("people", "workflows")
NON_ACTIONS = ("session_start", "session_end")
# Counts taken from events (via the person-tool-day facts), and from every other source.
EVENT_COUNTS = ("events", "actions", "meaningful", "feedback_events")
OTHER_COUNTS = tuple(c for c in COUNTS if c not in EVENT_COUNTS)


# -- person-day facts ------------------------------------------------------------------------


def _zeros(**present: ibis.Value) -> dict[str, ibis.Value]:
    return {c: present.get(c, ibis.literal(0, type="int64")).cast("int64") for c in OTHER_COUNTS}


def _in_span(col: ibis.Value, span: tuple[date, date] | None) -> ibis.Value | None:
    if span is None:
        return None
    lo = datetime.combine(span[0], time())
    hi = datetime.combine(span[1], time())
    return (col >= ibis.literal(lo)) & (col < ibis.literal(hi))


def person_day_expr(
    engine: Engine,
    span: tuple[date, date] | None = None,
    tool_days: ibis.Table | None = None,
) -> ibis.Table:
    """Per person and day counts from every day-level source, optionally for [lo, hi) days.

    Args:
        engine: the compute engine.
        span: first day (inclusive) and end day (exclusive); None for all history.
        tool_days: the person-tool-day facts holding the event counts (None: no events).

    Returns:
        Table (person_key, day, *COUNTS) without week or refresh columns.
    """
    small: list[ibis.Table] = []
    one = ibis.literal(1, type="int64")
    zero = ibis.literal(0, type="int64")

    def flag(cond: ibis.Value) -> ibis.Value:
        return cond.ifelse(one, zero)

    if engine.has("decisions"):
        d = engine.table("decisions")
        if (cond := _in_span(d.ts, span)) is not None:
            d = d.filter(cond)
        small.append(
            d.group_by("person_key", day=d.ts.date()).aggregate(
                **_zeros(decisions=d.count(), overrides=flag(~d.followed).sum())
            )
        )
    if engine.has("feedback"):
        f = engine.table("feedback")
        f = f.filter(f.person_key.notnull())
        if (cond := _in_span(f.ts, span)) is not None:
            f = f.filter(cond)
        small.append(
            f.group_by("person_key", day=f.ts.date()).aggregate(**_zeros(feedback_given=f.count()))
        )
    if engine.has("help_edges"):
        h = engine.table("help_edges")
        if (cond := _in_span(h.ts, span)) is not None:
            h = h.filter(cond)
        small.append(
            h.group_by(person_key=h.helper_key, day=h.ts.date()).aggregate(
                **_zeros(help_given=h.count())
            )
        )
    # Each large source (events, tasks) is aggregated once and joined to the others: a union
    # of every source re-aggregated as a whole costs a second hash aggregation over as many
    # rows as the sources' groups. Only the small sources (decisions, feedback, help) are
    # unioned and re-aggregated together.
    others: ibis.Table | None = None
    if small:
        u = small[0] if len(small) == 1 else ibis.union(*small, distinct=False)
        others = u.group_by("person_key", "day").aggregate(
            **{c: u[c].sum().cast("int64") for c in OTHER_COUNTS}
        )
    if engine.has("tasks"):
        tasks = _task_days(engine, span)
        others = tasks if others is None else _merge(tasks, others, OTHER_COUNTS, OTHER_COUNTS)
    events: ibis.Table | None = None
    if tool_days is not None:
        # Event counts come from the person-tool-day facts: events are scanned once.
        td = tool_days
        if span is not None:
            td = td.filter((td.day >= span[0]) & (td.day < span[1]))
        events = td.group_by("person_key", "day").aggregate(
            **{c: td[c].sum().cast("int64") for c in EVENT_COUNTS}
        )
    if events is None and others is None:
        return empty_table(
            {"person_key": "string", "day": "date", **dict.fromkeys(COUNTS, "int64")}
        )
    if others is None:
        assert events is not None
        return events.select(
            "person_key", "day", **{c: events[c] if c in EVENT_COUNTS else zero for c in COUNTS}
        )
    if events is None:
        return others.select(
            "person_key", "day", **{c: others[c] if c in OTHER_COUNTS else zero for c in COUNTS}
        )
    return _merge(events, others, EVENT_COUNTS, OTHER_COUNTS)


def _merge(
    a: ibis.Table, b: ibis.Table, a_counts: tuple[str, ...], b_counts: tuple[str, ...]
) -> ibis.Table:
    """Full outer join of two per person and day count tables, summing shared counts.

    Returns:
        Table (person_key, day, *counts) with the counts of either side (0 where absent),
        in COUNTS order for the counts it holds.
    """
    o = b.rename(o_key="person_key", o_day="day", **{f"o_{c}": c for c in b_counts})
    j = a.outer_join(o, [a.person_key == o.o_key, a.day == o.o_day])
    out: dict[str, ibis.Value] = {}
    for c in COUNTS:
        sides = [
            j[n].fill_null(0) for n, has in ((c, c in a_counts), (f"o_{c}", c in b_counts)) if has
        ]
        if sides:
            out[c] = (sides[0] if len(sides) == 1 else sides[0] + sides[1]).cast("int64")
    return j.select(person_key=j.person_key.fill_null(j.o_key), day=j.day.fill_null(j.o_day), **out)


def _task_days(engine: Engine, span: tuple[date, date] | None) -> ibis.Table:
    t = engine.table("tasks")
    if (cond := _in_span(t.started_at, span)) is not None:
        t = t.filter(cond)
    if engine.has("people"):
        p = engine.table("people").select(p_key="person_key", p_role="role")
        t = t.left_join(p, t.person_key == p.p_key)
        roles = p.select(role=p.p_role).distinct()
    else:
        t = t.mutate(p_role=ibis.null("string"))
        roles = None
    if engine.has("workflows"):
        # Eligibility depends only on the workflow and the person's role: it is decided once
        # per catalogue row and role (a small table), and each run looks its pair up.
        none = constant_table({"role": [None]}, {"role": "string"})
        roles = none if roles is None else ibis.union(roles, none, distinct=True)
        w = engine.table("workflows").cross_join(roles)
        open_to_all = w.roles.isnull() | (w.roles.length() == 0)
        flags = w.select(
            f_wf=w.workflow,
            f_role=w.role,
            f_elig=(w.stakes == "high").fill_null(False)
            & (open_to_all | w.roles.contains(w.role).fill_null(False)),
            f_low=(w.stakes == "low").fill_null(False),
        )
        t = t.left_join(flags, (t.workflow == flags.f_wf) & t.p_role.identical_to(flags.f_role))
        elig, low = t.f_elig.fill_null(False), t.f_low.fill_null(False)
    else:
        # A run of an uncatalogued workflow has no stakes: neither high nor low.
        elig = low = ibis.literal(False)
    ai = t.ai_assisted.fill_null(False)
    done = (t.status == "completed").fill_null(False) | (
        t.status.isnull() & t.completed_at.notnull()
    )
    # Filtered counts rather than sums of 0/1 flags: the conditions are never null (each is
    # filled with false), so both count the same rows, and a filtered count is cheaper.
    return t.group_by("person_key", day=t.started_at.date()).aggregate(
        **_zeros(
            runs=t.count(),
            elig=t.count(where=elig),
            ai_elig=t.count(where=elig & ai),
            ai_elig_done=t.count(where=elig & ai & done),
            elig_done=t.count(where=elig & done),
            low=t.count(where=low),
            ai_low=t.count(where=low & ai),
            ai_runs=t.count(where=ai),
        )
    )


def person_tool_day_expr(
    engine: Engine, offset: int, span: tuple[date, date] | None = None
) -> ibis.Table:
    """Per person, tool and day: event counts (the one scan of the events table).

    A row counts `quantity` times (vendor daily totals), once when it is empty.

    Args:
        engine: the compute engine.
        offset: weekday number on which weeks start.
        span: first day (inclusive) and end day (exclusive); None for all history.

    Returns:
        Table (person_key, tool, day, week, events, actions, meaningful, feedback_events).
    """
    e = engine.table("events")
    if (cond := _in_span(e.ts, span)) is not None:
        e = e.filter(cond)
    zero = ibis.literal(0, type="int64")
    # A vendor's daily total (7 prompts in one row) counts as 7: counts, not rows.
    qty = e.quantity.cast("int64").fill_null(1)

    def total(cond: ibis.Value) -> ibis.Value:
        return cond.ifelse(qty, zero).sum().cast("int64")

    t = e.group_by("person_key", "tool", day=e.ts.date()).aggregate(
        events=qty.sum().cast("int64"),
        actions=total(~e.action.isin(NON_ACTIONS)),
        meaningful=total(e.action.isin(MEANINGFUL_ACTIONS)),
        feedback_events=total(e.action == "feedback"),
    )
    return t.mutate(week=week_expr(t.day, offset))


def person_week_expr(days: ibis.Table) -> ibis.Table:
    """Roll person-day facts up to person-week facts (with active and action days)."""
    one = ibis.literal(1, type="int64")
    zero = ibis.literal(0, type="int64")
    return days.group_by("person_key", "week").aggregate(
        **{c: days[c].sum().cast("int64") for c in COUNTS},
        active_days=(days.events > 0).ifelse(one, zero).sum().cast("int64"),
        action_days=(days.actions > 0).ifelse(one, zero).sum().cast("int64"),
    )


# -- segment-week facts ----------------------------------------------------------------------


def licensed_weeks(engine: Engine, weeks: list[date]) -> ibis.Table:
    """Distinct (person_key, week) for people holding any licence on the week's last day.

    Args:
        engine: the compute engine.
        weeks: first days of the weeks.

    Returns:
        Table (person_key, week).
    """
    cal = constant_table(
        {
            "week": weeks,
            "week_end": [datetime.combine(w + timedelta(days=7), time()) for w in weeks],
        },
        {"week": "date", "week_end": "timestamp"},
    )
    lic = seats(engine)
    j = lic.cross_join(cal)
    j = j.filter(
        (j.assigned_at < j.week_end) & (j.removed_at.isnull() | (j.removed_at >= j.week_end))
    )
    return j.select("person_key", "week").distinct()


def segment_week_expr(engine: Engine, weeks: list[date]) -> ibis.Table:
    """Per dimension, segment and week: licensed people, active people, summed counts.

    Args:
        engine: the compute engine (dim_person and fact_person_week must exist).
        weeks: the weeks to build.

    Returns:
        Table (dimension, segment, week, licensed, active, *SEGMENT_COUNTS).
    """
    pairs = licensed_weeks(engine, weeks)
    dim = engine.table(DIM_PERSON)
    pw = engine.table(PERSON_WEEK)
    pw = pw.filter(pw.week.isin(weeks)).select(
        *SEGMENT_COUNTS, pw_key=pw.person_key, pw_week=pw.week
    )
    j = pairs.left_join(dim, pairs.person_key == dim.person_key).drop("person_key_right")
    j = j.left_join(pw, (j.person_key == pw.pw_key) & (j.week == pw.pw_week))
    j = j.mutate(**{c: j[c].fill_null(0) for c in SEGMENT_COUNTS})
    j = j.mutate(hire_date=j.hire_date, week_last=(j.week + ibis.interval(days=6)))
    one = ibis.literal(1, type="int64")
    zero = ibis.literal(0, type="int64")
    # Each row is repeated once per dimension by a cross join with the dimension names,
    # not by a union of one copy per dimension: engines recompute a union's inputs (the
    # joins above) for every branch, the cross join computes them once.
    names = constant_table({"dimension": ["all", *SEGMENTS]}, {"dimension": "string"})
    x = j.cross_join(names)
    per_dimension = [
        (x.dimension == by, segment_of(x, by, x.week_last).fill_null("(none)")) for by in SEGMENTS
    ]
    segment = ibis.cases(*per_dimension, else_=ibis.literal("(all)"))
    s = x.mutate(segment=segment)
    return s.group_by("dimension", "segment", "week").aggregate(
        licensed=s.count().cast("int64"),
        active=(s.events > 0).ifelse(one, zero).sum().cast("int64"),
        elig_people=(s.elig > 0).ifelse(one, zero).sum().cast("int64"),
        **{c: s[c].sum().cast("int64") for c in SEGMENT_COUNTS},
    )
