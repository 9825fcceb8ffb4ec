"""Spilling a connector's rows to Parquet as it reads, so a large export is not held in memory.

A vendor report's rows take far more memory as Python objects than the report takes on disk:
GitHub's users-28-day report holds a record per user and day, each becoming about twenty
rows, and 100,000 records of the users-1-day report peaked at 3.2 GB when every row was held.
While a `spilling` context is active (the Workspace opens one around each vendor file it
reads), a `Collector` writes its rows to Parquet files in the context's folder whenever it
holds more than the context's number of rows, and keeps only each row's locator. The pipeline
stages the file from those files (`readers.load_frame`), in one batch per table as before.

Each chunk is written through DuckDB, which reads the rows' Python objects as it reads a
frame handed to the pipeline, so a chunk's columns get the types the whole frame would. A
column that is empty throughout a chunk is left out of it (its type there would be a guess);
the chunks are read back with their columns matched by name.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from uptake.ingest.staging import json_cells_as_text
from uptake.schema.tables import TABLES
from uptake.warehouse.sql import quote_ident


@dataclass(frozen=True)
class SpillTo:
    """Where and when to spill: the folder for the chunks and the rows held before a write."""

    folder: Path
    # Rows a Collector holds before it writes them out (`[ingest] spill_rows`).
    rows: int


@dataclass
class Spilled:
    """A table's rows written out: the chunk files in order, and every row's locator."""

    files: list[Path] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    locators: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.counts)


_ACTIVE: contextvars.ContextVar[SpillTo | None] = contextvars.ContextVar(
    "uptake_spill", default=None
)


@contextlib.contextmanager
def spilling(to: SpillTo | None) -> Iterator[None]:
    """Let the Collectors made inside spill their rows as `to` says (None: hold them).

    Args:
        to: the folder and row count, or None.

    Yields:
        Nothing; the setting ends with the block.
    """
    token = _ACTIVE.set(to)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def prepare(to: SpillTo | None) -> None:
    """Create the folder chunks go to, readable by the owner only (they hold identifiers).

    Args:
        to: the spill setting, or None (nothing to create).
    """
    if to is None:
        return
    to.folder.mkdir(parents=True, exist_ok=True)
    to.folder.chmod(0o700)


def active() -> SpillTo | None:
    """The spill setting in force where a Collector is made, if any."""
    return _ACTIVE.get()


def write_chunk(to: SpillTo, table: str, frame: pd.DataFrame) -> Path:
    """Write one chunk of a table's rows (their canonical input columns) to a Parquet file.

    Args:
        to: the spill setting.
        table: canonical table name.
        frame: the chunk's rows as the pipeline would stage them (objects, None where empty);
            columns other than the table's are not written.

    Returns:
        The file written.
    """
    spec = TABLES[table]
    json_cells_as_text(frame, spec)
    # A column with no value in this chunk is left out: DuckDB would type it INTEGER, and the
    # chunks are matched by name when read back, so the value-bearing chunks set its type.
    keep = [c for c in spec.names if c in frame and frame[c].notna().any()]
    # Unique across processes: the read-ahead helper and the caller may spill into one folder.
    path = to.folder / f"{table}-{uuid.uuid4().hex}.parquet"
    con = duckdb.connect()
    try:
        con.register("_chunk", frame)
        select = ", ".join(quote_ident(c) for c in keep) or "NULL AS __none"
        con.execute(f"COPY (SELECT {select} FROM _chunk) TO '{_escaped(path)}' (FORMAT parquet)")
    finally:
        con.close()
    return path


def _escaped(path: Path) -> str:
    return str(path).replace("'", "''")
