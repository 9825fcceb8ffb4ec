"""OTLP metrics and logs (Claude Code's own telemetry): hand calculations, temporality, bad input.

The fixtures are constructed from the documented names (Claude Code monitoring docs, GenAI
semantic conventions) in the documented OTLP/JSON encodings; no vendor sample exists.
"""

from __future__ import annotations

import copy
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uptake.errors import InputError
from uptake.ingest.connectors import CONNECTORS
from uptake.ingest.connectors.base import LOCATOR
from uptake.ingest.connectors.collect import INTERNAL
from uptake.schema.tables import ACTIONS, TABLES
from uptake.workspace import Workspace

HERE = Path(__file__).parent
METRICS = HERE / "fixtures" / "otlp_claude_code_metrics.json"
LOGS = HERE / "fixtures" / "otlp_claude_code_logs.json"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
REASONS = {
    "missing_required",
    "bad_type",
    "bad_timestamp",
    "bad_enum",
    "bad_json",
    "malformed_record",
    "unsupported_record",
}


def read(fmt: str, path: Path, options: dict[str, str] | None = None) -> Any:
    return CONNECTORS[fmt].read(path, options)


def doc(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def metric(d: dict[str, Any], name: str, resource: int = 0) -> dict[str, Any]:
    metrics = d["resourceMetrics"][resource]["scopeMetrics"][0]["metrics"]
    return next(m for m in metrics if m["name"] == name)


def kv(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": {"stringValue": value}}


# ---------------------------------------------------------------- metrics


def test_metrics_fixture_hand_calculation():
    # Delta block: sessions alice 1, bob 1, an installation without e-mail 1 (user.id);
    # edit decisions alice 3 Edit accept + 1 Write accept + 1 Edit reject, bob 2 accept.
    # Cumulative block (carol): accept 2 → 5 → 5 (+ the 5 re-sent) gives 2 and 3; cost
    # 0.10 → 0.25 → 0.25 gives 0.25. GenAI block: tokens without a person → 2 aggregates;
    # operation duration for enduser.id E1002 → model_requests 4, model_request_seconds 6.4.
    r = read("otlp-metrics", METRICS)
    assert r.rejects == []
    assert r.source_rows == 37
    ev = r.frames["events"]
    assert len(ev) == 9
    assert set(ev["tool"]) == {"claude-code"}
    assert set(ev["ts"]) == {"2025-10-01T00:00:00Z", "2025-10-02T00:00:00Z"}
    by = ev.groupby(["person", "action"])["quantity"].sum().to_dict()
    assert by == {
        ("alice@example.com", "session_start"): 1,
        ("alice@example.com", "accept"): 4,
        ("alice@example.com", "reject"): 1,
        ("bob@example.com", "session_start"): 1,
        ("bob@example.com", "accept"): 2,
        ("carol@example.com", "accept"): 5,
        ("f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f", "session_start"): 1,
    }
    assert sorted(ev[ev.person == "carol@example.com"]["quantity"]) == [2, 3]
    assert ev["event_id"].is_unique
    edit = json.loads(ev.iloc[3]["attrs"])
    assert edit["feature"] == "code_edit"
    assert (edit["tool_name"], edit["language"], edit["source"]) == (
        "Edit",
        "TypeScript",
        "user_temporary",
    )
    assert edit["granularity"] == "day"
    assert edit["interval_end"] == "2025-10-01T09:01:00Z"
    assert ev.iloc[0]["surface"] == "vscode"
    assert ev.iloc[0]["session_id"] == "2f6b0c1e-5a7d-4e8f-9a0b-1c2d3e4f5a61"

    pf = r.frames["person_facts"]
    facts = {(p, f): v for p, f, v in pf[["person", "fact", "value"]].itertuples(index=False)}
    assert len(facts) == 18
    assert facts["alice@example.com", "cost"] == pytest.approx(0.62)
    assert facts["alice@example.com", "input_tokens"] == 1500
    assert facts["alice@example.com", "output_tokens"] == 3520
    assert facts["alice@example.com", "cache_read_tokens"] == 45000
    assert facts["alice@example.com", "cache_creation_tokens"] == 8000
    assert facts["alice@example.com", "lines_added"] == 120
    assert facts["alice@example.com", "lines_removed"] == 30
    assert facts["alice@example.com", "commits"] == 2
    assert facts["alice@example.com", "pull_requests"] == 1
    assert facts["alice@example.com", "active_seconds"] == pytest.approx(1600.5)
    assert facts["bob@example.com", "cost"] == pytest.approx(1.05)
    assert facts["carol@example.com", "cost"] == pytest.approx(0.25)
    assert facts["E1002", "model_requests"] == 4
    assert facts["E1002", "model_request_seconds"] == pytest.approx(6.4)
    assert set(pf["report_date"]) == {"2025-10-01"}
    cost = json.loads(pf[(pf.person == "alice@example.com") & (pf.fact == "cost")].iloc[0]["attrs"])
    assert cost["currency"] == "USD"
    assert {b["model"]: b["value"] for b in cost["breakdown"]} == pytest.approx(
        {"claude-haiku-4-5": 0.02, "claude-sonnet-4-5": 0.60}
    )
    assert cost["scope"] == "organization:6f1c2a4e-8d3b-4c55-9e0a-1b2c3d4e5f60"

    agg = r.frames["aggregate_facts"]
    assert sorted(zip(agg["metric"], agg["value"], strict=True)) == [
        ("input_tokens", 5200.0),
        ("output_tokens", 1300.0),
    ]
    assert set(agg["tool"]) == {"support-bot"}
    assert json.loads(agg.iloc[0]["dims"])["gen_ai.request.model"] == "gpt-4o"
    assert any("repeated" in n for n in r.notes)
    assert any("anonymous per-installation id" in n for n in r.notes)
    assert any("2 data point(s) name no person" in n for n in r.notes)


def test_same_points_give_the_same_ids_and_repeats_count_once(write):
    first = read("otlp-metrics", METRICS)
    again = read("otlp-metrics", METRICS)
    assert list(first.frames["events"]["event_id"]) == list(again.frames["events"]["event_id"])
    # The whole export sent twice in one NDJSON file: every point is a repeat.
    d = doc(METRICS)
    twice = read("otlp-metrics", write("t.ndjson", json.dumps(d) + "\n" + json.dumps(d) + "\n"))
    assert twice.rejects == []
    assert len(twice.frames["events"]) == 9
    assert twice.frames["person_facts"]["value"].sum() == pytest.approx(
        first.frames["person_facts"]["value"].sum()
    )


def _carol(points: list[tuple[str, int]], start: str = "1759312800000000000") -> dict[str, Any]:
    d = doc(METRICS)
    m = metric(d, "claude_code.code_edit_tool.decision", resource=1)
    template = m["sum"]["dataPoints"][0]
    m["sum"]["dataPoints"] = [
        {**template, "startTimeUnixNano": start, "timeUnixNano": t, "asInt": str(v)}
        for t, v in points
    ]
    d["resourceMetrics"] = [d["resourceMetrics"][1]]
    scope = d["resourceMetrics"][0]["scopeMetrics"][0]
    scope["metrics"] = [m]
    return d


T1, T2, T3, T4 = (str(1759312800000000000 + k * 60 * 10**9) for k in range(1, 5))


def test_cumulative_exports_overlapping_by_a_point_do_not_double_count(write):
    # Collector file rotation: the second file repeats the last point of the first. Its
    # first point counts everything since the series start; the id (series, start, time) is
    # the one the first file gave that point, so ingested in time order the pipeline keeps
    # the first file's row and the total is right. (Out of order it is not: documented.)
    a = read("otlp-metrics", write("a.json", _carol([(T1, 2), (T2, 5)]))).frames["events"]
    b = read("otlp-metrics", write("b.json", _carol([(T2, 5), (T3, 9)]))).frames["events"]
    assert list(a.quantity) == [2, 3]
    assert list(b.quantity) == [5, 4]
    kept = {**dict(zip(b.event_id, b.quantity, strict=True))}
    kept.update(dict(zip(a.event_id, a.quantity, strict=True)))  # first ingested wins
    assert sum(kept.values()) == 9
    assert len(set(a.event_id) & set(b.event_id)) == 1
    intervals = [json.loads(x)["interval_start"] for x in b["attrs"]]
    assert intervals == ["2025-10-01T10:00:00Z", "2025-10-01T10:02:00Z"]


def test_cumulative_counter_reset_counts_from_zero(write):
    r = read("otlp-metrics", write("r.json", _carol([(T1, 4), (T2, 6), (T3, 1), (T4, 3)])))
    assert list(r.frames["events"]["quantity"]) == [4, 2, 1, 2]
    assert any("1 cumulative counter reset" in n for n in r.notes)


def test_person_less_claude_code_points_become_aggregates(write):
    d = doc(METRICS)
    ident = {"user.id", "user.email", "user.account_uuid"}
    for m in d["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]:
        for p in m["sum"]["dataPoints"]:
            p["attributes"] = [a for a in p["attributes"] if a["key"] not in ident]
    r = read("otlp-metrics", write("p.json", d))
    assert r.rejects == []
    agg = r.frames["aggregate_facts"]
    cc = agg[agg.tool == "claude-code"]
    assert set(cc["scope"]) == {"organization:6f1c2a4e-8d3b-4c55-9e0a-1b2c3d4e5f60"}
    totals = cc.groupby("metric")["value"].sum().to_dict()
    assert totals["sessions"] == 3
    assert totals["accepts"] == 6
    assert totals["rejects"] == 1
    assert totals["cost"] == pytest.approx(1.67)
    costs = cc[cc.metric == "cost"]["dims"].map(json.loads)
    assert all(c["currency"] == "USD" for c in costs)
    # Only carol (cumulative block) and E1002 still have events/facts.
    assert set(r.frames["events"]["person"]) == {"carol@example.com"}
    labelled = read("otlp-metrics", write("p.json", d), {"scope": "enterprise:acme"})
    assert set(labelled.frames["aggregate_facts"]["scope"]) == {"enterprise:acme"}


def test_one_fact_per_person_whatever_the_spelling(write):
    d = doc(METRICS)
    tokens = metric(d, "claude_code.token.usage")["sum"]["dataPoints"]
    tokens[4]["attributes"][3] = kv("user.email", "Alice@Example.COM")  # haiku input 300
    r = read("otlp-metrics", write("c.json", d))
    pf = r.frames["person_facts"]
    alice = pf[(pf.fact == "input_tokens") & (pf.person.str.lower() == "alice@example.com")]
    assert list(alice["value"]) == [1500]


def test_tool_option_and_service_name(write):
    r = read("otlp-metrics", METRICS, {"tool": "claude-code-eu"})
    assert set(r.frames["events"]["tool"]) == {"claude-code-eu"}
    d = doc(METRICS)
    d["resourceMetrics"][2]["resource"]["attributes"] = []
    d["resourceMetrics"][0]["resource"]["attributes"] = []
    r = read("otlp-metrics", write("g.json", d))
    # Without service.name a GenAI metric is named by its provider, a claude_code.* metric
    # is still Claude Code's.
    assert set(r.frames["aggregate_facts"]["tool"]) == {"openai"}
    assert set(r.frames["events"]["tool"]) == {"claude-code"}


def test_bad_points_are_rejected_one_by_one(write):
    d = doc(METRICS)
    decisions = metric(d, "claude_code.code_edit_tool.decision")["sum"]["dataPoints"]
    decisions[0]["attributes"][-3] = kv("decision", "maybe")
    decisions[1]["asInt"] = "lots"
    decisions[2].pop("timeUnixNano")
    sessions = metric(d, "claude_code.session.count")["sum"]["dataPoints"]
    sessions[0]["asInt"] = "-1"
    sessions[1]["startTimeUnixNano"] = "1859312800000000000"
    duration = metric(d, "gen_ai.client.operation.duration", resource=2)
    duration["histogram"]["dataPoints"][0].pop("sum")
    r = read("otlp-metrics", write("bad.json", d))
    got = sorted((x.reason, x.field) for x in r.rejects)
    assert got == [
        ("bad_enum", "attributes[decision]"),
        ("bad_timestamp", "startTimeUnixNano"),
        ("bad_timestamp", "timeUnixNano"),
        ("bad_type", "asInt"),
        ("bad_type", "asInt"),
        ("missing_required", "sum"),
    ]
    assert all(x.locator.startswith("bad.json:resourceMetrics[") for x in r.rejects)
    assert r.source_rows == 37
    assert len(r.frames["events"]) == 9 - 5


def test_broken_metrics_and_blocks_are_rejected_whole(write):
    d = doc(METRICS)
    metrics = d["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
    metrics[0].pop("name")
    metrics[1]["gauge"] = {"dataPoints": []}  # two kinds
    metrics[2]["sum"]["aggregationTemporality"] = 7
    d["resourceMetrics"][2]["scopeMetrics"] = "oops"
    r = read("otlp-metrics", write("m.json", d))
    assert [(x.locator.split(":", 1)[1], x.reason) for x in r.rejects] == [
        ("resourceMetrics[0].scopeMetrics[0].metrics[0]", "missing_required"),
        ("resourceMetrics[0].scopeMetrics[0].metrics[1]", "unsupported_record"),
        ("resourceMetrics[0].scopeMetrics[0].metrics[2]", "bad_enum"),
        ("resourceMetrics[2]", "bad_type"),
    ]


def test_unknown_metrics_and_unspecified_temporality_are_noted(write):
    d = doc(METRICS)
    m = metric(d, "claude_code.session.count")
    m["name"] = "claude_code.something_new.count"
    metric(d, "claude_code.commit.count")["sum"].pop("aggregationTemporality")
    r = read("otlp-metrics", write("u.json", d))
    assert r.rejects == []
    assert "claude_code.something_new.count (3)" in " ".join(r.notes)
    assert any("without aggregationTemporality" in n for n in r.notes)
    assert "session_start" not in set(r.frames["events"]["action"])


def test_extra_fields_snake_case_and_gauges(write):
    d = doc(METRICS)
    d["unknownTopLevel"] = 1
    for rm in d["resourceMetrics"]:
        rm["schemaUrl"] = "https://opentelemetry.io/schemas/1.26.0"
        rm["resource_metrics_extra"] = {"x": 1}
    m = metric(d, "claude_code.commit.count")
    m["gauge"] = {"dataPoints": m.pop("sum")["dataPoints"]}
    m["gauge"]["dataPoints"][0]["exemplars"] = []
    snake = {"resource_metrics": d.pop("resourceMetrics"), **d}
    r = read("otlp-metrics", write("s.json", snake))
    assert r.rejects == []
    assert len(r.frames["events"]) == 9
    assert len(r.frames["person_facts"]) == 18


def test_files_that_are_not_metrics_are_refused(write):
    with pytest.raises(InputError, match="use --format otlp-logs"):
        read("otlp-metrics", LOGS)
    with pytest.raises(InputError, match="use --format otlp-metrics"):
        read("otlp-logs", METRICS)
    with pytest.raises(InputError, match=r"t\.json: line"):
        read("otlp-metrics", write("t.json", METRICS.read_text()[:900]))
    with pytest.raises(InputError, match=r"not valid JSON|line 1"):
        read("otlp-logs", write("t.json", "resourceLogs: nope"))


# ---------------------------------------------------------------- logs


def test_logs_fixture_hand_calculation():
    # alice: prompt, model response, Read decision (not an edit: note), Edit accept,
    # tool_result (note), Edit reject; bob: prompt, api_error (note), model response.
    r = read("otlp-logs", LOGS)
    assert r.rejects == []
    assert r.source_rows == 9
    ev = r.frames["events"]
    assert list(zip(ev.person, ev.action, ev.ts, strict=True)) == [
        ("alice@example.com", "prompt", "2025-10-01T09:00:40Z"),
        ("alice@example.com", "suggestion", "2025-10-01T09:00:52Z"),
        ("alice@example.com", "accept", "2025-10-01T09:01:20Z"),
        ("alice@example.com", "reject", "2025-10-01T09:03:00Z"),
        ("bob@example.com", "prompt", "2025-10-01T13:01:10Z"),
        ("bob@example.com", "suggestion", "2025-10-01T13:01:45Z"),
    ]
    assert set(ev.tool) == {"claude-code"}
    assert ev["event_id"].is_unique
    prompt = json.loads(ev.iloc[0]["attrs"])
    assert prompt["prompt_length"] == 31
    assert prompt["prompt_id"] == "3b9f2c1d-7e4a-4f6b-9c8d-0e1f2a3b4c51"
    call = json.loads(ev.iloc[1]["attrs"])
    assert call["model"] == "claude-sonnet-4-5"
    assert call["cost_usd"] == pytest.approx(0.0421)
    assert (call["input_tokens"], call["output_tokens"], call["cache_read_tokens"]) == (
        1200,
        340,
        45000,
    )
    assert ev.iloc[1]["duration_ms"] == 8123
    accept = json.loads(ev.iloc[2]["attrs"])
    assert (accept["tool_name"], accept["decision_source"]) == ("Edit", "user_temporary")
    notes = " ".join(r.notes)
    assert "1 user_prompt record(s) carried the prompt text" in notes
    assert "Read (1)" in notes
    assert "api_error (1), tool_result (1)" in notes


def test_prompt_text_is_never_stored():
    r = read("otlp-logs", LOGS)
    everything = json.dumps(
        [f.to_dict("records") for f in r.frames.values()] + r.notes, default=str
    )
    assert "date parser" not in everything
    assert "fix the failing" not in everything


def test_a_rejected_prompt_keeps_no_text_in_the_quarantine(write):
    d = doc(LOGS)
    first = d["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    first["timeUnixNano"] = "soon"
    r = read("otlp-logs", write("q.json", d))
    [rej] = r.rejects
    assert rej.field == "timeUnixNano"
    assert "date parser" not in json.dumps(rej.record)
    assert "body" not in rej.record
    assert any(a["key"] == "prompt_length" for a in rej.record["attributes"])


def test_person_less_records_become_daily_aggregates(write):
    d = doc(LOGS)
    for rec in d["resourceLogs"][0]["scopeLogs"][0]["logRecords"]:
        rec["attributes"] = [
            a
            for a in rec["attributes"]
            if a["key"] not in ("user.id", "user.email", "user.account_uuid")
        ]
    r = read("otlp-logs", write("p.json", d))
    assert r.rejects == []
    assert "events" not in r.frames or r.frames["events"].empty
    agg = r.frames["aggregate_facts"]
    totals = agg.groupby("metric")["value"].sum().to_dict()
    assert totals["prompts"] == 2
    assert totals["model_requests"] == 2
    assert totals["accepts"] == 1
    assert totals["rejects"] == 1
    assert totals["cost"] == pytest.approx(0.0534)
    assert totals["input_tokens"] == 2100
    assert set(agg.day) == {"2025-10-01"}
    assert any("name no person" in n for n in r.notes)


def test_event_names_and_times_from_every_place(write):
    d = doc(LOGS)
    recs = d["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    for rec in recs:
        rec["attributes"] = [a for a in rec["attributes"] if a["key"] != "event.name"]
    recs[0]["timeUnixNano"] = "0"  # falls back to event.timestamp
    recs[6].pop("timeUnixNano")
    recs[6]["attributes"] = [a for a in recs[6]["attributes"] if a["key"] != "event.timestamp"]
    recs[6]["observedTimeUnixNano"] = "1759323671000000000"  # 13:01:11
    recs[8]["eventName"] = "api_request"
    recs[8]["body"] = {"kvlistValue": {"values": []}}
    r = read("otlp-logs", write("n.json", d))
    assert r.rejects == []
    ev = r.frames["events"]
    assert list(ev.action) == ["prompt", "suggestion", "accept", "reject", "prompt", "suggestion"]
    assert ev.iloc[0]["ts"] == "2025-10-01T09:00:40Z"
    assert ev.iloc[4]["ts"] == "2025-10-01T13:01:11Z"


def test_bad_log_records_are_rejected(write):
    d = doc(LOGS)
    recs = d["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    recs[3]["attributes"] = [
        kv("decision", "perhaps") if a["key"] == "decision" else a for a in recs[3]["attributes"]
    ]
    recs[1]["attributes"] = [
        kv("cost_usd", "cheap") if a["key"] == "cost_usd" else a for a in recs[1]["attributes"]
    ]
    recs[6]["timeUnixNano"] = "yesterday"
    recs[8] = "not a record"
    r = read("otlp-logs", write("b.json", d))
    assert sorted((x.reason, str(x.field)) for x in r.rejects) == [
        ("bad_enum", "attributes[decision]"),
        ("bad_timestamp", "timeUnixNano"),
        ("bad_type", "None"),
        ("bad_type", "attributes[cost_usd]"),
    ]
    assert len(r.frames["events"]) == 2


# ---------------------------------------------------------------- robustness

# 20 examples: reading the metrics fixture costs ~0.1 s (mostly building the frames).
FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["", "0", "-1", "1e400", "NaN", "AGGREGATION_TEMPORALITY_DELTA"]),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=6), SCALARS, max_size=3),
)
CASES = [("otlp-metrics", METRICS), ("otlp-logs", LOGS)]


def _check(r: Any, name: str) -> None:
    for table, frame in r.frames.items():
        spec = TABLES[table]
        assert list(frame.columns) == [*spec.names, LOCATOR]
        for col in spec.required:
            assert frame[col].notna().all(), f"{table}.{col} left empty"
        assert frame[LOCATOR].map(lambda s: s.startswith(name)).all()
        if table == "events":
            assert set(frame["action"]) <= set(ACTIONS)
        for col in (c.name for c in spec.columns if c.type == "json"):
            for value in frame[col].dropna():
                json.loads(value)
    for rej in r.rejects:
        assert rej.reason in REASONS, rej
        assert not (rej.detail or "").startswith(INTERNAL), rej
        assert rej.locator.startswith(name), rej


def _read_mutated(fmt: str, name: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            result = read(fmt, path)
        except InputError as exc:
            assert name in exc.message, exc.message
            return
        _check(result, name)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _set(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


@pytest.mark.parametrize(("fmt", "path"), CASES, ids=[c[0] for c in CASES])
@FUZZ
@given(data=st.data())
def test_mutations_never_traceback(fmt, path, data):
    d = doc(path)
    paths = _paths(d)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        target = data.draw(st.sampled_from(paths))
        if data.draw(st.booleans()):
            _set(d, target, data.draw(VALUES))
        else:
            node = d
            for step in target:
                node = node[step]
            if isinstance(node, dict):
                node[data.draw(st.text(min_size=1, max_size=8))] = data.draw(VALUES)
        paths = _paths(d)
    _read_mutated(fmt, path.name, json.dumps(d).encode())


@pytest.mark.parametrize(("fmt", "path"), CASES, ids=[c[0] for c in CASES])
@settings(max_examples=10, deadline=None, derandomize=True)
@given(cut=st.floats(min_value=0, max_value=1))
def test_truncated_files_never_traceback(fmt, path, cut):
    content = path.read_bytes()
    _read_mutated(fmt, path.name, content[: int(len(content) * cut)])


# ---------------------------------------------------------------- through the workspace


def _accepted(results: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in results:
        if r.accepted:
            out[r.table] = out.get(r.table, 0) + r.accepted
    return out


def test_workspace_ingest_lands_rows_once(tmp_path):
    # One workspace for both formats (creating one is the slow part); refresh=False because
    # the metric facts are not what this checks.
    steps = [
        ("otlp-metrics", METRICS, {"events": 9, "person_facts": 18, "aggregate_facts": 2}),
        ("otlp-logs", LOGS, {"events": 6}),
    ]
    with Workspace.init(tmp_path / "ws") as ws:
        for fmt, path, expected in steps:
            results = ws.ingest("events", [path], fmt=fmt, now=NOW, refresh=False)
            assert sum(r.quarantined for r in results) == 0, (fmt, results)
            assert _accepted(results) == expected
            again = ws.ingest("events", [path], fmt=fmt, now=NOW, refresh=False)
            assert sum(r.accepted for r in again) == 0
        for table in ("events", "person_facts", "aggregate_facts"):
            rows = json.dumps(ws.con.execute(f"SELECT * FROM {table}").fetchall(), default=str)
            assert "alice@example.com" not in rows
            assert "fix the failing" not in rows
        d = copy.deepcopy(doc(METRICS))
        points = metric(d, "claude_code.code_edit_tool.decision")["sum"]["dataPoints"]
        points[0]["asInt"] = {"nested": 1}
        points[1]["asInt"] = "9"  # a new value for a point already ingested: a conflict
        bad = tmp_path / "m.json"
        bad.write_text(json.dumps(d))
        results = ws.ingest("events", [bad], fmt="otlp-metrics", now=NOW, refresh=False)
        for r in results:
            assert r.rows == r.accepted + r.duplicates + r.quarantined, r
        assert sum(r.accepted for r in results) == 0
        assert sorted(q["reason"] for q in ws.quarantine()) == ["bad_type", "conflict"]
