"""OTLP metrics and logs (Claude Code's own telemetry, GenAI metrics): shared reading, registry.

Claude Code exports OpenTelemetry *metrics* and *log events*, not spans, so these two formats
sit beside `otlp-genai` (spans). This module holds what both readers share — walking an OTLP/JSON
export request down to its data points or log records with their resource and scope, finding the
person and the tool — and declares `CONNECTORS` for `otlp-metrics` (`otlp_metrics.py`) and
`otlp-logs` (`otlp_logs.py`). AnyValue and KeyValue decoding is `otlp-genai`'s.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.connectors.base import Connector, ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector
from uptake.ingest.connectors.fields import RecordError, type_name
from uptake.ingest.connectors.loading import JsonInput
from uptake.ingest.connectors.otlp import attributes

# Attributes naming the person, most useful first: the e-mail joins to the roster; Claude Code's
# `user.id` is an anonymous per-installation id, used only when nothing better is present.
USER_KEYS = (
    "user.email",
    "enduser.id",
    "user.account_uuid",
    "user.account_id",
    "user.id",
    "enduser.pseudo.id",
)
ANONYMOUS_KEYS = frozenset({"user.id", "enduser.pseudo.id"})
IDENTIFIERS = frozenset(
    {*USER_KEYS, "user.name", "user.full_name", "user.hash", "enduser.name", "enduser.email"}
)
TOOLS = {"claude-code": "claude-code", "claude_code": "claude-code", "claude code": "claude-code"}
TOOL_PARAM = "tool name for every row (default: service.name, claude-code for Claude Code)"
SCOPE_PARAM = "label for aggregate facts (default: organization:<organization.id>, else none)"


def get(obj: Mapping[str, Any], camel: str) -> Any:
    """A field by its lowerCamelCase JSON name or its proto (snake_case) name.

    Args:
        obj: the JSON object.
        camel: the lowerCamelCase name.

    Returns:
        The value or None.
    """
    if camel in obj:
        return obj[camel]
    return obj.get(_snake(camel))


@lru_cache(maxsize=256)
def _snake(camel: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in camel)


def get_list(obj: Mapping[str, Any], camel: str, where: str) -> list[Any]:
    """An optional array field; absent or null gives [].

    Args:
        obj: the JSON object.
        camel: the lowerCamelCase name.
        where: path, for messages.

    Returns:
        The list.
    """
    value = get(obj, camel)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError("bad_type", where, f"expected an array, got {type_name(value)}")
    return value


def nanos(raw: Any, field: str) -> int | None:
    """Unix nanoseconds (decimal text or a JSON integer); absent or 0 gives None.

    Args:
        raw: the value.
        field: its name, for messages.

    Returns:
        Nanoseconds since the epoch, or None.
    """
    if raw in (None, "", 0, "0"):
        return None
    try:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise ValueError
        value = int(raw)
        to_time(value)
    except (ValueError, OverflowError, OSError):
        raise RecordError(
            "bad_timestamp", field, f"expected Unix nanoseconds as decimal text, got {raw!r:.30}"
        ) from None
    if value < 0:
        raise RecordError("bad_timestamp", field, "a time before 1970 is not a real export time")
    return value


def to_time(ns: int) -> datetime:
    """Unix nanoseconds as a UTC datetime (microsecond precision).

    Args:
        ns: nanoseconds since the epoch.

    Returns:
        The datetime.
    """
    secs, rest = divmod(ns, 10**9)
    return datetime.fromtimestamp(secs, UTC).replace(microsecond=rest // 1000)


def number(value: Any, field: str) -> float | None:
    """A finite number ≥ 0 sent as a number or as text (Claude Code sends `"0.0123"`).

    Args:
        value: decoded attribute or field value.
        field: its name, for messages.

    Returns:
        The number, or None when absent.
    """
    if value is None or value == "":
        return None
    result: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            result = None
    if result is None or not math.isfinite(result) or result < 0:
        raise RecordError("bad_type", field, f"expected a number ≥ 0, got {value!r:.30}")
    return result


def text(value: Any) -> str | None:
    """A non-blank string attribute (integers written as text), else None.

    Args:
        value: decoded attribute value.

    Returns:
        The stripped text or None.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() or None if isinstance(value, str) else None


def person(*layers: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first person attribute found, searching the layers in order (point, scope, resource).

    Args:
        layers: decoded attribute dicts, innermost first.

    Returns:
        (identifier, attribute key) or None.
    """
    for key in USER_KEYS:
        for layer in layers:
            found = text(layer.get(key))
            if found:
                return found, key
    return None


def tool_name(param: str | None, resource: Mapping[str, Any], *fallback: Any) -> str:
    """The `tool` column: the option, else the service (claude-code normalised), else a fallback.

    Args:
        param: the `tool` option.
        resource: decoded resource attributes.
        fallback: further candidates (a GenAI provider), then the format name.

    Returns:
        The tool name.
    """
    if param:
        return param
    service = text(resource.get("service.name"))
    if service:
        return TOOLS.get(service.lower(), service)
    for candidate in fallback:
        if text(candidate):
            return str(text(candidate))
    raise ValueError("tool_name needs a final fallback")


def scope_label(param: str | None, *layers: Mapping[str, Any]) -> str | None:
    """Whose aggregate a person-less number is: the option, else the organisation id.

    Args:
        param: the `scope` option.
        layers: decoded attribute dicts.

    Returns:
        e.g. `organization:1b2c…`, or None.
    """
    if param:
        return param
    for layer in layers:
        org = text(layer.get("organization.id"))
        if org:
            return f"organization:{org}"
    return None


def requests(
    path: Path, data: JsonInput, col: Collector, key: str, kind: str
) -> list[tuple[str, dict[str, Any]]]:
    """The export requests in a file: one document, a JSON array of them, or NDJSON of them.

    Args:
        path: the file.
        data: its parsed JSON.
        col: collector (NDJSON lines that are not requests are quarantined).
        key: the request's top-level array, `resourceMetrics` or `resourceLogs`.
        kind: what the request is called, for messages.

    Returns:
        (locator, request) pairs.
    """
    if data.is_ndjson:
        items = list(col.lines(data))
    elif isinstance(data.document, list):
        items = [(f"{path.name}:record {i}", r) for i, r in enumerate(data.document, start=1)]
    else:
        items = [(path.name, data.document)]
    out: list[tuple[str, dict[str, Any]]] = []
    for where, request in items:
        if isinstance(request, dict) and get(request, key) is not None:
            out.append((where, request))
            continue
        if data.is_ndjson:
            col.source_rows += 1
            col.reject(where, "unsupported_record", key, f"not an {kind}", request)
            continue
        hint = _other_signal(request)
        raise InputError(
            f"{path}: {where}: not an OTLP {kind}; expected an object with {key}[]" + hint
        )
    return out


def _other_signal(request: Any) -> str:
    if not isinstance(request, dict):
        return ""
    for key, fmt in (
        ("resourceSpans", "otlp-genai"),
        ("resourceMetrics", "otlp-metrics"),
        ("resourceLogs", "otlp-logs"),
    ):
        if get(request, key) is not None:
            return f" (this file holds {key}: use --format {fmt})"
    return ""


@dataclass
class Block:
    """The items (data points' metrics, or log records) of one scope, with their context."""

    locator: str
    resource: dict[str, Any]
    scope: dict[str, Any]
    scope_name: str | None
    items: list[Any]


def blocks(
    col: Collector, where: str, request: dict[str, Any], signal: str, items: str
) -> Iterator[Block]:
    """Walk `resource<Signal>[] → scope<Signal>[] → items[]`; a broken block is one reject.

    Args:
        col: collector for structural rejects.
        where: the request's locator.
        request: the export request.
        signal: `Metrics` or `Logs`.
        items: the item array's name, `metrics` or `logRecords`.

    Yields:
        One Block per scope.
    """
    outer = f"resource{signal}"
    try:
        resources = get_list(request, outer, outer)
    except RecordError as exc:
        col.source_rows += 1
        col.reject(where, exc.reason, exc.field, exc.detail, None)
        return
    for i, rs in enumerate(resources):
        loc = f"{where}:{outer}[{i}]"
        try:
            found = list(_scopes(rs, signal, items))
        except RecordError as exc:
            col.source_rows += 1
            col.reject(loc, exc.reason, exc.field, exc.detail, None)
            continue
        for j, resource, scope, name, listed in found:
            yield Block(f"{loc}.scope{signal}[{j}]", resource, scope, name, listed)


def _scopes(
    rs: Any, signal: str, items: str
) -> Iterator[tuple[int, dict[str, Any], dict[str, Any], str | None, list[Any]]]:
    if not isinstance(rs, dict):
        raise RecordError(
            "bad_type", f"resource{signal}", f"expected an object, got {type_name(rs)}"
        )
    res = get(rs, "resource") or {}
    if not isinstance(res, dict):
        raise RecordError("bad_type", "resource", "expected an object")
    resource = attributes(get_list(res, "attributes", "resource.attributes"), "resource.attributes")
    scoped = get_list(rs, f"scope{signal}", f"scope{signal}") or get_list(
        rs, f"instrumentationLibrary{signal}", f"instrumentationLibrary{signal}"
    )
    out = []
    for j, ss in enumerate(scoped):
        if not isinstance(ss, dict):
            raise RecordError("bad_type", f"scope{signal}[{j}]", "expected an object")
        sc = get(ss, "scope") or get(ss, "instrumentationLibrary") or {}
        if not isinstance(sc, dict):
            raise RecordError("bad_type", f"scope{signal}[{j}].scope", "expected an object")
        scope = attributes(get_list(sc, "attributes", "scope.attributes"), "scope.attributes")
        name = sc.get("name") if isinstance(sc.get("name"), str) else None
        out.append((j, resource, scope, name, get_list(ss, items, f"scope{signal}[{j}].{items}")))
    yield from out


def anonymous_note(count: int, what: str) -> str | None:
    """The note for rows whose person is only an anonymous installation id.

    Args:
        count: how many.
        what: `data point(s)` or `log record(s)`.

    Returns:
        The note, or None for zero.
    """
    if not count:
        return None
    return (
        f"{count} {what} name the person only by user.id (Claude Code's anonymous "
        "per-installation id, no user.email): they resolve to a roster person only if that "
        "id is listed as an alias"
    )


def _read_metrics(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    # Imported here: the readers import this module's helpers.
    from uptake.ingest.connectors import otlp_metrics

    return otlp_metrics.read(path, options)


def _read_logs(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    from uptake.ingest.connectors import otlp_logs

    return otlp_logs.read(path, options)


CONNECTORS: tuple[Connector, ...] = (
    Connector(
        "otlp-metrics",
        _read_metrics,
        "OpenTelemetry metrics (OTLP/JSON ExportMetricsServiceRequest), e.g. Claude Code's own "
        "export or GenAI client metrics → daily session/accept/reject events, per-person cost, "
        "token, lines, commit, pull-request and active-time facts; person-less points → "
        "aggregate facts",
        ("events", "person_facts", "aggregate_facts"),
        params={"tool": TOOL_PARAM, "scope": SCOPE_PARAM},
        identifiers=IDENTIFIERS,
    ),
    Connector(
        "otlp-logs",
        _read_logs,
        "OpenTelemetry log events (OTLP/JSON ExportLogsServiceRequest), e.g. Claude Code's "
        "user_prompt, tool_decision and api_request events → timestamped prompt, accept/reject "
        "and model-response events; person-less records → aggregate facts",
        ("events", "aggregate_facts"),
        params={"tool": TOOL_PARAM, "scope": SCOPE_PARAM},
        identifiers=IDENTIFIERS,
    ),
)
