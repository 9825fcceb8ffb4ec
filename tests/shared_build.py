"""Builds both test workers use: made once per test run, and a copy of the folder for each user.

Under `make test` two xdist workers run the suite, and a session fixture runs once in each of
them: a simulated organisation that takes half a minute to ingest was ingested twice. Here
the first worker to ask builds it (the other waits on a lock) and every user gets its own
copy, so a test that writes to its organisation still writes to its own, as before.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DONE = "built.json"


def shared_build(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], dict[str, Any]]
) -> tuple[Path, dict[str, Any]]:
    """A copy of the folder `build` fills, built once per test run whichever worker asks first.

    Args:
        tmp_path_factory: pytest's temporary folders.
        name: the build's name (one build per name and run).
        build: fills a new, empty folder and returns what it made, as JSON-able values.

    Returns:
        A new folder of this caller's own holding a copy of the build, and what `build`
        returned.
    """
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's base is a folder of the run's own; outside it, the parent
    # holds earlier runs' folders, so the build stays in this run's base.
    store = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-builds"
    store.mkdir(exist_ok=True)
    built = store / name
    with (store / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (built / DONE).exists():
            # A worker that failed half-way left a partial folder: built afresh.
            shutil.rmtree(built, ignore_errors=True)
            built.mkdir()
            about = build(built)
            (built / DONE).write_text(json.dumps(about))
    copy = tmp_path_factory.mktemp(name)
    shutil.copytree(built, copy, dirs_exist_ok=True, ignore=shutil.ignore_patterns(DONE))
    return copy, json.loads((built / DONE).read_text())
