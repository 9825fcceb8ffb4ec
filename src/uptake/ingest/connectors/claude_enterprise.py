"""Claude Enterprise Analytics API (`/v1/organizations/analytics/users` and `/summaries`).

A `/users` row is one user on one day with one block of numbers per product
(`chat_metrics`, `claude_code_metrics`, `cowork_metrics`, `office_metrics.{excel,…}`, and any
future `*_metrics`). Per product, `message_count` becomes `prompt` events and
`distinct_session_count` `session_start` events (tool `claude`; Claude Code's sessions and
its per-tool `accepted_count`/`rejected_count` become events of tool `claude-code`); every
other number becomes a `person_facts` row. A `/summaries` entry (organisation: seats, active
users, adoption rates) becomes `aggregate_facts`.

The row layout comes from secondary sources, so every field is optional and unknown numbers
are kept as facts. The rows carry no date in the documented response; the day comes from
the row (`date`), the response (`date`) or the `date` option, in that order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.connectors.aggregates import add_fact, counters, flatten_counters, numeric
from uptake.ingest.connectors.anthropic_api import (
    MAX_COUNT,
    Item,
    ResponseRows,
    as_count,
    attrs_text,
    content_digest,
    count,
    more_pages_note,
)
from uptake.ingest.connectors.base import Connector, ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector, stable_id
from uptake.ingest.connectors.fields import (
    RecordError,
    day_start,
    json_text,
    opt_object,
    opt_str,
    parse_day,
    type_name,
)
from uptake.ingest.connectors.loading import load_json
from uptake.ingest.connectors.privacy import allowed, looks_identifying

SOURCE = "claude-enterprise"
TOOL = "claude"
CODE_TOOL = "claude-code"
TABLES = ("events", "person_facts", "aggregate_facts")
# Per-product counters that are interactions; every other number is a fact.
EVENT_COUNTERS = {"message_count": "prompt", "distinct_session_count": "session_start"}
# Claude Code numbers named as the claude-code connector names them, so metrics can use both.
CODE_FACTS = {
    "commit_count": "commits",
    "pull_request_count": "pull_requests",
    "lines_of_code.added_count": "lines_added",
    "lines_of_code.removed_count": "lines_removed",
}
TOOL_ACTIONS = {
    "accepted_count": "accept",
    "rejected_count": "reject",
    "accepted": "accept",
    "rejected": "reject",
}
DATE_KEYS = ("date", "day")
SUMMARY_DAY_KEYS = ("starting_date", "starting_at", "date", "day")
SUMMARY_SKIP = frozenset({*SUMMARY_DAY_KEYS, "ending_date", "ending_at"})
IDENTIFIERS = frozenset({"user", "email_address", "email", "user_id", "user_email"})
KEEP = frozenset({"organization_id", "seat_tier", "role"})
PARAMS = {
    "date": "the day the rows are for, YYYY-MM-DD (the /users?date= of the request), when "
    "neither rows nor response carry one",
    "scope": "label of aggregate facts (default organization)",
    "claude_code": "include (default) or skip Claude Code numbers — skip when the same "
    "activity is also ingested with --format claude-code",
}


@dataclass
class _State:
    """What the rows of one file share: rows seen per user-day, totals of anonymous rows."""

    # (e-mail, day) -> the first row's locator and content digest.
    seen: dict[tuple[str, date], tuple[str, bytes]] = field(default_factory=dict)
    anonymous: dict[tuple[date, str, str], list[Any]] = field(default_factory=dict)
    repeated: int = 0
    # User rows read, and whether any carried a day (see `_need_a_day`).
    users: int = 0
    dated: bool = False


@dataclass
class _Options:
    day: date | None
    scope: str
    code: bool


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read a Claude Enterprise Analytics `/users` or `/summaries` response.

    Args:
        path: the response (JSON), a JSON array of pages or rows, or NDJSON.
        options: `date`, `scope`, `claude_code` (include or skip).

    Returns:
        events and person_facts for user rows, aggregate_facts for summaries and for user
        rows without an e-mail.
    """
    opts = _options(ConnectorOptions.coerce(options))
    col = Collector(*TABLES)
    # Each row is handled as it is read (NDJSON a line at a time), so a large file is never
    # held whole.
    rows = ResponseRows(path, load_json(path), col, ("data", "summaries"))
    state = _State()

    def handle(loc: str, item: Item) -> None:
        rec = item.row
        if _is_user_row(rec):
            state.users += 1
            state.dated = state.dated or _row_day_value(item) is not None
        if not isinstance(rec, dict):
            raise RecordError("bad_type", None, f"expected a row object, got {type_name(rec)}")
        if _is_user_row(rec):
            _user_row(col, loc, item, opts, state)
        elif any(numeric(v) for v in rec.values()):
            _summary(col, loc, item, opts)
        else:
            raise RecordError(
                "unsupported_record", None, "neither a user row (user, *_metrics) nor a summary"
            )

    col.each(rows, handle, source=lambda item: item.row)
    _need_a_day(path, state, opts)
    for (day, tool, metric), (value, loc) in state.anonymous.items():
        add_fact(
            col,
            loc,
            day=day,
            source=SOURCE,
            tool=tool,
            metric=metric,
            scope=opts.scope,
            dims={"actor": "user without e-mail"},
            value=value,
        )
    users = sum(v for (_, _, m), (v, _) in state.anonymous.items() if m == "users_without_email")
    if users:
        col.notes.append(f"{users:g} user row(s) without an e-mail: kept as aggregate facts")
    if state.repeated:
        col.notes.append(f"{state.repeated} repeated row(s) (same user and day) counted once")
    note = more_pages_note(rows.last)
    if note:
        col.notes.append(note)
    return col.result()


def _options(opts: ConnectorOptions) -> _Options:
    text = opts.param("date")
    day = None
    if text:
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            raise InputError(f"parameter date: expected YYYY-MM-DD, got {text!r}") from None
    code = (opts.param("claude_code") or "include").lower()
    if code not in ("include", "skip"):
        raise InputError(f"parameter claude_code: expected include or skip, got {code!r}")
    return _Options(day, opts.param("scope") or "organization", code == "include")


def _need_a_day(path: Path, state: _State, opts: _Options) -> None:
    """Refuse a file whose user rows carry no day at all, rather than reject each.

    Checked once every row is read: the refusal stores nothing from the file, as it would
    before the first row.
    """
    if opts.day is None and state.users and not state.dated:
        raise InputError(
            f"{path}: the user rows carry no date (the /users response does not repeat it)",
            hint="pass --option date=YYYY-MM-DD, the date the request asked for",
        )


def _is_user_row(rec: Any) -> bool:
    return isinstance(rec, dict) and ("user" in rec or any(k.endswith("_metrics") for k in rec))


def _row_day_value(item: Item) -> Any:
    for key in DATE_KEYS:
        if isinstance(item.row, dict) and item.row.get(key) not in (None, ""):
            return item.row[key]
    value = item.page.get("date")
    return None if value in (None, "") else value


def _tool_of(metric: str) -> str:
    return CODE_TOOL if metric.startswith("claude_code") else TOOL


@dataclass
class _UserDay:
    """Row factory for one user-day row."""

    col: Collector
    loc: str
    person: str | None
    day: date
    base: str  # attrs shared by the row's events and facts, as canonical JSON
    anonymous: dict[tuple[date, str, str], list[Any]]

    def event(self, tool: str, feature: str, action: str, n: int, count_of: str) -> None:
        """One daily event row; `feature` is the product or (Claude Code) the edit tool."""
        if self.person is None:
            self.total(tool, count_of, n)
            return
        if not n:
            return
        self.col.add(
            "events",
            self.loc,
            event_id=stable_id("clen", SOURCE, self.person.lower(), self.day, feature, action),
            ts=day_start(self.day),
            person=self.person,
            tool=tool,
            action=action,
            surface="claude_code" if tool == CODE_TOOL else feature,
            quantity=n,
            attrs=attrs_text(self.base, ("feature", feature), ("count_of", count_of)),
        )

    def fact(self, tool: str, name: str, value: float, product: str | None) -> None:
        if self.person is None:
            self.total(tool, name, value)
            return
        self.col.add(
            "person_facts",
            self.loc,
            person=self.person,
            source=SOURCE,
            tool=tool,
            report_date=self.day.isoformat(),
            fact=name,
            value=value,
            attrs=attrs_text(self.base, ("product", product)) if product else self.base,
        )

    def total(self, tool: str, metric: str, value: float) -> None:
        slot = self.anonymous.setdefault((self.day, tool, metric), [0.0, self.loc])
        slot[0] += value


def _user_row(
    col: Collector,
    loc: str,
    item: Item,
    opts: _Options,
    state: _State,
) -> None:
    rec = item.row
    raw = _row_day_value(item)
    if raw is None:
        if opts.day is None:
            raise RecordError("missing_required", "date", "no date in the row or the response")
        day = opts.day
    else:
        key = next((k for k in DATE_KEYS if rec.get(k) not in (None, "")), "date")
        day = parse_day(raw, key)
    user = opt_object(rec, "user")
    email = opt_str(user, "email_address", "user.email_address")
    opt_str(user, "id", "user.id")
    if email is not None:
        # One row per user and day: a page saved twice must not count twice.
        digest = content_digest(rec)
        first = state.seen.get((email.lower(), day))
        if first is not None:
            if first[1] == digest:
                state.repeated += 1
                return
            raise RecordError(
                "malformed_record",
                None,
                f"a second row for the same user and day ({first[0]}) with different "
                "numbers; the first was kept",
            )
    known = {"user", *DATE_KEYS}
    extra, dropped = allowed(
        {
            k: v
            for k, v in rec.items()
            if k not in known and not k.endswith("_metrics") and not numeric(v)
        },
        KEEP,
    )
    col.dropped.update(dropped)
    base: dict[str, Any] = {"granularity": "day"}
    if extra:
        base["extra"] = extra
    ud = _UserDay(col, loc, email, day, json_text(base), state.anonymous)
    if email is None:
        ud.total(TOOL, "users_without_email", 1)
    for key, value in rec.items():
        if value is None or key in known:
            continue
        if key.endswith("_metrics"):
            block = opt_object(rec, key)
            if key == "claude_code_metrics":
                if opts.code:
                    _code(ud, block)
            elif key == "office_metrics":
                for app, sub in block.items():
                    if sub is not None:
                        where = f"office_metrics.{app}"
                        _product(ud, f"office_{app}", opt_object(block, app, where), where)
            else:
                _product(ud, key.removesuffix("_metrics"), block, key)
        elif numeric(value) and not looks_identifying(key):
            ud.fact(_tool_of(key), key, _number(key, value, key), None)
    if email is not None:
        # Registered only once the row is accepted, so a corrected copy of a rejected row
        # is not refused as a conflict.
        state.seen[(email.lower(), day)] = (loc, digest)


def _number(name: str, value: Any, where: str) -> float:
    """A fact's value: counts (`…_count`) must be whole and ≥ 0, other measures finite."""
    if name.endswith("count"):
        return float(as_count(value, where))
    if not numeric(value) or not math.isfinite(value) or abs(value) > MAX_COUNT:
        raise RecordError("bad_type", where, f"expected a finite number, got {value!r:.30}")
    return float(value)


def _product(ud: _UserDay, product: str, block: Mapping[str, Any], where: str) -> None:
    for name, value in counters(block, path=where).items():
        action = EVENT_COUNTERS.get(name)
        if action:
            ud.event(TOOL, product, action, as_count(value, f"{where}.{name}"), f"{where}.{name}")
        else:
            ud.fact(TOOL, f"{product}.{name}", _number(name, value, f"{where}.{name}"), product)


def _code(ud: _UserDay, block: Mapping[str, Any]) -> None:
    where = "claude_code_metrics"
    for key, value in block.items():
        if value is None:
            continue
        path = f"{where}.{key}"
        if key == "tool_actions":
            for tool, entry in opt_object(block, key, path).items():
                if entry is None:
                    continue
                if not isinstance(entry, dict):
                    raise RecordError(
                        "bad_type", f"{path}.{tool}", f"expected an object, got {type_name(entry)}"
                    )
                for key_, action in TOOL_ACTIONS.items():
                    n = count(entry, key_, f"{path}.{tool}.{key_}")
                    if n is not None:
                        ud.event(CODE_TOOL, tool, action, n, f"{path}.{tool}.{key_}")
            continue
        sub = {key: value} if key != "core_metrics" else opt_object(block, key, path)
        prefix = f"{where}.core_metrics" if key == "core_metrics" else where
        for name, number in counters(sub, path=prefix).items():
            where_ = f"{prefix}.{name}"
            if name == "distinct_session_count":
                n = as_count(number, where_)
                ud.event(CODE_TOOL, "claude_code", "session_start", n, where_)
            else:
                fact = CODE_FACTS.get(name, f"claude_code.{name}")
                ud.fact(CODE_TOOL, fact, _number(name, number, where_), None)


def _summary(col: Collector, loc: str, item: Item, opts: _Options) -> None:
    rec = item.row
    start_key = next((k for k in SUMMARY_DAY_KEYS if rec.get(k) not in (None, "")), None)
    if start_key is not None:
        day = parse_day(rec[start_key], start_key)
    elif item.page.get("date") not in (None, ""):
        day = parse_day(item.page["date"], "date")
    elif opts.day is not None:
        day = opts.day
    else:
        raise RecordError("missing_required", "starting_date", "a summary names no day")
    dims: dict[str, str] = {}
    end_key = next((k for k in ("ending_date", "ending_at") if rec.get(k) not in (None, "")), None)
    if end_key is not None:
        # The end is exclusive; a summary over more than one day says so in its dims.
        end = parse_day(rec[end_key], end_key)
        if end < day:
            raise RecordError("bad_timestamp", end_key, "ends before it starts")
        if end - day > timedelta(days=1):
            dims["ending_date"] = end.isoformat()

    def emit(metric: str, more: Mapping[str, str], value: float) -> None:
        add_fact(
            col,
            loc,
            day=day,
            source=SOURCE,
            tool=_tool_of(metric),
            metric=metric,
            scope=opts.scope,
            dims={**dims, **more},
            value=value,
        )

    flatten_counters(rec, emit, skip=SUMMARY_SKIP)


CONNECTORS: tuple[Connector, ...] = (
    Connector(
        "claude-enterprise",
        read,
        "Claude Enterprise Analytics API: /users rows → daily prompt/session events per "
        "product (chat, Claude Code, Cowork, Office apps) and person facts; /summaries → "
        "aggregate facts (seats, active users, adoption rates)",
        TABLES,
        params=PARAMS,
        keep=KEEP,
        identifiers=IDENTIFIERS,
    ),
)
