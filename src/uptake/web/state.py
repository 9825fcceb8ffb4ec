"""The server's one open workspace, used by one request at a time (DuckDB has one writer)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from uptake.config import load_settings
from uptake.workspace import Actor, Workspace, find_workspace

T = TypeVar("T")


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
        # Set once the start-up warm-up (`[serve] warm`) has computed the organisation pages.
        self.warmed = threading.Event()

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
                ws = Workspace.open(self.path)
                if not ws.read_only:
                    ws.journal.start()
                self._ws = ws
            held = self._ws
            if held is None:
                yield None
                return
            try:
                yield held
            finally:
                seq = held.journal.take()
        held.journal.wait(seq)

    def busy(self) -> bool:
        """Whether a call holds the queue at this moment (a caller would wait its turn)."""
        return self._lock.locked()

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
        with self._lock:
            if self._ws is not None:
                self._ws.close()
                self._ws = None
