"""The staging relation a reader fills, and what every reader shares to fill it."""

from __future__ import annotations

import codecs
import contextlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from uptake.errors import InputError
from uptake.schema.tables import Table
from uptake.warehouse.sql import quote_ident

STAGE = "_stage_src"
# A JSON Lines file's parsed lines, which its staging view reads.
LINES = "_stage_lines"


@dataclass
class Malformed:
    """Records that could not be parsed at all (quarantined as malformed_record)."""

    locators: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)


@dataclass
class Optimistic:
    """What must hold for rows staged on trust, and the reader to use when it does not."""

    # Reads the file again, locating and setting aside every bad record.
    exact: Callable[[], Loaded]
    # Canonical columns read from a renamed key: each must have a value somewhere, as the
    # exact reader refuses a file without the key.
    mapped: list[str] = field(default_factory=list)
    # Canonical columns whose values the exact reader alone can rewrite (JSON cells): each
    # must be empty throughout.
    empty: list[str] = field(default_factory=list)
    # How many records the file must hold for its rows to be the file's records (None: the
    # file cannot be trusted at all), asked once the rows are checked; None: no such test.
    records: Callable[[], int | None] | None = None
    # A row that fails its checks can still be located (the view restages numbered), so it
    # is quarantined rather than voiding the trust.
    locatable: bool = False


@dataclass
class Loaded:
    """A file loaded into the staging table `STAGE`.

    The staging table has `__row` (1-based record ordinal) and one column per canonical input
    column present in the file; absent optional columns are added as NULL.
    """

    path: Path
    fmt: str
    rows: int
    malformed: Malformed
    lines: np.ndarray | None = None
    # Staged as a view over the file, which later steps read again: it must not change.
    view: bool = False
    # A view whose `__row` is NULL (numbering records serialises every pass over the file),
    # and the statement (or function) that restages it numbered, run only when some row
    # must be located.
    numbered: str | Callable[[], None] | None = None
    # Later passes over the staging view cost more than one copy of its typed rows: a CSV
    # file is parsed again by each, a Parquet file with fewer row groups than DuckDB has
    # threads is read by one thread (the write above all).
    copy_typed: bool = False
    # Staged on trust by a reader that cannot locate or set aside a bad record: the rows
    # hold only if every one passes its checks and none needs what only `exact` gives (see
    # `Optimistic`). `rows` is then unknown (-1) until the typed copy is counted.
    optimistic: Optimistic | None = None

    def locator(self, row: int) -> str:
        """Human locator of a staged record, e.g. `events.csv:line 12`."""
        if self.lines is not None:
            return f"{self.path.name}:line {int(self.lines[row - 1])}"
        if self.fmt == "csv":
            return f"{self.path.name}:line {row + 1}"
        if self.fmt == "jsonl":
            return f"{self.path.name}:line {row}"
        return f"{self.path.name}:row {row}"


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the staging relation (a view or a table, whichever it is) and what it reads."""
    for kind in ("VIEW", "TABLE"):
        with contextlib.suppress(duckdb.CatalogException):
            con.execute(f"DROP {kind} IF EXISTS {STAGE}")
    con.execute(f"DROP TABLE IF EXISTS {LINES}")


def apply_mapping(
    path: Path,
    source_cols: list[str],
    spec: Table,
    mapping: dict[str, str],
    rename_hint: str = "; use --map canonical=source for other names",
) -> dict[str, str]:
    """Canonical column -> source column, checking the mapping and required columns."""
    for canonical, source in mapping.items():
        if canonical not in spec.names:
            raise InputError(
                f"{path}: --map {canonical}={source}: {canonical!r} is not a column of "
                f"{spec.name}; expected one of {', '.join(spec.names)}"
            )
        if source not in source_cols:
            raise InputError(
                f"{path}: --map {canonical}={source}: the file has no column {source!r}; "
                f"its columns are {', '.join(source_cols) or '(none)'}"
            )
    mapped_sources = set(mapping.values())
    cols = {c: c for c in spec.names if c in source_cols and c not in mapped_sources}
    cols.update(mapping)
    missing = [c for c in spec.required if c not in cols]
    if missing:
        raise InputError(
            f"{path}: missing required column(s) {', '.join(missing)} for table {spec.name}; "
            f"it has {', '.join(source_cols) or '(no columns)'}" + ("" if mapping else rename_hint)
        )
    return cols


def select_columns(
    cols: dict[str, str], spec: Table, row_expr: str, src: Callable[[str], str]
) -> str:
    parts = [f"{row_expr} AS __row"]
    for c in spec.names:
        value = src(cols[c]) if c in cols else "CAST(NULL AS VARCHAR)"
        parts.append(f"{value} AS {quote_ident(c)}")
    return ", ".join(parts)


def sql_lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_path(path: Path) -> str:
    return sql_lit(str(path))


def newline_count(path: Path) -> int:
    """Physical lines in a file: its line feeds, plus a last line that has none.

    Whether the bytes are UTF-8 is left to DuckDB's reader, which refuses a file that is not;
    decoding it here as well cost as much again as counting.
    """
    lines, last = 0, b"\n"
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def physical_lines(path: Path) -> tuple[list[str | None], Callable[[int], str]]:
    """Decoded lines (None where a line is not UTF-8, CR before LF dropped) and a raw view.

    Returns:
        The lines, and a function giving line `i` as text even when it is not UTF-8 (with
        replacement characters), for quarantine records.
    """
    raw = path.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    texts: list[str | None]
    try:
        # Decoding the whole file at once is much faster than line by line; only a file
        # with a bad byte pays for the per-line pass that isolates it.
        whole = raw.decode("utf-8")
    except UnicodeDecodeError:
        lines = raw.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]
        texts = []
        for ln in lines:
            try:
                texts.append(ln.decode("utf-8"))
            except UnicodeDecodeError:
                texts.append(None)
        return texts, lambda i: lines[i].decode("utf-8", errors="replace")
    split = whole.split("\n")
    if split and split[-1] == "":
        split.pop()
    if "\r" in whole:
        split = [t[:-1] if t.endswith("\r") else t for t in split]
    texts = list(split)
    return texts, lambda i: split[i]


def count_staged(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()
    return int(row[0]) if row else 0


def first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def json_cells_as_text(frame: pd.DataFrame, spec: Table) -> None:
    """Write a frame's JSON cells (objects, lists) as JSON text, in place; text stays as is.

    Args:
        frame: rows with canonical input column names.
        spec: their canonical table.
    """
    for c in spec.names:
        if c in frame and spec.column(c).type == "json":
            frame[c] = frame[c].map(_json_text)


def _json_text(v: object) -> str | None:
    """A JSON cell as text; a missing one (None, or pandas' NaN where a row had no key) None."""
    if v is None or isinstance(v, str):
        return v
    if (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        # A batch whose other rows carry `attrs` gives the rows without it NaN: stored as
        # "NaN" until 7 December.
        return None
    return json.dumps(v, default=str)
