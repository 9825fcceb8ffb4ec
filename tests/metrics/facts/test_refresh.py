"""Incremental refresh: only the weeks a new batch touches are rewritten, and the result
equals a full rebuild."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import ibis.expr.operations as ops
import pandas as pd
import pytest

from uptake.config import MetricsSettings
from uptake.metrics.facts import (
    PERSON_DAY,
    PERSON_TOOL_DAY,
    PERSON_WEEK,
    SEGMENT_WEEK,
    materialise,
    pending,
    refresh,
)
from uptake.metrics.facts.materialise import STAGED
from uptake.warehouse.engine import DuckDBEngine
from uptake.warehouse.sql_store import SqlStore

TABLES = (PERSON_DAY, PERSON_WEEK, PERSON_TOOL_DAY, SEGMENT_WEEK)
S = MetricsSettings()


def _base(wh: Any) -> None:
    """Batch 1: two people licensed in February, activity in weeks 02-26 and 03-04."""
    wh.person("a", role="analyst")
    wh.person("b", role="analyst")
    wh.workflow("w", stakes="high")
    wh.license("a", "2024-02-01")
    wh.license("b", "2024-02-01")
    wh.event("a", "2024-02-27T10:00", "accept")
    wh.event("b", "2024-03-05T10:00", "prompt")
    wh.task("a", "w", "2024-03-06T10:00")
    for table in ("people", "workflows", "licenses"):
        wh.ingest_log(1, table, "2024-02-01", "2024-02-01")
    wh.ingest_log(1, "events", "2024-02-27T10:00", "2024-03-05T10:00")
    wh.ingest_log(1, "tasks", "2024-03-06T10:00", "2024-03-06T10:00")


def _snapshot(wh: Any, table: str) -> pd.DataFrame:
    df = wh.engine.execute(wh.engine.table(table))
    keys = [c for c in ("dimension", "segment", "person_key", "tool", "day", "week") if c in df]
    return df.sort_values(keys).reset_index(drop=True)


def _ids_by_week(wh: Any, table: str) -> dict[date, set[int]]:
    df = _snapshot(wh, table)
    df["week"] = pd.to_datetime(df["week"]).dt.date
    return {w: set(g["refresh_id"]) for w, g in df.groupby("week")}


def _equals_full_rebuild(wh: Any) -> None:
    incremental = {t: _snapshot(wh, t).drop(columns="refresh_id") for t in TABLES}
    report = refresh(wh.engine, S, full=True)
    assert report.mode == "full"
    for t in TABLES:
        pd.testing.assert_frame_equal(incremental[t], _snapshot(wh, t).drop(columns="refresh_id"))


def test_new_day_rewrites_only_its_week(wh: Any) -> None:
    _base(wh)
    first = refresh(wh.engine, S)
    assert (first.mode, first.refresh_id) == ("full", 1)
    # Batch 2: one more day of events, Thursday 03-07 (week 03-04).
    wh.batch_id = 2
    wh.event("a", "2024-03-07T09:00", "accept")
    wh.event("b", "2024-03-07T15:00", "accept")
    wh.ingest_log(2, "events", "2024-03-07T09:00", "2024-03-07T15:00")
    report = refresh(wh.engine, S)
    assert report.mode == "incremental"
    assert report.weeks == [date(2024, 3, 4)]
    for table in TABLES:
        ids = _ids_by_week(wh, table)
        assert ids[date(2024, 3, 4)] == {2}, table
        # Every other week keeps the rows the first refresh wrote.
        assert all(v == {1} for w, v in ids.items() if w != date(2024, 3, 4)), table
    week = _snapshot(wh, PERSON_WEEK)
    a = week[(week.person_key == "a") & (pd.to_datetime(week.week) == "2024-03-04")].iloc[0]
    assert (a.events, a.meaningful, a.runs) == (1, 1, 1)
    _equals_full_rebuild(wh)


def test_no_new_batch_rewrites_nothing(wh: Any) -> None:
    _base(wh)
    refresh(wh.engine, S)
    report = refresh(wh.engine, S)
    assert report.mode == "none"
    assert all(v == {1} for v in _ids_by_week(wh, PERSON_DAY).values())


def test_a_batch_that_stored_nothing_changes_no_fact(wh: Any) -> None:
    _base(wh)
    refresh(wh.engine, S)
    # The roster and the licences sent again: every row a duplicate, nothing stored.
    wh.ingest_log(2, "people", "2024-03-01T00:00", "2024-03-01T00:00", accepted=0)
    wh.ingest_log(3, "licenses", "2024-01-01T00:00", "2024-03-01T00:00", accepted=0)
    assert pending(wh.engine, S) is None
    assert refresh(wh.engine, S).mode == "none"
    assert all(v == {1} for v in _ids_by_week(wh, PERSON_DAY).values())


def test_gap_weeks_are_built_like_a_full_rebuild(wh: Any) -> None:
    _base(wh)
    refresh(wh.engine, S)
    # Batch 2 lands three weeks after the last data: weeks 03-11 and 03-18 have no events
    # but licensed people, so their segment-week rows must appear too.
    wh.batch_id = 2
    wh.event("a", "2024-03-26T09:00", "prompt")
    wh.ingest_log(2, "events", "2024-03-26T09:00", "2024-03-26T09:00")
    report = refresh(wh.engine, S)
    assert report.weeks == [date(2024, 3, 25)]
    seg = _ids_by_week(wh, SEGMENT_WEEK)
    assert seg[date(2024, 3, 11)] == {2} and seg[date(2024, 3, 18)] == {2}
    assert seg[date(2024, 3, 4)] == {1}
    _equals_full_rebuild(wh)


def test_license_batch_rebuilds_segment_weeks_only(wh: Any) -> None:
    _base(wh)
    refresh(wh.engine, S)
    wh.batch_id = 2
    wh.license("c", "2024-02-20")
    wh.ingest_log(2, "licenses", "2024-02-20", "2024-02-20")
    report = refresh(wh.engine, S)
    assert (report.mode, report.segment_weeks, report.weeks) == ("incremental", "all", [])
    assert all(v == {1} for v in _ids_by_week(wh, PERSON_DAY).values())
    assert all(v == {2} for v in _ids_by_week(wh, SEGMENT_WEEK).values())
    sw = _snapshot(wh, SEGMENT_WEEK)
    row = sw[(sw.dimension == "all") & (pd.to_datetime(sw.week) == "2024-02-26")].iloc[0]
    assert row.licensed == 3
    _equals_full_rebuild(wh)


def test_roster_batch_triggers_full_rebuild(wh: Any) -> None:
    _base(wh)
    refresh(wh.engine, S)
    wh.batch_id = 2
    wh.con.execute("UPDATE people SET role = 'ops' WHERE person_key = 'a'")
    wh.ingest_log(2, "people", "2024-03-01", "2024-03-01")
    report = refresh(wh.engine, S)
    assert report.mode == "full"
    assert "roster" in report.reason


def test_week_start_change_triggers_full_rebuild(wh: Any) -> None:
    _base(wh)
    refresh(wh.engine, S)
    report = refresh(wh.engine, MetricsSettings(week_start="sunday"))
    assert (report.mode, report.reason) == ("full", "week start changed")


def test_a_full_build_in_a_new_process_reads_its_sql_from_the_store(
    wh: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full build's SQL is kept like any query's: a new engine compiles none of it."""
    _base(wh)
    first = DuckDBEngine(wh.con, shared=None, store=SqlStore(tmp_path, "duckdb"))
    # Twice: the second reads the refresh state, which the first found missing.
    assert [refresh(first, S, full=True).refresh_id for _ in range(2)] == [1, 2]
    built = {t: _snapshot(wh, t) for t in TABLES}
    assert first.compiled.misses > 0
    # As a new process: its own memo, nothing shared, the same store.
    later = DuckDBEngine(wh.con, shared=None, store=SqlStore(tmp_path, "duckdb"))
    kind = type(later.backend.compiler)
    translated = []
    # Every way Ibis turns an expression into SQL passes here (its own table creation too).
    # Counted: queries of stored tables (writing in-memory rows, as the state, is no query).
    original = kind.to_sqlglot

    def counted(self: Any, expr: Any, *args: Any, **kwargs: Any) -> Any:
        if expr.op().find(ops.DatabaseTable):
            translated.append(expr)
        return original(self, expr, *args, **kwargs)

    monkeypatch.setattr(kind, "to_sqlglot", counted)
    assert refresh(later, S, full=True).refresh_id == 3
    monkeypatch.undo()
    assert (later.compiled.misses, len(translated)) == (0, 0)
    for t in TABLES:
        again = _snapshot(wh, t)
        # Stamped with this build's number (a parameter, not part of the stored SQL).
        assert set(again["refresh_id"]) == {3}
        pd.testing.assert_frame_equal(
            built[t].drop(columns="refresh_id"), again.drop(columns="refresh_id")
        )
    # Nothing of the build is left behind under another name.
    assert _staged_names(wh) == []


def _staged_names(wh: Any) -> list[str]:
    names = [r[0] for r in wh.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    return [n for n in names if n.endswith(STAGED)]


def test_a_full_build_that_fails_leaves_the_facts_as_they_were(
    wh: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _base(wh)
    refresh(wh.engine, S)
    before = {t: _snapshot(wh, t) for t in TABLES}

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the disk fell off")

    monkeypatch.setattr(materialise, "person_week_expr", broken)
    with pytest.raises(RuntimeError, match="the disk fell off"):
        refresh(wh.engine, S, full=True)
    for t in TABLES:
        pd.testing.assert_frame_equal(before[t], _snapshot(wh, t))
    assert _staged_names(wh) == []
    monkeypatch.undo()
    # The state still vouches for the facts in place: nothing to do.
    assert refresh(wh.engine, S).mode == "none"
