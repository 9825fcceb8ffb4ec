"""Survey and service-desk exports read through a saved mapping (`--mapping FILE`).

`survey` fills `responses`: each source row (one respondent) gives one row per answered
item listed in the mapping, with `response_id` = `<row id>:<item>` (the row id is the mapped
`response_id` column, else a hash of the whole row, so re-ingesting is idempotent).
`tickets` fills `feedback`: one row per ticket.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from uptake.errors import InputError
from uptake.ingest.connectors.base import ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector, stable_id
from uptake.ingest.connectors.fields import RecordError, json_text, type_name
from uptake.ingest.connectors.loading import load_csv, load_json
from uptake.ingest.connectors.mapping import ExportMapping, Source, load_mapping

TIMESTAMPS = {"ts", "resolved_at"}
# Which column names the person is the mapping's choice; these are the columns survey and
# service-desk tools name people in (further names are caught by their look, e.g. `…Email`).
IDENTIFIERS = frozenset(
    {"RecipientEmail", "RecipientFirstName", "RecipientLastName", "ExternalReference",
     "IPAddress", "Email Address", "Reporter", "Assignee", "Creator", "caller_id.email"}
)  # fmt: skip


def read_survey(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read a survey export through a mapping onto `responses`.

    Args:
        path: CSV or JSON export.
        options: `mapping` — the mapping file or the name of a shipped example.

    Returns:
        responses.
    """
    return _read(path, options, "responses")


def read_tickets(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read a service-desk export through a mapping onto `feedback`.

    Args:
        path: CSV or JSON export.
        options: `mapping` — the mapping file or the name of a shipped example.

    Returns:
        feedback.
    """
    return _read(path, options, "feedback")


def _read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None, table: str
) -> ConnectorResult:
    opts = ConnectorOptions.coerce(options)
    mapping = load_mapping(opts.mapping, table)
    fmt = mapping.source.format or ("csv" if path.suffix.lower() == ".csv" else "json")
    col = Collector(table)
    records = (
        _csv_records(path, mapping, col) if fmt == "csv" else _json_records(path, mapping, col)
    )
    handle = _response if table == "responses" else _ticket
    col.each(records, lambda loc, rec: handle(col, loc, rec, mapping))
    return col.result()


def _csv_records(path: Path, mapping: ExportMapping, col: Collector) -> list[tuple[str, Any]]:
    data = load_csv(path)
    missing = [c for c in mapping.source_columns() if c not in data.header]
    if missing:
        shown = ", ".join(repr(h) for h in data.header[:30])
        raise InputError(
            f"{path}: line 1: column(s) {', '.join(map(repr, missing))} named by the mapping are "
            f"not in the header; the header has: {shown}",
            hint="check the export settings or edit the mapping's [columns]/[items]",
        )
    for loc, cells, problem in data.malformed:
        col.source_rows += 1
        col.reject(loc, "malformed_record", None, problem, cells)
    return [(r.locator, r.record) for r in data.rows[mapping.source.skip_rows :]]


def _json_records(path: Path, mapping: ExportMapping, col: Collector) -> list[tuple[str, Any]]:
    data = load_json(path)
    if data.is_ndjson:
        return list(col.lines(data))
    doc: Any = data.document
    where = mapping.source.records_path
    for part in (where or "").split(".") if where else []:
        if not isinstance(doc, dict) or part not in doc:
            raise InputError(f"{path}: records_path {where!r}: no field {part!r} in the document")
        doc = doc[part]
    if isinstance(doc, dict) and where is None:
        doc = [doc]
    if not isinstance(doc, list):
        raise InputError(
            f"{path}: expected an array of records"
            f"{f' at {where!r}' if where else ''}, got {type_name(doc)}"
        )
    return [(f"{path.name}:record {i}", r) for i, r in enumerate(doc, start=1)]


def _lookup(rec: Mapping[str, Any], name: str) -> Any:
    """A field by exact name, else by dotted path into nested objects."""
    if name in rec:
        return rec[name]
    node: Any = rec
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise RecordError("bad_type", field, f"expected a single value, got {type_name(value)}")
    text = str(value).strip()
    return text or None


def _value(rec: Mapping[str, Any], mapping: ExportMapping, column: str) -> Any:
    """A canonical column's value: mapped source column(s), value map, else constant."""
    spec = mapping.columns.get(column)
    if spec is None:
        value = mapping.constants.get(column)
        return None if value is None else str(value) if not isinstance(value, float) else value
    names = [spec] if isinstance(spec, str) else spec
    parts = [t for n in names if (t := _text(_lookup(rec, n), n)) is not None]
    if not parts:
        value = None
    elif column == "text":
        value = "\n\n".join(parts)
    else:
        value = parts[0]
    table = mapping.values.get(column)
    if table and value is not None:
        value = table.get(value, table.get(value.lower(), value))
    if value is None and column in mapping.constants:
        value = str(mapping.constants[column])
    if value is not None and column in TIMESTAMPS:
        return _timestamp(value, names[0], mapping.source)
    return value


def _timestamp(text: str, field: str, source: Source) -> str:
    """ISO 8601 text for a vendor timestamp; a naive one gets the mapping's zone if it has one."""
    ts: datetime | None
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        ts = None
    for fmt in source.timestamp_formats if ts is None else []:
        try:
            ts = datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    if ts is None:
        formats = ", ".join(["ISO 8601", *source.timestamp_formats])
        raise RecordError("bad_timestamp", field, f"expected {formats}; got {text!r:.40}")
    if ts.tzinfo is None and source.timezone:
        ts = ts.replace(tzinfo=ZoneInfo(source.timezone))
    return ts.isoformat()


def _required(value: Any, column: str, mapping: ExportMapping) -> Any:
    if value is None:
        spec = mapping.columns.get(column, column)
        name = spec if isinstance(spec, str) else " + ".join(spec)
        raise RecordError("missing_required", name, f"empty, and {column} is required")
    return value


def _ticket(col: Collector, loc: str, rec: Any, mapping: ExportMapping) -> None:
    if not isinstance(rec, dict):
        raise RecordError("bad_type", None, f"expected a record object, got {type_name(rec)}")
    row = {c: _value(rec, mapping, c) for c in ("person", "category", "status", "resolved_at")}
    for c in ("feedback_id", "ts", "channel", "text"):
        row[c] = _required(_value(rec, mapping, c), c, mapping)
    col.add("feedback", loc, **row)


def _score(raw: str, item: str, column: str, scale: Mapping[str, float]) -> float:
    if scale:
        for label, number in scale.items():
            if label.strip().lower() == raw.lower():
                return float(number)
    try:
        number = float(raw)
        if not math.isfinite(number):
            raise ValueError(raw)
        return number
    except ValueError:
        known = f" or one of {list(scale)}" if scale else ""
        raise RecordError(
            "bad_type", column, f"item {item}: expected a number{known}, got {raw!r:.40}"
        ) from None


def _response(col: Collector, loc: str, rec: Any, mapping: ExportMapping) -> None:
    if not isinstance(rec, dict):
        raise RecordError("bad_type", None, f"expected a record object, got {type_name(rec)}")
    ts = _required(_value(rec, mapping, "ts"), "ts", mapping)
    instrument = _required(_value(rec, mapping, "instrument"), "instrument", mapping)
    person = _value(rec, mapping, "person")
    row_id = _value(rec, mapping, "response_id") or stable_id("resp", instrument, json_text(rec))
    segment = {name: _text(_lookup(rec, c), c) for name, c in mapping.segment.items()}
    segment_text = json_text(segment) if any(v is not None for v in segment.values()) else None
    answers: list[tuple[str, float | None, str | None]] = []
    for item, spec in mapping.items.items():
        raw = _text(_lookup(rec, spec.column), spec.column)
        if raw is None:
            continue
        if spec.kind == "score":
            answers.append((item, _score(raw, item, spec.column, spec.scale), None))
        else:
            answers.append((item, None, raw))
    if not answers:
        raise RecordError("missing_required", "items", "the respondent answered none of the items")
    for item, score, text in answers:
        col.add(
            "responses",
            loc,
            response_id=f"{row_id}:{item}",
            ts=ts,
            instrument=instrument,
            item=item,
            person=person,
            score=score,
            text=text,
            segment=segment_text,
        )
