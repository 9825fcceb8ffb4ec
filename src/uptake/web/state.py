"""The server's one open workspace, used by one request at a time (DuckDB has one writer)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from uptake.config import load_settings
from uptake.workspace import Workspace, find_workspace

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
        """The workspace, held exclusively for the duration of the block."""
        with self._lock:
            if self._ws is None:
                self._ws = Workspace.open(self.path)
            yield self._ws

    def run(self, fn: Callable[[Workspace], T]) -> T:
        """Call `fn(workspace)` in the queue.

        Args:
            fn: what to do with the workspace.

        Returns:
            What `fn` returned.
        """
        with self.workspace() as ws:
            return fn(ws)

    def close(self) -> None:
        """Close the workspace (the server is stopping)."""
        with self._lock:
            if self._ws is not None:
                self._ws.close()
                self._ws = None
