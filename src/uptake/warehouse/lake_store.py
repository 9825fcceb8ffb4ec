"""A workspace's own Parquet lake, kept current with the warehouse and shared by its readers.

Layout of the folder (a workspace keeps it in `<workspace>/lake`):

    CURRENT          name of the snapshot readers use; replaced atomically (os.replace)
    s-<n>-<batch>/   one complete lake (see `uptake.warehouse.lake`); never changed once named
    .partial-*/      a snapshot being written; renamed to `s-...` only when complete
    .lock            serialises writers (processes and threads)

A snapshot is reused while its manifest's state equals the warehouse's; after ingests that
only added events, the next snapshot links the earlier one's files and appends the new
batches' rows, otherwise it is exported in full (`uptake.warehouse.export.write_lake`).
Each reader holds a shared lock on its snapshot's folder while it reads, and old snapshots
are removed only when no one holds it, so a Spark job in another process never loses files.
Engines keep what they compute elsewhere (Spark's facts are in Spark's own scratch space).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb

from uptake.warehouse.export import lake_is_current, write_lake
from uptake.warehouse.lake import read_manifest

try:  # POSIX advisory locks; elsewhere the atomic renames alone keep snapshots whole
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

CURRENT = "CURRENT"
LOCK = ".lock"
REUSED = "reused"
# Threads of one process share flock's owner only per open file, so they take this first.
_THREADS = threading.Lock()


@dataclass(frozen=True)
class LakeUse:
    """The snapshot a reader got and what it took to get it."""

    path: Path
    action: str  # reused, appended, exported, or exported (temporary) when the folder is read-only


@contextmanager
def _flock(fd: int, mode: int) -> Iterator[None]:
    if fcntl is None:
        yield
        return
    fcntl.flock(fd, mode)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _current(folder: Path) -> Path | None:
    try:
        name = (folder / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    path = folder / name
    return path if name.startswith("s-") and read_manifest(path) is not None else None


def _publish(folder: Path, snapshot: Path) -> None:
    tmp = folder / f".{CURRENT}.{uuid.uuid4().hex}"
    tmp.write_text(snapshot.name + "\n", encoding="utf-8")
    os.replace(tmp, folder / CURRENT)


def _next_name(folder: Path, last_batch: int | None) -> str:
    serials = []
    for p in folder.glob("s-*"):
        with suppress(ValueError, IndexError):
            serials.append(int(p.name.split("-")[1]))
    return f"s-{max(serials, default=0) + 1:06d}-{'none' if last_batch is None else last_batch}"


def _prune(folder: Path, keep: Path) -> None:
    """Remove stale partial folders and every old snapshot no reader holds (writer lock held)."""
    for p in folder.glob(".partial-*"):
        shutil.rmtree(p, ignore_errors=True)
    for p in folder.glob("s-*"):
        if p == keep or not p.is_dir():
            continue
        fd = os.open(p, os.O_RDONLY)
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # a reader is still on it; the next writer tries again
            shutil.rmtree(p, ignore_errors=True)
        finally:
            os.close(fd)


def _refresh(con: duckdb.DuckDBPyConnection, folder: Path) -> tuple[Path, str]:
    """Make CURRENT name a snapshot of the warehouse as it is now (writer lock held)."""
    current = _current(folder)
    if current is not None and lake_is_current(con, current):
        return current, REUSED
    staging = folder / f".partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        manifest = write_lake(con, staging, base=current)
        snapshot = folder / _next_name(folder, manifest["last_batch"])
        staging.rename(snapshot)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _publish(folder, snapshot)
    return snapshot, str(manifest["written"])


@contextmanager
def workspace_lake(con: duckdb.DuckDBPyConnection, folder: Path | str) -> Iterator[LakeUse]:
    """A lake holding the warehouse's current rows, reusing or updating the kept one.

    While the context is open the snapshot's files stay in place, whatever other readers
    and writers do. When the folder cannot be written (a read-only file system), a current
    snapshot is still reused; otherwise the lake is exported to a temporary folder that is
    removed on exit.

    Args:
        con: the workspace's DuckDB connection (read-only is enough).
        folder: the workspace's lake folder (created when missing).

    Returns:
        A context manager yielding the snapshot's path and what it took (`reused`,
        `appended`, `exported`).
    """
    root = Path(folder)
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock_fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        with _fallback(con, root) as use:
            yield use
        return
    try:
        with _THREADS, _flock(lock_fd, fcntl.LOCK_EX if fcntl else 0):
            snapshot, action = _refresh(con, root)
            # Hold the snapshot before letting other writers in: they may prune it otherwise.
            reader_fd = _hold(snapshot)
            with suppress(OSError):
                _prune(root, snapshot)
    except OSError:
        reader_fd = -1  # the folder exists but cannot be written
    finally:
        os.close(lock_fd)
    if reader_fd < 0:
        with _fallback(con, root) as use:
            yield use
        return
    try:
        yield LakeUse(snapshot, action)
    finally:
        os.close(reader_fd)  # closing releases the shared lock


def _hold(snapshot: Path) -> int:
    """Open a snapshot's folder with a shared lock, which keeps writers from pruning it."""
    fd = os.open(snapshot, os.O_RDONLY)
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


@contextmanager
def _fallback(con: duckdb.DuckDBPyConnection, root: Path) -> Iterator[LakeUse]:
    current = _current(root)
    if current is not None:
        fd = _hold(current)
        try:
            if lake_is_current(con, current):
                yield LakeUse(current, REUSED)
                return
        finally:
            os.close(fd)
    scratch = Path(tempfile.mkdtemp(prefix="uptake-lake-"))
    try:
        manifest = write_lake(con, scratch)
        yield LakeUse(scratch, f"{manifest['written']} (temporary)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
