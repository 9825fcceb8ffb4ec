"""Helpers for tests of the served workspace's queues: a small workspace, and holding a queue."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from factories import FROZEN_NOW, rows
from uptake.web.state import Served
from uptake.workspace import Workspace

WAIT = 120.0  # generous bounds for a loaded machine; nothing here is timed


def small_workspace(path: Path) -> Path:
    """A workspace of 20 people, 20 licences and 100 events at `path`.

    Args:
        path: the workspace folder to create.

    Returns:
        The folder.
    """
    with Workspace.init(path) as ws:
        ws.ingest_frame("people", pd.DataFrame(rows("people", 20)), source="p", now=FROZEN_NOW)
        ws.ingest_frame("licenses", pd.DataFrame(rows("licenses", 20)), source="l", now=FROZEN_NOW)
        ws.ingest_frame("events", pd.DataFrame(rows("events", 100)), source="e", now=FROZEN_NOW)
    return path


@contextmanager
def hold_queues(served: Served, *, reads: bool = False) -> Iterator[None]:
    """Hold the writers' queue from another thread, as a long write would (and the readers').

    Args:
        served: the served workspace.
        reads: hold the read queue too.
    """
    release = threading.Event()
    threads = []

    def hold(enter: Callable[[Callable[[Any], Any]], Any], held: threading.Event) -> None:
        def wait(_: Any) -> None:
            held.set()
            release.wait(WAIT)

        enter(wait)

    for enter in [served.run, served.read] if reads else [served.run]:
        held = threading.Event()
        t = threading.Thread(target=hold, args=(enter, held))
        t.start()
        assert held.wait(WAIT)
        threads.append(t)
    try:
        yield
    finally:
        release.set()
        for t in threads:
            t.join(WAIT)
