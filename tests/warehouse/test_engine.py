"""The DuckDB engine compiles each distinct query once and never serves another's SQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import ibis
import pytest
from ibis.common.exceptions import TableNotFound

from uptake.warehouse.engine import CompiledSql, DuckDBEngine, SharedSql, fingerprint
from uptake.workspace import Workspace


@pytest.fixture
def engine() -> DuckDBEngine:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS x, range % 3 AS g FROM range(10)")
    # Its own shared memo: other tests of this process compiled the same queries.
    return DuckDBEngine(con, shared=SharedSql(64))


def _query(engine: DuckDBEngine, above: int) -> ibis.Table:
    # Built from scratch on every call, as the metric code does.
    t = engine.table("t")
    t = t.filter(t.x > above)
    return t.group_by("g").aggregate(n=t.count()).order_by("g")


def test_a_rebuilt_query_is_compiled_once_and_answers_the_same(engine: DuckDBEngine) -> None:
    first = engine.execute(_query(engine, 2))
    again = engine.execute(_query(engine, 2))
    assert (engine.compiled.misses, engine.compiled.hits) == (1, 1)
    assert first.equals(again)
    assert first["n"].tolist() == [3, 2, 2]


def test_other_literals_or_schemas_are_other_queries(engine: DuckDBEngine) -> None:
    assert engine.execute(_query(engine, 2))["n"].tolist() == [3, 2, 2]
    # A different constant is a different query (no stale SQL with the old one).
    assert engine.execute(_query(engine, 6))["n"].tolist() == [1, 1, 1]
    assert engine.compiled.misses == 2
    # The table replaced with another schema: the same Python builds another query.
    engine.con.execute("CREATE OR REPLACE TABLE t AS SELECT range::DOUBLE x, 0 g FROM range(5)")
    assert engine.execute(_query(engine, 2))["n"].tolist() == [2]
    assert (engine.compiled.misses, engine.compiled.hits) == (3, 0)


def test_remembered_sql_reads_the_tables_current_rows(engine: DuckDBEngine) -> None:
    engine.execute(_query(engine, 2))
    engine.con.execute("INSERT INTO t VALUES (100, 0), (101, 0)")
    assert engine.execute(_query(engine, 2))["n"].tolist() == [5, 2, 2]
    assert engine.compiled.hits == 1


def test_the_memo_keeps_the_newest_queries_only() -> None:
    calls: list[str] = []

    def compile_sql(expr: ibis.Expr, **_: object) -> str:
        calls.append(expr.get_name())
        return f"SELECT * FROM {expr.get_name()}"

    memo = CompiledSql(compile_sql, size=2)
    a, b, c = (ibis.table({"x": "int64"}, name=n) for n in "abc")
    for expr in (a, b, a, c, a, b):
        memo(expr)
    # a stays (used again before c arrived); b was the oldest when c came, so it is compiled
    # again.
    assert calls == ["a", "b", "c", "b"]
    assert (memo.hits, memo.misses) == (2, 4)
    # Calls with parameters are never remembered (the values are not in the key).
    p = ibis.param("int64")
    memo(c, params={p: 1})
    memo(c, params={p: 1})
    assert calls[-2:] == ["c", "c"]
    assert (memo.hits, memo.misses) == (2, 4)


def test_a_workspace_keeps_one_engine_per_connection(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    try:
        first = ws.engine()
        assert ws.engine() is first
        # Closing drops the engine with its connection: the next read gets one over the new
        # connection, not the old engine over a closed one.
        ws.close()
        again = ws.engine()
        assert again is not first
        assert again.con is ws.con
        assert ws.engine() is again
    finally:
        ws.close()


def test_a_table_is_ibis_s_own_and_a_changed_schema_is_seen(engine: DuckDBEngine) -> None:
    assert engine.table("t").op() == engine.backend.table("t").op()
    assert engine.table("t") is engine.table("t")
    engine.con.execute("CREATE OR REPLACE TABLE t AS SELECT range::DOUBLE x FROM range(3)")
    assert dict(engine.table("t").schema()) == {"x": ibis.dtype("float64")}
    assert engine.table("t").op() == engine.backend.table("t").op()
    with pytest.raises(TableNotFound):
        engine.table("absent")


def test_has_sees_tables_views_and_temporary_tables_with_rows(engine: DuckDBEngine) -> None:
    engine.con.execute("CREATE TABLE empty (x INT)")
    engine.con.execute("CREATE VIEW v AS SELECT * FROM t")
    engine.con.execute("CREATE TEMP TABLE tmp AS SELECT 1 AS x")
    engine.con.execute("CREATE SCHEMA other")
    engine.con.execute("CREATE TABLE other.elsewhere AS SELECT 1 AS x")
    assert [engine.has(n) for n in ("t", "v", "tmp", "empty", "absent", "elsewhere")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    # Asking about an absent name inside a transaction leaves the transaction usable.
    engine.con.execute("BEGIN")
    assert not engine.has("absent")
    engine.con.execute("INSERT INTO empty VALUES (1)")
    engine.con.execute("COMMIT")
    assert engine.has("empty")


def test_another_connection_reuses_the_sql_and_reads_its_own_rows() -> None:
    shared = SharedSql(64)
    first, second = duckdb.connect(), duckdb.connect()
    for con in (first, second):
        con.execute("CREATE TABLE t AS SELECT range AS x, range % 3 AS g FROM range(10)")
    second.execute("INSERT INTO t VALUES (50, 0), (51, 0)")
    a, b = DuckDBEngine(first, shared=shared), DuckDBEngine(second, shared=shared)
    assert a.execute(_query(a, 2))["n"].tolist() == [3, 2, 2]
    assert b.execute(_query(b, 2))["n"].tolist() == [5, 2, 2]
    assert (a.compiled.misses, b.compiled.misses, b.compiled.hits) == (1, 0, 1)
    # The same code over a table of another schema is another query, compiled afresh.
    third = duckdb.connect()
    third.execute("CREATE TABLE t AS SELECT range::DOUBLE AS x, 0 AS g FROM range(5)")
    c = DuckDBEngine(third, shared=shared)
    assert c.execute(_query(c, 2))["n"].tolist() == [2]
    assert c.compiled.misses == 1


def test_a_fingerprint_tells_apart_what_the_sql_would() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS x, range % 3 AS g FROM range(10)")
    e = DuckDBEngine(con, shared=SharedSql(64))
    t = e.table("t")

    def fp(expr: ibis.Expr) -> str | None:
        return fingerprint(expr.op())

    assert fp(t.filter(t.x > 2)) == fp(e.table("t").filter(e.table("t").x > 2))
    assert fp(t.filter(t.x > 2)) != fp(t.filter(t.x > 3))
    assert fp(t.filter(t.x > 2)) != fp(t.filter(t.x >= 2))
    assert len({fp(ibis.literal(v)) for v in (1, True, 1.0, "1")}) == 4
    # Two in-memory tables of the same rows have two names, which their SQL holds.
    assert fp(ibis.memtable({"a": [1]})) != fp(ibis.memtable({"a": [1]}))
    # Raw SQL holds the connection itself: never shared.
    assert fp(e.backend.sql("SELECT 1 AS x")) is None


def test_the_first_engine_freezes_the_heap_once() -> None:
    # After the imports an engine needs, their objects are exempt from the cyclic collector;
    # objects made later are not (a second engine freezes nothing more).
    code = (
        "import gc, json, duckdb\n"
        "from uptake.warehouse.engine import DuckDBEngine\n"
        "before = gc.get_freeze_count()\n"
        "DuckDBEngine(duckdb.connect())\n"
        "first = gc.get_freeze_count()\n"
        "later = [[i] for i in range(1000)]\n"
        "DuckDBEngine(duckdb.connect())\n"
        "print(json.dumps([before, first, gc.get_freeze_count()]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, first, second = json.loads(out.stdout)
    # Frozen objects are still freed when dropped: the count may only fall.
    assert before == 0 and first > 50_000 and second <= first
