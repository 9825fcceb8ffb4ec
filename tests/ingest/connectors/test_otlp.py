"""OTLP/JSON GenAI spans: the published example, a GenAI export, deprecated names, bad input."""

from __future__ import annotations

import copy
import json

import pytest

from uptake.errors import InputError
from uptake.ingest.connectors import otlp


def test_published_example_has_no_genai_spans(samples):
    # The opentelemetry-proto example holds one server span without gen_ai.* attributes:
    # no events, no rejects, and a note saying why.
    r = otlp.read(samples / "otlp_trace_export_request.json")
    assert r.rejects == []
    assert r.source_rows == 1
    assert r.frames["events"].empty
    assert list(r.frames["events"].columns)[:3] == ["event_id", "ts", "person"]
    assert r.notes == ["1 span(s) without gen_ai.* attributes: not AI calls"]


def test_genai_export_gives_one_event_per_interaction(fixtures):
    # Hand calculation over otlp_genai_spans.json (8 spans):
    #   trace ...601: "POST /ask" (no gen_ai) + child "chat gpt-4o"       -> 1 event, user
    #                 E1001 from the parent's enduser.id, 2.2 s, tokens 120/45
    #   trace ...602: "invoke_agent underwriter" with 3 GenAI children     -> 1 event, tokens
    #                 from the children 200+100 / 50+20, 4.0 s, user.id bob@example.com
    #   trace ...603: top-level embeddings, no user                       -> background, none
    #   trace ...604: text_completion with deprecated names, user.id on the resource -> 1
    # Events 3; notes: 1 non-GenAI span, 3 nested, 1 background.
    r = otlp.read(fixtures / "otlp_genai_spans.json")
    assert r.rejects == []
    assert r.source_rows == 8
    ev = r.frames["events"].set_index("person")
    assert list(ev.index) == ["E1001", "bob@example.com", "carol@example.com"]
    assert set(ev["action"]) == {"prompt"}
    chat = ev.loc["E1001"]
    assert chat["event_id"] == "otel-5b8efff798038103d269b633813fc601-aaaa000000000002"
    assert chat["ts"] == "2025-10-01T10:00:00.100000Z"
    assert chat["duration_ms"] == 2200
    assert chat["tool"] == "loan-assistant"
    assert chat["session_id"] == "conv-17"
    attrs = json.loads(chat["attrs"])
    assert attrs["provider"] == "openai"
    assert attrs["request_model"] == "gpt-4o"
    assert (attrs["input_tokens"], attrs["output_tokens"]) == (120.0, 45.0)
    assert attrs["finish_reasons"] == ["stop"]
    agent = json.loads(ev.loc["bob@example.com", "attrs"])
    assert (agent["input_tokens"], agent["output_tokens"], agent["nested_spans"]) == (
        300.0,
        70.0,
        3,
    )
    assert ev.loc["bob@example.com", "duration_ms"] == 4000
    legacy = json.loads(ev.loc["carol@example.com", "attrs"])
    assert legacy["provider"] == "openai"
    assert (legacy["input_tokens"], legacy["output_tokens"]) == (30.0, 12.0)
    assert legacy["deprecated_attributes"] == [
        "gen_ai.system",
        "gen_ai.usage.completion_tokens",
        "gen_ai.usage.prompt_tokens",
    ]
    assert ev.loc["carol@example.com", "tool"] == "notebook-helper"
    assert len(r.notes) == 3


def test_tool_param_overrides_service_name(fixtures):
    r = otlp.read(fixtures / "otlp_genai_spans.json", {"tool": "in-house-llm"})
    assert set(r.frames["events"]["tool"]) == {"in-house-llm"}


def _genai_doc(fixtures):
    return json.loads((fixtures / "otlp_genai_spans.json").read_text())


def test_span_without_any_user_is_rejected(fixtures, write):
    doc = _genai_doc(fixtures)
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[0]["attributes"] = spans[0]["attributes"][1:]  # drop enduser.id from the parent
    r = otlp.read(write("t.json", doc))
    [rej] = r.rejects
    assert rej.reason == "missing_required"
    assert rej.field == "user.id"
    assert rej.locator == "t.json:resourceSpans[0].scopeSpans[0].spans[1]"
    assert len(r.frames["events"]) == 2


def test_garbled_values_are_rejected_per_span(fixtures, write):
    doc = _genai_doc(fixtures)
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[1]["attributes"][5]["value"] = {"intValue": "lots"}
    legacy = doc["resourceSpans"][1]["scopeSpans"][0]["spans"][0]
    legacy["startTimeUnixNano"] = "not-a-time"
    r = otlp.read(write("t.json", doc))
    assert [(x.reason, x.field) for x in r.rejects] == [
        ("bad_type", "attributes[gen_ai.usage.input_tokens]"),
        ("bad_timestamp", "startTimeUnixNano"),
    ]
    assert len(r.frames["events"]) == 1


def test_span_ending_before_it_starts(fixtures, write):
    doc = _genai_doc(fixtures)
    span = doc["resourceSpans"][1]["scopeSpans"][0]["spans"][0]
    span["endTimeUnixNano"] = "1759323599000000000"
    [rej] = otlp.read(write("t.json", doc)).rejects
    assert (rej.reason, rej.field) == ("bad_timestamp", "endTimeUnixNano")


def test_ndjson_of_requests_and_snake_case_names(fixtures, write):
    doc = _genai_doc(fixtures)
    first = {"resource_spans": doc["resourceSpans"][:1]}
    second = {"resourceSpans": doc["resourceSpans"][1:]}
    text = json.dumps(first) + "\n" + json.dumps(second) + "\n" + '{"resourceSpans": [' + "\n"
    r = otlp.read(write("t.ndjson", text))
    assert len(r.frames["events"]) == 3
    assert [(x.locator, x.reason) for x in r.rejects] == [("t.ndjson:line 3", "bad_json")]


def test_extra_fields_are_ignored(fixtures, write):
    doc = _genai_doc(fixtures)
    doc["unknownTopLevel"] = 1
    for rs in doc["resourceSpans"]:
        rs["schemaUrl"] = "https://opentelemetry.io/schemas/1.26.0"
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                span["flags"] = 257
                span["events"] = [{"name": "gen_ai.client.inference.operation.details"}]
                span["status"] = {"code": 1}
    r = otlp.read(write("t.json", doc))
    assert r.rejects == []
    assert len(r.frames["events"]) == 3


def test_structural_errors(fixtures, write):
    with pytest.raises(InputError, match="resourceSpans"):
        otlp.read(write("a.json", {"spans": []}))
    text = (fixtures / "otlp_genai_spans.json").read_text()
    with pytest.raises(InputError, match=r"a\.json: line"):
        otlp.read(write("a.json", text[:500]))
    doc = _genai_doc(fixtures)
    broken = copy.deepcopy(doc)
    broken["resourceSpans"][0]["scopeSpans"] = "oops"
    r = otlp.read(write("b.json", broken))
    assert [(x.locator, x.reason) for x in r.rejects] == [("b.json:resourceSpans[0]", "bad_type")]
    assert len(r.frames["events"]) == 1
