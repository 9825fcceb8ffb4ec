"""Small writes from many requests, committed together: group commit for a busy server.

A DuckDB commit of one row costs a write-ahead-log flush (≈ 2–4 ms here); a server that
commits each coaching card and each audit row on its own spends its time waiting for the
disk, one request after another. In grouped mode the writes are queued and a background
thread commits everything queued so far in one transaction, on its own cursor; a request
waits for the commit that holds its writes (`wait`) *after* releasing the workspace, so the
next request can be decided meanwhile. A reply still means the data is committed.

Outside a server (the command line, tests) the journal is direct: a write is executed and
committed at once, as if there were no journal.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import duckdb

from uptake.errors import WorkspaceError

log = logging.getLogger(__name__)

Params = Sequence[Any]
# A queued write: its sequence number, statement and parameters.
Queued = tuple[int, str, Params]


class Journal:
    """Writes of one connection, direct or group-committed by a background thread."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._cv = threading.Condition()
        self._queue: list[Queued] = []
        self._submitted = 0  # sequence number of the last write queued
        self._committed = 0  # every write up to this one is committed (or failed)
        self._failed: list[tuple[int, int, str]] = []  # (first, last, why) of failed batches
        self._thread: threading.Thread | None = None
        self._stop = False
        self._mine = threading.local()
        self._on_failure: list[Callable[[], None]] = []
        self.commits = 0  # transactions committed by the thread (for the benchmark)

    @property
    def grouped(self) -> bool:
        """Whether writes are group-committed by the background thread."""
        return self._thread is not None

    def start(self) -> None:
        """Group-commit from now on (a server calls this once)."""
        with self._cv:
            if self._thread is not None:
                return
            self._stop = False
            self._thread = threading.Thread(
                target=self._run, args=(self._con.cursor(),), name="uptake-journal", daemon=True
            )
            self._thread.start()

    def on_failure(self, fn: Callable[[], None]) -> None:
        """Call `fn` when a grouped commit fails (e.g. to drop state that assumed it worked)."""
        self._on_failure.append(fn)

    def write(self, sql: str, params: Params) -> None:
        """Execute a write: now (direct), or queued for the next group commit.

        Args:
            sql: one INSERT/UPDATE statement with `?` parameters.
            params: its parameters.
        """
        if self._thread is None:
            self._con.execute(sql, list(params))
            return
        with self._cv:
            self._submitted += 1
            self._queue.append((self._submitted, sql, params))
            self._mine.seq = self._submitted
            self._cv.notify_all()

    def take(self) -> int:
        """The sequence number of this thread's last queued write (0: none), forgotten after."""
        seq = int(getattr(self._mine, "seq", 0))
        self._mine.seq = 0
        return seq

    def wait(self, seq: int, timeout: float = 60.0) -> None:
        """Block until write `seq` is committed.

        Args:
            seq: what `take` returned (0 returns at once).
            timeout: seconds before giving up.

        Raises:
            WorkspaceError: the commit holding the write failed, or did not happen in time.
        """
        if seq <= 0:
            return
        with self._cv:
            if not self._cv.wait_for(lambda: self._committed >= seq, timeout=timeout):
                raise WorkspaceError("the warehouse did not commit in time: try again")
            for first, last, why in self._failed:
                if first <= seq <= last:
                    raise WorkspaceError(f"could not write to the warehouse: {why}")

    def flush(self) -> None:
        """Wait until everything queued so far is committed (failures are only logged)."""
        with self._cv:
            seq = self._submitted
        try:
            self.wait(seq)
        except WorkspaceError as exc:
            log.warning("journal flush: %s", exc.message)

    def stop(self) -> None:
        """Commit what is queued and go back to direct writes."""
        with self._cv:
            thread = self._thread
            self._stop = True
            self._cv.notify_all()
        if thread is not None:
            thread.join()
        with self._cv:
            self._thread = None

    def _run(self, cur: duckdb.DuckDBPyConnection) -> None:
        try:
            while True:
                with self._cv:
                    self._cv.wait_for(lambda: bool(self._queue) or self._stop)
                    batch, self._queue = self._queue, []
                    if not batch and self._stop:
                        return
                self._commit(cur, batch)
        finally:
            cur.close()

    def _commit(self, cur: duckdb.DuckDBPyConnection, batch: list[Queued]) -> None:
        failed: list[tuple[int, int, str]] = []
        why = _transaction(cur, batch)
        if why is None:
            self.commits += 1
        elif len(batch) > 1:
            # One bad write must not lose its neighbours: commit them one by one.
            for item in batch:
                alone = _transaction(cur, [item])
                if alone is None:
                    self.commits += 1
                else:
                    failed.append((item[0], item[0], alone))
        else:
            failed.append((batch[0][0], batch[0][0], why))
        for first, _last, reason in failed:
            log.error("write %d of the group commit failed: %s", first, reason)
        if failed:
            for fn in self._on_failure:
                fn()
        with self._cv:
            self._failed = (self._failed + failed)[-256:]
            self._committed = batch[-1][0]
            self._cv.notify_all()


def _transaction(cur: duckdb.DuckDBPyConnection, batch: list[Queued]) -> str | None:
    """Run the writes in one transaction; None when committed, else why not."""
    try:
        cur.execute("BEGIN TRANSACTION")
        for _seq, sql, params in batch:
            cur.execute(sql, list(params))
        cur.execute("COMMIT")
        return None
    except Exception as exc:  # a waiter must hear of any failure, whatever it was
        with contextlib.suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
