"""Materialised facts every metric derives from, refreshed incrementally per affected week.

Raw events are aggregated once, here, into small tables; no metric reads raw events:

* `fact_person_day` — per person and day: events, actions (not session start/end), meaningful
  events, feedback events; workflow runs: eligible high-stakes runs (`elig`: workflow
  `stakes = high` and the person's role among its roles, or the workflow names no roles),
  AI-assisted eligible runs, their completed share, low-stakes runs; decisions and
  overrides; feedback given; help given (as the helper).
* `fact_person_week` — the same per reporting week, plus active days.
* `fact_person_tool_day` — events and actions per person, tool and day (licence use is per
  tool).
* `fact_segment_week` — per dimension of §6.1 (plus `all`), segment and week: licensed people
  at the week's end, how many were active, and sums of the activity and run counts.
* `dim_person` — see `uptake.metrics.segments`.

Incremental refresh: `ingest_log` says which batches arrived since the last refresh and the
min/max timestamp of each. Only the reporting weeks those spans touch are deleted and
rebuilt; a roster, workflow catalogue or re-keying batch changes eligibility or identities
everywhere and triggers a full rebuild; a licence batch rebuilds the (cheap) segment-week
facts. Every written row carries the `refresh_id` that wrote it, which is how tests prove
untouched weeks were not rewritten. Engines without in-place deletes (Spark) always rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import ibis
import pandas as pd

from uptake.metrics.context import SEGMENTS, week_expr, week_of, week_offset
from uptake.metrics.segments import DIM_PERSON, build_dim_person, segment_of
from uptake.metrics.settings import MetricsSettings
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


@dataclass
class RefreshReport:
    """What a refresh did: `full`, `incremental` or `none`, and which weeks it rebuilt."""

    mode: str
    refresh_id: int
    weeks: list[date] = field(default_factory=list)
    segment_weeks: str = "none"
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "refresh_id": self.refresh_id,
            "weeks": [w.isoformat() for w in self.weeks],
            "segment_weeks": self.segment_weeks,
            "reason": self.reason,
        }


# -- person-day facts ------------------------------------------------------------------------


def _zeros(**present: ibis.Value) -> dict[str, ibis.Value]:
    return {c: present.get(c, ibis.literal(0, type="int64")).cast("int64") for c in COUNTS}


def _in_span(col: ibis.Value, span: tuple[date, date] | None) -> ibis.Value | None:
    if span is None:
        return None
    lo = datetime.combine(span[0], time())
    hi = datetime.combine(span[1], time())
    return (col >= ibis.literal(lo)) & (col < ibis.literal(hi))


def person_day_expr(engine: Engine, span: tuple[date, date] | None = None) -> ibis.Table:
    """Per person and day counts from every day-level source, optionally for [lo, hi) days.

    Args:
        engine: the compute engine.
        span: first day (inclusive) and end day (exclusive); None for all history.

    Returns:
        Table (person_key, day, *COUNTS) without week or refresh columns.
    """
    parts: list[ibis.Table] = []
    one = ibis.literal(1, type="int64")
    zero = ibis.literal(0, type="int64")

    def flag(cond: ibis.Value) -> ibis.Value:
        return cond.ifelse(one, zero)

    if engine.has("events"):
        e = engine.table("events")
        if (cond := _in_span(e.ts, span)) is not None:
            e = e.filter(cond)
        parts.append(
            e.group_by("person_key", day=e.ts.date()).aggregate(
                **_zeros(
                    events=e.count(),
                    actions=flag(~e.action.isin(NON_ACTIONS)).sum(),
                    meaningful=flag(e.action.isin(MEANINGFUL_ACTIONS)).sum(),
                    feedback_events=flag(e.action == "feedback").sum(),
                )
            )
        )
    if engine.has("tasks"):
        parts.append(_task_days(engine, span, flag))
    if engine.has("decisions"):
        d = engine.table("decisions")
        if (cond := _in_span(d.ts, span)) is not None:
            d = d.filter(cond)
        parts.append(
            d.group_by("person_key", day=d.ts.date()).aggregate(
                **_zeros(decisions=d.count(), overrides=flag(~d.followed).sum())
            )
        )
    if engine.has("feedback"):
        f = engine.table("feedback")
        f = f.filter(f.person_key.notnull())
        if (cond := _in_span(f.ts, span)) is not None:
            f = f.filter(cond)
        parts.append(
            f.group_by("person_key", day=f.ts.date()).aggregate(**_zeros(feedback_given=f.count()))
        )
    if engine.has("help_edges"):
        h = engine.table("help_edges")
        if (cond := _in_span(h.ts, span)) is not None:
            h = h.filter(cond)
        parts.append(
            h.group_by(person_key=h.helper_key, day=h.ts.date()).aggregate(
                **_zeros(help_given=h.count())
            )
        )
    if not parts:
        return ibis.memtable(
            pd.DataFrame({"person_key": [], "day": [], **{c: [] for c in COUNTS}}),
            schema=ibis.schema(
                {"person_key": "string", "day": "date", **dict.fromkeys(COUNTS, "int64")}
            ),
        )
    allp = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)
    return allp.group_by("person_key", "day").aggregate(
        **{c: allp[c].sum().cast("int64") for c in COUNTS}
    )


def _task_days(engine: Engine, span: tuple[date, date] | None, flag: Any) -> ibis.Table:
    t = engine.table("tasks")
    if (cond := _in_span(t.started_at, span)) is not None:
        t = t.filter(cond)
    if engine.has("workflows"):
        w = engine.table("workflows").select(wf="workflow", stakes="stakes", wf_roles="roles")
        t = t.left_join(w, t.workflow == w.wf)
    else:
        t = t.mutate(stakes=ibis.null("string"), wf_roles=ibis.null("array<string>"))
    if engine.has("people"):
        p = engine.table("people").select(p_key="person_key", p_role="role")
        t = t.left_join(p, t.person_key == p.p_key)
    else:
        t = t.mutate(p_role=ibis.null("string"))
    open_to_all = t.wf_roles.isnull() | (t.wf_roles.length() == 0)
    role_ok = open_to_all | t.wf_roles.contains(t.p_role).fill_null(False)
    elig = (t.stakes == "high").fill_null(False) & role_ok
    low = (t.stakes == "low").fill_null(False)
    ai = t.ai_assisted.fill_null(False)
    done = (t.status == "completed").fill_null(False) | (
        t.status.isnull() & t.completed_at.notnull()
    )
    return t.group_by("person_key", day=t.started_at.date()).aggregate(
        **_zeros(
            runs=t.count(),
            elig=flag(elig).sum(),
            ai_elig=flag(elig & ai).sum(),
            ai_elig_done=flag(elig & ai & done).sum(),
            elig_done=flag(elig & done).sum(),
            low=flag(low).sum(),
            ai_low=flag(low & ai).sum(),
            ai_runs=flag(ai).sum(),
        )
    )


def person_tool_day_expr(
    engine: Engine, offset: int, span: tuple[date, date] | None = None
) -> ibis.Table:
    """Per person, tool and day: events and actions.

    Args:
        engine: the compute engine.
        offset: weekday number on which weeks start.
        span: first day (inclusive) and end day (exclusive); None for all history.

    Returns:
        Table (person_key, tool, day, week, events, actions).
    """
    e = engine.table("events")
    if (cond := _in_span(e.ts, span)) is not None:
        e = e.filter(cond)
    one = ibis.literal(1, type="int64")
    zero = ibis.literal(0, type="int64")
    t = e.group_by("person_key", "tool", day=e.ts.date()).aggregate(
        events=e.count().cast("int64"),
        actions=(~e.action.isin(NON_ACTIONS)).ifelse(one, zero).sum().cast("int64"),
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
    cal = ibis.memtable(
        pd.DataFrame(
            {
                "week": weeks,
                "week_end": [datetime.combine(w + timedelta(days=7), time()) for w in weeks],
            }
        ),
        schema=ibis.schema({"week": "date", "week_end": "timestamp"}),
    )
    lic = engine.table("licenses")
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
    stacks = [j.mutate(dimension=ibis.literal("all"), segment=ibis.literal("(all)"))]
    for by in SEGMENTS:
        seg = segment_of(j, by, j.week_last).fill_null("(none)")
        stacks.append(j.mutate(dimension=ibis.literal(by), segment=seg))
    s = ibis.union(*stacks, distinct=False)
    return s.group_by("dimension", "segment", "week").aggregate(
        licensed=s.count().cast("int64"),
        active=(s.events > 0).ifelse(one, zero).sum().cast("int64"),
        elig_people=(s.elig > 0).ifelse(one, zero).sum().cast("int64"),
        **{c: s[c].sum().cast("int64") for c in SEGMENT_COUNTS},
    )


# -- refresh ---------------------------------------------------------------------------------


def _state(engine: Engine) -> dict[str, str]:
    if not engine.has(STATE):
        return {}
    df = engine.execute(engine.table(STATE))
    return dict(zip(df["key"].astype(str), df["value"].astype(str), strict=True))


def _write_state(engine: Engine, values: dict[str, str]) -> None:
    df = pd.DataFrame({"key": list(values), "value": list(values.values())})
    engine.materialize(STATE, ibis.memtable(df, schema={"key": "string", "value": "string"}))


def _duck(engine: Engine) -> Any:
    """The DuckDB connection behind an engine, or None when it cannot delete in place."""
    backend = getattr(engine, "backend", None)
    if getattr(engine, "name", "") != "duckdb" or backend is None:
        return None
    return getattr(backend, "con", None)


def _fact_tables() -> tuple[str, ...]:
    return (PERSON_DAY, PERSON_WEEK, PERSON_TOOL_DAY, SEGMENT_WEEK, DIM_PERSON)


def _exists(engine: Engine, name: str) -> bool:
    backend = getattr(engine, "backend", None)
    if backend is not None and hasattr(backend, "list_tables"):
        return name in backend.list_tables()
    return engine.has(name)


def refresh(engine: Engine, settings: MetricsSettings, *, full: bool = False) -> RefreshReport:
    """Bring the materialised facts up to date with the warehouse.

    Args:
        engine: the compute engine.
        settings: metrics settings (week start).
        full: rebuild everything regardless of what changed.

    Returns:
        What was rebuilt.
    """
    offset = week_offset(settings.week_start)
    state = _state(engine)
    refresh_id = int(state.get("refresh_id", "0")) + 1
    last_batch = int(state.get("last_batch", "-1"))
    batches = _new_batches(engine, last_batch)
    top = max([last_batch, *[int(b) for b in batches["batch_id"]]]) if len(batches) else last_batch
    reason = ""
    con = _duck(engine)
    if full:
        reason = "requested"
    elif not state or not all(_exists(engine, t) for t in _fact_tables()):
        reason = "no facts yet"
    elif state.get("week_start") != settings.week_start:
        reason = "week start changed"
    elif con is None:
        reason = f"engine {getattr(engine, 'name', '?')} rebuilds in full"
    elif (batches["table_name"].isin(GLOBAL_SOURCES)).any() or (batches["rekeyed"] > 0).any():
        reason = "roster, workflow catalogue or identities changed"
    if not reason and not len(batches):
        return RefreshReport("none", refresh_id - 1, reason="no new batches")
    if reason:
        _full(engine, offset, refresh_id)
        report = RefreshReport("full", refresh_id, segment_weeks="all", reason=reason)
    else:
        report = _incremental(engine, con, offset, refresh_id, batches)
    _write_state(
        engine,
        {
            "refresh_id": str(refresh_id),
            "last_batch": str(top),
            "week_start": settings.week_start,
            "refreshed_at": datetime.now(UTC).replace(tzinfo=None).isoformat(),
        },
    )
    return report


def _new_batches(engine: Engine, last_batch: int) -> pd.DataFrame:
    cols = ["batch_id", "table_name", "min_ts", "max_ts", "rekeyed"]
    backend = getattr(engine, "backend", None)
    if backend is None or "ingest_log" not in backend.list_tables():
        return pd.DataFrame({c: [] for c in cols})
    log = engine.table("ingest_log")
    return engine.execute(log.filter(log.batch_id > last_batch).select(*cols))


def _all_weeks(engine: Engine, offset: int) -> list[date]:
    """Every week from the first to the last day any fact or licence touches."""
    spans: list[ibis.Table] = []
    if engine.has(PERSON_DAY):
        d = engine.table(PERSON_DAY)
        spans.append(d.aggregate(lo=d.day.min(), hi=d.day.max()))
    if engine.has("licenses"):
        lic = engine.table("licenses")
        spans.append(
            lic.aggregate(
                lo=lic.assigned_at.min().date(),
                hi=ibis.greatest(lic.assigned_at.max(), lic.removed_at.max()).date(),
            )
        )
    lo: date | None = None
    hi: date | None = None
    for s in spans:
        row = engine.execute(s).iloc[0]
        for v, is_lo in ((row["lo"], True), (row["hi"], False)):
            if v is None or pd.isna(v):
                continue
            d = pd.Timestamp(v).date()
            if is_lo:
                lo = d if lo is None else min(lo, d)
            else:
                hi = d if hi is None else max(hi, d)
    if lo is None or hi is None:
        return []
    first, last = week_of(lo, offset), week_of(hi, offset)
    return [first + timedelta(days=7 * i) for i in range((last - first).days // 7 + 1)]


def _built_weeks(engine: Engine) -> list[date]:
    t = engine.table(SEGMENT_WEEK)
    df = engine.execute(t.select("week").distinct())
    return [pd.Timestamp(v).date() for v in df["week"]]


def _stamp(expr: ibis.Table, refresh_id: int) -> ibis.Table:
    return expr.mutate(refresh_id=ibis.literal(refresh_id, type="int64"))


def _full(engine: Engine, offset: int, refresh_id: int) -> None:
    build_dim_person(engine)
    days = person_day_expr(engine)
    days = days.mutate(week=week_expr(days.day, offset))
    engine.materialize(PERSON_DAY, _stamp(days, refresh_id))
    pd_t = engine.table(PERSON_DAY)
    engine.materialize(PERSON_WEEK, _stamp(person_week_expr(pd_t), refresh_id))
    if engine.has("events"):
        tool = person_tool_day_expr(engine, offset)
    else:
        tool = ibis.memtable(
            pd.DataFrame(
                {
                    "person_key": [],
                    "tool": [],
                    "week": [],
                    "events": [],
                    "actions": [],
                    "last_day": [],
                }
            ),
            schema={
                "person_key": "string",
                "tool": "string",
                "week": "date",
                "events": "int64",
                "actions": "int64",
                "last_day": "date",
            },
        )
    engine.materialize(PERSON_TOOL_DAY, _stamp(tool, refresh_id))
    weeks = _all_weeks(engine, offset) if engine.has("licenses") else []
    engine.materialize(SEGMENT_WEEK, _stamp(_segment_weeks(engine, weeks), refresh_id))


def _segment_weeks(engine: Engine, weeks: list[date]) -> ibis.Table:
    if weeks and engine.has("licenses"):
        return segment_week_expr(engine, weeks)
    return ibis.memtable(
        pd.DataFrame(
            {
                "dimension": [],
                "segment": [],
                "week": [],
                "licensed": [],
                "active": [],
                "elig_people": [],
                **{c: [] for c in SEGMENT_COUNTS},
            }
        ),
        schema={
            "dimension": "string",
            "segment": "string",
            "week": "date",
            "licensed": "int64",
            "active": "int64",
            "elig_people": "int64",
            **dict.fromkeys(SEGMENT_COUNTS, "int64"),
        },
    )


def _affected_weeks(batches: pd.DataFrame, offset: int) -> list[date]:
    weeks: set[date] = set()
    rows = batches[batches["table_name"].isin(DAY_SOURCES)]
    for lo, hi in zip(rows["min_ts"], rows["max_ts"], strict=True):
        if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
            continue
        w = week_of(pd.Timestamp(lo).date(), offset)
        end = week_of(pd.Timestamp(hi).date(), offset)
        while w <= end:
            weeks.add(w)
            w += timedelta(days=7)
    return sorted(weeks)


def _runs(weeks: list[date]) -> list[tuple[date, date]]:
    """Contiguous runs of weeks as (first week, end day exclusive)."""
    out: list[tuple[date, date]] = []
    for w in weeks:
        if out and out[-1][1] == w:
            out[-1] = (out[-1][0], w + timedelta(days=7))
        else:
            out.append((w, w + timedelta(days=7)))
    return out


def _incremental(
    engine: Engine, con: Any, offset: int, refresh_id: int, batches: pd.DataFrame
) -> RefreshReport:
    weeks = _affected_weeks(batches, offset)
    licences_changed = bool((batches["table_name"] == "licenses").any())
    backend = engine.backend  # type: ignore[attr-defined]
    con.execute("BEGIN TRANSACTION")
    try:
        if licences_changed:
            build_dim_person(engine)
        for lo, hi in _runs(weeks):
            days = person_day_expr(engine, (lo, hi))
            days = _stamp(days.mutate(week=week_expr(days.day, offset)), refresh_id)
            _replace(con, backend, PERSON_DAY, days, "week", lo, hi)
            pd_t = engine.table(PERSON_DAY)
            pw = person_week_expr(pd_t.filter((pd_t.week >= lo) & (pd_t.week < hi)))
            _replace(con, backend, PERSON_WEEK, _stamp(pw, refresh_id), "week", lo, hi)
            if engine.has("events"):
                tool = _stamp(person_tool_day_expr(engine, offset, (lo, hi)), refresh_id)
                _replace(con, backend, PERSON_TOOL_DAY, tool, "week", lo, hi)
        if licences_changed:
            seg_weeks = _all_weeks(engine, offset)
            con.execute(f'DELETE FROM "{SEGMENT_WEEK}"')
            scope = "all"
        else:
            # Weeks new to the calendar (a quiet gap before the new data) are built too, so
            # the result equals a full rebuild.
            have = set(_built_weeks(engine))
            seg_weeks = sorted(
                set(weeks) | {w for w in _all_weeks(engine, offset) if w not in have}
            )
            scope = "affected" if seg_weeks else "none"
        if seg_weeks and engine.has("licenses"):
            for lo, hi in _runs(seg_weeks):
                in_run = [w for w in seg_weeks if lo <= w < hi]
                expr = _stamp(segment_week_expr(engine, in_run), refresh_id)
                _replace(con, backend, SEGMENT_WEEK, expr, "week", lo, hi)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    mode = "incremental" if weeks or licences_changed else "none"
    return RefreshReport(mode, refresh_id, weeks=weeks, segment_weeks=scope)


def _replace(
    con: Any, backend: Any, name: str, expr: ibis.Table, col: str, lo: date, hi: date
) -> None:
    """Swap the rows of [lo, hi) in a fact table for freshly computed ones."""
    con.execute(f'DELETE FROM "{name}" WHERE "{col}" >= ? AND "{col}" < ?', [lo, hi])
    backend.insert(name, expr.select(*backend.table(name).columns))
