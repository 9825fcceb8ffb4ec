"""The server's open workspace: writes queued one at a time (DuckDB has one writer), reads beside.

Every call that may write takes its turn in one queue. Aggregate reads (dashboard pages of
ingested data, `/v1/metrics`, a team's metrics) take theirs in a second queue, on a second
connection to the same database, so they neither wait for writers nor make writers wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from uptake.config import load_settings
from uptake.errors import StaleFactsError
from uptake.web.intake import Intake
from uptake.workspace import Actor, Workspace, find_workspace

T = TypeVar("T")
# What a read of a closed workspace that may not open it gives (None may be a result).
_CLOSED = object()


class Served:
    """A workspace opened once for the server's life; calls into it are queued on a lock.

    DuckDB allows one writer per database file: serialising every call in the process is
    the queue (requests wait their turn instead of failing), and a reply is sent only after
    the call that wrote the data has committed.
    """

    def __init__(self, path: Path) -> None:
        self.path = find_workspace(path)
        self.settings = load_settings(self.path)
        self.max_body_bytes = int(self.settings.serve.max_body_mb * 1_000_000)
        self._lock = threading.Lock()
        self._ws: Workspace | None = None
        # The read queue and its workspace (see `read`); taken before `_lock` when both are.
        self._read_lock = threading.Lock()
        self._reader: Workspace | None = None
        # Set once the start-up warm-up (`[serve] warm`) has computed the organisation pages.
        self.warmed = threading.Event()
        # Posted batches: those waiting together are committed in one turn of the queue.
        self.intake = Intake(self.run)

    @contextmanager
    def workspace(self) -> Iterator[Workspace]:
        """The workspace, held exclusively for the duration of the block.

        Small writes made in the block (coaching cards, audit rows) are group-committed:
        the block's caller waits for that commit after the workspace is released, so the
        next request is served meanwhile and a reply still follows its commit.
        """
        with self._turn(open_it=True) as ws:
            assert ws is not None  # opened when it was not
            yield ws

    @contextmanager
    def _turn(self, *, open_it: bool) -> Iterator[Workspace | None]:
        """The queue's turn: the workspace (opened when asked to), or None when not open."""
        with self._lock:
            if self._ws is None and open_it:
                self._open()
            held = self._ws
            if held is None:
                yield None
                return
            try:
                yield held
            finally:
                seq = held.journal.take()
        held.journal.wait(seq)

    def _open(self) -> Workspace:
        # Called holding self._lock. The reader opens with the writer, so that a read never
        # needs the writers' queue to begin.
        ws = Workspace.open(self.path)
        if not ws.read_only:
            ws.journal.start()
        self._reader = ws.reader()
        self._ws = ws
        return ws

    def busy(self) -> bool:
        """Whether a call holds the queue at this moment (a caller would wait its turn)."""
        return self._lock.locked()

    def read_busy(self) -> bool:
        """Whether a read holds the read queue at this moment."""
        return self._read_lock.locked()

    def read(self, fn: Callable[[Workspace], T]) -> T:
        """Call `fn(reader)` in the read queue, beside the writers, on one snapshot of the data.

        For aggregate reads only: `fn` may record small writes through the journal (a page
        view) but must not write to the warehouse. It sees the data committed when it began,
        including every batch whose reply was sent (a posted batch commits with its facts).
        When the facts lag the warehouse (a sync or a file whose refresh is still under way),
        it is called in the writers' queue instead, after that refresh.

        Args:
            fn: what to read with the reader workspace.

        Returns:
            What `fn` returned.
        """
        out = self._read(fn, open_it=True)
        assert out is not _CLOSED  # opened when it was not
        return out  # type: ignore[return-value]

    def read_if_open(self, fn: Callable[[Workspace], T]) -> T | None:
        """`read(fn)` if the workspace is open; never open it (background work uses this).

        Args:
            fn: what to read with the reader workspace.

        Returns:
            What `fn` returned, or None when the workspace is not open.
        """
        out = self._read(fn, open_it=False)
        return None if out is _CLOSED else out  # type: ignore[return-value]

    def _read(self, fn: Callable[[Workspace], T], *, open_it: bool) -> T | object:
        """`fn(reader)` in the read queue; `_CLOSED` when not open and not to be opened."""
        stale = False
        with self._read_lock:
            # Looked at under the lock: a close that held it has finished, and the reader it
            # closed is not reopened by a read that was waiting for it.
            reader = self._reader
            if reader is None:
                if not open_it:
                    return _CLOSED
                reader = self._open_reader()
            try:
                with reader.snapshot():
                    out = fn(reader)
            except StaleFactsError:
                stale = True
            finally:
                seq = reader.journal.take()
        reader.journal.wait(seq)
        if not stale:
            return out
        if open_it:
            return self.run(fn)
        got = self.run_if_open(fn)
        return _CLOSED if got is None else got

    def _open_reader(self) -> Workspace:
        # Called holding self._read_lock, when no request has opened the workspace yet.
        with self._lock:
            if self._ws is None:
                self._open()
            assert self._reader is not None  # opened with the writer
            return self._reader

    def run(self, fn: Callable[[Workspace], T]) -> T:
        """Call `fn(workspace)` in the queue.

        Args:
            fn: what to do with the workspace.

        Returns:
            What `fn` returned.
        """
        with self.workspace() as ws:
            return fn(ws)

    def run_if_open(self, fn: Callable[[Workspace], T]) -> T | None:
        """Call `fn(workspace)` in the queue if the workspace is open; never open it.

        Background work (the live path) uses this, so that it does not reopen a workspace the
        server closed (or one no request has opened yet).

        Args:
            fn: what to do with the workspace.

        Returns:
            What `fn` returned, or None when the workspace is not open.
        """
        with self._turn(open_it=False) as ws:
            return None if ws is None else fn(ws)

    def authenticate(self, token: str) -> Actor:
        """The actor of a bearer token: from the workspace's cache when it knows the token.

        Args:
            token: the presented token.

        Returns:
            The actor.
        """
        ws = self._ws
        if ws is not None:
            # A token seen before needs no turn in the queue (revoking one clears the cache).
            known = ws.known_actor(token)
            if known is not None:
                return known
        return self.run(lambda w: w.authenticate(token))

    def close(self) -> None:
        """Close the workspace (the server is stopping)."""
        with self._read_lock, self._lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            if self._ws is not None:
                self._ws.close()
                self._ws = None
