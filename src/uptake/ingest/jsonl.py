"""JSON Lines reader: each line parsed once by DuckDB, every field taken in that one parse.

Fields are read with DuckDB's JSON transform (`read_json`, `from_json`) as text: a string
as it is, a number, boolean or nested value as JSON text, with a number's exponent written
`1e+300` (as Python writes it). Both readers below use the same transform, so a value is
stored the same whichever of them took the file.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from uptake.errors import InputError
from uptake.ingest.redact import redact
from uptake.ingest.staging import (
    LINES,
    STAGE,
    Loaded,
    Malformed,
    Optimistic,
    apply_mapping,
    count_staged,
    drop_stage,
    newline_count,
    physical_lines,
    select_columns,
    sql_lit,
    sql_path,
)
from uptake.schema.tables import Table
from uptake.warehouse.sql import quote_ident

# A line holds an object when it is valid JSON whose first non-blank character is `{`.
_BRACE = "starts_with(ltrim(j, chr(32) || chr(9) || chr(10) || chr(13)), '{')"
_OBJECT = f"coalesce({_BRACE} AND json_valid(j), false)"


def _lines_reader(path: Path) -> str:
    """DuckDB's parallel CSV reader, one VARCHAR per physical line (no quoting, no delimiter)."""
    return (
        f"read_csv({sql_path(path)}, columns = {{'j': 'VARCHAR'}}, header = false, "
        "delim = chr(31), quote = '', escape = '', auto_detect = false, "
        "strict_mode = false, encoding = 'utf-8')"
    )


def _wanted(spec: Table, mapping: dict[str, str]) -> list[str]:
    """Every key a column could come from: the table's names, then the renamed ones."""
    return list(dict.fromkeys([*spec.names, *mapping.values()]))


def _json_reader(path: Path, wanted: list[str]) -> str:
    """DuckDB's JSON reader over a JSON Lines file, every wanted key as a text column."""
    columns = "{" + ", ".join(f"{sql_lit(name)}: 'VARCHAR'" for name in wanted) + "}"
    return (
        f"read_json({sql_path(path)}, columns = {columns}, "
        "format = 'newline_delimited', records = true)"
    )


def load_jsonl(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: Table,
    mapping: dict[str, str],
    *,
    exact: bool = False,
) -> Loaded:
    """Stage a JSON Lines file (or a `.json` array of objects) as a view over its parsed lines.

    Args:
        con: warehouse connection.
        path: input file.
        spec: the canonical table the file feeds.
        mapping: canonical column -> source column renames.
        exact: read every line (else a file that looks clean is staged on trust).

    Returns:
        What was loaded, with every line that is not a JSON object set aside as malformed.
    """
    if not exact and (trusted := _on_trust(con, path, spec, mapping)) is not None:
        return trusted
    # Every name a column could come from is extracted in the one parse each line gets; the
    # keys a file actually uses are read off the extracted values, not parsed out again.
    wanted = _wanted(spec, mapping)
    malformed = Malformed()
    with ThreadPoolExecutor(1) as pool:
        # The lines are counted beside the parse: DuckDB releases the interpreter while it works.
        counted = pool.submit(newline_count, path)
        fast = _objects_fast(con, path, wanted, counted) or _lines_fast(con, path, wanted, counted)
    if fast:
        # The table holds every physical line in file order, so a line's number is its row
        # position: numbering lines while reading them serialises the parallel read. Row
        # ids start from the first one: inside a transaction they start far from zero.
        start = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {LINES}").fetchone()
        src = f"(SELECT rowid + {1 - int(start[0] if start else 0)} AS n, * FROM {LINES})"
    else:
        malformed = _lines_exact(con, path)
        _extract(con, wanted)
        src = LINES
    any_ok = _any_ok(con, src)
    if not any_ok:
        first = con.execute(
            f"SELECT j FROM {src} WHERE j IS NOT NULL ORDER BY n LIMIT 1"
        ).fetchone()
        if first and first[0].lstrip().startswith("[") and _json_array_to_lines(con, path):
            _extract(con, wanted)
            src, fast = LINES, False
            any_ok = _any_ok(con, src)
    # With no parseable object there is no column set to check: every line is malformed.
    cols = _columns(con, path, spec, mapping, wanted, src, fast) if any_ok else {}
    pos = {name: i + 1 for i, name in enumerate(wanted)}
    select = select_columns(cols, spec, "n", lambda s: _field(pos[s]))
    con.execute(f"CREATE TEMP VIEW {STAGE} AS SELECT {select} FROM {src} WHERE ok")
    bad = con.execute(
        f"SELECT n, j FROM {src} WHERE NOT ok AND j IS NOT NULL AND trim(j) <> '' ORDER BY n"
    ).fetchall()
    for n, text in bad:
        malformed.locators.append(f"{path.name}:line {int(n)}")
        malformed.details.append("not a JSON object on this line")
        malformed.records.append(redact(text[:2000]) or "")
    rows = count_staged(con) + len(malformed.locators)
    # Every pass over the view would cast each value again: the checked, typed rows are
    # copied once instead (1 M lines 3.39 s -> 2.87 s).
    return Loaded(path, "jsonl", rows, malformed, copy_typed=True)


def _on_trust(
    con: duckdb.DuckDBPyConnection, path: Path, spec: Table, mapping: dict[str, str]
) -> Loaded | None:
    """The file as a view over DuckDB's JSON reader, to be checked before it is trusted.

    The cheapest reading: one parse, straight into the typed copy. It cannot number lines,
    set a bad one aside or tell an absent key from a null one, so the rows hold only if
    every one passes its checks (a line that is not an object fails the whole read; a
    `null` or `{}` line fails a required check), each renamed key has a value and no JSON
    cell needs rewriting; otherwise the exact readers below take the file (`Optimistic`). A
    file whose first megabyte shows a JSON cell goes to them at once. At 1 M events this is
    2.53 s against 3.62 s before (an unchecked `read_json` load 1.88 s, medians of four).

    Returns:
        The staged view, or None when the exact readers should take the file.
    """
    if not any(c.required for c in spec.columns) or any(c.text for c in spec.columns):
        return None
    wanted = _wanted(spec, mapping)
    cols = apply_mapping(path, wanted, spec, mapping)
    json_cols = [c.name for c in spec.columns if c.type == "json" and c.name in cols]
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 20)
    except OSError:
        return None
    for name in json_cols:
        key = json.dumps(cols[name]).encode()
        if re.search(re.escape(key) + rb"\s*:\s*(?!null\b)", head):
            return None
    select = select_columns(cols, spec, "CAST(NULL AS BIGINT)", quote_ident)
    try:
        con.execute(
            f"CREATE TEMP VIEW {STAGE} AS SELECT {select} FROM {_json_reader(path, wanted)}"
        )
    except duckdb.Error:
        # Keys DuckDB cannot hold as columns (two that differ only in case), and so on.
        return None
    check = Optimistic(
        exact=lambda: load_jsonl(con, path, spec, mapping, exact=True),
        mapped=[c for c in mapping if c in spec.names],
        empty=json_cols,
    )

    def numbered() -> None:
        # Rows that held are all objects, so the exact reader stages the same ones, numbered
        # by line (a repeated key is located by its line).
        drop_stage(con)
        check.exact()

    return Loaded(
        path,
        "jsonl",
        -1,
        Malformed(),
        view=True,
        numbered=numbered,
        copy_typed=True,
        optimistic=check,
    )


def _any_ok(con: duckdb.DuckDBPyConnection, src: str) -> bool:
    row = con.execute(f"SELECT coalesce(bool_or(ok), false) FROM {src}").fetchone()
    return bool(row and row[0])


@contextlib.contextmanager
def _file_order(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Rows written in file order while inside, whatever the session says."""
    kept = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        if kept is not None and not kept[0]:
            con.execute("SET preserve_insertion_order = false")


def _physical(path: Path, counted: Future[int]) -> int:
    """The file's physical line count, counted on a thread."""
    try:
        return counted.result()
    except OSError as exc:
        raise InputError(f"{path}: cannot read as JSON Lines: {exc}") from None


def _field(i: int) -> str:
    """The column holding the i-th wanted key's text (from 1)."""
    return f"__f{i}"


def _fields(wanted: list[str], struct: str) -> str:
    """One column per wanted key, taken by position from a struct of the keys' texts."""
    return ", ".join(
        f"struct_extract_at({struct}, {i + 1}) AS {_field(i + 1)}" for i in range(len(wanted))
    )


def _shape(wanted: list[str]) -> str:
    """The JSON transform's structure: every wanted key as text."""
    return sql_lit(json.dumps(dict.fromkeys(wanted, "VARCHAR")))


def _objects_fast(
    con: duckdb.DuckDBPyConnection, path: Path, wanted: list[str], counted: Future[int]
) -> bool:
    """The wanted keys read by DuckDB's JSON reader, kept only if the line reader agrees.

    `read_json` parses faster than the line reader (1 M lines: 0.5–0.8 s against 0.8–1.3 s)
    but it refuses a whole file for one line that is not an object and skips blank lines.
    Its rows are kept when there is one per physical line (nothing skipped, so a row's
    position is its line) and each gives some wanted key a value (a `null` line gives none,
    as does `{}`, which the line reader tells apart). Otherwise the line reader takes it.
    """
    try:
        with _file_order(con):
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {LINES} AS "
                "SELECT CAST(NULL AS VARCHAR) AS j, true AS ok, "
                + ", ".join(f"#{i + 1} AS {_field(i + 1)}" for i in range(len(wanted)))
                + f" FROM {_json_reader(path, wanted)}"
            )
    except duckdb.Error:
        # Any line that is not an object, or keys DuckDB cannot hold as columns (two that
        # differ only in case), and so on: the line reader copes with each.
        return False
    empty = " AND ".join(f"{_field(i + 1)} IS NULL" for i in range(len(wanted)))
    row = con.execute(f"SELECT count(*), coalesce(bool_or({empty}), false) FROM {LINES}").fetchone()
    if row is not None and not row[1] and int(row[0]) == _physical(path, counted):
        return True
    con.execute(f"DROP TABLE IF EXISTS {LINES}")
    return False


def _lines_fast(
    con: duckdb.DuckDBPyConnection, path: Path, wanted: list[str], counted: Future[int]
) -> bool:
    """Lines read and parsed by DuckDB in parallel, kept only if it saw every physical line.

    One parse per line: `try` turns a line that is not JSON into no fields, and a line that
    parses is an object when it starts with `{`. A line's text is kept only when it is not
    one (it is quarantined). The table is written in file order, unnumbered: with insertion
    order kept, a row's position is its line's. DuckDB's reader refuses bytes that are not
    UTF-8; the exact reader then isolates the line.
    """
    try:
        with _file_order(con):
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {LINES} AS "
                f"SELECT CASE WHEN ok THEN NULL ELSE j END AS j, ok, {_fields(wanted, '__s')} "
                f"FROM (SELECT j, __s, coalesce({_BRACE} AND __s IS NOT NULL, false) AS ok "
                f"FROM (SELECT j, try(from_json(j, {_shape(wanted)})) AS __s "
                f"FROM {_lines_reader(path)}))"
            )
    except duckdb.Error:
        return False
    # A bare carriage return ends a line for DuckDB but not for the line numbers we report.
    row = con.execute(f"SELECT count(*) FROM {LINES}").fetchone()
    if row is not None and int(row[0]) == _physical(path, counted):
        return True
    con.execute(f"DROP TABLE IF EXISTS {LINES}")
    return False


def _lines_exact(con: duckdb.DuckDBPyConnection, path: Path) -> Malformed:
    """Lines read one by one: exact line numbers, and a non-UTF-8 line quarantined alone."""
    try:
        texts, raw = physical_lines(path)
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
            f"CREATE OR REPLACE TEMP TABLE {LINES} AS SELECT n, CAST(j AS VARCHAR) AS j, "
            f"{_OBJECT} AS ok "
            "FROM _jsonl_src WHERE j IS NOT NULL AND trim(j) <> ''"
        )
    finally:
        con.unregister("_jsonl_src")
    return malformed


def _extract(con: duckdb.DuckDBPyConnection, wanted: list[str]) -> None:
    """Fields of the objects among lines read without parsing them (the slower readers)."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {LINES} AS SELECT n, j, ok, {_fields(wanted, '__s')} "
        f"FROM (SELECT n, j, ok, CASE WHEN ok THEN try(from_json(j, {_shape(wanted)})) END "
        f"AS __s FROM {LINES})"
    )


def _columns(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: Table,
    mapping: dict[str, str],
    wanted: list[str],
    src: str,
    fast: bool,
) -> dict[str, str]:
    """Canonical column -> the key it is read from, checked like any file's columns.

    A key counts as used when some object gives it a non-null value. When that check fails
    (a required key missing, or a mapped one) the file's keys are listed exactly, which
    separates a key that is absent from one whose every value is null, and names them in
    the message.
    """
    counts = con.execute(
        "SELECT "
        + ", ".join(f"count({_field(i + 1)})" for i in range(len(wanted)))
        + f" FROM {src} WHERE ok"
    ).fetchone()
    used = [name for name, n in zip(wanted, counts or (), strict=True) if n]
    try:
        return apply_mapping(path, used, spec, mapping)
    except InputError:
        # Only the fast reader dropped the objects' text; it reads the file again. The keys
        # are named in order, so a message does not change with the parallel read's order.
        lines = f"(SELECT j, {_OBJECT} AS ok FROM {_lines_reader(path)})" if fast else src
        keys = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT unnest(json_keys(j)) FROM {lines} WHERE ok ORDER BY 1"
            ).fetchall()
        ]
        return apply_mapping(path, keys, spec, mapping)


def _json_array_to_lines(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """A file holding one JSON array of objects is read as if each element were a line.

    Only a `.json` file is refused when it is not one: in a JSON Lines file no line of which
    is an object, a first line starting with `[` is one more malformed line, and every line
    is quarantined as such (nothing of the file is lost to one refusal).

    Args:
        con: warehouse connection (the lines table is replaced when the array is read).
        path: the file.

    Returns:
        True when the file was read as an array; False when its lines stay as they are.
    """
    why = None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        why = f"not valid JSON: {exc}"
    except RecursionError:
        why = "not readable: JSON nested too deeply"
    else:
        if not isinstance(data, list):
            why = "expected a JSON array of objects or JSON Lines"
    if why is not None:
        if path.suffix.lower() != ".json":
            return False
        raise InputError(f"{path}: {why}")
    texts = [_dumps(d) for d in data]
    frame = pd.DataFrame(
        {
            "n": np.arange(1, len(data) + 1),
            "j": [t if t is not None else "(JSON nested too deeply)" for t in texts],
            "ok": [isinstance(d, dict) and t is not None for d, t in zip(data, texts, strict=True)],
        }
    )
    con.register("_json_array", frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {LINES} AS SELECT * FROM _json_array")
    finally:
        con.unregister("_json_array")
    return True


def _dumps(value: object) -> str | None:
    # A too deeply nested element is marked unparseable so that it is quarantined alone.
    try:
        return json.dumps(value)
    except RecursionError:
        return None
