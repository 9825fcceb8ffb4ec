"""Schema migrations apply once each, in order, and refuse a newer database."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from uptake.errors import MigrationError
from uptake.schema.migrations import MIGRATIONS, Migration, current_version, migrate
from uptake.schema.tables import TABLES
from uptake.warehouse import database
from uptake.workspace import Workspace

TABLES_SQL = "SELECT table_name FROM information_schema.tables"


def test_fresh_database_gets_every_table() -> None:
    con = duckdb.connect()
    applied = migrate(con)
    assert applied == [m.version for m in MIGRATIONS]
    names = {r[0] for r in con.execute(TABLES_SQL).fetchall()}
    bookkeeping = {"ingest_log", "quarantine", "identities", "audit_log", "schema_version"}
    assert set(TABLES) | bookkeeping <= names


def test_added_migration_is_applied_exactly_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace.init(tmp_path / "ws")
    ws.close()
    calls: list[int] = []

    def add_column(con: duckdb.DuckDBPyConnection) -> None:
        calls.append(1)
        con.execute("ALTER TABLE events ADD COLUMN client_version VARCHAR")

    newest = max(m.version for m in MIGRATIONS)
    extended = [*MIGRATIONS, Migration(newest + 1, "events.client_version", add_column)]
    monkeypatch.setattr(database, "MIGRATIONS", extended)
    monkeypatch.setattr("uptake.schema.migrations.MIGRATIONS", extended)
    for _ in range(3):
        ws = Workspace.open(tmp_path / "ws")
        assert ws.schema_version() == newest + 1
        ws.close()
    assert calls == [1]
    con = duckdb.connect(str(tmp_path / "ws" / "uptake.duckdb"))
    got = con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
    versions = [r[0] for r in got]
    assert versions == list(range(1, newest + 2))
    cols = {r[0] for r in con.execute("DESCRIBE events").fetchall()}
    assert "client_version" in cols
    con.close()


def test_failed_migration_rolls_back() -> None:
    con = duckdb.connect()
    migrate(con)

    def broken(c: duckdb.DuckDBPyConnection) -> None:
        c.execute("CREATE TABLE half_done (x INTEGER)")
        c.execute("SELECT * FROM no_such_table")

    with pytest.raises(MigrationError, match="migration 99"):
        migrate(con, [*MIGRATIONS, Migration(99, "broken", broken)])
    assert current_version(con) == max(m.version for m in MIGRATIONS)
    tables = {r[0] for r in con.execute(TABLES_SQL).fetchall()}
    assert "half_done" not in tables


def test_newer_database_is_refused(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    ws.con.execute("INSERT INTO schema_version VALUES (999, 'from the future', now()::TIMESTAMP)")
    ws.close()
    with pytest.raises(MigrationError, match="newer"):
        Workspace.open(tmp_path / "ws").schema_version()
