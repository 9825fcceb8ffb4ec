"""OpenAI Codex analytics usage rows: threads and turns per person and day, credits and tokens.

Reads the response of `GET /v1/analytics/codex/workspaces/{id}/usage` (`{"object": "list",
"data": [row…], "has_more", "last_id"}`), a JSON array of such pages or of rows, or NDJSON.
OpenAI publishes the endpoint but no row layout: the field names used here (`date`, `user_id`,
`email`, `is_active`, `total_threads`, `total_turns`, `total_credits`, token counts) come from
secondary sources, so every field is optional and unknown numbers are kept as facts.

A row naming a person (e-mail, else user id) becomes daily-grain `events` — threads →
`session_start`, turns → `prompt` — and `person_facts` (credits, tokens, every other number).
A row without a person (the response grouped by day or week) becomes `aggregate_facts`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.connectors.aggregates import add_fact, numeric
from uptake.ingest.connectors.base import Connector, ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector, stable_id
from uptake.ingest.connectors.fields import (
    RecordError,
    day_start,
    json_text,
    opt_bool,
    opt_number,
    opt_str,
    parse_day,
    price_param,
    type_name,
)
from uptake.ingest.connectors.loading import load_json
from uptake.ingest.connectors.privacy import allowed, looks_identifying

SOURCE = "codex"
TOOL = "codex"

# Row counter → (feature, action): a thread is a Codex session, a turn one request in it.
COUNTERS: dict[str, tuple[str, str]] = {
    "total_threads": ("thread", "session_start"),
    "total_turns": ("turn", "prompt"),
}
# Facts whose vendor name is renamed; every other number keeps its own name.
RENAMED = {"total_credits": "credits"}
META = frozenset({"object", "date", "period", "group_by", "workspace_id", "id"})
IDENTIFIERS = frozenset({"email", "user_id", "user_email", "user_name", "name", "public_id"})
# Unknown non-numeric fields kept in attrs; any other unknown field is dropped (and named).
KEEP = frozenset({"plan", "surface", "client", "model", "role"})
GROUPS = ("day", "week")
_MAX = 1e15
_EPOCH_S = (946_684_800, 4_102_444_800)  # 2000-01-01 .. 2100-01-01 in epoch seconds


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read Codex analytics usage rows (per user, or grouped by day or week).

    Args:
        path: the usage response (JSON), a JSON array of pages or rows, or NDJSON.
        options: `scope` labels aggregate facts (default `workspace:<id>` from the row, else
            `workspace`); `group_by` (day or week) says what a row without a user covers;
            `credit_price` (USD per credit) converts credits into `cost`.

    Returns:
        events, person_facts and aggregate_facts.
    """
    opts = ConnectorOptions.coerce(options)
    group_by = opts.param("group_by", "day") or "day"
    if group_by not in GROUPS:
        raise InputError(
            f"{path}: option group_by: expected day or week, got {group_by!r}",
            hint="nothing was ingested",
        )
    price = price_param(opts.param("credit_price"), "credit_price")
    data = load_json(path)
    col = Collector("events", "person_facts", "aggregate_facts")
    if data.is_ndjson:
        items: list[tuple[str, Any]] = []
        for loc, rec in col.lines(data):
            items += _expand(loc, rec)
    elif isinstance(data.document, dict):
        if "error" in data.document and "data" not in data.document:
            raise InputError(
                f"{path}: this is an OpenAI API error response, not usage rows: "
                f"{str(data.document['error'])[:120]}",
                hint="fix the request (admin key, workspace id) and fetch again",
            )
        items = _expand(path.name, data.document)
    elif isinstance(data.document, list):
        items = []
        for i, item in enumerate(data.document, start=1):
            page = isinstance(item, dict) and isinstance(item.get("data"), list)
            items += _expand(f"{path.name}:{'page' if page else 'record'} {i}", item)
    else:
        raise InputError(
            f"{path}: expected the Codex usage response {{object: list, data: [...]}}, "
            f"an array or NDJSON of rows, got {type_name(data.document)}"
        )
    reader = _Rows(col, opts.param("scope"), group_by, price)
    col.each(items, reader.row)
    reader.finish()
    return col.result()


def _expand(where: str, item: Any) -> list[tuple[str, Any]]:
    """A list response becomes its located rows; anything else is one row."""
    if isinstance(item, dict) and isinstance(item.get("data"), list):
        return [(f"{where}:row {i}", r) for i, r in enumerate(item["data"], start=1)]
    return [(where, item)]


def _day(value: Any) -> date:
    """`date`: YYYY-MM-DD (or an ISO timestamp), or Unix seconds as OpenAI APIs send them."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not _EPOCH_S[0] <= value < _EPOCH_S[1]:
            raise RecordError(
                "bad_timestamp", "date", f"expected a date or Unix seconds, got {value!r:.30}"
            )
        return datetime.fromtimestamp(value, tz=UTC).date()
    if isinstance(value, str) and re.fullmatch(r"\d{9,10}", value.strip()):
        return _day(int(value))
    return parse_day(value, "date")


def _number(rec: Mapping[str, Any], key: str) -> float:
    value = opt_number(rec, key) or 0.0
    if abs(value) > _MAX:
        raise RecordError("bad_type", key, f"expected a number below 1e15, got {value:g}")
    if key in COUNTERS and (value < 0 or value != int(value)):
        raise RecordError("bad_type", key, f"expected a whole count ≥ 0, got {value:g}")
    return value


@dataclass
class _Rows:
    """Rows of one file; person-less rows are summed per day and emitted at the end."""

    col: Collector
    scope: str | None
    group_by: str
    price: float | None

    def __post_init__(self) -> None:
        self.groups: dict[tuple[date, str, str], tuple[str, dict[str, float]]] = {}

    def row(self, loc: str, rec: Any) -> None:
        if not isinstance(rec, dict):
            raise RecordError(
                "bad_type", None, f"expected a usage row object, got {type_name(rec)}"
            )
        if "data" in rec:
            raise RecordError(
                "bad_type", "data", f"expected an array, got {type_name(rec['data'])}"
            )
        if "date" not in rec:
            raise RecordError("missing_required", "date", "expected the row's date YYYY-MM-DD")
        day = _day(rec.get("date"))
        email = opt_str(rec, "email")
        user_id = opt_str(rec, "user_id")
        person = email or user_id
        numbers: dict[str, float] = {}
        active = opt_bool(rec, "is_active")
        if active is not None:
            numbers["is_active"] = 1.0 if active else 0.0
        for key, value in rec.items():
            if value is None or key in META or key in IDENTIFIERS or key == "is_active":
                continue
            if looks_identifying(key):
                continue
            if key in COUNTERS or numeric(value):
                numbers[_renamed(key)] = _number(rec, key)
            elif isinstance(value, bool):
                numbers[key] = 1.0 if value else 0.0
        rest = {
            k: v
            for k, v in rec.items()
            if v is not None
            and k not in META
            and k not in IDENTIFIERS
            and k != "is_active"
            and _renamed(k) not in numbers
        }
        extra, dropped = allowed(rest, KEEP)
        self.col.dropped.update(dropped)
        scope = self.scope or _workspace(rec)
        if person is None:
            # Summed last, once nothing in this row can fail any more.
            key = (day, scope, opt_str(rec, "period") or self.group_by)
            _, sums = self.groups.setdefault(key, (loc, {}))
            for name, value in numbers.items():
                sums[name] = sums.get(name, 0.0) + value
            sums["rows"] = sums.get("rows", 0.0) + 1
            return
        attrs: dict[str, Any] = {"granularity": "day", "scope": scope}
        if email is None:
            attrs["person_is"] = "user_id"
        if extra:
            attrs["extra"] = extra
        for key, (feature, action) in COUNTERS.items():
            count = numbers.get(key)
            if not count:
                continue
            self.col.add(
                "events",
                loc,
                # The row's own workspace, not the `scope` label: a relabelled re-ingest
                # must give the same ids.
                event_id=stable_id(
                    "cdx", SOURCE, _workspace(rec), person.lower(), day, feature, action
                ),
                ts=day_start(day),
                person=person,
                tool=TOOL,
                action=action,
                quantity=round(count),
                attrs=json_text({**attrs, "feature": feature, "count_of": key}),
            )
        fact_attrs = json_text(attrs)
        for name, value in numbers.items():
            self._fact(loc, person, day, name, value, fact_attrs)
        credits = numbers.get("credits")
        if credits is not None and self.price is not None:
            cost_attrs = {
                **attrs,
                "currency": "USD",
                "credits": credits,
                "credit_price": self.price,
            }
            self._fact(loc, person, day, "cost", credits * self.price, json_text(cost_attrs))

    def _fact(self, loc: str, person: str, day: date, name: str, value: float, attrs: str) -> None:
        self.col.add(
            "person_facts",
            loc,
            person=person,
            source=SOURCE,
            tool=TOOL,
            report_date=day.isoformat(),
            fact=name,
            value=value,
            attrs=attrs,
        )

    def finish(self) -> None:
        """Emit the summed rows without a person as aggregate facts."""
        rows = 0
        for (day, scope, period), (loc, sums) in self.groups.items():
            rows += int(sums.get("rows", 0))
            for name, value in sums.items():
                self._aggregate(loc, day, scope, name, value, {"period": period})
            credits = sums.get("credits")
            if credits is not None and self.price is not None:
                dims = {"period": period, "currency": "USD", "credit_price": f"{self.price:g}"}
                self._aggregate(loc, day, scope, "cost", credits * self.price, dims)
        if rows:
            self.col.notes.append(
                f"{rows} row(s) without user_id or email (grouped by day or week): "
                "aggregate_facts only (no person, no events)"
            )

    def _aggregate(
        self, loc: str, day: date, scope: str, metric: str, value: float, dims: dict[str, str]
    ) -> None:
        add_fact(
            self.col,
            loc,
            day=day,
            source=SOURCE,
            tool=TOOL,
            metric=metric,
            scope=scope,
            dims=dims,
            value=value,
        )


def _renamed(key: str) -> str:
    return RENAMED.get(key, key)


def _workspace(rec: Mapping[str, Any]) -> str:
    workspace = rec.get("workspace_id")
    if isinstance(workspace, str) and workspace.strip():
        return f"workspace:{workspace.strip()}"
    return "workspace"


CONNECTORS: tuple[Connector, ...] = (
    Connector(
        "codex",
        read,
        "OpenAI Codex analytics usage rows (/v1/analytics/codex/…/usage): per user and day → "
        "thread (session_start) and turn (prompt) events, credits and tokens as person facts; "
        "rows grouped by day or week → aggregate facts",
        ("events", "person_facts", "aggregate_facts"),
        params={
            "scope": "label for the rows (default workspace:<workspace_id>, else workspace)",
            "group_by": "what a row without a user covers: day (default) or week",
            "credit_price": "USD per Codex credit, to add a cost fact (OpenAI publishes no "
            "fixed rate in the API; unknown when not given)",
        },
        keep=KEEP,
        identifiers=IDENTIFIERS,
    ),
)
