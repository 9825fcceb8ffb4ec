"""Claude Code's OpenTelemetry export as the collector's file exporter writes it (NDJSON).

`make_otlp_metrics` writes delta-temporality metric exports (one request per 60-second export
of one session: tokens, cost, active time, edit decisions, lines, commits, pull requests,
session starts); `make_otlp_logs` writes log-event exports (user_prompt, api_request,
tool_decision, tool_result). Names and attributes follow Claude Code's monitoring docs; the
values are random with a fixed seed, so a file of n records is the same every time.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SEED = 20251001
PEOPLE = 400
DAY0 = 1_759_276_800  # 2025-10-01T00:00:00Z
ORG = "6f1c2a4e-8d3b-4c55-9e0a-1b2c3d4e5f60"
MODELS = ("claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1")
TERMINALS = ("vscode", "iTerm.app", "cursor", "tmux", "Apple_Terminal")
LANGUAGES = ("TypeScript", "Python", "Go", "Java", "Markdown", "unknown")
RESOURCE = {
    "attributes": [
        {"key": "service.name", "value": {"stringValue": "claude-code"}},
        {"key": "service.version", "value": {"stringValue": "2.0.14"}},
        {"key": "os.type", "value": {"stringValue": "darwin"}},
        {"key": "host.arch", "value": {"stringValue": "arm64"}},
    ]
}
SCOPE = {"name": "com.anthropic.claude_code", "version": "2.0.14"}


def _kv(attrs: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": {"stringValue": str(v)}} for k, v in attrs.items()]


def _ns(seconds: float) -> str:
    return str(int(seconds * 1_000_000_000))


class _Session:
    """One person's Claude Code session: standard attributes and a clock."""

    def __init__(self, rng: random.Random, people: list[dict[str, str]]) -> None:
        who = rng.choice(people)
        self.rng = rng
        self.attrs = {
            "user.id": who["device"],
            "session.id": f"{rng.getrandbits(128):032x}",
            "organization.id": ORG,
            "user.email": who["email"],
            "user.account_uuid": who["account"],
            "terminal.type": who["terminal"],
        }
        self.clock: float = DAY0 + rng.randrange(30) * 86_400 + rng.randrange(8 * 3600, 19 * 3600)
        self.model = rng.choice(MODELS)


def _people(rng: random.Random) -> list[dict[str, str]]:
    return [
        {
            "email": f"dev{i:04d}@example.com",
            "device": f"{rng.getrandbits(256):064x}",
            "account": f"{rng.getrandbits(128):032x}",
            "terminal": rng.choice(TERMINALS),
        }
        for i in range(PEOPLE)
    ]


def _point(
    attrs: dict[str, Any], value: float, start: float, end: float, integer: bool
) -> dict[str, Any]:
    p: dict[str, Any] = {
        "attributes": _kv(attrs),
        "startTimeUnixNano": _ns(start),
        "timeUnixNano": _ns(end),
    }
    p["asInt" if integer else "asDouble"] = str(int(value)) if integer else value
    return p


def _metric_batches(rng: random.Random) -> Iterator[list[dict[str, Any]]]:
    """Endless export batches: each a list of metrics, each metric with its points."""
    people = _people(rng)
    while True:
        s = _Session(rng, people)
        for minute in range(rng.randint(1, 30)):
            start, end = s.clock, s.clock + 60
            s.clock = end

            def point(extra: dict[str, Any], value: float, integer: bool = True) -> dict[str, Any]:
                return _point({**s.attrs, **extra}, value, start, end, integer)  # noqa: B023

            model = {"model": s.model, "query_source": "main"}
            metrics: dict[str, list[dict[str, Any]]] = {
                "claude_code.token.usage": [
                    point({"type": t, "model": s.model}, rng.randint(lo, hi))
                    for t, lo, hi in (
                        ("input", 50, 4000),
                        ("output", 50, 6000),
                        ("cacheRead", 1000, 90000),
                        ("cacheCreation", 0, 9000),
                    )
                ],
                "claude_code.cost.usage": [point(model, round(rng.uniform(0.001, 0.6), 4), False)],
                "claude_code.active_time.total": [
                    point({"type": "cli"}, round(rng.uniform(1, 60), 1), False)
                ],
            }
            if minute == 0:
                metrics["claude_code.session.count"] = [point({"start_type": "fresh"}, 1)]
            if rng.random() < 0.4:
                decision = "accept" if rng.random() < 0.85 else "reject"
                metrics["claude_code.code_edit_tool.decision"] = [
                    point(
                        {
                            "tool_name": rng.choice(("Edit", "Write", "MultiEdit")),
                            "decision": decision,
                            "source": "user_temporary" if decision == "accept" else "user_reject",
                            "language": rng.choice(LANGUAGES),
                        },
                        rng.randint(1, 4),
                    )
                ]
                metrics["claude_code.lines_of_code.count"] = [
                    point({"type": "added"}, rng.randint(1, 200)),
                    point({"type": "removed"}, rng.randint(0, 80)),
                ]
            if rng.random() < 0.03:
                metrics["claude_code.commit.count"] = [point({}, 1)]
            if rng.random() < 0.01:
                metrics["claude_code.pull_request.count"] = [point({}, 1)]
            yield [
                {
                    "name": name,
                    "unit": "USD" if "cost" in name else ("s" if "time" in name else "count"),
                    "sum": {"dataPoints": pts, "aggregationTemporality": 1, "isMonotonic": True},
                }
                for name, pts in metrics.items()
            ]


def make_otlp_metrics(n: int, path: Path | str) -> Path:
    """Write n metric data points as NDJSON of ExportMetricsServiceRequest.

    Args:
        n: data points.
        path: output file.

    Returns:
        The path.
    """
    rng = random.Random(SEED)
    out = Path(path)
    left = n
    with out.open("w", encoding="utf-8") as fh:
        for metrics in _metric_batches(rng):
            kept = []
            for m in metrics:
                pts = m["sum"]["dataPoints"][:left]
                left -= len(pts)
                if pts:
                    m["sum"]["dataPoints"] = pts
                    kept.append(m)
            request = {
                "resourceMetrics": [
                    {"resource": RESOURCE, "scopeMetrics": [{"scope": SCOPE, "metrics": kept}]}
                ]
            }
            fh.write(json.dumps(request, separators=(",", ":")) + "\n")
            if left <= 0:
                break
    return out


def _record(s: _Session, records: list[dict[str, Any]], name: str, extra: dict[str, Any]) -> None:
    s.clock += s.rng.uniform(0.5, 40)
    attrs = {**s.attrs, "event.name": name, "event.sequence": len(records) + 1, **extra}
    records.append(
        {
            "timeUnixNano": _ns(s.clock),
            "observedTimeUnixNano": _ns(s.clock + 0.2),
            "severityNumber": 9,
            "body": {"stringValue": f"claude_code.{name}"},
            "attributes": _kv(attrs),
        }
    )


def _log_batches(rng: random.Random) -> Iterator[list[dict[str, Any]]]:
    """Endless log exports: the records of one prompt each."""
    people = _people(rng)
    while True:
        s = _Session(rng, people)
        for _ in range(rng.randint(1, 12)):
            prompt_id = f"{rng.getrandbits(128):032x}"
            records: list[dict[str, Any]] = []

            def record(name: str, extra: dict[str, Any]) -> None:
                _record(s, records, name, {"prompt.id": prompt_id, **extra})  # noqa: B023

            record("user_prompt", {"prompt_length": rng.randint(5, 900)})
            for _ in range(rng.randint(1, 4)):
                record(
                    "api_request",
                    {
                        "model": s.model,
                        "cost_usd": round(rng.uniform(0.001, 0.3), 4),
                        "duration_ms": rng.randint(400, 30000),
                        "input_tokens": rng.randint(10, 4000),
                        "output_tokens": rng.randint(10, 3000),
                        "cache_read_tokens": rng.randint(0, 90000),
                        "cache_creation_tokens": rng.randint(0, 9000),
                        "query_source": "repl_main_thread",
                    },
                )
                tool = rng.choice(("Edit", "Read", "Bash", "Write", "Grep"))
                decision = "accept" if rng.random() < 0.9 else "reject"
                use = f"toolu_{rng.getrandbits(96):024x}"
                record(
                    "tool_decision",
                    {
                        "tool_name": tool,
                        "decision": decision,
                        "source": "user_temporary",
                        "tool_use_id": use,
                    },
                )
                if decision == "accept":
                    record(
                        "tool_result",
                        {
                            "tool_name": tool,
                            "success": "true",
                            "duration_ms": rng.randint(5, 4000),
                            "tool_use_id": use,
                        },
                    )
            yield records


def make_otlp_logs(n: int, path: Path | str) -> Path:
    """Write n log records as NDJSON of ExportLogsServiceRequest.

    Args:
        n: log records.
        path: output file.

    Returns:
        The path.
    """
    rng = random.Random(SEED + 1)
    out = Path(path)
    left = n
    with out.open("w", encoding="utf-8") as fh:
        for records in _log_batches(rng):
            records = records[:left]
            left -= len(records)
            scope = {"scope": {**SCOPE, "name": f"{SCOPE['name']}.events"}, "logRecords": records}
            request = {"resourceLogs": [{"resource": RESOURCE, "scopeLogs": [scope]}]}
            fh.write(json.dumps(request, separators=(",", ":")) + "\n")
            if left <= 0:
                break
    return out
