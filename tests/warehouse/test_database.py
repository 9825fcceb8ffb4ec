"""Transactions that join their caller's, and a batch committed together with its facts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from factories import FROZEN_NOW, rows
from uptake.warehouse.database import transaction
from uptake.workspace import Workspace


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(str(tmp_path / "t.duckdb"))
    c.execute("CREATE TABLE t (x INTEGER)")
    return c


def _count(c: duckdb.DuckDBPyConnection) -> int:
    got = c.execute("SELECT count(*) FROM t").fetchone()
    assert got is not None
    return int(got[0])


def test_a_transaction_is_seen_by_another_connection_only_once_committed(
    con: duckdb.DuckDBPyConnection,
) -> None:
    other = con.cursor()
    with transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        with transaction(con):  # joins the open one: no BEGIN inside it
            con.execute("INSERT INTO t VALUES (2)")
        assert _count(other) == 0
    assert _count(other) == 2


def test_a_failure_inside_a_joined_block_rolls_back_the_whole_transaction(
    con: duckdb.DuckDBPyConnection,
) -> None:
    with pytest.raises(RuntimeError), transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        with transaction(con):
            con.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError("refresh failed")
    assert _count(con) == 0
    # The connection is usable again, and a later transaction is a new one.
    with transaction(con):
        con.execute("INSERT INTO t VALUES (3)")
    assert _count(con.cursor()) == 1


def test_a_failed_statement_is_rolled_back_and_reported(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.Error), transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        con.execute("INSERT INTO t VALUES ('not a number')")
    assert _count(con) == 0


def _roster(ws: Workspace) -> Workspace:
    ws.ingest_frame("people", pd.DataFrame(rows("people", 10)), source="p", now=FROZEN_NOW)
    ws.ingest_frame("licenses", pd.DataFrame(rows("licenses", 10)), source="l", now=FROZEN_NOW)
    return ws


def test_a_batch_and_its_facts_are_committed_together(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uptake.metrics.facts import materialise

    ws = _roster(workspace)
    reader = ws.con.cursor()
    seen: list[tuple[int, int]] = []
    write_state = materialise._write_state

    def watched(engine: object, values: dict[str, str]) -> None:
        # The facts are built but not committed: another connection sees neither them nor
        # the batch they were built for.
        got = reader.execute(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM fact_person_day)"
        ).fetchone()
        assert got is not None
        seen.append((int(got[0]), int(got[1])))
        write_state(engine, values)  # type: ignore[arg-type]

    monkeypatch.setattr(materialise, "_write_state", watched)
    ws.ingest_frame("events", pd.DataFrame(rows("events", 50)), source="e", now=FROZEN_NOW)
    assert seen == [(0, 0)]
    got = reader.execute(
        "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM fact_person_day)"
    ).fetchone()
    assert got is not None and got[0] == 50 and got[1] > 0


def test_a_batch_whose_refresh_fails_is_not_stored(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uptake.metrics.facts import materialise

    ws = _roster(workspace)
    before = ws.con.execute("SELECT count(*) FROM ingest_log").fetchone()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full while writing the facts")

    monkeypatch.setattr(materialise, "_write_state", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        ws.ingest_frame("events", pd.DataFrame(rows("events", 20)), source="e", now=FROZEN_NOW)
    # Nothing half-done: no events, no batch in the log, and the facts still say current.
    assert ws.con.execute("SELECT count(*) FROM events").fetchone() == (0,)
    assert ws.con.execute("SELECT count(*) FROM ingest_log").fetchone() == before
    monkeypatch.undo()
    from uptake.metrics.facts import pending

    assert pending(ws.engine(), ws.settings.metrics) is None


def test_the_memory_limit_setting_reaches_duckdb(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    ws.close()
    limited = Workspace.open(tmp_path / "ws", {"engine.duckdb_memory_limit": "512MiB"})
    try:
        got = limited.con.execute("SELECT current_setting('memory_limit')").fetchone()
    finally:
        limited.close()
    assert got == ("512.0 MiB",)
