"""Readers: load one input file into a DuckDB staging table with record locators."""

from __future__ import annotations

import codecs
import csv
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from uptake.errors import InputError
from uptake.ingest.jsonl import load_jsonl
from uptake.ingest.redact import redact
from uptake.ingest.spill import Spilled
from uptake.ingest.staging import (
    STAGE,
    Loaded,
    Malformed,
    Optimistic,
    apply_mapping,
    count_staged,
    drop_stage,
    first_line,
    json_cells_as_text,
    physical_lines,
    select_columns,
    sql_lit,
    sql_path,
)
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
    return load_jsonl(con, path, spec, mapping)


def _load_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, spec: Table, mapping: dict[str, str]
) -> Loaded:
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_path(path)})").fetchall()
    except duckdb.Error as exc:
        raise InputError(f"{path}: cannot read as Parquet: {first_line(exc)}") from None
    cols = apply_mapping(path, [r[0] for r in described], spec, mapping)
    select = select_columns(cols, spec, "file_row_number + 1", lambda s: quote_ident(s))
    # Parquet is typed and cheap to re-scan, so the staging step is a view, not a copy.
    con.execute(
        f"CREATE TEMP VIEW {STAGE} AS SELECT {select} "
        f"FROM read_parquet({sql_path(path)}, file_row_number = true)"
    )
    rows = count_staged(con)
    groups = con.execute(
        f"SELECT count(DISTINCT row_group_id) FROM parquet_metadata({sql_path(path)})"
    ).fetchone()
    threads = con.execute("SELECT current_setting('threads')").fetchone()
    serial = bool(groups and threads and int(groups[0]) < int(threads[0]))
    return Loaded(path, "parquet", rows, Malformed(), view=True, copy_typed=serial)


def _load_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: Table,
    mapping: dict[str, str],
    *,
    exact: bool = False,
    scanned: Future[tuple[int, bool]] | None = None,
) -> Loaded:
    header = _csv_header(path)
    cols = apply_mapping(path, header, spec, mapping)
    columns = "{" + ", ".join(f"{sql_lit(h)}: 'VARCHAR'" for h in header) + "}"
    reader = (
        f"read_csv({sql_path(path)}, columns = {columns}, header = true, delim = ',', "
        "quote = '\"', escape = '\"', auto_detect = false, encoding = 'utf-8')"
    )
    # A view, like Parquet: parsing the file again per pass costs less than copying every
    # text cell into a staging table once. Records are numbered by the scan itself, under a
    # name no header can take (the alias renames every column).
    names = ", ".join([*(quote_ident(h) for h in header), "__ord"])
    numbered = (
        f"CREATE OR REPLACE TEMP VIEW {STAGE} AS SELECT "
        f"{select_columns(cols, spec, '__ord', quote_ident)} "
        f"FROM {reader} WITH ORDINALITY AS _csv({names})"
    )
    view = (
        f"CREATE TEMP VIEW {STAGE} AS SELECT "
        f"{select_columns(cols, spec, 'CAST(NULL AS BIGINT)', quote_ident)} FROM {reader}"
    )
    if not exact and _trustable(spec, cols):
        return _on_trust(con, path, spec, mapping, view, numbered)
    physical, clean = scanned.result() if scanned is not None else _scan(path)
    if clean:
        con.execute(view)
        try:
            rows = count_staged(con)
        except duckdb.Error:
            rows = -1
        # DuckDB's record count is trusted only when it matches the file's own line count;
        # a stray quote, a multi-line field or a mixed line ending makes them differ, and
        # the strict reader then accounts for every line. (Counting does not read every
        # value, so it would not notice bytes that are not UTF-8: the scan above does.)
        if rows == physical - 1:
            return Loaded(
                path, "csv", rows, Malformed(), view=True, numbered=numbered, copy_typed=True
            )
        drop_stage(con)
    return _load_csv_strict(con, path, header, cols, spec)


def _trustable(spec: Table, cols: dict[str, str]) -> bool:
    """Whether a CSV file may be staged on trust: no cell of it needs its row numbered first.

    Free text is redacted and JSON cells are rewritten row by row, so files with such
    columns are numbered before they are checked, as they always were.
    """
    return not any(c.text or (c.type == "json" and c.name in cols) for c in spec.columns)


def _on_trust(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: Table,
    mapping: dict[str, str],
    view: str,
    numbered: str,
) -> Loaded:
    """The file as a view over DuckDB's CSV reader, its record count checked once typed.

    The typed copy is the one parse DuckDB makes of the file (counting its records first
    was another). The rows hold when they number as many as the file's lines after the
    header and every byte of the file is UTF-8 (the scan, beside DuckDB's work: DuckDB
    checks only the columns it reads); a row failing its checks is located by restaging
    the view numbered. Otherwise, as for a record DuckDB cannot parse, the counted reader
    takes the file (`Optimistic`).
    """
    pool = ThreadPoolExecutor(1)
    scan = pool.submit(_scan, path)
    # The scan's thread ends with its one task; nothing waits for it but its result.
    pool.shutdown(wait=False)
    con.execute(view)

    def records() -> int | None:
        physical, clean = scan.result()
        return physical - 1 if clean else None

    check = Optimistic(
        exact=lambda: _load_csv(con, path, spec, mapping, exact=True, scanned=scan),
        records=records,
        locatable=True,
    )
    return Loaded(
        path,
        "csv",
        -1,
        Malformed(),
        view=True,
        numbered=numbered,
        copy_typed=True,
        optimistic=check,
    )


def _csv_header(path: Path) -> list[str]:
    try:
        with path.open("rb") as fh:
            first = fh.readline()
        text = first.decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read as CSV: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: line 1 (the header) is not valid UTF-8: {exc.reason}") from None
    try:
        header = next(csv.reader([text]), None)
    except csv.Error as exc:
        raise InputError(f"{path}: line 1 (the header) cannot be read as CSV: {exc}") from None
    if not header:
        raise InputError(f"{path}: empty CSV file: expected a header line with column names")
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise InputError(f"{path}: line 1: duplicate column name(s) {', '.join(dupes)}")
    return header


def _scan(path: Path) -> tuple[int, bool]:
    """Physical line count of a file, and whether all of it is valid UTF-8."""
    lines, clean, last = 0, True, b"\n"
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
            if clean:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    clean = False
    if clean:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            clean = False
    return lines + (last != b"\n"), clean


class _Lines:
    """Iterator over decoded physical lines from `pos`, stopping at an undecodable one."""

    def __init__(self, texts: list[str | None], pos: int) -> None:
        self.texts, self.pos = texts, pos

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.texts):
            raise StopIteration
        text = self.texts[self.pos]
        if text is None:
            raise StopIteration
        self.pos += 1
        return text + "\n"


def _load_csv_strict(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header: list[str],
    cols: dict[str, str],
    spec: Table,
) -> Loaded:
    """Read a CSV record by record, quarantining each line that does not parse.

    A record that fails (bad quoting, wrong field count, invalid UTF-8) costs only the line
    it starts on: parsing resumes on the next line, so one stray quote cannot swallow the
    rest of the file.
    """
    texts, raw = physical_lines(path)
    width = len(header)
    records: list[list[str]] = []
    starts: list[int] = []
    malformed = Malformed()

    def bad(index: int, detail: str) -> None:
        malformed.locators.append(f"{path.name}:line {index + 1}")
        malformed.details.append(detail)
        malformed.records.append(redact(raw(index)[:2000]) or "")

    it = _Lines(texts, 1)
    reader = csv.reader(it, strict=True)
    while it.pos < len(texts):
        begin = it.pos
        if texts[begin] is None:
            bad(begin, "line is not valid UTF-8")
            it = _Lines(texts, begin + 1)
            reader = csv.reader(it, strict=True)
            continue
        problem = None
        try:
            rec = next(reader)
        except csv.Error as exc:
            problem = f"cannot be read as CSV: {exc}"
        except StopIteration:
            problem = "a quoted field runs into an unreadable line"
        else:
            if not rec:
                continue
            if len(rec) == width:
                records.append(rec)
                starts.append(begin + 1)
                continue
            problem = f"expected {width} fields, found {len(rec)}"
        bad(begin, problem)
        it = _Lines(texts, begin + 1)
        reader = csv.reader(it, strict=True)
    frame = pd.DataFrame(records, columns=header, dtype=object).replace({"": None})
    frame["__row"] = np.arange(1, len(frame) + 1)
    select = select_columns(cols, spec, "__row", lambda s: f"CAST({quote_ident(s)} AS VARCHAR)")
    con.register("_csv_src", frame)
    try:
        con.execute(f"CREATE TEMP TABLE {STAGE} AS SELECT {select} FROM _csv_src")
    finally:
        con.unregister("_csv_src")
    lines = np.array(starts, dtype=np.int64)
    return Loaded(path, "csv", len(records) + len(malformed.locators), malformed, lines)


def load_frame(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    spec: Table,
    source: str,
    spilled: Spilled | None = None,
) -> tuple[int, list[str]]:
    """Load a connector's frame (canonical input columns + `__locator`) into the staging table.

    Args:
        con: warehouse connection.
        frame: canonical input columns and a `__locator` column.
        spec: the canonical table.
        source: name used in messages.
        spilled: the connector's rows written to Parquet while it read; `frame` is then
            empty and gives only the columns.

    Returns:
        Row count and the locator of each row, indexed by `__row - 1`.
    """
    path = Path(source)
    # Rows in memory (a connector's output, an API batch) are renamed by whoever built them:
    # the command line's --map means nothing there.
    hint = f"; send the canonical names ({', '.join(spec.names)})"
    cols = apply_mapping(path, [c for c in frame.columns if c != "__locator"], spec, {}, hint)
    if spilled is not None:
        return _load_spilled(con, spilled, spec, cols)
    # Not a deep copy: the columns set below are set on this new frame, not the caller's, and
    # a copy of millions of rows' cells is memory for nothing.
    data = frame.reset_index(drop=True)
    # The row's own string, not a copy: the rows of one record share their locator, and
    # `astype(str)` would make a new string per row (pandas 3 goes through Arrow strings).
    locators = (
        [v if isinstance(v, str) else str(v) for v in data["__locator"].tolist()]
        if "__locator" in data
        else [f"{source}:record {i + 1}" for i in range(len(data))]
    )
    json_cells_as_text(data, spec)
    data["__row"] = np.arange(1, len(data) + 1)
    drop_stage(con)
    con.register("_frame_src", data)
    try:
        select = select_columns(cols, spec, "__row", lambda s: quote_ident(s))
        con.execute(f"CREATE TEMP TABLE {STAGE} AS SELECT {select} FROM _frame_src")
    finally:
        con.unregister("_frame_src")
    return len(data), locators


def _load_spilled(
    con: duckdb.DuckDBPyConnection, spilled: Spilled, spec: Table, cols: dict[str, str]
) -> tuple[int, list[str]]:
    """Stage a table's spilled chunks, numbered in the order the connector added the rows."""
    files = ", ".join(sql_path(f) for f in spilled.files)
    scan = f"read_parquet([{files}], union_by_name = true, filename = true, file_row_number = true)"
    # A chunk leaves out a column with no value in it; one with no value in any chunk is
    # NULL, as a frame's empty column is.
    present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
    absent = [c for c in cols.values() if c not in present]
    nulls = "".join(f", NULL AS {quote_ident(c)}" for c in absent)
    starts = np.cumsum([0, *spilled.counts[:-1]])
    first_row = " ".join(
        f"WHEN {sql_path(f)} THEN {int(start)}"
        for f, start in zip(spilled.files, starts, strict=True)
    )
    row = f"CASE filename {first_row} END + file_row_number + 1"
    drop_stage(con)
    con.execute(
        f"CREATE TEMP TABLE {STAGE} AS SELECT {select_columns(cols, spec, row, quote_ident)} "
        f"FROM (SELECT *{nulls} FROM {scan})"
    )
    return spilled.rows, spilled.locators
