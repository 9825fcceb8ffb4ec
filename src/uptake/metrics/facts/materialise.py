"""Materialising the facts and refreshing only the weeks new batches touch."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import ibis
import pandas as pd

from uptake.config import MetricsSettings
from uptake.errors import IntegrityError
from uptake.metrics.context import empty_table, week_expr, week_of, week_offset
from uptake.metrics.facts.build import (
    DAY_SOURCES,
    GLOBAL_SOURCES,
    PERSON_DAY,
    PERSON_TOOL_DAY,
    PERSON_WEEK,
    SEGMENT_COUNTS,
    SEGMENT_WEEK,
    STATE,
    person_day_expr,
    person_tool_day_expr,
    person_week_expr,
    segment_week_expr,
)
from uptake.metrics.seats import seats
from uptake.metrics.segments import DIM_PERSON, GITHUB_TEAM, build_dim_person
from uptake.warehouse.database import transaction
from uptake.warehouse.doctor import READABLE_DATES, implausible_dates
from uptake.warehouse.engine import Engine
from uptake.warehouse.sql import quote_ident

# The column that stamps each fact row with the refresh that wrote it.
REFRESH_ID = "refresh_id"
# Suffix of the table a full build fills before it takes the fact table's name.
STAGED = "__building"

TOOL_DAY_SCHEMA = {
    "person_key": "string",
    "tool": "string",
    "day": "date",
    "events": "int64",
    "actions": "int64",
    "meaningful": "int64",
    "feedback_events": "int64",
    "week": "date",
}


@dataclass
class RefreshReport:
    """What a refresh did: `full`, `incremental` or `none`, and which weeks it rebuilt."""

    mode: str
    refresh_id: int
    weeks: list[date] = field(default_factory=list)
    segment_weeks: str = "none"
    reason: str = ""
    # What the live friction flags' update did after this refresh (set by the Workspace).
    live: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "refresh_id": self.refresh_id,
            "weeks": [w.isoformat() for w in self.weeks],
            "segment_weeks": self.segment_weeks,
            "reason": self.reason,
            **({"live": self.live} if self.live is not None else {}),
        }


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


def _listed(engine: Engine) -> set[str] | None:
    """The tables the engine's catalogue lists (asked once per refresh), None if it cannot."""
    backend = getattr(engine, "backend", None)
    if backend is not None and hasattr(backend, "list_tables"):
        return set(backend.list_tables())
    return None


def _exists(engine: Engine, listed: set[str] | None, name: str) -> bool:
    return name in listed if listed is not None else engine.has(name)


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
    listed = _listed(engine)
    batches = _new_batches(engine, last_batch, listed)
    top = max([last_batch, *[int(b) for b in batches["batch_id"]]]) if len(batches) else last_batch
    batches = storing(batches)
    reason = ""
    con = _duck(engine)
    if full:
        reason = "requested"
    elif not state or not all(_exists(engine, listed, t) for t in _fact_tables()):
        reason = "no facts yet"
    elif state.get("week_start") != settings.week_start:
        reason = "week start changed"
    elif con is None:
        reason = f"engine {getattr(engine, 'name', '?')} rebuilds in full"
    elif (batches["table_name"].isin(GLOBAL_SOURCES)).any() or (batches["rekeyed"] > 0).any():
        reason = "roster, workflow catalogue or identities changed"
    # [ingest/doctor] Refuse stored dates no reader can represent by name (see `_unreadable`).
    if unreadable := _unreadable(engine):
        raise IntegrityError(unreadable, hint=UNREADABLE_HINT)
    if not reason and not len(batches):
        return RefreshReport("none", refresh_id - 1, reason="no new batches")
    # The facts and the state that says they are current are committed together: a reader
    # on another connection sees the old facts or the new ones, never a mix (DuckDB only;
    # another engine rebuilds its own scratch copy).
    with transaction(con) if con is not None else contextlib.nullcontext():
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


def pending(engine: Engine, settings: MetricsSettings) -> str | None:
    """Why the materialised facts lag the warehouse, or None when they are current.

    Reads only, so a read-only reader can ask before computing anything.

    Args:
        engine: the compute engine.
        settings: metrics settings (week start).

    Returns:
        A reason in words, or None.
    """
    # [ingest/doctor] Metrics read these tables too, so stored dates no reader can represent
    # make the facts unusable whether or not a refresh is due.
    if unreadable := _unreadable(engine):
        return f"{unreadable} ({UNREADABLE_HINT})"
    state = _state(engine)
    if len(storing(_new_batches(engine, int(state.get("last_batch", "-1")), _listed(engine)))):
        return "batches were ingested after the last refresh" if state else "they were never built"
    if state and state.get("week_start") != settings.week_start:
        return "the week start setting changed"
    return None


UNREADABLE_HINT = "run `uptake doctor` to list them, then correct or delete those rows"


def _unreadable(engine: Engine) -> str | None:
    """[ingest/doctor] Why stored dates make the facts unbuildable, or None.

    Year 0 or 9999, stored by an older uptake before ingest refused implausible dates, crash
    the build and the metrics with a traceback (pandas cannot hold them), and a far-off licence
    date would span thousands of weeks. Checked when the engine is DuckDB (the only engine
    whose connection it can query); other engines skip it.
    """
    con = _duck(engine)
    if con is None:
        return None
    found = implausible_dates(con, READABLE_DATES)
    return f"the warehouse holds dates no metric can use: {', '.join(found)}" if found else None


def _new_batches(engine: Engine, last_batch: int, listed: set[str] | None) -> pd.DataFrame:
    cols = ["batch_id", "table_name", "min_ts", "max_ts", "rekeyed", "accepted"]
    if listed is None or "ingest_log" not in listed:
        return pd.DataFrame({c: [] for c in cols})
    log = engine.table("ingest_log")
    return engine.execute(log.filter(log.batch_id > last_batch).select(*cols))


def storing(batches: pd.DataFrame) -> pd.DataFrame:
    """The batches that stored something (the facts' and the live flags' one rule).

    A batch whose every row was a duplicate or quarantined changed nothing: a roster sent
    again had rebuilt every week's segments and made the live flags look at the whole window.

    Args:
        batches: `ingest_log` rows with `accepted` and `rekeyed`.

    Returns:
        The rows of batches that accepted or re-keyed rows.
    """
    return batches[(batches["accepted"] > 0) | (batches["rekeyed"] > 0)]


def _all_weeks(engine: Engine, offset: int) -> list[date]:
    """Every week from the first to the last day any fact or licence touches."""
    spans: list[ibis.Table] = []
    if engine.has(PERSON_DAY):
        d = engine.table(PERSON_DAY)
        spans.append(d.aggregate(lo=d.day.min(), hi=d.day.max()))
    if engine.has("licenses"):
        lic = seats(engine)
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
    return expr.mutate(**{REFRESH_ID: ibis.literal(refresh_id, type="int64")})


def _full(engine: Engine, offset: int, refresh_id: int) -> None:
    build_dim_person(engine)
    if engine.has("events"):
        tool = person_tool_day_expr(engine, offset)
    else:
        tool = empty_table(TOOL_DAY_SCHEMA)
    _create(engine, PERSON_TOOL_DAY, tool, refresh_id)
    tool_days = engine.table(PERSON_TOOL_DAY) if engine.has("events") else None
    days = person_day_expr(engine, tool_days=tool_days)
    days = days.mutate(week=week_expr(days.day, offset))
    _create(engine, PERSON_DAY, days, refresh_id)
    pd_t = engine.table(PERSON_DAY)
    _create(engine, PERSON_WEEK, person_week_expr(pd_t), refresh_id)
    weeks = _all_weeks(engine, offset) if engine.has("licenses") else []
    _create(engine, SEGMENT_WEEK, _segment_weeks(engine, weeks), refresh_id)


def _create(engine: Engine, name: str, expr: ibis.Table, refresh_id: int) -> None:
    """Store a whole fact table, each row stamped with the refresh that wrote it."""
    con = _duck(engine)
    if con is None:
        engine.materialize(name, _stamp(expr, refresh_id))
        return
    # What Ibis's `create_table(overwrite=True)` does (a new table, filled, then renamed over
    # the old one), with the query's SQL from the engine's store of compiled SQL rather than
    # compiled afresh by every process (about 0.1 s of a 2.8 s full build at 10,000 people),
    # and the refresh's number a parameter, so the query is the same at every build.
    backend = engine.backend  # type: ignore[attr-defined]
    schema = ibis.schema({**expr.schema(), REFRESH_ID: "int64"})
    defs = ", ".join(d.sql(backend.dialect) for d in schema.to_sqlglot_column_defs(backend.dialect))
    staged = quote_ident(f"{name}{STAGED}")
    con.execute(f"CREATE OR REPLACE TABLE {staged} ({defs})")
    _insert(con, backend, staged, expr, list(expr.columns), refresh_id)
    con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")
    con.execute(f"ALTER TABLE {staged} RENAME TO {quote_ident(name)}")


def _segment_weeks(engine: Engine, weeks: list[date]) -> ibis.Table:
    if weeks and engine.has("licenses"):
        return segment_week_expr(engine, weeks)
    return empty_table(
        {
            "dimension": "string",
            "segment": "string",
            "week": "date",
            "licensed": "int64",
            "active": "int64",
            "elig_people": "int64",
            **dict.fromkeys(SEGMENT_COUNTS, "int64"),
        }
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
    licenses_changed = bool((batches["table_name"] == "licenses").any())
    # Team from the GitHub user-teams report, used only where the roster has none: a batch
    # of such facts can change teams, so it rebuilds dim_person like a licence batch.
    licenses_changed = licenses_changed or _github_team_batch(engine, batches)
    backend = engine.backend  # type: ignore[attr-defined]
    # Inside `refresh`'s transaction: committed with the state that says the facts are current.
    if licenses_changed:
        build_dim_person(engine)
    for lo, hi in _runs(weeks):
        tool_days = None
        if engine.has("events"):
            tool = person_tool_day_expr(engine, offset, (lo, hi))
            _replace(con, backend, PERSON_TOOL_DAY, tool, refresh_id, (lo, hi))
            tool_days = engine.table(PERSON_TOOL_DAY)
        days = person_day_expr(engine, (lo, hi), tool_days=tool_days)
        days = days.mutate(week=week_expr(days.day, offset))
        _replace(con, backend, PERSON_DAY, days, refresh_id, (lo, hi))
        pd_t = engine.table(PERSON_DAY)
        pw = person_week_expr(pd_t.filter((pd_t.week >= lo) & (pd_t.week < hi)))
        _replace(con, backend, PERSON_WEEK, pw, refresh_id, (lo, hi))
    if licenses_changed:
        seg_weeks = _all_weeks(engine, offset)
        con.execute(f"DELETE FROM {quote_ident(SEGMENT_WEEK)}")
        scope = "all"
    else:
        # Weeks new to the calendar (a quiet gap before the new data) are built too, so
        # the result equals a full rebuild.
        have = set(_built_weeks(engine))
        seg_weeks = sorted(set(weeks) | {w for w in _all_weeks(engine, offset) if w not in have})
        scope = "affected" if seg_weeks else "none"
    if seg_weeks and engine.has("licenses"):
        for lo, hi in _runs(seg_weeks):
            in_run = [w for w in seg_weeks if lo <= w < hi]
            expr = segment_week_expr(engine, in_run)
            _replace(con, backend, SEGMENT_WEEK, expr, refresh_id, (lo, hi))
    mode = "incremental" if weeks or licenses_changed else "none"
    return RefreshReport(mode, refresh_id, weeks=weeks, segment_weeks=scope)


def _github_team_batch(engine: Engine, batches: pd.DataFrame) -> bool:
    """Whether a new person_facts batch holds `github_team` facts (see segments)."""
    ids = [int(b) for b in batches.loc[batches["table_name"] == "person_facts", "batch_id"]]
    if not ids or not engine.has("person_facts"):
        return False
    f = engine.table("person_facts")
    fact, source = GITHUB_TEAM
    hit = f.filter(f.batch_id.isin(ids) & (f.fact == fact) & (f.source == source)).limit(1)
    return len(engine.execute(hit.select("batch_id"))) > 0


def _replace(
    con: Any, backend: Any, name: str, expr: ibis.Table, refresh_id: int, weeks: tuple[date, date]
) -> None:
    """Swap the rows of the weeks [lo, hi) in a fact table for freshly computed ones."""
    table = quote_ident(name)
    con.execute(f"DELETE FROM {table} WHERE week >= ? AND week < ?", list(weeks))
    cols = [c for c in backend.table(name).columns if c != REFRESH_ID]
    _insert(con, backend, table, expr, cols, refresh_id)


def _insert(
    con: Any, backend: Any, table: str, expr: ibis.Table, cols: list[str], refresh_id: int
) -> None:
    """Insert an expression's rows into a (quoted) table, stamped with the refresh's number."""
    # The refresh's number is a parameter, not a constant of the query: the query is then
    # the same structure at every refresh, so its SQL is filled from a template, not compiled
    # (see `warehouse.sql_template`), and Ibis's insert no longer parses that SQL again.
    body = expr.select(*cols)
    sql = backend.compile(body)
    # What Ibis's own insert does first: register the query's in-memory tables (calendars).
    backend._run_pre_execute_hooks(body)
    names = ", ".join(quote_ident(c) for c in [*cols, REFRESH_ID])
    con.execute(f"INSERT INTO {table} ({names}) SELECT *, ? FROM ({sql})", [refresh_id])
