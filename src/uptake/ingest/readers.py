"""Readers: load one input file into a DuckDB staging table with record locators."""

from __future__ import annotations

import codecs
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
    lines: np.ndarray | None = None
    # Staged as a view over the file, which later steps read again: it must not change.
    view: bool = False
    # A view whose `__row` is NULL (numbering records serialises every pass over the file),
    # and the statement that restages it numbered, run only when some row must be located.
    numbered: str | None = None

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
    """Drop the staging relation, a view over the file or a table, whichever it is."""
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
    return Loaded(path, "parquet", rows, Malformed(), view=True)


def _load_csv(
    con: duckdb.DuckDBPyConnection, path: Path, spec: Table, mapping: dict[str, str]
) -> Loaded:
    header = _csv_header(path)
    cols = _apply_mapping(path, header, spec, mapping)
    physical, clean = _scan(path)
    if clean:
        columns = "{" + ", ".join(f"{_lit(h)}: 'VARCHAR'" for h in header) + "}"
        reader = (
            f"read_csv({_sql_str(path)}, columns = {columns}, header = true, delim = ',', "
            "quote = '\"', escape = '\"', auto_detect = false, encoding = 'utf-8')"
        )
        # A view, like Parquet: parsing the file again per pass costs less than copying
        # every text cell into a staging table once. Records are numbered by the scan
        # itself, under a name no header can take (the alias renames every column).
        names = ", ".join([*(quote_ident(h) for h in header), "__ord"])
        numbered = (
            f"CREATE OR REPLACE TEMP VIEW {STAGE} AS SELECT "
            f"{_select(cols, spec, '__ord', quote_ident)} "
            f"FROM {reader} WITH ORDINALITY AS _csv({names})"
        )
        con.execute(
            f"CREATE TEMP VIEW {STAGE} AS SELECT "
            f"{_select(cols, spec, 'CAST(NULL AS BIGINT)', quote_ident)} FROM {reader}"
        )
        try:
            rows = _count(con)
        except duckdb.Error:
            rows = -1
        # DuckDB's record count is trusted only when it matches the file's own line count;
        # a stray quote, a multi-line field or a mixed line ending makes them differ, and
        # the strict reader then accounts for every line.
        if rows == physical - 1:
            return Loaded(path, "csv", rows, Malformed(), view=True, numbered=numbered)
        drop_stage(con)
    return _load_csv_strict(con, path, header, cols, spec)


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


def _physical_lines(path: Path) -> tuple[list[str | None], Callable[[int], str]]:
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
    texts, raw = _physical_lines(path)
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
    select = _select(cols, spec, "__row", lambda s: f"CAST({quote_ident(s)} AS VARCHAR)")
    con.register("_csv_src", frame)
    try:
        con.execute(f"CREATE TEMP TABLE {STAGE} AS SELECT {select} FROM _csv_src")
    finally:
        con.unregister("_csv_src")
    lines = np.array(starts, dtype=np.int64)
    return Loaded(path, "csv", len(records) + len(malformed.locators), malformed, lines)


def _load_jsonl(
    con: duckdb.DuckDBPyConnection, path: Path, spec: Table, mapping: dict[str, str]
) -> Loaded:
    lines = "_stage_lines"
    try:
        physical, clean = _scan(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read as JSON Lines: {exc}") from None
    malformed = Malformed()
    if clean and _jsonl_lines_fast(con, path, lines, physical):
        # The table holds every physical line in file order, so a line's number is its row
        # position: numbering lines while reading them serialises the parallel read.
        src = f"(SELECT rowid + 1 AS n, j, ok FROM {lines})"
    else:
        malformed = _jsonl_lines_exact(con, path, lines)
        src = lines
    first = con.execute(f"SELECT j FROM {src} WHERE j IS NOT NULL ORDER BY n LIMIT 1").fetchone()
    any_ok = con.execute(f"SELECT coalesce(bool_or(ok), false) FROM {src}").fetchone()
    if first and first[0].lstrip().startswith("[") and any_ok and not any_ok[0]:
        _json_array_to_lines(con, path, lines)
        src = lines
    keys = [
        r[0]
        for r in con.execute(f"SELECT DISTINCT unnest(json_keys(j)) FROM {src} WHERE ok").fetchall()
    ]
    # With no parseable object there is no column set to check: every line is malformed.
    cols = _apply_mapping(path, keys, spec, mapping) if keys else {}
    # Every field in one extraction: `j->>'key'` per field parses each line once per field.
    used = list(dict.fromkeys(cols[c] for c in spec.names if c in cols))
    pos = {name: i + 1 for i, name in enumerate(used)}
    select = _select(cols, spec, "n", lambda s: f"__v[{pos[s]}]")
    paths = ", ".join(_lit(name) for name in used)
    source = (
        f"(SELECT n, json_extract_string(j, [{paths}]) AS __v FROM {src} WHERE ok)"
        if used
        else f"(SELECT n FROM {src} WHERE ok)"
    )
    con.execute(f"CREATE TEMP TABLE {STAGE} AS SELECT {select} FROM {source}")
    bad = con.execute(
        f"SELECT n, j FROM {src} WHERE NOT ok AND j IS NOT NULL AND trim(j) <> '' ORDER BY n"
    ).fetchall()
    for n, text in bad:
        malformed.locators.append(f"{path.name}:line {int(n)}")
        malformed.details.append("not a JSON object on this line")
        malformed.records.append(redact(text[:2000]) or "")
    con.execute(f"DROP TABLE IF EXISTS {lines}")
    rows = _count(con) + len(malformed.locators)
    return Loaded(path, "jsonl", rows, malformed)


# A line holds an object when it is valid JSON whose first non-blank character is `{`: one
# parse per line (asking for the JSON type would parse it a second time).
_OBJECT = (
    "coalesce(starts_with(ltrim(j, chr(32) || chr(9) || chr(10) || chr(13)), '{') "
    "AND json_valid(j), false)"
)


def _jsonl_lines_fast(
    con: duckdb.DuckDBPyConnection, path: Path, lines: str, physical: int
) -> bool:
    """Lines read by DuckDB in parallel, kept only if it saw every physical line.

    The table is written in file order, unnumbered: with insertion order kept (asked for
    here, whatever the session says), a row's position is its line's.
    """
    kept = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {lines} AS SELECT j, {_OBJECT} AS ok "
            f"FROM read_csv({_sql_str(path)}, columns = {{'j': 'VARCHAR'}}, header = false, "
            "delim = chr(31), quote = '', escape = '', auto_detect = false, "
            "strict_mode = false, encoding = 'utf-8')"
        )
    except duckdb.Error:
        return False
    finally:
        if kept is not None and not kept[0]:
            con.execute("SET preserve_insertion_order = false")
    row = con.execute(f"SELECT count(*) FROM {lines}").fetchone()
    # Skipped blank lines or a mixed line ending would shift every later line number.
    if row is not None and int(row[0]) == physical:
        return True
    con.execute(f"DROP TABLE IF EXISTS {lines}")
    return False


def _jsonl_lines_exact(con: duckdb.DuckDBPyConnection, path: Path, lines: str) -> Malformed:
    """Lines read one by one: exact line numbers, and a non-UTF-8 line quarantined alone."""
    try:
        texts, raw = _physical_lines(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read as JSON Lines: {exc}") from None
    malformed = Malformed()
    for i, text in enumerate(texts) if None in texts else ():
        if text is None:
            malformed.locators.append(f"{path.name}:line {i + 1}")
            malformed.details.append("line is not valid UTF-8")
            malformed.records.append(redact(raw(i)[:2000]) or "")
    frame = pd.DataFrame({"j": pd.Series(texts, dtype=object)})
    frame["n"] = np.arange(1, len(frame) + 1)
    con.register("_jsonl_src", frame)
    try:
        # Line numbers are taken before blank lines are dropped, so locators stay physical.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {lines} AS SELECT n, CAST(j AS VARCHAR) AS j, "
            f"{_OBJECT} AS ok "
            "FROM _jsonl_src WHERE j IS NOT NULL AND trim(j) <> ''"
        )
    finally:
        con.unregister("_jsonl_src")
    return malformed


def _json_array_to_lines(con: duckdb.DuckDBPyConnection, path: Path, lines: str) -> None:
    """A `.json` file holding one array of objects is read as if each element were a line."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{path}: not readable: JSON nested too deeply") from None
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a JSON array of objects or JSON Lines")
    texts = [_dumps(d) for d in data]
    frame = pd.DataFrame(
        {
            "n": np.arange(1, len(data) + 1),
            "j": [t if t is not None else "(JSON nested too deeply)" for t in texts],
            "ok": [isinstance(d, dict) and t is not None for d, t in zip(data, texts, strict=True)],
        }
    )
    con.register("_json_array", frame)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {lines} AS SELECT * FROM _json_array")
    con.unregister("_json_array")


def _dumps(value: object) -> str | None:
    # A too deeply nested element is marked unparseable so that it is quarantined alone.
    try:
        return json.dumps(value)
    except RecursionError:
        return None


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
    # Rows in memory (a connector's output, an API batch) are renamed by whoever built them:
    # the command line's --map means nothing there.
    hint = f"; send the canonical names ({', '.join(spec.names)})"
    cols = _apply_mapping(path, [c for c in frame.columns if c != "__locator"], spec, {}, hint)
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
