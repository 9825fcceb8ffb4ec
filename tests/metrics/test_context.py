"""Small tables written into the query: the rows an in-memory table would give, no import."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime

import duckdb
import ibis
import ibis.expr.operations as ops
import pytest

from uptake.metrics.context import SMALL_TABLE_CELLS, constant_table, empty_table, small_table
from uptake.warehouse.engine import DuckDBEngine, SharedSql

SCHEMA = {"week": "date", "week_end": "timestamp", "name": "string", "n": "int64", "x": "float64"}
ROWS = {
    "week": [date(2026, 3, 9), date(2026, 3, 16), None],
    "week_end": [datetime(2026, 3, 16), datetime(2026, 3, 23, 12, 30), None],
    "name": ["it's", "ünï", None],
    "n": [1, -(2**40), None],
    "x": [0.5, -1e-9, None],
}


@pytest.fixture
def engine() -> DuckDBEngine:
    return DuckDBEngine(duckdb.connect(), shared=SharedSql(64))


def test_a_small_table_holds_what_an_in_memory_table_holds(engine: DuckDBEngine) -> None:
    got = engine.execute(small_table(ROWS, SCHEMA))
    want = engine.execute(constant_table(ROWS, SCHEMA))
    assert list(got.columns) == list(SCHEMA)
    assert got.astype(object).where(got.notna(), None).values.tolist() == (
        want.astype(object).where(want.notna(), None).values.tolist()
    )
    # The declared types exactly (an in-memory table's timestamps carry Arrow's microseconds).
    assert small_table(ROWS, SCHEMA).schema() == ibis.schema(SCHEMA)


def test_no_rows_and_the_same_rows_give_the_same_table(engine: DuckDBEngine) -> None:
    none = empty_table(SCHEMA)
    assert none.schema() == ibis.schema(SCHEMA)
    # Typed in the engine too: functions of a date or a string bind to an empty table's columns.
    empty = engine.execute(none.mutate(w=none.week.truncate("W"), k=none.name.length()))
    assert empty.empty and list(empty.columns) == [*SCHEMA, "w", "k"]
    assert small_table(ROWS, SCHEMA) is small_table({c: list(v) for c, v in ROWS.items()}, SCHEMA)


def test_many_rows_become_an_in_memory_table(engine: DuckDBEngine) -> None:
    many = SMALL_TABLE_CELLS // 2 + 1
    rows = {"a": list(range(many)), "b": list(range(many))}
    table = small_table(rows, {"a": "int64", "b": "int64"})
    assert isinstance(table.op(), ops.InMemoryTable)
    assert engine.execute(table.a.sum().name("s").as_table())["s"].iloc[0] == sum(range(many))
    fewer = small_table({"a": rows["a"][:-1]}, {"a": "int64"})
    assert not isinstance(fewer.op(), ops.InMemoryTable)


def test_a_small_table_needs_no_arrow_dataset() -> None:
    # DuckDB reads an in-memory table through Arrow's dataset module, imported at the first
    # such query in a process (about 0.09 s); a small table's rows are in the query's text.
    code = (
        "import json, sys, duckdb\n"
        "from uptake.metrics.context import small_table\n"
        "from uptake.warehouse.engine import DuckDBEngine\n"
        "e = DuckDBEngine(duckdb.connect())\n"
        "rows = e.execute(small_table({'a': [1, 2]}, {'a': 'int64'}))\n"
        "print(json.dumps([rows.a.tolist(), 'pyarrow.dataset' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [[1, 2], False]
