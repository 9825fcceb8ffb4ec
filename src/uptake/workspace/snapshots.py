"""Readers beside the writer: a second Workspace over the same database, read in snapshots.

DuckDB allows one writing process per database file, but inside that process any number of
connections can run at once: each transaction sees the data committed when it began
(multi-version concurrency), so a long read neither waits for a writer nor sees half of a
batch. A server keeps one reader for the dashboard's aggregate reads and its writer for
everything else.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from uptake.config import Settings
from uptake.warehouse.database import transaction

if TYPE_CHECKING:
    from uptake.warehouse.journal import Journal
    from uptake.workspace.core import Workspace


class Snapshots:
    """`reader()` for a second Workspace over this one's database, `snapshot()` to read in one."""

    path: Path
    settings: Settings
    read_only: bool
    _con: duckdb.DuckDBPyConnection | None

    if TYPE_CHECKING:
        # Provided by Workspace.

        @property
        def con(self) -> duckdb.DuckDBPyConnection:
            raise NotImplementedError

        @property
        def journal(self) -> Journal:
            raise NotImplementedError

    def reader(self) -> Workspace:
        """Another Workspace over this one's database, whose reads run beside this one's writes.

        It has its own connection to the same database and shares this one's settings (it
        reads the secret where this one does), group-committed small writes (audit rows, page
        views: committed with this workspace's writes) and remembered documents. Its reads
        should run inside `snapshot()`. Close it before this one; closing it leaves the shared
        writes running.

        Returns:
            The reader.
        """
        kind: Any = type(self)
        other = kind(self.path, self.settings, read_only=self.read_only)
        con = self.con.cursor()
        # Session settings do not carry over to a new connection (see `connect`).
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        other._con = con
        other.__dict__["_journal"] = self.journal
        other.__dict__["_shares_journal"] = True
        # Page views already recorded today, known to both (each is written once a day), and
        # the documents remembered until the next batch (either computes them for both).
        other.__dict__["_page_views"] = self.__dict__.setdefault("_page_views", set())
        other.__dict__["_memo_cache"] = self.__dict__.setdefault("_memo_cache", {})
        other.__dict__["_memo_lock"] = self.__dict__.setdefault("_memo_lock", threading.Lock())
        reader: Workspace = other
        return reader

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Run the block's reads in one transaction: all see the data committed when it began.

        A read made of many queries (a dashboard page) would otherwise mix the data before
        and after a batch committed meanwhile. Nothing in the block may write to the
        warehouse through this connection (small writes go to the journal, which commits
        them on its own connection).
        """
        with transaction(self.con):
            yield
