"""OTLP/JSON metrics (`ExportMetricsServiceRequest`) → daily events, person facts, aggregates.

Reads Claude Code's own metrics (`claude_code.*`) and the GenAI client metrics
(`gen_ai.client.token.usage`, `gen_ai.client.operation.duration`). Counts of interactions
(sessions started, code edits accepted or rejected) become `events` at daily grain, one row per
data-point interval with the count in `quantity`; other per-person numbers (cost in USD,
tokens, lines, commits, pull requests, active seconds, model requests) become `person_facts`
summed per day; points that name no person become `aggregate_facts`.

Temporality: a delta point counts its own interval. A cumulative point counts everything since
its start time, so consecutive points of one series (same metric, resource, scope, attributes
and start) are differenced; a value that falls is a counter reset and counts from zero. A point
repeated with the same series, start and time counts once, and event ids derive from exactly
that triple, so ingesting an export twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from uptake.ingest.connectors.aggregates import add_fact
from uptake.ingest.connectors.base import ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector, stable_id
from uptake.ingest.connectors.fields import (
    RecordError,
    day_start,
    iso_utc,
    json_text,
    slug,
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

SOURCE = "otlp-metrics"
KINDS = ("sum", "gauge", "histogram", "exponentialHistogram", "summary")
TEMPORALITY = {
    1: "delta",
    "AGGREGATION_TEMPORALITY_DELTA": "delta",
    2: "cumulative",
    "AGGREGATION_TEMPORALITY_CUMULATIVE": "cumulative",
}
# Point attributes that describe a number (never a person): breakdowns of facts and aggregates.
DIMS = (
    *("type", "model", "tool_name", "decision", "source", "language", "start_type"),
    *("query_source", "speed", "effort", "agent.name", "skill.name", "terminal.type"),
    *("gen_ai.token.type", "gen_ai.operation.name", "gen_ai.provider.name"),
    *("gen_ai.request.model", "gen_ai.response.model"),
)
DIM_SET = frozenset(DIMS)
TOKEN_TYPES = {
    "input": "input_tokens",
    "output": "output_tokens",
    "cacheRead": "cache_read_tokens",
    "cacheCreation": "cache_creation_tokens",
}
SIMPLE_FACTS = {
    "claude_code.cost.usage": "cost",
    "claude_code.commit.count": "commits",
    "claude_code.pull_request.count": "pull_requests",
    "claude_code.active_time.total": "active_seconds",
}
# Person-less event counts keep the count's name in aggregate_facts.
AGGREGATE_NAMES = {"session_start": "sessions", "accept": "accepts", "reject": "rejects"}
KNOWN = frozenset(
    (
        *SIMPLE_FACTS,
        *("claude_code.session.count", "claude_code.code_edit_tool.decision"),
        *("claude_code.token.usage", "claude_code.lines_of_code.count"),
        *("gen_ai.client.token.usage", "gen_ai.client.operation.duration"),
    )
)


Dims = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Target:
    """One canonical number a data point feeds: an event action or a fact, from one value."""

    kind: str  # "event" or "fact"
    name: str  # action or fact name
    value: str  # "value" (sum/gauge), "count" or "sum" (histograms)
    feature: str | None = None


def targets(metric: str, attrs: Mapping[str, Any]) -> list[Target]:
    """What a point of `metric` with these attributes counts.

    Args:
        metric: the metric name.
        attrs: the point's decoded attributes.

    Returns:
        Targets (empty for an unknown metric).
    """
    kind = text(attrs.get("type"))
    if metric == "claude_code.session.count":
        return [Target("event", "session_start", "value", "session")]
    if metric == "claude_code.code_edit_tool.decision":
        decision = text(attrs.get("decision"))
        if decision not in ("accept", "reject"):
            raise RecordError(
                "bad_enum", "attributes[decision]", f"expected accept or reject, got {decision!r}"
            )
        return [Target("event", decision, "value", "code_edit")]
    if metric in SIMPLE_FACTS:
        return [Target("fact", SIMPLE_FACTS[metric], "value")]
    if metric == "claude_code.token.usage":
        name = TOKEN_TYPES.get(kind or "", f"{slug(kind)}_tokens" if kind else "tokens")
        return [Target("fact", name, "value")]
    if metric == "claude_code.lines_of_code.count":
        return [Target("fact", f"lines_{slug(kind)}" if kind else "lines_changed", "value")]
    if metric == "gen_ai.client.token.usage":
        token = text(attrs.get("gen_ai.token.type"))
        token = "output" if token == "completion" else token
        name = TOKEN_TYPES.get(token or "", f"{slug(token)}_tokens" if token else "tokens")
        return [Target("fact", name, "sum")]
    if metric == "gen_ai.client.operation.duration":
        return [
            Target("fact", "model_requests", "count"),
            Target("fact", "model_request_seconds", "sum"),
        ]
    return []


@dataclass
class _Point:
    locator: str
    metric: str
    unit: str | None
    temporality: str
    series: str
    start: int | None
    time: int
    values: dict[str, float]
    targets: list[Target]
    who: tuple[str, str] | None
    tool: str
    scope: str | None
    dims: dict[str, str]
    session: str | None


@dataclass
class _Metric:
    name: str
    unit: str | None
    kind: str
    temporality: str
    block: Block
    unspecified: bool
    context: str = ""  # resource and scope as text, the series id's prefix (once per metric)


@dataclass
class _Fact:
    locator: str
    person: str
    total: float = 0.0
    points: int = 0
    first: int = 0
    last: int = 0
    metrics: set[str] = field(default_factory=set)
    units: set[str] = field(default_factory=set)
    scope: str | None = None
    breakdown: dict[Dims, float] = field(default_factory=dict)


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read an OTLP/JSON metrics export (one request, an array of them, or NDJSON of them).

    Args:
        path: the JSON file.
        options: `tool` names the tool (default: `service.name`); `scope` labels aggregates
            (default: `organization:<organization.id>`).

    Returns:
        events, person_facts and aggregate_facts.
    """
    opts = ConnectorOptions.coerce(options)
    data = load_json(path)
    col = Collector("events", "person_facts", "aggregate_facts")
    items: list[tuple[str, tuple[_Metric, Any]]] = []
    unspecified = 0
    for where, request in requests(
        path, data, col, "resourceMetrics", "ExportMetricsServiceRequest"
    ):
        for block in blocks(col, where, request, "Metrics", "metrics"):
            for k, raw in enumerate(block.items):
                loc = f"{block.locator}.metrics[{k}]"
                try:
                    metric, listed = _metric(raw, block)
                except RecordError as exc:
                    col.source_rows += 1
                    col.reject(loc, exc.reason, exc.field, exc.detail, raw)
                    continue
                unspecified += metric.unspecified
                items += [(f"{loc}.dataPoints[{m}]", (metric, p)) for m, p in enumerate(listed)]
    points: list[_Point] = []
    unknown: dict[str, int] = {}
    col.each(
        items,
        lambda loc, item: _point(loc, item[0], item[1], opts, points, unknown),
        source=lambda item: item[1],
    )
    _emit(col, points)
    _notes(col, points, unknown, unspecified)
    return col.result()


def _metric(raw: Any, block: Block) -> tuple[_Metric, list[Any]]:
    """A metric's header (name, kind, temporality) and its data points."""
    if not isinstance(raw, dict):
        raise RecordError("bad_type", None, f"expected a metric object, got {type_name(raw)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RecordError("missing_required", "name", "a metric needs a name")
    found = [k for k in KINDS if get(raw, k) is not None]
    if len(found) != 1:
        raise RecordError(
            "unsupported_record",
            name,
            "expected exactly one of sum, gauge, histogram, exponentialHistogram, summary",
        )
    body = get(raw, found[0])
    if not isinstance(body, dict):
        raise RecordError("bad_type", found[0], f"expected an object, got {type_name(body)}")
    raw_temp = get(body, "aggregationTemporality")
    unspec = raw_temp in (None, 0, "AGGREGATION_TEMPORALITY_UNSPECIFIED")
    if found[0] == "summary":
        temporality = "cumulative"  # summaries are cumulative by definition
    elif found[0] == "gauge" or unspec:
        temporality = "delta"
    elif isinstance(raw_temp, int | str) and raw_temp in TEMPORALITY:
        temporality = TEMPORALITY[raw_temp]
    else:
        raise RecordError(
            "bad_enum", "aggregationTemporality", f"expected 1 (delta) or 2, got {raw_temp!r:.30}"
        )
    unit = raw.get("unit") if isinstance(raw.get("unit"), str) else None
    metric = _Metric(
        name.strip(),
        unit,
        found[0],
        temporality,
        block,
        unspec and found[0] in ("sum", "histogram", "exponentialHistogram"),
        f"{json_text(block.resource)}\x1f{block.scope_name}\x1f{json_text(block.scope)}",
    )
    return metric, get_list(body, "dataPoints", f"{found[0]}.dataPoints")


def _values(kind: str, dp: Mapping[str, Any]) -> dict[str, float]:
    if kind in ("sum", "gauge"):
        for key in ("asInt", "asDouble"):
            raw = get(dp, key)
            if raw is not None:
                value = number(raw, key)
                return {"value": value or 0.0}
        raise RecordError("missing_required", "asInt/asDouble", "a number point needs a value")
    count = number(get(dp, "count"), "count")
    if count is None:
        raise RecordError("missing_required", "count", f"a {kind} point needs a count")
    total = get(dp, "sum")
    return {"count": count, "sum": (number(total, "sum") or 0.0) if total is not None else 0.0}


def _point(
    loc: str,
    metric: _Metric,
    dp: Any,
    opts: ConnectorOptions,
    out: list[_Point],
    unknown: dict[str, int],
) -> None:
    if not isinstance(dp, dict):
        raise RecordError("bad_type", None, f"expected a data point object, got {type_name(dp)}")
    attrs = attributes(get_list(dp, "attributes", "attributes"), "attributes")
    if metric.name not in KNOWN:
        unknown[metric.name] = unknown.get(metric.name, 0) + 1
        return
    time = nanos(get(dp, "timeUnixNano"), "timeUnixNano")
    if time is None:
        raise RecordError("bad_timestamp", "timeUnixNano", "the point has no time")
    start = nanos(get(dp, "startTimeUnixNano"), "startTimeUnixNano")
    if start is not None and start > time:
        raise RecordError("bad_timestamp", "startTimeUnixNano", "the interval starts after it ends")
    values = _values(metric.kind, dp)
    wanted = targets(metric.name, attrs)
    if any(t.value == "sum" for t in wanted) and get(dp, "sum") is None:
        raise RecordError("missing_required", "sum", f"{metric.name} needs the histogram sum")
    block = metric.block
    who = person(attrs, block.scope, block.resource)
    provider = attrs.get("gen_ai.provider.name")
    series = stable_id("s", metric.name, metric.context, repr(sorted(attrs.items())))
    # Claude Code's metrics without a service.name are still Claude Code's.
    claude = "claude-code" if metric.name.startswith("claude_code.") else None
    out.append(
        _Point(
            locator=loc,
            metric=metric.name,
            unit=metric.unit,
            temporality=metric.temporality,
            series=series,
            start=start,
            time=time,
            values=values,
            targets=wanted,
            who=who,
            tool=tool_name(opts.param("tool"), block.resource, provider, claude, SOURCE),
            scope=scope_label(opts.param("scope"), attrs, block.resource),
            dims={k: str(text(v)) for k, v in attrs.items() if k in DIM_SET and text(v)},
            session=text(attrs.get("session.id")),
        )
    )


Delta = tuple[_Point, int | None, dict[str, float]]


def deltas(points: list[_Point]) -> tuple[list[Delta], int, int]:
    """Each point's own interval: cumulative series differenced, repeated points dropped.

    Args:
        points: the parsed points.

    Returns:
        ((point, interval start, interval values) triples, repeated points dropped, counter
        resets seen).
    """
    seen: set[tuple[str, int | None, int]] = set()
    repeats = resets = 0
    series: dict[tuple[str, int | None], list[_Point]] = {}
    out: list[Delta] = []
    for p in points:
        key = (p.series, p.start, p.time)
        if key in seen:
            repeats += 1
            continue
        seen.add(key)
        if p.temporality == "cumulative":
            series.setdefault((p.series, p.start), []).append(p)
        else:
            out.append((p, p.start, p.values))
    for run in series.values():
        run.sort(key=lambda p: p.time)
        before: dict[str, float] = {}
        since = run[0].start
        for p in run:
            if any(p.values[k] < before.get(k, 0.0) for k in p.values):
                resets += 1
                before, since = {}, p.start
            out.append((p, since, {k: v - before.get(k, 0.0) for k, v in p.values.items()}))
            before, since = p.values, p.time
    order = {id(p): i for i, p in enumerate(points)}
    out.sort(key=lambda pair: order[id(pair[0])])
    return out, repeats, resets


def _emit(col: Collector, points: list[_Point]) -> None:
    facts: dict[tuple[str, str, date, str], _Fact] = {}
    aggregates: dict[tuple[date, str, str, str | None, Dims], tuple[str, float]] = {}
    pairs, col_repeats, col_resets = deltas(points)
    col.notes += [
        n
        for n in (
            f"{col_repeats} data point(s) repeated (same series, start and time): counted once"
            if col_repeats
            else None,
            f"{col_resets} cumulative counter reset(s): counted from zero" if col_resets else None,
        )
        if n
    ]
    for p, since, values in pairs:
        day = to_time(p.time).date()
        for t in p.targets:
            value = values[t.value]
            dims = {**p.dims, **({"currency": "USD"} if t.name == "cost" else {})}
            if p.who is None:
                key = (day, p.tool, AGGREGATE_NAMES.get(t.name, t.name), p.scope, _key(dims))
                loc, total = aggregates.get(key, (p.locator, 0.0))
                aggregates[key] = (loc, total + value)
            elif t.kind == "event":
                _event(col, p, t, day, since, round(value))
            else:
                # Identifiers compare case-insensitively: one fact per person, not per spelling.
                fact_key = (p.who[0].lower(), p.tool, day, t.name)
                fact = facts.setdefault(fact_key, _Fact(p.locator, p.who[0]))
                fact.total += value
                fact.points += 1
                fact.first = min(fact.first or p.time, p.time)
                fact.last = max(fact.last, p.time)
                fact.metrics.add(p.metric)
                fact.units.update([p.unit] if p.unit else [])
                fact.scope = fact.scope or p.scope
                part = _key(p.dims)
                fact.breakdown[part] = fact.breakdown.get(part, 0.0) + value
    for (_, tool, day, name), f in facts.items():
        _fact(col, f.person, tool, day, name, f)
    for (day, tool, metric, scope, dims_key), (loc, total) in aggregates.items():
        add_fact(
            col,
            loc,
            day=day,
            source=SOURCE,
            tool=tool,
            metric=metric,
            scope=scope,
            dims=dict(dims_key),
            value=total,
        )


def _event(col: Collector, p: _Point, t: Target, day: date, since: int | None, count: int) -> None:
    if count <= 0 or p.who is None:
        return
    detail: dict[str, Any] = {
        "granularity": "day",
        "feature": t.feature,
        "count_of": p.metric,
        "interval_start": iso_utc(to_time(since)) if since else None,
        "interval_end": iso_utc(to_time(p.time)),
        "temporality": p.temporality,
        "scope": p.scope,
        **{k: v for k, v in p.dims.items() if k != "terminal.type"},
    }
    col.add(
        "events",
        p.locator,
        event_id=stable_id("otlpm", SOURCE, p.series, p.start, p.time, t.name),
        ts=day_start(day),
        person=p.who[0],
        tool=p.tool,
        action=t.name,
        surface=p.dims.get("terminal.type"),
        session_id=p.session,
        quantity=count,
        attrs=json_text({k: v for k, v in detail.items() if v is not None}),
    )


def _fact(col: Collector, who: str, tool: str, day: date, name: str, f: _Fact) -> None:
    breakdown = [{**dict(k), "value": v} for k, v in sorted(f.breakdown.items())]
    detail: dict[str, Any] = {
        "granularity": "day",
        "metrics": sorted(f.metrics),
        "unit": "USD" if name == "cost" else (sorted(f.units)[0] if len(f.units) == 1 else None),
        "currency": "USD" if name == "cost" else None,
        "points": f.points,
        "first_point": iso_utc(to_time(f.first)),
        "last_point": iso_utc(to_time(f.last)),
        "scope": f.scope,
        "breakdown": breakdown if len(breakdown) > 1 or breakdown[0].keys() - {"value"} else None,
    }
    col.add(
        "person_facts",
        f.locator,
        person=who,
        source=SOURCE,
        tool=tool,
        report_date=day.isoformat(),
        fact=name,
        value=f.total,
        attrs=json_text({k: v for k, v in detail.items() if v is not None}),
    )


def _key(dims: Mapping[str, str]) -> Dims:
    return tuple(sorted(dims.items()))


def _notes(col: Collector, points: list[_Point], unknown: dict[str, int], unspecified: int) -> None:
    if unknown:
        names = ", ".join(f"{k} ({v})" for k, v in sorted(unknown.items())[:12])
        col.notes.append(
            f"{sum(unknown.values())} data point(s) of metrics this format does not read: {names}"
        )
    if unspecified:
        col.notes.append(
            f"{unspecified} metric(s) without aggregationTemporality: read as delta (Claude "
            "Code's default)"
        )
    cumulative = {(p.series, p.start) for p in points if p.temporality == "cumulative"}
    if cumulative:
        col.notes.append(
            f"{len(cumulative)} cumulative series: differenced within this file; the first point "
            "of each counts everything since its start time, so ingest a cumulative export as "
            "one file (or switch the exporter to delta) to avoid counting a period twice"
        )
    anon = sum(1 for p in points if p.who and p.who[1] in ANONYMOUS_KEYS)
    note = anonymous_note(anon, "data point(s)")
    if note:
        col.notes.append(note)
    personless = sum(1 for p in points if p.who is None)
    if personless:
        col.notes.append(
            f"{personless} data point(s) name no person (no user.email, user.id or "
            "enduser.id): kept as aggregate facts"
        )
