"""OpenTelemetry GenAI spans: OTLP/JSON `ExportTraceServiceRequest` → events.

One `prompt` event per *interaction*: a span carrying `gen_ai.*` attributes whose ancestors
in the file carry none (a chat call, or the `invoke_agent` span around an agent's inner
calls). GenAI spans nested under another are steps of the same interaction: they add their
token counts to it (when it reports none itself) instead of inflating the prompt count.
Deprecated names are read too (`gen_ai.system`, `gen_ai.usage.prompt_tokens`,
`gen_ai.usage.completion_tokens`). The person comes from `user.id`, `enduser.id`,
`enduser.pseudo.id` or `user.email` on the span, its ancestors, its scope or its resource.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.connectors.base import ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector
from uptake.ingest.connectors.fields import RecordError, iso_utc, json_text, type_name
from uptake.ingest.connectors.loading import load_json
from uptake.ingest.redact import redact

SOURCE = "otlp-genai"
USER_KEYS = ("user.id", "enduser.id", "enduser.pseudo.id", "user.email")
# Attributes naming the user; only USER_KEYS are read (the first found is the person).
IDENTIFIERS = frozenset(
    {*USER_KEYS, "user.name", "user.full_name", "user.hash", "enduser.name", "enduser.email"}
)
# Current name → deprecated names still emitted by older instrumentations.
ALIASES = {
    "gen_ai.provider.name": ("gen_ai.system",),
    "gen_ai.usage.input_tokens": ("gen_ai.usage.prompt_tokens",),
    "gen_ai.usage.output_tokens": ("gen_ai.usage.completion_tokens",),
}
# Operations that are not a person's request when they stand alone (indexing, tool plumbing).
NOT_INTERACTIONS = frozenset({"embeddings", "retrieval", "execute_tool", "create_agent"})
TOKEN_KEYS = {
    "input_tokens": "gen_ai.usage.input_tokens",
    "output_tokens": "gen_ai.usage.output_tokens",
    "cache_read_input_tokens": "gen_ai.usage.cache_read.input_tokens",
    "cache_creation_input_tokens": "gen_ai.usage.cache_creation.input_tokens",
    "reasoning_output_tokens": "gen_ai.usage.reasoning.output_tokens",
}
KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def _get(obj: Mapping[str, Any], camel: str) -> Any:
    """A field by its lowerCamelCase JSON name or its original proto (snake_case) name."""
    if camel in obj:
        return obj[camel]
    snake = "".join("_" + c.lower() if c.isupper() else c for c in camel)
    return obj.get(snake)


def _list(obj: Mapping[str, Any], camel: str, where: str) -> list[Any]:
    value = _get(obj, camel)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError("bad_type", where, f"expected an array, got {type_name(value)}")
    return value


def any_value(value: Any, where: str) -> Any:
    """Decode an OTLP AnyValue (`{"stringValue": …}`, `{"intValue": "42"}`, …).

    Args:
        value: the AnyValue object.
        where: its path, for messages.

    Returns:
        The Python value (str, int, float, bool, list, dict or None).
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RecordError("bad_type", where, f"expected an AnyValue object, got {type_name(value)}")
    for key in ("stringValue", "string_value", "bytesValue", "bytes_value"):
        if key in value:
            if not isinstance(value[key], str):
                raise RecordError("bad_type", where, f"{key} must be a string")
            return value[key]
    for key in ("boolValue", "bool_value"):
        if key in value:
            if not isinstance(value[key], bool):
                raise RecordError("bad_type", where, f"{key} must be true/false")
            return value[key]
    for key in ("intValue", "int_value"):
        if key in value:
            raw = value[key]
            if isinstance(raw, bool) or not isinstance(raw, int | str):
                raise RecordError("bad_type", where, "intValue must be an integer or its text")
            try:
                return int(raw)
            except ValueError:
                raise RecordError(
                    "bad_type", where, f"intValue {raw!r:.30} is not an integer"
                ) from None
    for key in ("doubleValue", "double_value"):
        if key in value:
            raw = value[key]
            if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                raise RecordError("bad_type", where, "doubleValue must be a number")
            try:
                number = float(raw)
            except ValueError:
                raise RecordError(
                    "bad_type", where, f"doubleValue {raw!r:.30} is not a number"
                ) from None
            return number if math.isfinite(number) else None
    for key in ("arrayValue", "array_value"):
        if key in value:
            inner = value[key] if isinstance(value[key], dict) else {}
            items = _list(inner, "values", f"{where}.arrayValue.values")
            return [any_value(v, f"{where}[{i}]") for i, v in enumerate(items)]
    for key in ("kvlistValue", "kvlist_value"):
        if key in value:
            inner = value[key] if isinstance(value[key], dict) else {}
            return attributes(_list(inner, "values", f"{where}.kvlistValue.values"), where)
    return None


def attributes(items: list[Any], where: str) -> dict[str, Any]:
    """Decode a list of OTLP KeyValue into a dict.

    Args:
        items: `[{"key": …, "value": AnyValue}, …]`.
        where: path, for messages.

    Returns:
        key → decoded value.
    """
    out: dict[str, Any] = {}
    for i, kv in enumerate(items):
        if not isinstance(kv, dict) or not isinstance(kv.get("key"), str):
            raise RecordError("bad_type", f"{where}[{i}]", "expected a KeyValue {key, value}")
        out[kv["key"]] = any_value(kv.get("value"), f"{where}[{kv['key']}]")
    return out


def _genai(attrs: Mapping[str, Any]) -> bool:
    return any(k.startswith("gen_ai.") for k in attrs)


def _attr(attrs: Mapping[str, Any], name: str, used: list[str]) -> Any:
    if attrs.get(name) is not None:
        return attrs[name]
    for old in ALIASES.get(name, ()):
        if attrs.get(old) is not None:
            used.append(old)
            return attrs[old]
    return None


def _nanos(span: Mapping[str, Any], camel: str) -> datetime | None:
    raw = _get(span, camel)
    if raw in (None, "", 0, "0"):
        return None
    try:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise ValueError
        secs, rest = divmod(int(raw), 10**9)
        return datetime.fromtimestamp(secs, UTC).replace(microsecond=rest // 1000)
    except (ValueError, OverflowError, OSError):
        raise RecordError(
            "bad_timestamp", camel, f"expected Unix nanoseconds as decimal text, got {raw!r:.30}"
        ) from None


@dataclass
class _Span:
    locator: str
    raw: Any
    resource: dict[str, Any]
    scope: dict[str, Any]
    scope_name: str | None
    attrs: dict[str, Any] | None = None
    trace: str = ""
    span_id: str = ""
    parent: str = ""
    ancestors: list[_Span] = field(default_factory=list)
    root: _Span | None = None
    nested: list[_Span] = field(default_factory=list)


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read an OTLP/JSON trace export (one request, an array of them, or NDJSON of them).

    Args:
        path: the JSON file.
        options: param `tool` names the tool for every event (default: the resource's
            `service.name`, else `gen_ai.provider.name`).

    Returns:
        events.
    """
    opts = ConnectorOptions.coerce(options)
    data = load_json(path)
    col = Collector("events")
    if data.is_ndjson:
        requests = list(col.lines(data))
    elif isinstance(data.document, list):
        requests = [(f"{path.name}:record {i}", r) for i, r in enumerate(data.document, start=1)]
    else:
        requests = [(path.name, data.document)]
    spans: list[_Span] = []
    for where, request in requests:
        if not isinstance(request, dict) or _get(request, "resourceSpans") is None:
            if data.is_ndjson:
                col.source_rows += 1
                col.reject(
                    where, "unsupported_record", "resourceSpans", "not a trace export", request
                )
                continue
            raise InputError(
                f"{path}: {where}: not an OTLP ExportTraceServiceRequest; expected an object "
                "with resourceSpans[]"
            )
        _spans(col, where, request, spans)
    _link(spans)
    skipped = {"no_genai": 0, "nested": 0, "not_interaction": 0}
    col.each(
        [(s.locator, s) for s in spans],
        lambda loc, s: _span(col, loc, s, opts.param("tool"), skipped),
        source=lambda s: s.raw,
    )
    if skipped["no_genai"]:
        col.notes.append(f"{skipped['no_genai']} span(s) without gen_ai.* attributes: not AI calls")
    if skipped["nested"]:
        col.notes.append(
            f"{skipped['nested']} GenAI span(s) nested in another GenAI span: counted as steps "
            "of that interaction (tokens added to it), not as separate prompts"
        )
    if skipped["not_interaction"]:
        col.notes.append(
            f"{skipped['not_interaction']} top-level GenAI span(s) of operations "
            f"{sorted(NOT_INTERACTIONS)}: background work, not a person's request"
        )
    return col.result()


def _spans(col: Collector, where: str, request: dict[str, Any], out: list[_Span]) -> None:
    """Flatten one request into spans with their resource and scope context.

    A structurally broken resource or scope block is rejected as one record.
    """
    try:
        resource_spans = _list(request, "resourceSpans", "resourceSpans")
    except RecordError as exc:
        col.source_rows += 1
        col.reject(where, exc.reason, exc.field, exc.detail, None)
        return
    for i, rs in enumerate(resource_spans):
        loc_rs = f"{where}:resourceSpans[{i}]"
        try:
            if not isinstance(rs, dict):
                raise RecordError(
                    "bad_type", "resourceSpans", f"expected an object, got {type_name(rs)}"
                )
            res = _get(rs, "resource") or {}
            if not isinstance(res, dict):
                raise RecordError("bad_type", "resource", "expected an object")
            resource = attributes(
                _list(res, "attributes", "resource.attributes"), "resource.attributes"
            )
            scope_spans = _list(rs, "scopeSpans", "scopeSpans") or _list(
                rs, "instrumentationLibrarySpans", "instrumentationLibrarySpans"
            )
            blocks = []
            for j, ss in enumerate(scope_spans):
                if not isinstance(ss, dict):
                    raise RecordError("bad_type", f"scopeSpans[{j}]", "expected an object")
                sc = _get(ss, "scope") or _get(ss, "instrumentationLibrary") or {}
                if not isinstance(sc, dict):
                    raise RecordError("bad_type", f"scopeSpans[{j}].scope", "expected an object")
                scope = attributes(_list(sc, "attributes", "scope.attributes"), "scope.attributes")
                name = sc.get("name") if isinstance(sc.get("name"), str) else None
                blocks.append((j, scope, name, _list(ss, "spans", f"scopeSpans[{j}].spans")))
        except RecordError as exc:
            col.source_rows += 1
            col.reject(loc_rs, exc.reason, exc.field, exc.detail, None)
            continue
        for j, scope, name, spans in blocks:
            for k, raw in enumerate(spans):
                loc = f"{loc_rs}.scopeSpans[{j}].spans[{k}]"
                out.append(_Span(loc, raw, resource, scope, name))


def _hex(span: Mapping[str, Any], camel: str) -> str:
    value = _get(span, camel)
    return value.strip().lower() if isinstance(value, str) else ""


def _link(spans: list[_Span]) -> None:
    """Decode attributes where possible and index spans by (trace, span id) for ancestry."""
    for s in spans:
        if not isinstance(s.raw, dict):
            continue
        s.trace, s.span_id, s.parent = (
            _hex(s.raw, "traceId"),
            _hex(s.raw, "spanId"),
            _hex(s.raw, "parentSpanId"),
        )
        try:
            s.attrs = attributes(_list(s.raw, "attributes", "attributes"), "attributes")
        except RecordError:
            s.attrs = None
    index = {(s.trace, s.span_id): s for s in spans if s.span_id}
    for s in spans:
        s.ancestors = _ancestors(s, index)
        if s.attrs is None or not _genai(s.attrs):
            continue
        genai = [a for a in s.ancestors if a.attrs is not None and _genai(a.attrs)]
        if genai:
            s.root = genai[-1]
            s.root.nested.append(s)


def _ancestors(s: _Span, index: Mapping[tuple[str, str], _Span]) -> list[_Span]:
    """Parent, grandparent, … of a span within the file (stops at a cycle or a gap)."""
    out: list[_Span] = []
    seen = {s.span_id}
    cur = s
    while cur.parent and cur.parent not in seen:
        parent = index.get((cur.trace, cur.parent))
        if parent is None:
            break
        seen.add(parent.span_id)
        out.append(parent)
        cur = parent
    return out


def _span(col: Collector, loc: str, s: _Span, tool: str | None, skipped: dict[str, int]) -> None:
    if not isinstance(s.raw, dict):
        raise RecordError("bad_type", None, f"expected a span object, got {type_name(s.raw)}")
    attrs = attributes(_list(s.raw, "attributes", "attributes"), "attributes")
    if not _genai(attrs):
        skipped["no_genai"] += 1
        return
    if s.root is not None:
        skipped["nested"] += 1
        return
    used: list[str] = []
    op = _attr(attrs, "gen_ai.operation.name", used)
    if isinstance(op, str) and op in NOT_INTERACTIONS:
        skipped["not_interaction"] += 1
        return
    if not s.trace or not s.span_id:
        raise RecordError("missing_required", "traceId/spanId", "a span needs both ids")
    person = _person(s, attrs)
    start = _nanos(s.raw, "startTimeUnixNano")
    if start is None:
        raise RecordError("bad_timestamp", "startTimeUnixNano", "the span has no start time")
    end = _nanos(s.raw, "endTimeUnixNano")
    if end is not None and end < start:
        raise RecordError("bad_timestamp", "endTimeUnixNano", "the span ends before it starts")
    provider = _attr(attrs, "gen_ai.provider.name", used)
    tokens = {k: _count(_attr(attrs, v, used), v) for k, v in TOKEN_KEYS.items()}
    from_nested = _nested_tokens(s)
    for k, v in from_nested.items():
        if tokens.get(k) is None:
            tokens[k] = v
    kind = _get(s.raw, "kind")
    service = s.resource.get("service.name")
    detail = {
        "operation": op,
        "provider": provider,
        "request_model": attrs.get("gen_ai.request.model"),
        "response_model": attrs.get("gen_ai.response.model"),
        **tokens,
        "finish_reasons": attrs.get("gen_ai.response.finish_reasons"),
        "error_type": attrs.get("error.type"),
        "agent": attrs.get("gen_ai.agent.name"),
        "span_name": _span_name(_get(s.raw, "name"), person),
        "span_kind": KINDS.get(kind, kind) if isinstance(kind, int) else kind,
        "service": service,
        "scope": s.scope_name,
        "nested_spans": len(s.nested) or None,
        "deprecated_attributes": sorted(set(used)) or None,
    }
    col.add(
        "events",
        loc,
        event_id=f"otel-{s.trace}-{s.span_id}",
        ts=iso_utc(start),
        person=person,
        tool=tool or _text(service) or _text(provider) or SOURCE,
        action="prompt",
        workflow=_text(attrs.get("gen_ai.workflow.name")),
        session_id=_text(attrs.get("gen_ai.conversation.id") or attrs.get("session.id")),
        duration_ms=round((end - start).total_seconds() * 1000) if end else None,
        attrs=json_text({k: v for k, v in detail.items() if v is not None}),
    )


def _span_name(name: Any, person: str) -> str | None:
    """The span name as free text: instrumentations put request text, even addresses, in it."""
    if not isinstance(name, str):
        return None
    if len(person) >= 3:
        name = re.sub(re.escape(person), "[person]", name, flags=re.IGNORECASE)
    return redact(name)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _person(s: _Span, attrs: Mapping[str, Any]) -> str:
    chain: list[Mapping[str, Any]] = [attrs]
    chain += [a.attrs for a in s.ancestors if a.attrs is not None]
    chain += [s.scope, s.resource]
    for layer in chain:
        for key in USER_KEYS:
            value = layer.get(key)
            text = str(value) if isinstance(value, int) and not isinstance(value, bool) else None
            text = text or _text(value)
            if text:
                return text
    raise RecordError(
        "missing_required",
        "user.id",
        "no user.id, enduser.id, enduser.pseudo.id or user.email on the span, its parents, "
        "its scope or its resource",
    )


def _count(value: Any, name: str) -> float | None:
    """A token count attribute as a number (instrumentations send int, double or text)."""
    if value is None:
        return None
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is not None and math.isfinite(number) and number >= 0:
        return number
    raise RecordError(
        "bad_type", f"attributes[{name}]", f"expected a token count, got {value!r:.30}"
    )


def _nested_tokens(s: _Span) -> dict[str, float]:
    total: dict[str, float] = {}
    for n in s.nested:
        for k, name in TOKEN_KEYS.items():
            try:
                value = _count(_attr(n.attrs or {}, name, []), name)
            except RecordError:
                value = None
            if value is not None:
                total[k] = total.get(k, 0.0) + value
    return total
