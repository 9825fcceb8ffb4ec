"""Reading a vendor file into located records: one JSON document, NDJSON, or CSV rows."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uptake.errors import InputError

# Vendor CSVs are occasionally huge single cells (descriptions); the csv default is 128 KiB.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class Located:
    """One source record and where it came from."""

    locator: str
    record: Any


def read_text(path: Path) -> str:
    """The file's text, UTF-8 with or without a byte-order mark.

    Args:
        path: the file.

    Returns:
        The decoded text.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path}: line {line}: byte {exc.start} is not UTF-8; expected a UTF-8 text export",
            hint="re-export the file as UTF-8 (CSV UTF-8 in spreadsheet tools)",
        ) from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty; expected a {_kind(path)} export")
    return text


def _kind(path: Path) -> str:
    return "CSV" if path.suffix.lower() in (".csv", ".tsv") else "JSON"


def _reject_constant(name: str) -> Any:
    # NaN/Infinity are not JSON; letting them through would put non-numbers into counts.
    raise ValueError(f"{name} is not valid JSON")


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_reject_constant)


@dataclass(frozen=True)
class JsonInput:
    """A JSON file as read: either one document, or NDJSON lines (some possibly unparsable)."""

    document: Any
    lines: list[Located] | None
    bad_lines: list[tuple[str, str, str]]

    @property
    def is_ndjson(self) -> bool:
        return self.lines is not None


def load_json(path: Path) -> JsonInput:
    """Parse a JSON document, or NDJSON when the file is one JSON object per line.

    A document that does not parse raises InputError naming line and column; in NDJSON, a
    line that does not parse is returned in `bad_lines` (locator, excerpt, error) so the
    caller can quarantine just that record.

    Args:
        path: the file.

    Returns:
        The parsed input.
    """
    text = read_text(path)
    try:
        return JsonInput(_loads(text), None, [])
    except ValueError as exc:
        doc_error = exc
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    try:
        first_value = _loads(first)
    except ValueError:
        first_value = None
    if not isinstance(first_value, dict):
        raise InputError(f"{path}: {_json_problem(doc_error)}") from None
    lines: list[Located] = []
    bad: list[tuple[str, str, str]] = []
    for no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        loc = f"{path.name}:line {no}"
        try:
            lines.append(Located(loc, _loads(line)))
        except ValueError as exc:
            bad.append((loc, line[:2000], _json_problem(exc)))
    return JsonInput(None, lines, bad)


def _json_problem(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return (
            f"line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg}); "
            "expected a complete JSON document (is the file truncated?)"
        )
    return f"not valid JSON ({exc}); expected a complete JSON document"


@dataclass(frozen=True)
class CsvInput:
    """A CSV file: its header and its rows, each with its line locator."""

    header: list[str]
    rows: list[Located]
    malformed: list[tuple[str, list[str], str]]


def load_csv(path: Path) -> CsvInput:
    """Read a CSV export by header name; rows whose cell count differs are set apart.

    Duplicate header names (Jira repeats `Labels`, `Watchers`, …) keep the first non-empty
    value so no cell is silently overwritten by an empty one.

    Args:
        path: the file.

    Returns:
        The header, dict rows (header → cell text) and malformed rows.
    """
    text = read_text(path)
    stream = io.StringIO(text, newline="")
    # strict: a file cut inside a quoted cell is an error, not a shortened value.
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise InputError(f"{path}: line 1: cannot read the CSV header ({exc})") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise InputError(f"{path}: line 1: the CSV header is empty")
    rows: list[Located] = []
    malformed: list[tuple[str, list[str], str]] = []
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            malformed.append((f"{path.name}:line {line}", [], f"unreadable CSV ({exc})"))
            line = reader.line_num + 1
            continue
        loc = f"{path.name}:line {line}"
        line = reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            malformed.append(
                (loc, cells, f"{len(cells)} cells, the header has {len(header)} columns")
            )
            continue
        row: dict[str, str] = {}
        for name, cell in zip(header, cells, strict=True):
            if name not in row or (not row[name].strip() and cell.strip()):
                row[name] = cell
        rows.append(Located(loc, row))
    return CsvInput(header, rows, malformed)
