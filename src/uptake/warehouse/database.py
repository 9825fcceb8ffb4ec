"""The embedded DuckDB warehouse: opening, migrating and closing the workspace database."""

from __future__ import annotations

from pathlib import Path

import duckdb

from uptake.config import Settings
from uptake.errors import MigrationError, WorkspaceError
from uptake.schema.migrations import MIGRATIONS, current_version, migrate

DB_FILE = "uptake.duckdb"


def connect(
    folder: Path, settings: Settings, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open the workspace database and bring its schema up to date.

    Args:
        folder: workspace folder.
        settings: workspace settings (threads, memory limit).
        read_only: open without write access (no migrations then).

    Returns:
        An open DuckDB connection.
    """
    path = folder / DB_FILE
    config: dict[str, str | bool | int | float | list[str]] = {}
    if settings.engine.duckdb_threads:
        config["threads"] = settings.engine.duckdb_threads
    if settings.engine.duckdb_memory_limit:
        config["memory_limit"] = settings.engine.duckdb_memory_limit
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.Error as exc:
        raise WorkspaceError(f"{path}: cannot open the warehouse: {exc}") from None
    have = current_version(con)
    newest = max(m.version for m in MIGRATIONS)
    if have > newest:
        con.close()
        raise MigrationError(
            f"{path}: schema version {have} is newer than this uptake knows ({newest}); "
            "upgrade uptake"
        )
    if not read_only:
        migrate(con)
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB draws its own progress bar on long queries; uptake's commands draw theirs.
    con.execute("SET enable_progress_bar = false")
    return con
