"""The journal: direct writes, and group commits whose waiters learn of their own commit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from uptake.errors import WorkspaceError
from uptake.warehouse.journal import Journal


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(tmp_path / "j.duckdb"))
    c.execute("CREATE TABLE t (i INTEGER PRIMARY KEY, who VARCHAR)")
    yield c
    c.close()


def _count(con: duckdb.DuckDBPyConnection) -> int:
    got = con.cursor().execute("SELECT count(*) FROM t").fetchone()
    return int(got[0]) if got else 0


def test_a_direct_journal_writes_at_once(con: duckdb.DuckDBPyConnection) -> None:
    j = Journal(con)
    j.write("INSERT INTO t VALUES (?, ?)", [1, "a"])
    assert not j.grouped
    assert j.take() == 0  # nothing to wait for
    assert _count(con) == 1


def test_writes_queued_together_are_one_commit(con: duckdb.DuckDBPyConnection) -> None:
    j = Journal(con)
    j.start()
    try:
        # Holding the journal's lock keeps the committer from taking the queue until all 50
        # are in it: they must then go in one transaction.
        with j._cv:
            for i in range(50):
                j.write("INSERT INTO t VALUES (?, ?)", [i, "x"])
            seq = j.take()
        assert seq == 50
        j.wait(seq)
        assert _count(con) == 50
        assert j.commits == 1
    finally:
        j.stop()


def test_a_waiter_returns_only_after_its_commit(con: duckdb.DuckDBPyConnection) -> None:
    j = Journal(con)
    j.start()
    seen: list[int] = []
    errors: list[BaseException] = []

    def client(n: int) -> None:
        try:
            for i in range(20):
                j.write("INSERT INTO t VALUES (?, ?)", [n * 100 + i, f"c{n}"])
                j.wait(j.take())
                # Committed means visible to any other connection, now.
                got = con.cursor().execute("SELECT count(*) FROM t WHERE i = ?", [n * 100 + i])
                row = got.fetchone()
                seen.append(int(row[0]) if row else 0)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    j.stop()
    assert not errors
    assert seen == [1] * 160
    assert _count(con) == 160
    assert 1 <= j.commits <= 160


def test_a_failed_write_fails_its_waiter_only(con: duckdb.DuckDBPyConnection) -> None:
    j = Journal(con)
    dropped: list[str] = []
    j.on_failure(lambda: dropped.append("books"))
    j.start()
    try:
        with j._cv:
            j.write("INSERT INTO t VALUES (?, ?)", [1, "first"])
            good = j.take()
            j.write("INSERT INTO t VALUES (?, ?)", [1, "duplicate key"])
            bad = j.take()
            j.write("INSERT INTO t VALUES (?, ?)", [2, "second"])
            after = j.take()
        j.wait(good)
        with pytest.raises(WorkspaceError, match="could not write to the warehouse"):
            j.wait(bad)
        j.wait(after)
    finally:
        j.stop()
    # The bad write's neighbours in the same batch were committed one by one.
    rows = con.execute("SELECT i, who FROM t ORDER BY i").fetchall()
    assert rows == [(1, "first"), (2, "second")]
    assert dropped == ["books"]


def test_stop_commits_what_is_queued(con: duckdb.DuckDBPyConnection) -> None:
    j = Journal(con)
    j.start()
    with j._cv:
        for i in range(5):
            j.write("INSERT INTO t VALUES (?, ?)", [i, "late"])
    j.stop()
    assert _count(con) == 5
    assert not j.grouped
    j.write("INSERT INTO t VALUES (?, ?)", [9, "direct again"])
    assert _count(con) == 6
