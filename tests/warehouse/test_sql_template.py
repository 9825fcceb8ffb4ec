"""SQL templates: one compile serves a query's structure for every date it is asked with."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pytest

from uptake.warehouse import sql_template
from uptake.warehouse.engine import DuckDBEngine, SharedSql
from uptake.warehouse.sql_store import SqlStore


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute(
        "CREATE TABLE t AS SELECT DATE '2026-01-01' + range::INT AS day, "
        "TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_days(range::INT) AS ts, "
        "range AS x FROM range(200)"
    )
    return c


def _window(engine: DuckDBEngine, lo: date, hi: date) -> ibis.Table:
    t = engine.table("t")
    f = t.filter(
        (t.day >= lo)
        & (t.day <= hi)
        & (t.ts < datetime(hi.year, hi.month, hi.day, tzinfo=UTC) + timedelta(days=1))
    )
    return f.aggregate(n=f.count(), s=f.x.sum())


def _expected(con: duckdb.DuckDBPyConnection, lo: date, hi: date) -> list[list[int]]:
    got = con.execute(
        "SELECT count(*), sum(x) FROM t WHERE day BETWEEN ? AND ?", [lo, hi]
    ).fetchall()
    return [[int(v) for v in row] for row in got]


def test_another_date_fills_the_template_instead_of_compiling(
    con: duckdb.DuckDBPyConnection,
) -> None:
    engine = DuckDBEngine(con, shared=SharedSql(64))
    compiled = []
    for hi in (date(2026, 3, 1), date(2026, 3, 2), date(2026, 5, 30), date(2026, 2, 28)):
        lo = hi - timedelta(days=9)
        before = engine.compiled.misses
        got = engine.execute(_window(engine, lo, hi))
        compiled.append(engine.compiled.misses - before)
        assert got.astype(int).values.tolist() == _expected(con, lo, hi)
    assert compiled == [1, 0, 0, 0]


def test_equal_dates_are_another_structure(con: duckdb.DuckDBPyConnection) -> None:
    engine = DuckDBEngine(con, shared=SharedSql(64))
    engine.execute(_window(engine, date(2026, 3, 1), date(2026, 3, 9)))
    # One day long: the two dates are one constant, so the query has one slot fewer.
    before = engine.compiled.misses
    got = engine.execute(_window(engine, date(2026, 3, 9), date(2026, 3, 9)))
    assert engine.compiled.misses == before + 1
    assert got.astype(int).values.tolist() == _expected(con, date(2026, 3, 9), date(2026, 3, 9))
    # ...and the one-day structure is then filled for another day.
    engine.execute(_window(engine, date(2026, 4, 2), date(2026, 4, 2)))
    assert engine.compiled.misses == before + 1


def test_a_kept_template_serves_a_new_engine(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    store = SqlStore(tmp_path / "sql", "duckdb")
    first = DuckDBEngine(con, shared=None, store=store)
    first.execute(_window(first, date(2026, 3, 1), date(2026, 3, 9)))
    assert first.compiled.misses == 1
    # A new process (no memo shared): a date neither asked about still compiles nothing.
    later = DuckDBEngine(con, shared=None, store=SqlStore(tmp_path / "sql", "duckdb"))
    got = later.execute(_window(later, date(2026, 6, 1), date(2026, 6, 20)))
    assert later.compiled.misses == 0
    assert got.astype(int).values.tolist() == _expected(con, date(2026, 6, 1), date(2026, 6, 20))


def test_a_filled_template_that_differs_is_refused(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = DuckDBEngine(con, shared=SharedSql(64))
    engine.execute(_window(engine, date(2026, 3, 1), date(2026, 3, 9)))
    # A constant written wrongly (here: always the first of January) is caught by VERIFY,
    # which the whole test suite runs with.
    assert sql_template.VERIFY
    wrong = engine.compiled._render
    assert wrong is not None
    # VERIFY checks a template's first filling in a process: make this the first again.
    monkeypatch.setattr(sql_template, "_checked", set())
    monkeypatch.setattr(
        engine.compiled,
        "_render",
        lambda node: wrong(sql_template.stand_in(node, 326)),
    )
    with pytest.raises(AssertionError, match="filled SQL template differs"):
        engine.execute(_window(engine, date(2026, 4, 1), date(2026, 4, 9)))


def test_verify_checks_each_template_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql_template, "_checked", set())
    assert sql_template.needs_check(("template", "a", None))
    assert not sql_template.needs_check(("template", "a", None))
    assert sql_template.needs_check(("template", "b", None))
    monkeypatch.setattr(sql_template, "VERIFY", False)
    assert not sql_template.needs_check(("template", "c", None))


def test_only_dates_and_timestamps_are_lifted() -> None:
    t = ibis.table({"day": "date", "ts": "timestamp", "x": "int64", "s": "string"}, name="t")
    expr = t.filter(
        (t.day <= date(2026, 1, 5))
        & (t.ts >= pd.Timestamp("2026-01-01 10:00"))
        & (t.x > 3)
        & (t.s == "a")
        & t.day.notnull()
    )
    slots = sql_template.Slots()
    for node in expr.op().find(ibis.expr.operations.Literal):
        slots(node)
    assert sorted(str(n.dtype) for n in slots.literals) == ["date", "timestamp"]


def test_pretty_sql_and_many_constants_are_compiled(con: duckdb.DuckDBPyConnection) -> None:
    engine = DuckDBEngine(con, shared=SharedSql(64))
    t = engine.table("t")
    for day in (date(2026, 2, 1), date(2026, 2, 2)):
        engine.compiled(t.filter(t.day == day), pretty=True)
    assert engine.compiled.misses == 2
    # Beyond the slots a template holds, each date set is compiled.
    many = [date(2026, 1, 1) + timedelta(days=i) for i in range(sql_template.MAX_SLOTS + 1)]
    before = engine.compiled.misses
    for shift in (0, 1):
        f = t.filter(t.day.isin([d + timedelta(days=shift) for d in many]))
        got = engine.execute(f.aggregate(n=f.count()))
        assert int(got["n"].iloc[0]) == 200 - shift
    assert engine.compiled.misses == before + 2


def test_the_check_reads_a_drop_s_columns_as_a_set() -> None:
    a = 'SELECT "t0".* EXCLUDE ("anchor", "a_key") FROM "t" AS "t0" WHERE x < MAKE_DATE(2026, 1, 2)'
    b = 'SELECT "t0".* EXCLUDE ("a_key", "anchor") FROM "t" AS "t0" WHERE x < MAKE_DATE(2026, 1, 2)'
    sql_template.check(a, b)
    with pytest.raises(AssertionError):
        sql_template.check(a, b.replace('"anchor"', '"other"'))
    with pytest.raises(AssertionError):
        sql_template.check(a, a.replace("2026, 1, 2", "2026, 1, 3"))


def test_a_drop_fills_its_template(con: duckdb.DuckDBPyConnection) -> None:
    engine = DuckDBEngine(con, shared=SharedSql(64))
    t = engine.table("t")
    for hi in (date(2026, 3, 1), date(2026, 3, 8)):
        f = t.mutate(a=t.x + 1, b=t.x + 2).drop("a", "b", "ts").filter(t.day <= hi)
        got = engine.execute(f.aggregate(n=f.count()))
        assert int(got["n"].iloc[0]) == (hi - date(2026, 1, 1)).days + 1
