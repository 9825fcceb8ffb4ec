"""`--dirty`: plant known bad rows of every ingest failure kind and record where they are.

Each planted row has exactly one problem, so its expected quarantine reason is unambiguous:
`missing_required`, `bad_type`, `bad_timestamp`, `bad_date`, `future_timestamp`, `bad_enum`,
`bad_json`, `malformed_record` or `conflict` (an id reused with different content; the
later row is the bad one). Exact copies of earlier rows are planted too, expected as
`duplicate` (counted, not quarantined). Bad rows get fresh ids so they cannot be mistaken
for conflicts. Parquet's typed columns cannot hold a wrong type, an unparseable timestamp or
a broken record, so those kinds go to the CSV files (with `--format csv`) and to the JSON
Lines side file `events_late.jsonl`, which is written in both formats and also carries valid
late events.

Locators follow the ingest readers: `<file>:row N` (Parquet, 1-based), `<file>:line N`
(CSV, the header is line 1; JSON Lines, 1-based).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from uptake.schema.tables import TABLES
from uptake.simulate.output import hex_ids

Spec = tuple[str, str | None]
# Kinds Parquet can hold, per table: (expected reason, field).
_PARQUET: dict[str, list[Spec]] = {
    "events": [
        ("missing_required", "person"),
        ("missing_required", "ts"),
        ("bad_enum", "action"),
        ("future_timestamp", "ts"),
        ("bad_json", "attrs"),
        ("conflict", "surface"),
        ("duplicate", None),
        ("duplicate", None),
        ("duplicate", None),
    ],
    "tasks": [
        ("missing_required", "workflow"),
        ("bad_enum", "status"),
        ("future_timestamp", "started_at"),
        ("conflict", "minutes"),
        ("duplicate", None),
        ("duplicate", None),
    ],
    "decisions": [("missing_required", "followed"), ("conflict", "followed"), ("duplicate", None)],
    "responses": [
        ("missing_required", "item"),
        ("bad_json", "segment"),
        ("future_timestamp", "ts"),
        ("conflict", "score"),
        ("duplicate", None),
    ],
    "feedback": [
        ("missing_required", "text"),
        ("missing_required", "channel"),
        ("future_timestamp", "ts"),
        ("conflict", "text"),
        ("duplicate", None),
    ],
    "help_edges": [("missing_required", "helper"), ("future_timestamp", "ts"), ("duplicate", None)],
    "interventions": [
        ("bad_enum", "arm"),
        ("bad_enum", "status"),
        ("missing_required", "kind"),
        ("duplicate", None),
    ],
    "people": [
        ("bad_enum", "employment_status"),
        ("bad_json", "attrs"),
        ("missing_required", "person"),
    ],
    "licenses": [("missing_required", "tool"), ("future_timestamp", "assigned_at")],
    "workflows": [("bad_enum", "stakes")],
}
# Kinds only a text format can hold.
_TEXT_ONLY: dict[str, list[Spec]] = {
    "events": [("bad_type", "duration_ms"), ("bad_timestamp", "ts"), ("malformed_record", None)],
    "tasks": [
        ("bad_type", "ai_assisted"),
        ("bad_type", "minutes"),
        ("bad_timestamp", "started_at"),
        ("malformed_record", None),
    ],
    "decisions": [("bad_type", "outcome"), ("bad_timestamp", "ts")],
    "responses": [("bad_type", "score"), ("malformed_record", None)],
    "feedback": [("bad_timestamp", "resolved_at"), ("malformed_record", None)],
    "help_edges": [("bad_timestamp", "ts")],
    "interventions": [("malformed_record", None)],
    "people": [("bad_date", "hire_date")],
    "licenses": [("bad_type", "monthly_cost")],
    "workflows": [("bad_type", "baseline_minutes")],
}
_ID = {
    "events": "event_id",
    "tasks": "task_id",
    "decisions": "decision_id",
    "responses": "response_id",
    "feedback": "feedback_id",
    "interventions": "intervention_id",
    "people": "person",
    "workflows": "workflow",
}
_BAD_ENUM = {
    "action": "thumbs_up",
    "status": "paused",
    "arm": "control",
    "employment_status": "retired",
    "stakes": "medium",
}
_BAD_TYPE = {
    "duration_ms": "fast",
    "ai_assisted": "maybe",
    "minutes": "twelve",
    "outcome": "high",
    "score": "ten",
    "monthly_cost": "thirty",
    "baseline_minutes": "ninety",
}
_BAD_TS = (
    "2026-13-45T25:61:00Z",
    "31/02/2026 25:61",
    "yesterday afternoon",
    "2026-02-30T09:00:00Z",
)
_BAD_DATE = ("2019-02-30", "31/02/2019", "last spring")
_FUTURE = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)


class Dirt:
    """Plants bad rows into the first chunk of each table and records them."""

    def __init__(self, seed: int, fmt: str) -> None:
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, 9]))
        self.fmt = fmt
        self.records: list[dict[str, object]] = []
        self._fresh = 0
        self.sample: list[dict[str, object]] = []

    def _fresh_id(self, table: str, old: object) -> object:
        self._fresh += 1
        if table == "people":
            return f"new.joiner{self._fresh}@meridian-group.example"
        if table == "workflows":
            return f"misc.workflow_{self._fresh}"
        prefix = str(old)[:4] if isinstance(old, str) and "_" in str(old)[:4] else "bad_"
        return hex_ids(prefix, self._fresh, 1, 0x5EED)[0].as_py()

    def specs(self, table: str) -> list[Spec]:
        """What to plant in a table's main file for this format."""
        out = list(_PARQUET.get(table, []))
        if self.fmt == "csv":
            out += _TEXT_ONLY.get(table, [])
        return out

    def _plan(
        self, table: str, n_rows: int, has: Callable[[int, str], bool]
    ) -> list[tuple[Spec, int, int]]:
        """(spec, source row, insert-before position) per planted row.

        A conflict needs a source row whose field has a value to change; `has` tells.
        """
        plan = []
        for spec in self.specs(table):
            src = int(self.rng.integers(0, max(1, n_rows // 2)))
            if spec[0] == "conflict" and spec[1] is not None:
                field = spec[1]
                src = next((k for k in range(src, n_rows - 1) if has(k, field)), src)
            if spec[0] in ("conflict", "duplicate"):
                pos = int(self.rng.integers(src + 1, n_rows + 1))
            else:
                pos = int(self.rng.integers(0, n_rows + 1))
            plan.append((spec, src, pos))
        return plan

    def _record(
        self, table: str, file: str, locator: str, row: int, spec: Spec, detail: str
    ) -> None:
        self.records.append(
            {
                "table": table,
                "file": file,
                "locator": locator,
                "row": row,
                "expected": spec[0],
                "field": spec[1],
                "detail": detail,
            }
        )

    def planter(self, table: str) -> object:
        """A callable for `TableWriter.write` that plants this table's bad rows."""

        def plant(file: str, data: object, offset: int) -> object:
            if isinstance(data, pa.Table):
                return self._plant_parquet(table, file, data, offset)
            return self._plant_csv(table, file, data, offset)  # type: ignore[arg-type]

        return plant

    def _broken(
        self, table: str, row: dict[str, object], spec: Spec
    ) -> tuple[dict[str, object], str]:
        kind, field = spec
        new = dict(row)
        if kind not in ("conflict", "duplicate"):
            key = _ID.get(table)
            if key and key != field:
                new[key] = self._fresh_id(table, row[key])
            elif table in ("licenses", "help_edges"):
                tcol = "assigned_at" if table == "licenses" else "ts"
                when = row[tcol]
                if field != tcol and isinstance(when, datetime):
                    new[tcol] = when.replace(microsecond=(when.microsecond + 7000) % 1_000_000)
        if kind == "missing_required":
            new[field] = None  # type: ignore[index]
            return new, f"{field} is empty"
        if kind == "future_timestamp":
            new[field] = _FUTURE  # type: ignore[index]
            return new, f"{field} set to {_FUTURE.isoformat()}"
        if kind == "bad_enum":
            new[field] = _BAD_ENUM[field]  # type: ignore[index]
            return new, f"{field} = {_BAD_ENUM[field]!r}"  # type: ignore[index]
        if kind == "bad_json":
            new[field] = '{"model": "gpt-4o", "tokens": '  # type: ignore[index]
            return new, f"{field} holds truncated JSON"
        if kind == "conflict":
            new[field] = _conflicting(row[field])  # type: ignore[index]
            return new, f"same id as an earlier row, {field} differs"
        return new, "exact copy of an earlier row"

    def _plant_parquet(self, table: str, file: str, t: pa.Table, offset: int) -> pa.Table:
        n = t.num_rows
        if n < 2:
            return t
        plan = self._plan(table, n, lambda k, f: t.column(f)[k].is_valid)
        bad, details = [], []
        for spec, src, _ in plan:
            row = t.slice(src, 1).to_pylist()[0]
            new, detail = self._broken(table, row, spec)
            bad.append(new)
            details.append(detail)
        if table == "events":
            picks = self.rng.choice(n, size=min(40, n), replace=False)
            self.sample = [t.slice(int(k), 1).to_pylist()[0] for k in np.sort(picks)]
        bad_t = pa.Table.from_pylist(bad, schema=t.schema)
        positions = np.array([p[2] for p in plan], dtype=np.int64)
        order = np.insert(np.arange(n), positions, n + np.arange(len(plan)))
        where = np.empty(len(order), dtype=np.int64)
        where[order] = np.arange(len(order))
        for j, (spec, _, _) in enumerate(plan):
            row = offset + int(where[n + j]) + 1
            self._record(table, file, f"{file}:row {row}", row, spec, details[j])
        return pa.concat_tables([t, bad_t]).take(pa.array(order))

    def _plant_csv(self, table: str, file: str, lines: list[bytes], offset: int) -> list[bytes]:
        n = len(lines)
        if n < 2:
            return lines
        names = TABLES[table].names

        def has(k: int, f: str) -> bool:
            return next(csv.reader([lines[k].decode()]))[names.index(f)] != ""

        plan = self._plan(table, n, has)
        if table == "events":
            picks = np.sort(self.rng.choice(n, size=min(40, n), replace=False))
            self.sample = [
                {
                    k: (v if v != "" else None)
                    for k, v in zip(names, next(csv.reader([lines[int(i)].decode()])), strict=True)
                }
                for i in picks
            ]
        bad, details = [], []
        for spec, src, _ in plan:
            fields = next(csv.reader([lines[src].decode()]))
            row: dict[str, object] = dict(zip(names, fields, strict=True))
            kind, field = spec
            if kind == "malformed_record":
                bad.append(lines[src] + b',"unexpected","extra fields"')
                details.append("two more fields than the header")
                continue
            if kind in ("bad_type", "bad_timestamp", "bad_date"):
                assert field is not None
                new, _ = self._broken(table, row, ("missing_required", field))
                choices = {"bad_timestamp": _BAD_TS, "bad_date": _BAD_DATE}.get(kind)
                value = (
                    _BAD_TYPE[field]
                    if choices is None
                    else choices[int(self.rng.integers(len(choices)))]
                )
                new[field] = value  # type: ignore[index]
                detail = f"{field} = {value!r}"
            else:
                new, detail = self._broken(table, row, spec)
                if kind == "future_timestamp":
                    new[field] = "2031-03-04T10:00:00Z"  # type: ignore[index]
            bad.append(_csv_line([new[c] for c in names]))
            details.append(detail)
        positions = np.array([p[2] for p in plan], dtype=np.int64)
        order = np.insert(np.arange(n), positions, n + np.arange(len(plan)))
        where = np.empty(len(order), dtype=np.int64)
        where[order] = np.arange(len(order))
        for j, (spec, _, _) in enumerate(plan):
            line = offset + int(where[n + j]) + 2
            self._record(table, file, f"{file}:line {line}", line, spec, details[j])
        allrows = lines + bad
        return [allrows[k] for k in order]

    def write_sidecar(self, out: Path) -> str | None:
        """Write `events_late.jsonl`: valid late events, re-delivered duplicates and bad lines."""
        if len(self.sample) < 40:
            return None
        file = "events_late.jsonl"
        sample = self.sample
        entries: list[tuple[str, dict[str, object] | None]] = []
        for k, row in enumerate(sample[:25]):
            new = dict(row)
            new["event_id"] = self._fresh_id("events", row["event_id"])
            new["action"] = "prompt"
            new["value"], new["duration_ms"], new["attrs"] = None, None, None
            entries.append((_json_line(new), None))
            if k % 5 == 4:
                rec = self._entry(file, ("duplicate", None), "re-delivered copy of an earlier row")
                entries.append((_json_line(sample[25 + k // 5]), rec))
        bad_specs: list[Spec] = [
            ("bad_type", "duration_ms"),
            ("bad_timestamp", "ts"),
            ("missing_required", "event_id"),
            ("future_timestamp", "ts"),
            ("bad_enum", "action"),
            ("malformed_record", None),
        ]
        for j, (kind, field) in enumerate(bad_specs):
            row = dict(sample[30 + j])
            row["event_id"] = self._fresh_id("events", row["event_id"])
            if kind == "malformed_record":
                text = _json_line(row)[: 40 + j]
                detail = "line cut off in the middle of a JSON object"
            else:
                assert field is not None
                row[field] = {
                    "bad_type": _BAD_TYPE.get(field),
                    "bad_timestamp": _BAD_TS[0],
                    "missing_required": None,
                    "future_timestamp": _FUTURE,
                    "bad_enum": _BAD_ENUM.get(field),
                }[kind]
                text = _json_line(row)
                detail = f"{field} = {_json_value(row[field])!r}"
            pos = int(self.rng.integers(0, len(entries) + 1))
            entries.insert(pos, (text, self._entry(file, (kind, field), detail)))
        for k, (_, entry) in enumerate(entries, start=1):
            if entry is not None:
                entry["row"], entry["locator"] = k, f"{file}:line {k}"
                self.records.append(entry)
        (out / file).write_text("\n".join(t for t, _ in entries) + "\n", encoding="utf-8")
        return file

    def _entry(self, file: str, spec: Spec, detail: str) -> dict[str, object]:
        return {
            "table": "events",
            "file": file,
            "locator": "",
            "row": -1,
            "expected": spec[0],
            "field": spec[1],
            "detail": detail,
        }

    def frame(self) -> pd.DataFrame:
        """The planted rows as the `ground_truth_dirty` table."""
        cols = ["table", "file", "locator", "row", "expected", "field", "detail"]
        return pd.DataFrame([{c: r.get(c) for c in cols} for r in self.records], columns=cols)


def _conflicting(value: object) -> object:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return float(value) + 7.5
    if value in ("word", "excel", "outlook", "teams", "vscode", "github"):
        return "powerpoint" if value != "powerpoint" else "word"
    if value in ("true", "false"):
        return "false" if value == "true" else "true"
    if isinstance(value, str):
        try:
            return str(float(value) + 7.5)
        except ValueError:
            return value + " (edited)"
    return "changed"


def _csv_line(values: list[object]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(["" if v is None else v for v in values])
    return buf.getvalue().encode()


def _json_value(v: object) -> object:
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"
    return v


def _json_line(row: dict[str, object]) -> str:
    return json.dumps({k: _json_value(v) for k, v in row.items()})
