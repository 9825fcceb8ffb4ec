"""The embedded DuckDB warehouse: opening, migrating and closing the workspace database."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
        raise WorkspaceError(_why_not_opened(path, exc)) from None
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


# DuckDB's words when another process holds the file: "Could not set lock on file "…":
# Conflicting lock is held in /usr/bin/python3 (PID 123)."
_HELD = re.compile(r"Conflicting lock is held in .*? \(PID (?P<pid>\d+)\)")


def _why_not_opened(path: Path, exc: duckdb.Error) -> str:
    """One line saying why the warehouse file could not be opened, and what to do."""
    held = _HELD.search(str(exc))
    if held is None:
        return f"{path}: cannot open the warehouse: {exc}"
    # The commonest case by far is a server on the workspace: while a process holds the file
    # for writing, DuckDB lets no other open it, even to read. Its own message names the
    # interpreter, not the command, and ends with a link to its documentation.
    return (
        f"{path}: the workspace is in use by another process (PID {held['pid']}, "
        "for example `uptake serve`), and no other process can open its warehouse meanwhile: "
        "stop that process, or ask the running server through its API"
    )


# Connections inside a transaction opened by `transaction`, by id: a block run inside one joins
# it. (DuckDB has no nested transactions, and a BEGIN inside one aborts the open one.)
_OPEN: set[int] = set()
_OPEN_LOCK = threading.Lock()


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a `transaction` block is open on this connection.

    Args:
        con: the connection.

    Returns:
        True inside a block of `transaction` (not for a transaction begun another way).
    """
    with _OPEN_LOCK:
        return id(con) in _OPEN


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block in one transaction, or in the caller's when it opened one with this.

    Writes that must be seen together (a batch and the facts refreshed for it) are committed
    together, so a reader on another connection never sees one without the other. Inside a
    transaction opened by this function on the same connection, the block is part of it and
    the outer block commits or rolls back. A transaction begun any other way is not known
    here: do not call this inside one.

    Args:
        con: the connection to write on.
    """
    key = id(con)
    with _OPEN_LOCK:
        nested = key in _OPEN
        _OPEN.add(key)
    if nested:
        yield
        return
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            # A failed statement may have ended the transaction already.
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        with _OPEN_LOCK:
            _OPEN.discard(key)
