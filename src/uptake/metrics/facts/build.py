"""Fact expressions: person-day, person-week, person-tool-day and segment-week (Ibis)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import ibis

from uptake.metrics.context import empty_table, small_table, week_expr
from uptake.metrics.dimensions import SEGMENTS
from uptake.metrics.seats import seats
from uptake.metrics.segments import DIM_PERSON, segment_of
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
    zero = ibis.literal(0, type="int64")
    others = _other_days(engine, span)
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
    return _merge(events, others)


def _merge(events: ibis.Table, others: ibis.Table) -> ibis.Table:
    """Full outer join of the event counts and the other counts per person and day.

    Returns:
        Table (person_key, day, *COUNTS), 0 where a side has no row.
    """
    o = others.rename(o_key="person_key", o_day="day", **{f"o_{c}": c for c in OTHER_COUNTS})
    j = events.outer_join(o, [events.person_key == o.o_key, events.day == o.o_day])
    counts = {c: j[c if c in EVENT_COUNTS else f"o_{c}"].fill_null(0).cast("int64") for c in COUNTS}
    return j.select(
        person_key=j.person_key.fill_null(j.o_key), day=j.day.fill_null(j.o_day), **counts
    )


# Kinds of the rows unioned from every day-level source but events (see `_other_days`).
_RUN, _FOLLOWED, _OVERRIDDEN, _FEEDBACK, _HELP = range(5)


def _other_days(engine: Engine, span: tuple[date, date] | None) -> ibis.Table | None:
    """Per person and day counts from runs, decisions, feedback and help (None: no source).

    Returns:
        Table (person_key, day, *OTHER_COUNTS), or None when none of the sources exists.
    """
    parts: list[ibis.Table] = []
    if engine.has("tasks"):
        parts.append(_run_rows(engine, span))
    if engine.has("decisions"):
        d = _within(engine.table("decisions"), "ts", span)
        # A decision not known to be overridden (followed, or not said) is not an override.
        kind = (~d.followed).fill_null(False).ifelse(_OVERRIDDEN, _FOLLOWED)
        parts.append(d.select(**_union_columns(d.person_key, d.ts, kind)))
    if engine.has("feedback"):
        f = _within(engine.table("feedback"), "ts", span)
        f = f.filter(f.person_key.notnull())
        parts.append(f.select(**_union_columns(f.person_key, f.ts, _FEEDBACK)))
    if engine.has("help_edges"):
        h = _within(engine.table("help_edges"), "ts", span)
        parts.append(h.select(**_union_columns(h.helper_key, h.ts, _HELP)))
    if not parts:
        return None
    # One row per run, decision, feedback and help given, counted in one aggregation: runs
    # aggregated apart and joined to the other sources cost a second join and projection
    # over as many rows as the runs' person-days (about 0.25 s of 0.9 s at 10,000 people).
    u = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)
    k = u.kind
    # Only runs carry true flags, so a flag's count is its runs' count.
    return u.group_by("person_key", "day").aggregate(
        runs=u.count(where=k == _RUN),
        elig=u.count(where=u.elig),
        ai_elig=u.count(where=u.elig & u.ai),
        ai_elig_done=u.count(where=u.elig & u.ai & u.done),
        elig_done=u.count(where=u.elig & u.done),
        low=u.count(where=u.low),
        ai_low=u.count(where=u.low & u.ai),
        ai_runs=u.count(where=u.ai),
        decisions=u.count(where=k.isin((_FOLLOWED, _OVERRIDDEN))),
        overrides=u.count(where=k == _OVERRIDDEN),
        feedback_given=u.count(where=k == _FEEDBACK),
        help_given=u.count(where=k == _HELP),
    )


def _union_columns(
    key: ibis.Value,
    ts: ibis.Value,
    kind: int | ibis.Value,
    elig: ibis.Value | None = None,
    low: ibis.Value | None = None,
    ai: ibis.Value | None = None,
    done: ibis.Value | None = None,
) -> dict[str, ibis.Value]:
    """The columns of one source's rows in `_other_days`'s union (flags false unless given)."""
    false = ibis.literal(False)
    return {
        "person_key": key,
        "day": ts.date(),
        "kind": (ibis.literal(kind) if isinstance(kind, int) else kind).cast("int8"),
        "elig": false if elig is None else elig,
        "low": false if low is None else low,
        "ai": false if ai is None else ai,
        "done": false if done is None else done,
    }


def _within(t: ibis.Table, ts: str, span: tuple[date, date] | None) -> ibis.Table:
    """The rows of `t` whose timestamp column `ts` falls in the span (all of them if None)."""
    cond = _in_span(t[ts], span)
    return t if cond is None else t.filter(cond)


def _run_rows(engine: Engine, span: tuple[date, date] | None) -> ibis.Table:
    t = _within(engine.table("tasks"), "started_at", span)
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
        none = small_table({"role": [None]}, {"role": "string"})
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
    done = (t.status == "completed").fill_null(False) | (
        t.status.isnull() & t.completed_at.notnull()
    )
    # The flags are never null (each is filled with false): filtered counts of them are
    # exact, and cheaper than sums of 0/1 values.
    return t.select(
        **_union_columns(
            t.person_key, t.started_at, _RUN, elig, low, t.ai_assisted.fill_null(False), done
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
    cal = small_table(
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
    names = small_table({"dimension": ["all", *SEGMENTS]}, {"dimension": "string"})
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
