"""Compiled SQL kept in the workspace: reused by a new process, never holding identifiers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pytest

from factories import simulated_workspace
from uptake.metrics.context import constant_table
from uptake.warehouse.engine import DuckDBEngine, SharedSql
from uptake.warehouse.sql_store import STABLE_PREFIX, SqlStore, storable
from uptake.workspace import Workspace

# A new process: opens the workspace, reads two families, reports what it compiled.
_CHILD = """
import json, sys
from uptake.metrics import compute_all
from uptake.workspace import Workspace
ws = Workspace.open(sys.argv[1])
engine = ws.engine()
as_of = ws.default_as_of()[0]
s = ws.settings
# One family at a time: every query goes through this engine, whose counts are read below.
one = s.metrics.model_copy(update={"family_threads": 1})
doc = compute_all(engine, as_of, one, s.privacy.min_group_size,
                  families=("usage", "ladder")).to_dict()
store = engine.compiled.store
print(json.dumps({"compiled": engine.compiled.misses, "stored_hits": store.hits if store else 0,
                  "doc": doc}, default=str))
"""


def _child(folder: Path, seed: str) -> dict[str, object]:
    # Another hash seed: set and string hashes differ between the two processes.
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=600,
    )
    out: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated organisation's workspace (its facts current)."""
    return simulated_workspace(tmp_path_factory.mktemp("sql-store"), people=60, days=35, seed=3)


def test_a_new_process_reads_the_sql_an_earlier_one_compiled(simulated: Path) -> None:
    first = _child(simulated, "1")
    kept = sorted((simulated / "cache" / "sql").glob("*.sql"))
    assert first["compiled"] and len(kept) >= first["compiled"]  # type: ignore[operator]
    again = _child(simulated, "2")
    # Nothing compiled the second time, and the same numbers.
    assert again["compiled"] == 0
    # Every query the first read compiled or found stored (the fixture's refresh kept some).
    assert again["stored_hits"] == first["compiled"] + first["stored_hits"]  # type: ignore[operator]
    assert again["doc"] == first["doc"]
    ladder = again["doc"]["metrics"]["adoption_ladder"]  # type: ignore[index]
    assert ladder["n"] > 0


def _engine(store: SqlStore) -> DuckDBEngine:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS x, range % 3 AS g FROM range(10)")
    con.execute("CREATE TABLE identities AS SELECT 'p1' AS person_key, 'ann@example.com' AS email")
    return DuckDBEngine(con, shared=SharedSql(64), store=store)


_FINGERPRINT = """
import duckdb
from uptake.metrics.context import constant_table
from uptake.warehouse.engine import DuckDBEngine, SharedSql, fingerprint
con = duckdb.connect()
con.execute("CREATE TABLE t AS SELECT 1 AS a, 2 AS b, 3 AS c, 4 AS d, 5 AS e")
t = DuckDBEngine(con, shared=SharedSql(8)).table("t")
cal = constant_table({"a": [1, 2]}, {"a": "int64"})
print(fingerprint(t.drop("b", "c", "d").semi_join(cal, "a").op()))
"""


def test_a_query_s_fingerprint_is_the_same_in_every_process() -> None:
    # Dropped columns are an unordered set, whose order follows the per-process string hash.
    seen = {
        subprocess.run(
            [sys.executable, "-c", _FINGERPRINT],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
            timeout=300,
        ).stdout.strip()
        for seed in ("1", "2", "3", "4")
    }
    assert len(seen) == 1 and None not in seen and "None" not in seen


def _grouped(t: ibis.Table) -> ibis.Table:
    f = t.filter(t.x > 2)
    return f.group_by("g").aggregate(n=f.count())


def test_only_queries_that_mean_the_same_everywhere_are_kept(tmp_path: Path) -> None:
    store = SqlStore(tmp_path / "sql", "duckdb")
    e = _engine(store)
    t = e.table("t")
    cal = constant_table({"g": [0, 1]}, {"g": "int64"})
    assert cal.op().name.startswith(STABLE_PREFIX)
    kept = [_grouped(t), t.semi_join(cal, "g")]
    # Named afresh in each process: the SQL names it, so it means nothing elsewhere.
    local = t.semi_join(ibis.memtable(pd.DataFrame({"g": [0]})), "g")
    ids = e.table("identities")
    private = ids.filter(ids.email == "ann@example.com")
    assert [storable(q.op()) for q in [*kept, local, private]] == [True, True, False, False]
    for q in [*kept, local, private]:
        e.execute(q)
    files = list((tmp_path / "sql").glob("*.sql"))
    assert len(files) == 2
    assert not any("example.com" in f.read_text() for f in files)
    # A new engine (a new process: its own memo) reads the two from the store.
    again = _engine(SqlStore(tmp_path / "sql", "duckdb"))
    t2 = again.table("t")
    got = again.execute(_grouped(t2))
    assert got.sort_values("g")["n"].tolist() == [3, 2, 2]
    cal2 = constant_table({"g": [0, 1]}, {"g": "int64"})
    assert len(again.execute(t2.semi_join(cal2, "g"))) == 7
    assert (again.compiled.misses, again.compiled.store.hits) == (0, 2)  # type: ignore[union-attr]


def test_sql_another_connection_compiled_is_kept_too(tmp_path: Path) -> None:
    shared = SharedSql(64)
    engines = []
    for store in (None, SqlStore(tmp_path / "sql", "duckdb")):
        con = duckdb.connect()
        con.execute("CREATE TABLE t AS SELECT range AS x, range % 3 AS g FROM range(10)")
        engines.append(DuckDBEngine(con, shared=shared, store=store))
    first, second = engines
    first.execute(_grouped(first.table("t")))
    # Compiled already in this process (another workspace's connection, say): the second
    # workspace reuses it and keeps it too, for its next process.
    assert len(second.execute(_grouped(second.table("t")))) == 3
    assert (first.compiled.misses, second.compiled.misses, second.compiled.hits) == (1, 0, 1)
    assert len(list((tmp_path / "sql").glob("*.sql"))) == 1


def test_another_compiler_is_another_key(tmp_path: Path) -> None:
    SqlStore(tmp_path, "duckdb").put(("fp", None, False), "SELECT 1")
    assert SqlStore(tmp_path, "duckdb").get(("fp", None, False)) == "SELECT 1"
    assert SqlStore(tmp_path, "spark").get(("fp", None, False)) is None
    assert SqlStore(tmp_path, "duckdb").get(("fp", 10, False)) is None


def test_a_store_that_cannot_be_written_or_read_is_only_a_miss(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    store = SqlStore(blocked / "sql", "duckdb")
    e = _engine(store)
    t = e.table("t")
    assert e.execute(t.filter(t.x > 7))["x"].tolist() == [8, 9]
    assert (e.compiled.misses, store.hits, store.misses) == (1, 0, 1)


def test_the_least_recently_used_files_go_first(tmp_path: Path) -> None:
    store = SqlStore(tmp_path, "duckdb", max_entries=10)
    for i in range(10):
        store.put((f"q{i}", None, False), f"SELECT {i}")
    for i, path in enumerate(sorted(tmp_path.glob("*.sql"), key=lambda p: p.read_text())):
        os.utime(path, (1_000_000 + i, 1_000_000 + i))  # q0 oldest … q9 newest
    assert store.get(("q0", None, False)) == "SELECT 0"  # now the most recently used
    store.put(("q10", None, False), "SELECT 10")
    assert store.prune() == 11 - 9
    left = sorted(p.read_text() for p in tmp_path.glob("*.sql"))
    assert "SELECT 1" not in left and "SELECT 2" not in left
    assert {"SELECT 0", "SELECT 3", "SELECT 10"} <= set(left)


def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    with Workspace.init(tmp_path / "ws") as ws:
        assert ws.engine().compiled.store is not None
    with Workspace.open(tmp_path / "ws", {"engine.sql_cache": False}) as ws:
        assert ws.engine().compiled.store is None
