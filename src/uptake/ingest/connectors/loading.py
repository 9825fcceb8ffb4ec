"""Reading a vendor file into located records: one JSON document, NDJSON, or CSV rows."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
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
        raise _unreadable(path, exc) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, data[: exc.start].count(b"\n") + 1, exc.start) from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty; expected a {_kind(path)} export")
    return text


def _unreadable(path: Path, exc: OSError) -> InputError:
    return InputError(f"{path}: cannot read the file ({exc.strerror or exc})")


def _not_utf8(path: Path, line: int, byte: int) -> InputError:
    return InputError(
        f"{path}: line {line}: byte {byte} is not UTF-8; expected a UTF-8 text export",
        hint="re-export the file as UTF-8 (CSV UTF-8 in spreadsheet tools)",
    )


def _kind(path: Path) -> str:
    return "CSV" if path.suffix.lower() in (".csv", ".tsv") else "JSON"


def _reject_constant(name: str) -> Any:
    # NaN/Infinity are not JSON; letting them through would put non-numbers into counts.
    raise ValueError(f"{name} is not valid JSON")


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_reject_constant)


@dataclass(frozen=True)
class BadLine:
    """An NDJSON line that is not a JSON value: where, an excerpt, and what is wrong."""

    locator: str
    excerpt: str
    problem: str


class NdjsonLines:
    """The lines of an NDJSON file, each parsed only when the iteration reaches it.

    A vendor report of many records (GitHub's users-28-day report has one per user and day)
    is never held whole: neither its text nor its parsed records, only the record in hand.
    Lines are split at line feeds alone, as JSON text never holds a raw one, so a U+2028 in
    a string stays inside its record. A byte that is not UTF-8 refuses the whole file, as
    when the file is read at once; nothing read before it is kept.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[Located | BadLine]:
        name, offset = self.path.name, 0
        try:
            fh = self.path.open("rb")
        except OSError as exc:
            raise _unreadable(self.path, exc) from None
        with fh:
            for no, raw in enumerate(fh, start=1):
                skip = len(_BOM) if no == 1 and raw.startswith(_BOM) else 0
                try:
                    line = raw[skip:].decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise _not_utf8(self.path, no, offset + skip + exc.start) from None
                offset += len(raw)
                if not line.strip():
                    continue
                loc = f"{name}:line {no}"
                try:
                    yield Located(loc, _loads(line))
                except ValueError as exc:
                    yield BadLine(loc, line.rstrip("\r\n")[:2000], _json_problem(exc))


_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class JsonInput:
    """A JSON file as read: either one document, or NDJSON lines read as they are iterated."""

    document: Any
    lines: NdjsonLines | None

    @property
    def is_ndjson(self) -> bool:
        return self.lines is not None


def load_json(path: Path) -> JsonInput:
    """Parse a JSON document, or NDJSON when the file is one JSON object per line.

    A document that does not parse raises InputError naming line and column. NDJSON is not
    parsed here: its lines are parsed as they are iterated, and a line that does not parse
    comes as a `BadLine`, so the caller can quarantine just that record.

    Args:
        path: the file.

    Returns:
        The parsed document, or the NDJSON lines to iterate.
    """
    first, more = _first_lines(path)
    parsed, first_value = False, None
    if first is not None:
        with contextlib.suppress(ValueError):
            parsed, first_value = True, _loads(first)
    if parsed and not more:
        # The file is that one line (a whole document written on one line, as some APIs
        # answer): parsing it again whole would double the work.
        return JsonInput(first_value, None)
    # A first line that is a whole object with more lines after it cannot begin a document
    # (the document would end with that line): the file is NDJSON.
    if isinstance(first_value, dict):
        return JsonInput(None, NdjsonLines(path))
    text = read_text(path)
    try:
        return JsonInput(_loads(text), None)
    except ValueError as exc:
        raise InputError(f"{path}: {_json_problem(exc)}") from None


def _first_lines(path: Path) -> tuple[str | None, bool]:
    """The file's first non-blank line, and whether another non-blank line follows it.

    Returns:
        (None, False) when the first non-blank line is not UTF-8, or there is none (the
        whole read then says why).
    """
    first: str | None = None
    try:
        with path.open("rb") as fh:
            for no, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                if first is not None:
                    return first, True
                try:
                    first = (raw[len(_BOM) :] if no == 1 and raw.startswith(_BOM) else raw).decode(
                        "utf-8"
                    )
                except UnicodeDecodeError:
                    return None, False
    except OSError:
        return None, False
    return first, False


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
