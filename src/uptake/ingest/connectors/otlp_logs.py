"""OTLP/JSON log events (`ExportLogsServiceRequest`) → timestamped events, or aggregates.

Reads Claude Code's log events. The event name comes from the record's `eventName`, else its
`event.name` attribute, else a text body (`claude_code.user_prompt`); the `claude_code.`
prefix is optional. With a person, each record of a known event becomes one event at its own
time: `user_prompt` → `prompt`; `tool_decision` on a code-editing tool (Edit, MultiEdit, Write,
NotebookEdit: the tools Claude Code's own `code_edit_tool.decision` metric counts) → `accept`
or `reject`; `api_request` → `suggestion` (one model response) with model, tokens, cost and
duration. Records naming no person become daily `aggregate_facts`. The prompt text is never
read: Claude Code redacts it unless `OTEL_LOG_USER_PROMPTS=1`, and when it is present the
connector drops it and says so in a note.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from uptake.ingest.connectors.aggregates import add_fact
from uptake.ingest.connectors.base import ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector, stable_id
from uptake.ingest.connectors.fields import (
    RecordError,
    iso_utc,
    json_text,
    parse_timestamp,
    type_name,
)
from uptake.ingest.connectors.loading import load_json
from uptake.ingest.connectors.otlp import attributes
from uptake.ingest.connectors.otlp_signals import (
    ANONYMOUS_KEYS,
    Block,
    anonymous_note,
    blocks,
    get,
    get_list,
    nanos,
    number,
    person,
    requests,
    scope_label,
    text,
    to_time,
    tool_name,
)

SOURCE = "otlp-logs"
PREFIX = "claude_code."
EDIT_TOOLS = frozenset({"Edit", "MultiEdit", "Write", "NotebookEdit"})
HANDLED = ("user_prompt", "tool_decision", "api_request")
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens")
# Person-less records: the count's name in aggregate_facts.
# Attributes that can carry what a person typed or a model wrote (prompt, tool input, API
# bodies, error text): never stored, not even in the quarantine.
CONTENT = frozenset({"prompt", "body", "tool_input", "tool_parameters", "error"})
COUNTS = {
    "prompt": "prompts",
    "accept": "accepts",
    "reject": "rejects",
    "suggestion": "model_requests",
}


@dataclass
class _Tally:
    """What the file held besides rows: for notes, and the person-less totals."""

    prompt_text: int = 0
    other_tools: dict[str, int] = field(default_factory=dict)
    other_events: dict[str, int] = field(default_factory=dict)
    anonymous: int = 0
    personless: int = 0
    aggregates: dict[tuple[date, str, str, str | None, str], tuple[str, float]] = field(
        default_factory=dict
    )

    def add(self, loc: str, key: tuple[date, str, str, str | None, str], value: float) -> None:
        first, total = self.aggregates.get(key, (loc, 0.0))
        self.aggregates[key] = (first, total + value)


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read an OTLP/JSON logs export (one request, an array of them, or NDJSON of them).

    Args:
        path: the JSON file.
        options: `tool` names the tool (default: `service.name`); `scope` labels aggregates
            (default: `organization:<organization.id>`).

    Returns:
        events and aggregate_facts.
    """
    opts = ConnectorOptions.coerce(options)
    data = load_json(path)
    col = Collector("events", "aggregate_facts")
    items: list[tuple[str, tuple[Block, Any]]] = []
    for where, request in requests(path, data, col, "resourceLogs", "ExportLogsServiceRequest"):
        for block in blocks(col, where, request, "Logs", "logRecords"):
            items += [
                (f"{block.locator}.logRecords[{k}]", (block, raw))
                for k, raw in enumerate(block.items)
            ]
    tally = _Tally()
    col.each(
        items,
        lambda loc, item: _record(col, loc, item[0], item[1], opts, tally),
        source=lambda item: withheld(item[1]),
    )
    for (day, tool, metric, scope, dims), (loc, total) in tally.aggregates.items():
        add_fact(
            col,
            loc,
            day=day,
            source=SOURCE,
            tool=tool,
            metric=metric,
            scope=scope,
            dims=_dims(dims),
            value=total,
        )
    _notes(col, tally)
    return col.result()


def _dims(text_: str) -> dict[str, Any]:
    value = json.loads(text_)
    return value if isinstance(value, dict) else {}


def withheld(raw: Any) -> Any:
    """A log record as the quarantine may keep it: its body and content attributes removed.

    Args:
        raw: the log record.

    Returns:
        A copy without content (the record itself when it is not an object).
    """
    if not isinstance(raw, dict):
        return raw
    out = {k: v for k, v in raw.items() if k != "body"}
    listed = raw.get("attributes")
    if isinstance(listed, list):
        out["attributes"] = [
            kv
            for kv in listed
            if not (
                isinstance(kv, dict) and isinstance(kv.get("key"), str) and kv["key"] in CONTENT
            )
        ]
    return out


def event_name(raw: Mapping[str, Any], attrs: Mapping[str, Any]) -> str | None:
    """The record's event name without the `claude_code.` prefix, or None for a plain log.

    Args:
        raw: the log record.
        attrs: its decoded attributes.

    Returns:
        e.g. `user_prompt`.
    """
    body = get(raw, "body")
    candidates = [get(raw, "eventName"), attrs.get("event.name")]
    if isinstance(body, dict):
        candidates.append(body.get("stringValue") or body.get("string_value"))
    for candidate in candidates:
        name = text(candidate)
        if name and " " not in name:
            return name[len(PREFIX) :] if name.startswith(PREFIX) else name
    return None


def _time(raw: Mapping[str, Any], attrs: Mapping[str, Any]) -> datetime:
    """When the event happened: timeUnixNano, else `event.timestamp`, else when observed."""
    ns = nanos(get(raw, "timeUnixNano"), "timeUnixNano")
    if ns is not None:
        return to_time(ns)
    if text(attrs.get("event.timestamp")):
        return parse_timestamp(attrs["event.timestamp"], "attributes[event.timestamp]")
    ns = nanos(get(raw, "observedTimeUnixNano"), "observedTimeUnixNano")
    if ns is not None:
        return to_time(ns)
    raise RecordError("bad_timestamp", "timeUnixNano", "the record has no time")


def _record(
    col: Collector,
    loc: str,
    block: Block,
    raw: Any,
    opts: ConnectorOptions,
    tally: _Tally,
) -> None:
    if not isinstance(raw, dict):
        raise RecordError("bad_type", None, f"expected a log record object, got {type_name(raw)}")
    attrs = attributes(get_list(raw, "attributes", "attributes"), "attributes")
    name = event_name(raw, attrs)
    if name not in HANDLED:
        label = name or "(plain log record, no event name)"
        tally.other_events[label] = tally.other_events.get(label, 0) + 1
        return
    ts = _time(raw, attrs)
    common = {
        "event": name,
        "prompt_id": text(attrs.get("prompt.id")),
        "sequence": text(attrs.get("event.sequence")),
    }
    duration: float | None = None
    if name == "user_prompt":
        action = "prompt"
        length = number(attrs.get("prompt_length"), "attributes[prompt_length]")
        detail: dict[str, Any] = {
            "prompt_length": int(length) if length is not None else None,
            "command_name": text(attrs.get("command_name")),
            "command_source": text(attrs.get("command_source")),
        }
    elif name == "tool_decision":
        action = text(attrs.get("decision")) or ""
        if action not in ("accept", "reject"):
            raise RecordError(
                "bad_enum", "attributes[decision]", f"expected accept or reject, got {action!r}"
            )
        tool = text(attrs.get("tool_name")) or "(none)"
        if tool not in EDIT_TOOLS:
            tally.other_tools[tool] = tally.other_tools.get(tool, 0) + 1
            return
        detail = {
            "feature": "code_edit",
            "tool_name": tool,
            "decision_source": text(attrs.get("source")),
            "tool_use_id": text(attrs.get("tool_use_id")),
        }
    else:
        action = "suggestion"
        duration = number(attrs.get("duration_ms"), "attributes[duration_ms]")
        detail = {
            "model": text(attrs.get("model")),
            "cost_usd": number(attrs.get("cost_usd"), "attributes[cost_usd]"),
            **{k: _count(attrs.get(k), f"attributes[{k}]") for k in TOKENS},
            "query_source": text(attrs.get("query_source")),
            "speed": text(attrs.get("speed")),
            "effort": text(attrs.get("effort")),
            "request_id": text(attrs.get("request_id")),
        }
    if "prompt" in attrs:
        tally.prompt_text += 1  # the text itself is never read
    who = person(attrs, block.scope, block.resource)
    # The events read here are Claude Code's: without a service.name they are still its own.
    tool_col = tool_name(opts.param("tool"), block.resource, "claude-code")
    if who is None:
        _aggregate(loc, ts.date(), tool_col, action, detail, attrs, block, opts, tally)
        return
    tally.anonymous += who[1] in ANONYMOUS_KEYS
    session = text(attrs.get("session.id"))
    col.add(
        "events",
        loc,
        event_id=stable_id(
            "otlpl",
            SOURCE,
            who[0].lower(),
            name,
            iso_utc(ts),
            session,
            common["sequence"],
            common["prompt_id"],
            detail.get("tool_use_id"),
            detail.get("request_id"),
        ),
        ts=iso_utc(ts),
        person=who[0],
        tool=tool_col,
        action=action,
        surface=text(attrs.get("terminal.type")),
        session_id=session,
        duration_ms=round(duration) if duration is not None else None,
        attrs=json_text({k: v for k, v in {**common, **detail}.items() if v is not None}),
    )


def _count(value: Any, where: str) -> int | float | None:
    """A token count as an integer when it is one (Claude Code sends `"1200"`)."""
    found = number(value, where)
    return int(found) if found is not None and found.is_integer() else found


def _aggregate(
    loc: str,
    day: date,
    tool: str,
    action: str,
    detail: Mapping[str, Any],
    attrs: Mapping[str, Any],
    block: Block,
    opts: ConnectorOptions,
    tally: _Tally,
) -> None:
    """A person-less record adds to the day's counts (and, for model calls, cost and tokens)."""
    tally.personless += 1
    scope = scope_label(opts.param("scope"), attrs, block.resource)
    dims = {k: detail[k] for k in ("tool_name", "model") if detail.get(k)}
    tally.add(loc, (day, tool, COUNTS[action], scope, json_text(dims)), 1.0)
    if action != "suggestion":
        return
    if detail.get("cost_usd") is not None:
        cost_dims = json_text({**dims, "currency": "USD"})
        tally.add(loc, (day, tool, "cost", scope, cost_dims), float(detail["cost_usd"]))
    for key in TOKENS:
        if detail.get(key) is not None:
            tally.add(loc, (day, tool, key, scope, json_text(dims)), float(detail[key]))


def _notes(col: Collector, tally: _Tally) -> None:
    if tally.prompt_text:
        col.notes.append(
            f"{tally.prompt_text} user_prompt record(s) carried the prompt text "
            "(OTEL_LOG_USER_PROMPTS=1): dropped, never stored"
        )
    if tally.other_tools:
        names = ", ".join(f"{k} ({v})" for k, v in sorted(tally.other_tools.items())[:12])
        col.notes.append(
            f"{sum(tally.other_tools.values())} tool_decision record(s) on tools that do not "
            f"edit code ({names}): permission checks, not accept/reject of written code"
        )
    if tally.other_events:
        names = ", ".join(f"{k} ({v})" for k, v in sorted(tally.other_events.items())[:12])
        col.notes.append(
            f"{sum(tally.other_events.values())} log record(s) of events that are not a "
            f"person's interaction: {names}"
        )
    note = anonymous_note(tally.anonymous, "log record(s)")
    if note:
        col.notes.append(note)
    if tally.personless:
        col.notes.append(
            f"{tally.personless} log record(s) name no person (no user.email, user.id or "
            "enduser.id): counted in aggregate facts"
        )
