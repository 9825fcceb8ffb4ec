"""Claude Code Analytics report (Anthropic Admin API `usage_report/claude_code`).

One source row is one actor on one day in one terminal type, so a user may have several
rows a day. `user_actor` rows (an e-mail) become daily-grain `events` per terminal
(`session_start` from `num_sessions`, `accept`/`reject` per edit tool) and `person_facts`
summed over the user's terminals (lines added/removed, commits, pull requests, tokens and
the estimated cost, with the per-model split in attrs). `api_actor` rows (an API key name,
no person) and user rows without an e-mail become `aggregate_facts`.

Reads the API response (`{"data": [...], "has_more", "next_page"}`), several such pages
(a JSON array of them, or one per NDJSON line), a bare JSON array of rows, or NDJSON rows.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.connectors.aggregates import add_fact, counters
from uptake.ingest.connectors.anthropic_api import (
    MAX_COUNT,
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
    opt_list,
    opt_object,
    opt_str,
    parse_day,
    type_name,
)
from uptake.ingest.connectors.loading import load_json
from uptake.ingest.connectors.privacy import allowed

SOURCE = "claude-code"
TOOL = "claude-code"
TABLES = ("events", "person_facts", "aggregate_facts")

# core_metrics paths (as `counters` flattens them) → fact/metric names shared with the
# Claude Code part of the claude-enterprise connector.
CORE = {
    "num_sessions": "sessions",
    "lines_of_code.added": "lines_added",
    "lines_of_code.removed": "lines_removed",
    "commits_by_claude_code": "commits",
    "pull_requests_by_claude_code": "pull_requests",
}
TOOL_ACTIONS = {"accepted": "accept", "rejected": "reject"}
KNOWN = frozenset(
    {
        "date",
        "actor",
        "organization_id",
        "customer_type",
        "subscription_type",
        "terminal_type",
        "core_metrics",
        "tool_actions",
        "model_breakdown",
    }
)
# `actor` holds the e-mail (and the API key name, which is scrubbed in the quarantine too).
IDENTIFIERS = frozenset({"actor", "email_address", "email"})
KEEP = frozenset({"workspace_id", "product", "plan_type"})
PARAMS = {
    "cost_unit": "unit of estimated_cost.amount: cents (the documented unit, default) or "
    "dollars (whole currency units)",
}
# A key's secret rather than its name: Anthropic's `sk-ant-…` form, or a long token with digits.
_SECRET_LIKE = re.compile(r"^sk[-_]|^(?=.*\d)[A-Za-z0-9_\-]{40,}$")


def key_scope(name: str | None) -> str:
    """The aggregate scope of an API key: its name, or a hash when it looks like a secret.

    Args:
        name: the key's name as the report gives it.

    Returns:
        `api_key:<name>`, `api_key:sha256:<12 hex>` or `api_key:unknown`.
    """
    if not name:
        return "api_key:unknown"
    if _SECRET_LIKE.search(name):
        return f"api_key:sha256:{hashlib.sha256(name.encode()).hexdigest()[:12]}"
    return f"api_key:{name}"


@dataclass
class _Model:
    model: str
    tokens: dict[str, int]
    cost: float | None
    currency: str | None


@dataclass
class _Row:
    """One validated source row."""

    loc: str
    raw: Any
    day: date
    actor: str  # user, api (an API key) or anonymous (a user row without an e-mail)
    person: str | None
    scope: str | None  # api_key:… for API actors, organization:… otherwise
    org: str | None
    terminal: str | None
    labels: dict[str, Any]
    core: dict[str, int]
    tools: dict[str, dict[str, int]]
    models: list[_Model]


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read a Claude Code Analytics report.

    Args:
        path: the API response (JSON), a JSON array of pages or rows, or NDJSON.
        options: `cost_unit` (cents, the documented default, or dollars).

    Returns:
        events and person_facts for user actors, aggregate_facts for API keys and rows
        without an e-mail.
    """
    opts = ConnectorOptions.coerce(options)
    unit = (opts.param("cost_unit") or "cents").lower()
    if unit not in ("cents", "dollars"):
        raise InputError(f"parameter cost_unit: expected cents or dollars, got {unit!r}")
    divisor = 100.0 if unit == "cents" else 1.0
    col = Collector(*TABLES)
    # Each row is handled as it is read (NDJSON a line at a time): its events are added at
    # once, and only what later rows need is kept (a digest per actor-day for repeats, the
    # sums per person-day and aggregate), so a large report is never held whole.
    rows = ResponseRows(path, load_json(path), col)
    state = _State()
    col.each(
        rows,
        lambda loc, item: _handle(col, state, _parse(loc, item.row, divisor, col)),
        source=lambda item: item.row,
    )
    _finish(col, state, unit)
    note = more_pages_note(rows.last)
    if note:
        col.notes.append(note)
    return col.result()


def _parse(loc: str, rec: Any, divisor: float, col: Collector) -> _Row:
    if not isinstance(rec, dict):
        raise RecordError("bad_type", None, f"expected a row object, got {type_name(rec)}")
    day = parse_day(rec.get("date"), "date")
    actor = opt_object(rec, "actor")
    kind = opt_str(actor, "type", "actor.type")
    email = opt_str(actor, "email_address", "actor.email_address")
    key_name = opt_str(actor, "api_key_name", "actor.api_key_name")
    org = opt_str(rec, "organization_id")
    scope: str | None
    if kind == "api_actor" or (kind is None and key_name and not email):
        who, person, scope = "api", None, key_scope(key_name)
    elif kind == "user_actor" or (kind is None and email):
        who, person = ("user" if email else "anonymous"), email
        scope = f"organization:{org}" if org else None
    elif not actor:
        raise RecordError("missing_required", "actor", "expected the actor (user or API key)")
    else:
        raise RecordError(
            "bad_enum", "actor.type", f"expected user_actor or api_actor, got {kind!r:.40}"
        )
    labels: dict[str, Any] = {}
    for key in ("customer_type", "subscription_type"):
        label = opt_str(rec, key)
        if label:
            labels[key] = label
    extra, dropped = allowed({k: v for k, v in rec.items() if k not in KNOWN}, KEEP)
    col.dropped.update(dropped)
    if extra:
        labels["extra"] = extra
    core: dict[str, int] = {}
    for metric, n in counters(opt_object(rec, "core_metrics"), path="core_metrics").items():
        core[CORE.get(metric, f"core_metrics.{metric}")] = as_count(n, f"core_metrics.{metric}")
    tools: dict[str, dict[str, int]] = {}
    for name, entry in opt_object(rec, "tool_actions").items():
        where = f"tool_actions.{name}"
        if entry is None:
            continue
        if not isinstance(entry, dict):
            raise RecordError("bad_type", where, f"expected an object, got {type_name(entry)}")
        counts = {k: count(entry, k, f"{where}.{k}") for k in TOOL_ACTIONS}
        tools[name] = {k: v for k, v in counts.items() if v is not None}
    models = [
        _model(m, f"model_breakdown[{i}]", divisor)
        for i, m in enumerate(opt_list(rec, "model_breakdown"))
    ]
    return _Row(
        loc,
        rec,
        day,
        who,
        person,
        scope,
        org,
        opt_str(rec, "terminal_type"),
        labels,
        core,
        tools,
        models,
    )


def _model(entry: Mapping[str, Any], where: str, divisor: float) -> _Model:
    name = opt_str(entry, "model", f"{where}.model") or "unknown"
    tokens_obj = opt_object(entry, "tokens", f"{where}.tokens")
    tokens: dict[str, int] = {}
    for kind, value in tokens_obj.items():
        if value is not None:
            tokens[kind] = as_count(value, f"{where}.tokens.{kind}")
    cost_obj = opt_object(entry, "estimated_cost", f"{where}.estimated_cost")
    amount = cost_obj.get("amount")
    cost: float | None = None
    if amount is not None:
        cost = _amount(amount, f"{where}.estimated_cost.amount") / divisor
    currency = opt_str(cost_obj, "currency", f"{where}.estimated_cost.currency")
    return _Model(name, tokens, cost, (currency or "USD").upper() if cost is not None else None)


def _amount(value: Any, where: str) -> float:
    # The cost report sends decimal strings ("123.45"); this one numbers. Both are accepted.
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or number < 0 or number > MAX_COUNT:
        raise RecordError("bad_type", where, f"expected an amount ≥ 0, got {value!r:.30}")
    return number


def _handle(col: Collector, state: _State, row: _Row) -> None:
    """Add one row's events and sums, unless it repeats a row read before.

    One row per actor, day, organisation and terminal: a page saved twice counts once, and
    a second row for the same with different numbers is refused (the first is kept).
    """
    if row.actor != "anonymous":  # users without an e-mail cannot be told apart: all kept
        key = (row.person.lower() if row.person else row.scope, row.day, row.org, row.terminal)
        digest = content_digest(row.raw)
        first = state.seen.get(key)
        if first is not None and first[1] == digest:
            state.same += 1
            return
        if first is not None:
            raise RecordError(
                "malformed_record",
                None,
                f"a second row for the same actor, day, organisation and terminal "
                f"({first[0]}) with different numbers; the first was kept",
            )
        # Registered before the row's rows are added; adding them does not fail on input.
        state.seen[key] = (row.loc, digest)
    if row.person is None:
        state.api += row.actor == "api"
        state.anonymous += row.actor == "anonymous"
        _aggregate(row, state.facts)
        return
    _events(col, row)
    pd_ = state.days.setdefault((row.person.lower(), row.day), _PersonDay(row.person, row.loc))
    pd_.orgs.update([row.org] if row.org else [])
    pd_.terminals.update([row.terminal] if row.terminal else [])
    for name, value in row.core.items():
        if name != "sessions":
            pd_.facts[name] = pd_.facts.get(name, 0) + value
    for m in row.models:
        for kind, n in m.tokens.items():
            split = pd_.tokens.setdefault(kind, {})
            split[m.model] = split.get(m.model, 0) + n
        if m.cost is not None and m.currency:
            split_c = pd_.cost.setdefault(m.currency, {})
            split_c[m.model] = split_c.get(m.model, 0.0) + m.cost


@dataclass
class _PersonDay:
    person: str
    loc: str
    orgs: set[str] = field(default_factory=set)
    terminals: set[str] = field(default_factory=set)
    facts: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, dict[str, int]] = field(default_factory=dict)
    cost: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class _State:
    """What the rows of one file share as they are read."""

    # (person or key scope, day, organisation, terminal) -> the first row's locator and
    # content digest.
    seen: dict[tuple[Any, ...], tuple[str, bytes]] = field(default_factory=dict)
    same: int = 0
    api: int = 0
    anonymous: int = 0
    days: dict[tuple[str, date], _PersonDay] = field(default_factory=dict)
    facts: dict[tuple[date, str, str, str], list[Any]] = field(default_factory=dict)


def _finish(col: Collector, state: _State, unit: str) -> None:
    """Add the person-day facts and aggregate facts summed over the rows, and the notes."""
    for (_, day), pd_ in state.days.items():
        _person_facts(col, day, pd_, unit)
        col.between()
    for (day, metric, scope, dims), (value, loc) in state.facts.items():
        add_fact(
            col,
            loc,
            day=day,
            source=SOURCE,
            tool=TOOL,
            metric=metric,
            scope=scope,
            dims=_loads(dims),
            value=value,
        )
    if state.same:
        col.notes.append(
            f"{state.same} repeated row(s) (same actor, day and terminal) counted once"
        )
    if state.api:
        col.notes.append(f"{state.api} API-key row(s) name no person: kept as aggregate facts")
    if state.anonymous:
        col.notes.append(
            f"{state.anonymous} user row(s) without an e-mail: kept as aggregate facts"
        )


def _loads(text: str) -> dict[str, Any]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _events(col: Collector, row: _Row) -> None:
    assert row.person is not None
    base = json_text(
        {"granularity": "day", "scope": row.scope, "terminal_type": row.terminal, **row.labels}
    )

    def event(feature: str, action: str, quantity: int, count_of: str) -> None:
        col.add(
            "events",
            row.loc,
            event_id=stable_id(
                "clcd",
                SOURCE,
                row.org,
                row.person.lower() if row.person else "",
                row.day,
                row.terminal,
                feature,
                action,
            ),
            ts=day_start(row.day),
            person=row.person,
            tool=TOOL,
            action=action,
            surface=row.terminal,
            quantity=quantity,
            attrs=attrs_text(base, ("feature", feature), ("count_of", count_of)),
        )

    sessions = row.core.get("sessions")
    if sessions:
        event("session", "session_start", sessions, "core_metrics.num_sessions")
    for tool, counts in row.tools.items():
        for key, action in TOOL_ACTIONS.items():
            n = counts.get(key)
            if n:
                event(tool, action, n, f"tool_actions.{tool}.{key}")


def _person_facts(col: Collector, day: date, pd_: _PersonDay, unit: str) -> None:
    base = {
        "granularity": "day",
        "scope": ",".join(f"organization:{o}" for o in sorted(pd_.orgs)) or None,
        "terminal_types": sorted(pd_.terminals),
    }
    plain = json_text(base)
    report_date = day.isoformat()

    def fact(name: str, value: float, **attrs: Any) -> None:
        col.add(
            "person_facts",
            pd_.loc,
            person=pd_.person,
            source=SOURCE,
            tool=TOOL,
            report_date=report_date,
            fact=name,
            value=value,
            attrs=json_text({**base, **attrs}) if attrs else plain,
        )

    for name, value in pd_.facts.items():
        fact(name, value)
    for kind, split in pd_.tokens.items():
        fact(f"tokens_{kind}", float(sum(split.values())), by_model=split)
    for currency, split_c in pd_.cost.items():
        # Several currencies cannot be summed into one `cost`: each gets its own fact.
        name = "cost" if len(pd_.cost) == 1 else f"cost_{currency.lower()}"
        fact(
            name,
            round(sum(split_c.values()), 6),
            currency=currency,
            by_model={k: round(v, 6) for k, v in split_c.items()},
            estimated=True,
            reported_in=unit,
        )


def _aggregate(row: _Row, facts: dict[tuple[date, str, str, str], list[Any]]) -> None:
    scope = row.scope or "organization"
    dims: dict[str, Any] = {"actor": "api_actor" if row.actor == "api" else "user_actor"}
    if row.terminal:
        dims["terminal_type"] = row.terminal

    def put(metric: str, value: float, **more: str) -> None:
        key = (row.day, metric, scope, json_text({**dims, **more}))
        slot = facts.setdefault(key, [0.0, row.loc])
        slot[0] += value

    for name, value in row.core.items():
        put(name, float(value))
    for tool, counts in row.tools.items():
        for key, value in counts.items():
            put(f"tool_actions.{key}", float(value), tool=tool)
    for m in row.models:
        for kind, n in m.tokens.items():
            put(f"tokens_{kind}", float(n), model=m.model)
        if m.cost is not None and m.currency:
            put("cost", m.cost, currency=m.currency, model=m.model)


CONNECTORS: tuple[Connector, ...] = (
    Connector(
        "claude-code",
        read,
        "Claude Code Analytics report (Anthropic Admin API usage_report/claude_code): user "
        "rows → daily session/accept/reject events per terminal and person facts (lines, "
        "commits, PRs, tokens, estimated cost); API-key rows → aggregate facts",
        TABLES,
        params=PARAMS,
        keep=KEEP,
        identifiers=IDENTIFIERS,
    ),
)
