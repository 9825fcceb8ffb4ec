"""Cursor Admin API: daily usage data and filtered usage events → events, facts and costs.

One format reads both responses, telling them apart by shape: `POST /teams/daily-usage-data`
(`{"data": [row…]}`, one row per user and day) and `POST /teams/filtered-usage-events`
(`{"usageEvents": [event…]}`, one event per model request). A JSON array or NDJSON of rows,
events or whole responses (one page per line) works too.

Daily rows with an e-mail become daily-grain `events` (tabs shown/accepted, edits
applied/accepted/rejected, chat/composer/agent/Cmd-K requests) and `person_facts` (every
number of the row); rows without an e-mail are summed per day into `aggregate_facts`. Usage
events become per-day `person_facts` (requests, request units, tokens, cost in USD) and, only
with `prompts_from=events`, one `prompt` event per request. Which of the two counts prompts is
that one option, so ingesting both responses for the same day never counts a request twice.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.connectors.aggregates import add_fact, numeric
from uptake.ingest.connectors.base import Connector, ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector, stable_id
from uptake.ingest.connectors.fields import (
    RecordError,
    day_start,
    iso_utc,
    json_text,
    opt_bool,
    opt_number,
    opt_object,
    opt_str,
    parse_day,
    type_name,
)
from uptake.ingest.connectors.loading import load_json
from uptake.ingest.connectors.privacy import allowed, looks_identifying

SOURCE = "cursor"
TOOL = "cursor"

# Daily counter → (feature, action); one event row per counter keeps the count in `quantity`.
DAILY_EVENTS: dict[str, tuple[str, str]] = {
    "totalTabsShown": ("tab", "suggestion"),
    "totalTabsAccepted": ("tab", "accept"),
    "totalApplies": ("agent_edit", "suggestion"),
    "totalAccepts": ("agent_edit", "accept"),
    "totalRejects": ("agent_edit", "reject"),
    "chatRequests": ("chat", "prompt"),
    "composerRequests": ("composer", "prompt"),
    "agentRequests": ("agent", "prompt"),
    "cmdkUsages": ("cmdk", "prompt"),
}
# Text labels of a daily row, carried in attrs of its events and facts.
LABELS = {
    "mostUsedModel": "most_used_model",
    "applyMostUsedExtension": "apply_most_used_extension",
    "tabMostUsedExtension": "tab_most_used_extension",
    "clientVersion": "client_version",
}
PROMPTS_FROM = ("daily", "events")
SKIP = frozenset({"date", "period"})
EVENT_KEYS = frozenset(
    {
        "timestamp",
        "userEmail",
        "email",
        "model",
        "kind",
        "maxMode",
        "requestsCosts",
        "isTokenBasedCall",
        "tokenUsage",
        "isFreeBugbot",
        "chargedCents",
        "cursorTokenFee",
        "usageBasedCosts",
        "isChargeable",
        "isHeadless",
    }
)
TOKENS = {
    "inputTokens": "input_tokens",
    "outputTokens": "output_tokens",
    "cacheWriteTokens": "cache_write_tokens",
    "cacheReadTokens": "cache_read_tokens",
}
IDENTIFIERS = frozenset({"email", "userEmail", "userId", "owningUser", "name", "userName"})
# Unknown non-numeric fields kept in attrs; any other unknown field is dropped (and named).
KEEP = frozenset({"kindLabel", "isChargeable", "isHeadless", "owningTeam", "subscriptionProductId"})
# Epoch milliseconds between 2000-01-01 and 2100-01-01: anything else is not a Cursor time.
_MS_RANGE = (946_684_800_000, 4_102_444_800_000)
_MAX_COUNT = 1e12
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_DOLLARS = re.compile(r"^\$?\s*(-?\d+(?:\.\d+)?)$")


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read a Cursor daily-usage-data or filtered-usage-events response.

    Args:
        path: JSON response, JSON array or NDJSON of rows, events or responses.
        options: `prompts_from` (`daily`, the default, or `events`) names which response
            counts prompts; `scope` labels aggregate facts (default `team`).

    Returns:
        events, person_facts and aggregate_facts.
    """
    opts = ConnectorOptions.coerce(options)
    prompts_from = opts.param("prompts_from", "daily") or "daily"
    if prompts_from not in PROMPTS_FROM:
        raise InputError(
            f"{path}: option prompts_from: expected daily or events, got {prompts_from!r}",
            hint="nothing was ingested",
        )
    data = load_json(path)
    col = Collector("events", "person_facts", "aggregate_facts")
    state = _State(col, prompts_from == "events", opts.param("scope", "team") or "team")
    if data.is_ndjson:
        items: list[tuple[str, Any]] = []
        for loc, rec in col.lines(data):
            items += _expand(loc, rec, col)
    else:
        items = _document_items(path, data.document, col)
    col.each(items, state.record)
    state.finish()
    return col.result()


def _document_items(path: Path, doc: Any, col: Collector) -> list[tuple[str, Any]]:
    if isinstance(doc, dict):
        if "error" in doc and "data" not in doc and "usageEvents" not in doc:
            raise InputError(
                f"{path}: this is a Cursor API error response, not usage data: "
                f"{str(doc['error'])[:120]}",
                hint="fix the request (API key, dates) and fetch again",
            )
        return _expand(path.name, doc, col)
    if isinstance(doc, list):
        items: list[tuple[str, Any]] = []
        for i, item in enumerate(doc, start=1):
            page = isinstance(item, dict) and ("data" in item or "usageEvents" in item)
            items += _expand(f"{path.name}:{'page' if page else 'record'} {i}", item, col)
        return items
    raise InputError(
        f"{path}: expected a Cursor daily-usage-data or usage-events response (a JSON object), "
        f"or an array/NDJSON of rows, got {type_name(doc)}"
    )


def _expand(where: str, item: Any, col: Collector) -> list[tuple[str, Any]]:
    """A whole response becomes its located rows; anything else is one record."""
    if not isinstance(item, dict):
        return [(where, item)]
    for key, label in (("data", "record"), ("usageEvents", "event")):
        rows = item.get(key)
        if isinstance(rows, list):
            _page_note(where, item, col)
            return [(f"{where}:{label} {i}", r) for i, r in enumerate(rows, start=1)]
    return [(where, item)]


def _page_note(where: str, page: Mapping[str, Any], col: Collector) -> None:
    pages = page.get("pagination")
    if isinstance(pages, dict) and (pages.get("hasNextPage") or pages.get("hasPreviousPage")):
        col.notes.append(
            f"{where}: page {pages.get('currentPage')} of {pages.get('numPages')} of the usage "
            "events: its per-day facts (requests, tokens, cost) cover only this page, and "
            "another file with other pages of the same days replaces them; put all pages "
            "of one request in one file (a JSON array or NDJSON of pages)"
        )


def _count(
    rec: Mapping[str, Any], key: str, where: str | None = None, *, whole: bool = False
) -> float | None:
    value = opt_number(rec, key, where)
    if value is None:
        return None
    if not 0 <= value <= _MAX_COUNT or (whole and value != int(value)):
        kind = "a whole count" if whole else "a count"
        raise RecordError("bad_type", where or key, f"expected {kind} ≥ 0, got {value:g}")
    return value


def _epoch_ms(value: Any, where: str) -> datetime:
    """A Cursor time: epoch milliseconds as a number or digit string (ISO 8601 also read)."""
    if isinstance(value, str) and not re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            raise RecordError(
                "bad_timestamp", where, f"expected epoch milliseconds, got {value!r:.40}"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RecordError(
            "bad_timestamp", where, f"expected epoch milliseconds, got {type_name(value)}"
        )
    ms = float(value)
    if not (math.isfinite(ms) and _MS_RANGE[0] <= ms < _MS_RANGE[1]):
        raise RecordError(
            "bad_timestamp", where, f"expected epoch milliseconds (2000–2100), got {value!r:.40}"
        )
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _day(value: Any, where: str) -> date:
    if value is None or value == "":
        raise RecordError("missing_required", where, "expected the day (epoch milliseconds)")
    if isinstance(value, str) and len(value.strip()) == 10 and value.count("-") == 2:
        return parse_day(value, where)
    return _epoch_ms(value, where).date()


def _dollars(rec: Mapping[str, Any], key: str) -> float | None:
    """`usageBasedCosts`: dollars, as a number or text such as "$0.32"."""
    value = rec.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        match = _DOLLARS.match(value.strip())
        if match:
            return float(match.group(1))
        raise RecordError("bad_type", key, f"expected dollars such as $0.32, got {value!r:.40}")
    return opt_number(rec, key)


@lru_cache(maxsize=1024)
def _snake(name: str) -> str:
    return _CAMEL.sub(r"_\1", name).lower()


@dataclass
class _Sums:
    """Per-day totals of one person (or of the rows without one)."""

    locator: str
    person: str = ""
    values: dict[str, float] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, name: str, value: float | None) -> None:
        if value is not None:
            self.values[name] = self.values.get(name, 0.0) + value

    def tally(self, dim: str, label: str | None) -> None:
        seen = self.counts.setdefault(dim, {})
        seen[label or "unknown"] = seen.get(label or "unknown", 0) + 1


@dataclass
class _State:
    """Rows of one file, plus the per-day sums emitted once every record is read."""

    col: Collector
    prompts_from_events: bool
    scope: str
    people: dict[tuple[str, date], _Sums] = field(default_factory=dict)
    teams: dict[tuple[str, date], _Sums] = field(default_factory=dict)

    def record(self, loc: str, rec: Any) -> None:
        if not isinstance(rec, dict):
            raise RecordError("bad_type", None, f"expected a record object, got {type_name(rec)}")
        for key in ("data", "usageEvents"):
            if key in rec:
                raise RecordError(
                    "bad_type", key, f"expected an array, got {type_name(rec.get(key))}"
                )
        if "timestamp" in rec or "userEmail" in rec or "tokenUsage" in rec:
            self._usage_event(loc, rec)
        elif "date" in rec:
            self._daily(loc, rec)
        else:
            raise RecordError(
                "unsupported_record",
                None,
                "neither a daily usage row (date, email) nor a usage event (timestamp)",
            )

    # -- daily usage data ----------------------------------------------------------------

    def _daily(self, loc: str, rec: dict[str, Any]) -> None:
        day = _day(rec.get("date"), "date")
        person = opt_str(rec, "email")
        labels = {name: opt_str(rec, key) for key, name in LABELS.items()}
        numbers: dict[str, float] = {}
        for key, value in rec.items():
            if value is None or key in SKIP or key in LABELS or key in IDENTIFIERS:
                continue
            if looks_identifying(key):
                continue
            if key in DAILY_EVENTS:
                numbers[_snake(key)] = _count(rec, key, whole=True) or 0.0
            elif key == "isActive" or isinstance(value, bool):
                numbers[_snake(key)] = 1.0 if opt_bool(rec, key) else 0.0
            elif numeric(value):
                numbers[_snake(key)] = opt_number(rec, key) or 0.0
        rest = {
            k: v
            for k, v in rec.items()
            if v is not None
            and k not in LABELS
            and k not in SKIP
            and k not in IDENTIFIERS
            and _snake(k) not in numbers
        }
        extra, dropped = allowed(rest, KEEP)
        self.col.dropped.update(dropped)
        if person is None:
            sums = self.teams.setdefault(("daily", day), _Sums(loc))
            sums.add("rows_without_email", 1.0)
            for name, value in numbers.items():
                sums.add(name, value)
            return
        attrs: dict[str, Any] = {"granularity": "day", **{k: v for k, v in labels.items() if v}}
        if extra:
            attrs["extra"] = extra
        for key, (feature, action) in DAILY_EVENTS.items():
            count = numbers.get(_snake(key))
            if not count or (action == "prompt" and self.prompts_from_events):
                continue
            self.col.add(
                "events",
                loc,
                event_id=stable_id("curd", SOURCE, person.lower(), day, feature, action, key),
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

    # -- usage events --------------------------------------------------------------------

    def _usage_event(self, loc: str, rec: dict[str, Any]) -> None:
        raw_ts = rec.get("timestamp")
        if raw_ts is None or raw_ts == "":
            raise RecordError("missing_required", "timestamp", "expected epoch milliseconds")
        ts = _epoch_ms(raw_ts, "timestamp")
        ms = round(ts.timestamp() * 1000)
        person = opt_str(rec, "userEmail") or opt_str(rec, "email")
        model = opt_str(rec, "model")
        kind = opt_str(rec, "kind")
        flags = {k: opt_bool(rec, k) for k in ("maxMode", "isTokenBasedCall", "isFreeBugbot")}
        units = _count(rec, "requestsCosts")
        usage = opt_object(rec, "tokenUsage")
        tokens = {name: _count(usage, key, f"tokenUsage.{key}") for key, name in TOKENS.items()}
        cents = opt_number(usage, "totalCents", "tokenUsage.totalCents")
        charged = opt_number(rec, "chargedCents")
        if charged is None:
            charged = opt_number(usage, "chargedCents", "tokenUsage.chargedCents")
        dollars = _dollars(rec, "usageBasedCosts")
        cost = cents / 100 if cents is not None else dollars
        known = EVENT_KEYS | IDENTIFIERS
        extra, dropped = allowed({k: v for k, v in rec.items() if k not in known}, KEEP)
        self.col.dropped.update(dropped)
        day = ts.date()
        if self.prompts_from_events and person is not None:
            attrs: dict[str, Any] = {
                "granularity": "event",
                "feature": "request",
                "count_of": "usageEvents",
                "model": model,
                "kind": kind,
                "max_mode": flags["maxMode"],
                "token_based": flags["isTokenBasedCall"],
                "free_bugbot": flags["isFreeBugbot"],
                "request_units": units,
                **{k: v for k, v in tokens.items() if v is not None},
            }
            if extra:
                attrs["extra"] = extra
            token_parts = [tokens[k] for k in sorted(tokens)]
            self.col.add(
                "events",
                loc,
                event_id=stable_id(
                    "cure", SOURCE, person.lower(), ms, model, kind, units, cents, *token_parts
                ),
                ts=iso_utc(ts),
                person=person,
                tool=TOOL,
                action="prompt",
                value=cost,
                quantity=1,
                attrs=json_text(attrs),
            )
        # Summed last: a record that failed above must leave no trace in the sums.
        # One person spelt in two cases is one person (identities compare case-insensitively).
        pool = self.people if person is not None else self.teams
        sums = pool.setdefault(((person or "events").lower(), day), _Sums(loc, person or ""))
        sums.add("requests", 1.0)
        sums.add("request_units", units)
        for name, value in tokens.items():
            sums.add(name, value)
        sums.add("cost", cost)
        sums.add("priced_requests", 1.0 if cost is not None else 0.0)
        sums.add("charged_cost", charged / 100 if charged is not None else None)
        sums.add("max_mode_requests", 1.0 if flags["maxMode"] else 0.0)
        sums.tally("by_model", model)
        sums.tally("by_kind", kind)

    # -- per-day totals ------------------------------------------------------------------

    def finish(self) -> None:
        """Emit the per-day facts of usage events and the aggregates of person-less rows."""
        for (_, day), sums in self.people.items():
            base: dict[str, Any] = {"granularity": "day", "from": "usage events", **sums.counts}
            priced = int(sums.values.get("priced_requests", 0))
            for name, value in sums.values.items():
                if name == "priced_requests":
                    continue
                attrs = dict(base)
                if name in ("cost", "charged_cost"):
                    attrs.update(currency="USD", priced_requests=priced)
                self._fact(sums.locator, sums.person, day, name, value, json_text(attrs))
        rows_without = 0
        for (kind, day), sums in self.teams.items():
            if kind == "daily":
                rows_without += int(sums.values.get("rows_without_email", 0))
            for name, value in sums.values.items():
                dims = {"from": "daily usage" if kind == "daily" else "usage events"}
                if name in ("cost", "charged_cost"):
                    dims["currency"] = "USD"
                add_fact(
                    self.col,
                    sums.locator,
                    day=day,
                    source=SOURCE,
                    tool=TOOL,
                    metric=name,
                    scope=self.scope,
                    dims=dims,
                    value=value,
                )
        events_without = sum(
            int(s.values.get("requests", 0)) for (k, _), s in self.teams.items() if k != "daily"
        )
        if rows_without:
            self.col.notes.append(
                f"{rows_without} daily row(s) without email: summed per day into "
                "aggregate_facts (no person, no events)"
            )
        if events_without:
            self.col.notes.append(
                f"{events_without} usage event(s) without userEmail: summed per day into "
                "aggregate_facts (no person, no events)"
            )
        if self.people and not self.prompts_from_events:
            self.col.notes.append(
                "usage events gave per-day facts only (requests, tokens, cost); prompts are "
                "counted from the daily usage data (option prompts_from=daily)"
            )


CONNECTORS: tuple[Connector, ...] = (
    Connector(
        "cursor",
        read,
        "Cursor Admin API daily usage data (→ daily tab/edit/request events and person facts) "
        "and filtered usage events (→ per-day requests, tokens and USD cost; per-request "
        "prompt events with prompts_from=events); rows without e-mail → aggregate facts",
        ("events", "person_facts", "aggregate_facts"),
        params={
            "prompts_from": "which response counts prompts: daily (default) or events; use the "
            "same value for every cursor file",
            "scope": "label for aggregate facts of rows without e-mail (default team)",
        },
        keep=KEEP,
        identifiers=IDENTIFIERS,
    ),
)
