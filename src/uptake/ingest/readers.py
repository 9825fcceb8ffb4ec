"""Readers: load one input file into a DuckDB staging table with record locators."""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from uptake.errors import InputError
from uptake.ingest.redact import redact
from uptake.schema.tables import Table
from uptake.warehouse.sql import quote_ident

FORMATS = ("csv", "jsonl", "parquet")
_EXT = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
STAGE = "_stage_src"


@dataclass
class Malformed:
    """Records that could not be parsed at all (quarantined as malformed_record)."""

    locators: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)


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
    rejected_lines: np.ndarray

    def locator(self, row: int) -> str:
        """Human locator of a staged record, e.g. `events.csv:line 12`."""
        if self.fmt == "csv":
            # DuckDB counts CSV records, not physical lines; records it rejected still
            # occupy a number, so shift the ordinal past them.
            line = row + 1
            if len(self.rejected_lines):
                line = int(_nth_unrejected(self.rejected_lines, row))
            return f"{self.path.name}:line {line}"
        if self.fmt == "jsonl":
            return f"{self.path.name}:line {row}"
        return f"{self.path.name}:row {row}"


def _nth_unrejected(rejected: np.ndarray, row: int) -> int:
    # Line numbers start at 2 (after the header). Find the row-th line not in `rejected`.
    line = row + 1
    while True:
        skipped = int(np.searchsorted(rejected, line, side="right"))
        candidate = row + 1 + skipped
        if candidate == line:
            return line
        line = candidate


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the staging relation, which is a view for Parquet and a table otherwise."""
    for kind in ("VIEW", "TABLE"):
        with contextlib.suppress(duckdb.CatalogException):
            con.execute(f"DROP {kind} IF EXISTS {STAGE}")


def detect_format(path: Path, fmt: str | None) -> str:
    """The input format: the given one, else from the file extension."""
    if fmt:
        if fmt not in FORMATS:
            raise InputError(
                f"{path}: unknown format {fmt!r}; expected one of {', '.join(FORMATS)} "
                "or a vendor format (see `uptake ingest --help`)"
            )
        return fmt
    ext = path.suffix.lower()
    if ext not in _EXT:
        raise InputError(
            f"{path}: cannot tell the format from the extension {ext!r}; "
            f"pass --format ({', '.join(FORMATS)})"
        )
    return _EXT[ext]


def _apply_mapping(
    path: Path, source_cols: list[str], spec: Table, mapping: dict[str, str]
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
            f"the file has {', '.join(source_cols) or '(no columns)'}"
            + ("" if mapping else "; use --map canonical=source for other names")
        )
    return cols


def _select(cols: dict[str, str], spec: Table, row_expr: str, src: Callable[[str], str]) -> str:
    parts = [f"{row_expr} AS __row"]
    for c in spec.names:
        value = src(cols[c]) if c in cols else "CAST(NULL AS VARCHAR)"
        parts.append(f"{value} AS {quote_ident(c)}")
    return ", ".join(parts)


def load(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, spec: Table, mapping: dict[str, str]
) -> Loaded:
    """Load a CSV, JSON Lines or Parquet file into the staging table.

    Args:
        con: warehouse connection.
        path: input file.
        fmt: csv, jsonl or parquet.
        spec: the canonical table the file feeds.
        mapping: canonical column -> source column renames.

    Returns:
        What was loaded, with the malformed records set aside.
    """
    if not path.is_file():
        raise InputError(f"{path}: cannot read file: it does not exist or is not a file")
    drop_stage(con)
    if fmt == "parquet":
        return _load_parquet(con, path, spec, mapping)
    if fmt == "csv":
        return _load_csv(con, path, spec, mapping)
    return _load_jsonl(con, path, spec, mapping)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_str(path: Path) -> str:
    return _lit(str(path))


def _load_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, spec: Table, mapping: dict[str, str]
) -> Loaded:
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_sql_str(path)})").fetchall()
    except duckdb.Error as exc:
        raise InputError(f"{path}: cannot read as Parquet: {_first_line(exc)}") from None
    cols = _apply_mapping(path, [r[0] for r in described], spec, mapping)
    select = _select(cols, spec, "file_row_number + 1", lambda s: quote_ident(s))
    # Parquet is typed and cheap to re-scan, so the staging step is a view, not a copy.
    con.execute(
        f"CREATE TEMP VIEW {STAGE} AS SELECT {select} "
        f"FROM read_parquet({_sql_str(path)}, file_row_number = true)"
    )
    rows = _count(con)
    return Loaded(path, "parquet", rows, Malformed(), np.empty(0, dtype=np.int64))


def _load_csv(
    con: duckdb.DuckDBPyConnection, path: Path, spec: Table, mapping: dict[str, str]
) -> Loaded:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read as CSV: {exc}") from None
    if not header:
        raise InputError(f"{path}: empty CSV file: expected a header line with column names")
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise InputError(f"{path}: line 1: duplicate column name(s) {', '.join(dupes)}")
    cols = _apply_mapping(path, header, spec, mapping)
    columns = "{" + ", ".join(f"{_lit(h)}: 'VARCHAR'" for h in header) + "}"
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    select = _select(cols, spec, "row_number() OVER ()", lambda s: quote_ident(s))
    try:
        con.execute(
            f"CREATE TEMP TABLE {STAGE} AS SELECT {select} FROM read_csv({_sql_str(path)}, "
            f"columns = {columns}, header = true, delim = ',', quote = '\"', escape = '\"', "
            "auto_detect = false, store_rejects = true, encoding = 'utf-8')"
        )
    except duckdb.Error as exc:
        raise InputError(f"{path}: cannot read as CSV: {_first_line(exc)}") from None
    rej = con.execute(
        "SELECT line, error_type, error_message, csv_line FROM reject_errors ORDER BY line"
    ).fetchall()
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    malformed = Malformed()
    seen: set[int] = set()
    for line, etype, message, raw in rej:
        if int(line) in seen:
            continue
        seen.add(int(line))
        malformed.locators.append(f"{path.name}:line {int(line)}")
        malformed.details.append(f"{etype.lower().replace('_', ' ')}: {message}")
        malformed.records.append(redact(raw) or "")
    rows = _count(con) + len(malformed.locators)
    return Loaded(path, "csv", rows, malformed, np.array(sorted(seen), dtype=np.int64))


def _load_jsonl(
    con: duckdb.DuckDBPyConnection, path: Path, spec: Table, mapping: dict[str, str]
) -> Loaded:
    lines = "_stage_lines"
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {lines} AS SELECT row_number() OVER () AS n, j, "
            "coalesce(CASE WHEN json_valid(j) THEN json_type(j) = 'OBJECT' END, false) AS ok "
            f"FROM read_csv({_sql_str(path)}, columns = {{'j': 'VARCHAR'}}, header = false, "
            "delim = chr(31), quote = '', escape = '', auto_detect = false, "
            "strict_mode = false, encoding = 'utf-8')"
        )
    except duckdb.Error as exc:
        raise InputError(f"{path}: cannot read as JSON Lines: {_first_line(exc)}") from None
    first = con.execute(f"SELECT j FROM {lines} WHERE j IS NOT NULL ORDER BY n LIMIT 1").fetchone()
    any_ok = con.execute(f"SELECT coalesce(bool_or(ok), false) FROM {lines}").fetchone()
    if first and first[0].lstrip().startswith("[") and any_ok and not any_ok[0]:
        _json_array_to_lines(con, path, lines)
    keys = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT unnest(json_keys(j)) FROM {lines} WHERE ok"
        ).fetchall()
    ]
    # With no parseable object there is no column set to check: every line is malformed.
    cols = _apply_mapping(path, keys, spec, mapping) if keys else {}
    select = _select(cols, spec, "n", lambda s: f"j->>{_lit(s)}")
    con.execute(f"CREATE TEMP TABLE {STAGE} AS SELECT {select} FROM {lines} WHERE ok")
    bad = con.execute(
        f"SELECT n, j FROM {lines} WHERE NOT ok AND j IS NOT NULL AND trim(j) <> '' ORDER BY n"
    ).fetchall()
    malformed = Malformed()
    for n, raw in bad:
        malformed.locators.append(f"{path.name}:line {int(n)}")
        malformed.details.append("not a JSON object on this line")
        malformed.records.append(redact(raw[:2000]) or "")
    con.execute(f"DROP TABLE IF EXISTS {lines}")
    return Loaded(path, "jsonl", _count(con) + len(bad), malformed, np.empty(0, dtype=np.int64))


def _json_array_to_lines(con: duckdb.DuckDBPyConnection, path: Path, lines: str) -> None:
    """A `.json` file holding one array of objects is read as if each element were a line."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a JSON array of objects or JSON Lines")
    frame = pd.DataFrame(
        {
            "n": np.arange(1, len(data) + 1),
            "j": [json.dumps(d) for d in data],
            "ok": [isinstance(d, dict) for d in data],
        }
    )
    con.register("_json_array", frame)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {lines} AS SELECT * FROM _json_array")
    con.unregister("_json_array")


def load_frame(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, spec: Table, source: str
) -> tuple[int, list[str]]:
    """Load a connector's frame (canonical input columns + `__locator`) into the staging table.

    Args:
        con: warehouse connection.
        frame: canonical input columns and a `__locator` column.
        spec: the canonical table.
        source: name used in messages.

    Returns:
        Row count and the locator of each row, indexed by `__row - 1`.
    """
    path = Path(source)
    cols = _apply_mapping(path, [c for c in frame.columns if c != "__locator"], spec, {})
    data = frame.reset_index(drop=True).copy()
    locators = (
        data["__locator"].astype(str).tolist()
        if "__locator" in data
        else [f"{source}:record {i + 1}" for i in range(len(data))]
    )
    for c in spec.names:
        if c in data and spec.column(c).type in ("json",):
            data[c] = data[c].map(
                lambda v: v if v is None or isinstance(v, str) else json.dumps(v, default=str)
            )
    data["__row"] = np.arange(1, len(data) + 1)
    drop_stage(con)
    con.register("_frame_src", data)
    try:
        select = _select(cols, spec, "__row", lambda s: quote_ident(s))
        con.execute(f"CREATE TEMP TABLE {STAGE} AS SELECT {select} FROM _frame_src")
    finally:
        con.unregister("_frame_src")
    return len(data), locators


def _count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()
    return int(row[0]) if row else 0


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
