"""Gemini for Workspace activity records: person-day counts, repeats counted once, bad input."""

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
from uptake.ingest.connectors import CONNECTORS, gemini
from uptake.ingest.connectors.base import LOCATOR
from uptake.ingest.connectors.collect import INTERNAL
from uptake.schema.tables import ACTIONS, TABLES
from uptake.workspace import Workspace

FIXTURE = Path(__file__).parent / "fixtures" / "gemini_activities.json"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["", "2026-11-03T10:00:00Z", "not a time", "gmail", "-1"]),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=6), SCALARS, max_size=3),
)


def _page() -> dict[str, Any]:
    page: dict[str, Any] = json.loads(FIXTURE.read_text())
    return page


def _quantities(result: Any) -> dict[tuple[str, str, str], int]:
    ev = result.frames["events"]
    return {
        (row["person"], row["ts"][:10], row["surface"]): row["quantity"]
        for row in ev.to_dict("records")
    }


def _activity(time: str, qualifier: str, email: str | None, app: str, action: str) -> dict:
    actor: dict[str, Any] = {"callerType": "USER", "profileId": "1099"}
    if email:
        actor["email"] = email
    return {
        "kind": "admin#reports#activity",
        "id": {
            "time": time,
            "uniqueQualifier": qualifier,
            "applicationName": "gemini_in_workspace_apps",
            "customerId": "C03az79cb",
        },
        "actor": actor,
        "events": [
            {
                "type": "ai_usage_event",
                "name": "feature_utilization",
                "parameters": [
                    {"name": "action", "value": action},
                    {"name": "app_name", "value": app},
                ],
            }
        ],
    }


def test_fixture_gives_nine_person_day_app_rows():
    # Hand calculation from the 12 activities:
    #   2026-11-03: ana gmail 2 (summarize, suggest_full_replies), ana docs 1,
    #               ben gemini_app 2 (conversation x2), dev meet 1
    #   2026-11-04: ana sheets 1, ben gemini_app 1, ben docs 2 (summarize, ask_about_context),
    #               dev gmail 1 (23:59:59.900Z is still the 4th in UTC), dev slides 1
    #   -> 9 rows, quantities summing to 12.
    r = gemini.read(FIXTURE)
    assert r.rejects == []
    assert r.source_rows == 12
    assert set(r.frames) == {"events"}
    assert _quantities(r) == {
        ("ana.silva@corp.example", "2026-11-03", "gmail"): 2,
        ("ana.silva@corp.example", "2026-11-03", "docs"): 1,
        ("ben.okafor@corp.example", "2026-11-03", "gemini_app"): 2,
        ("dev.patel@corp.example", "2026-11-03", "meet"): 1,
        ("ana.silva@corp.example", "2026-11-04", "sheets"): 1,
        ("ben.okafor@corp.example", "2026-11-04", "gemini_app"): 1,
        ("ben.okafor@corp.example", "2026-11-04", "docs"): 2,
        ("dev.patel@corp.example", "2026-11-04", "gmail"): 1,
        ("dev.patel@corp.example", "2026-11-04", "slides"): 1,
    }
    ev = r.frames["events"]
    assert set(ev["action"]) == {"prompt"}
    assert set(ev["tool"]) == {"gemini-workspace"}
    assert ev["ts"].str.endswith("T00:00:00Z").all()
    docs = ev[(ev["surface"] == "docs") & ev["ts"].str.startswith("2026-11-04")]
    attrs = json.loads(docs["attrs"].iloc[0])
    assert attrs == {
        "granularity": "day",
        "feature": "docs",
        "count_of": "gemini_in_workspace_apps activities",
        "actions": {"ask_about_context": 1, "summarize": 1},
    }
    # The row is located at the first activity that counted towards it.
    assert docs[LOCATOR].iloc[0] == "gemini_activities.json:items[2]"
    assert "113920475812390481235" not in ev.to_csv()


def test_ids_depend_on_person_day_and_app_only():
    first = gemini.read(FIXTURE).frames["events"]
    page = _page()
    page["items"] = list(reversed(page["items"]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reordered.json"
        path.write_text(json.dumps(page))
        second = gemini.read(path).frames["events"]
    assert first["event_id"].nunique() == 9
    assert sorted(first["event_id"]) == sorted(second["event_id"])
    assert all(i.startswith("gmws-") for i in first["event_id"])


def test_overlapping_pages_count_each_activity_once(write):
    page = _page()
    items = page["items"]
    # Two pages of one fetch that overlap by three activities.
    pages = [
        {**page, "items": items[:8], "nextPageToken": "tok-1"},
        {**page, "items": items[5:]},
    ]
    r = gemini.read(write("pages.json", pages))
    assert r.rejects == []
    assert r.source_rows == 15
    assert _quantities(r) == _quantities(gemini.read(FIXTURE))
    assert any("3 repeated" in n for n in r.notes)


@pytest.mark.parametrize("shape", ["activities", "pages"])
def test_ndjson_gives_the_same_rows(write, shape):
    page = _page()
    if shape == "activities":
        lines = [json.dumps(a) for a in page["items"]]
    else:
        lines = [json.dumps({**page, "items": page["items"][i : i + 5]}) for i in (0, 5, 10)]
    r = gemini.read(write("acts.ndjson", "\n".join(lines) + "\n"))
    assert r.rejects == []
    base = gemini.read(FIXTURE).frames["events"]
    assert sorted(r.frames["events"]["event_id"]) == sorted(base["event_id"])
    assert _quantities(r) == _quantities(gemini.read(FIXTURE))


def test_bare_array_of_activities_and_single_activity(write):
    items = _page()["items"]
    r = gemini.read(write("arr.json", items))
    assert r.frames["events"]["quantity"].sum() == 12
    assert r.frames["events"][LOCATOR].str.startswith("arr.json:record ").all()
    one = gemini.read(write("one.json", items[0])).frames["events"]
    assert one["quantity"].tolist() == [1]


def test_day_is_the_utc_day_and_email_case_is_one_person(write):
    acts = [
        _activity("2026-11-04T23:30:00-02:00", "1", "Ana@Corp.example", "gmail", "summarize"),
        _activity("2026-11-05T08:00:00Z", "2", "ana@corp.example", "gmail", "summarize"),
    ]
    r = gemini.read(write("tz.json", {"items": acts}))
    ev = r.frames["events"]
    assert ev["ts"].tolist() == ["2026-11-05T00:00:00Z"]
    assert ev["quantity"].tolist() == [2]
    assert ev["person"].tolist() == ["Ana@Corp.example"]


def test_activities_without_email_become_aggregate_facts(write):
    acts = [
        _activity("2026-11-03T10:00:00Z", "1", None, "docs", "summarize"),
        _activity("2026-11-03T11:00:00Z", "2", None, "docs", "summarize"),
        _activity("2026-11-03T12:00:00Z", "3", None, "gmail", "generate_text"),
        _activity("2026-11-03T12:00:00Z", "4", "ana@corp.example", "gmail", "summarize"),
    ]
    r = gemini.read(write("anon.json", {"items": acts}))
    assert r.rejects == []
    assert len(r.frames["events"]) == 1
    agg = r.frames["aggregate_facts"]
    key = agg.set_index("dims")["value"].to_dict()
    assert key == {
        '{"action":"summarize","app":"docs","caller_type":"USER"}': 2.0,
        '{"action":"generate_text","app":"gmail","caller_type":"USER"}': 1.0,
    }
    assert set(agg["metric"]) == {"activities"}
    assert set(agg["scope"]) == {"customer:C03az79cb"}
    assert set(agg["day"]) == {"2026-11-03"}
    assert any("without an actor e-mail" in n for n in r.notes)


def test_parameter_value_kinds_and_missing_app(write):
    act = _activity("2026-11-03T10:00:00Z", "1", "a@b.example", "x", "y")
    act["events"][0]["parameters"] = [
        {"name": "action", "multiValue": ["summarize", "refine"]},
        {"name": "feature_source", "value": "side_panel"},
        {"name": "ipAddress", "value": "10.1.2.3"},
        {"name": "app_count", "intValue": "3"},
        {"name": "is_proactive", "boolValue": True},
    ]
    r = gemini.read(write("kinds.json", [act]))
    assert r.rejects == []
    [row] = r.frames["events"].to_dict("records")
    assert row["surface"] == "unspecified"
    assert json.loads(row["attrs"])["actions"] == {"summarize_refine": 1}
    assert "10.1.2.3" not in json.dumps(row)
    [note] = r.notes
    assert "parameters.feature_source" in note and "parameters.ipAddress" in note


def test_bad_records_are_quarantined_naming_the_field(write):
    good = _activity("2026-11-03T10:00:00Z", "9", "a@b.example", "docs", "summarize")
    no_time = copy.deepcopy(good)
    del no_time["id"]["time"]
    bad_time = copy.deepcopy(good)
    bad_time["id"]["time"] = "yesterday"
    other_app = copy.deepcopy(good)
    other_app["id"]["applicationName"] = "drive"
    no_events = {**good, "events": []}
    events_not_list = {**good, "events": {"name": "x"}}
    nameless = copy.deepcopy(good)
    nameless["events"][0]["parameters"][0] = {"value": "summarize"}
    bad_bool = copy.deepcopy(good)
    bad_bool["events"][0]["parameters"][1] = {"name": "app_name", "boolValue": "yes"}
    records = [no_time, bad_time, other_app, no_events, events_not_list, nameless, bad_bool]
    r = gemini.read(write("bad.json", {"items": [*records, 7, good]}))
    assert [(x.reason, x.field) for x in r.rejects] == [
        ("missing_required", "id.time"),
        ("bad_timestamp", "id.time"),
        ("unsupported_record", "id.applicationName"),
        ("missing_required", "events"),
        ("bad_type", "events"),
        ("missing_required", "events[0].parameters[0].name"),
        ("bad_type", "events[0].parameters[1].boolValue"),
        ("bad_type", None),
    ]
    assert [x.locator for x in r.rejects][:2] == ["bad.json:items[0]", "bad.json:items[1]"]
    assert r.frames["events"]["quantity"].tolist() == [1]


def test_page_with_items_not_an_array(write):
    with pytest.raises(InputError, match="items: expected an array"):
        gemini.read(write("p.json", {"kind": "admin#reports#activities", "items": {"a": 1}}))
    page = _page()
    r = gemini.read(write("pages.json", [page, {"kind": "admin#reports#activities", "items": 3}]))
    assert [(x.locator, x.reason, x.field) for x in r.rejects] == [
        ("pages.json:page 2", "bad_type", "items")
    ]
    assert r.frames["events"]["quantity"].sum() == 12


def test_empty_last_page_reads_as_nothing(write):
    r = gemini.read(write("empty.json", {"kind": "admin#reports#activities", "etag": "x"}))
    assert r.rejects == [] and r.source_rows == 0
    assert r.frames["events"].empty


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "not valid JSON"),
        (FIXTURE.read_text()[:900], "truncated"),
        ('{"error": {"code": 403, "message": "Not Authorized"}}', "API error response"),
        ('{"hello": "world"}', "Reports API activities response"),
        ("42", "expected a Reports API"),
    ],
)
def test_unreadable_files_are_refused(write, content, message):
    with pytest.raises(InputError, match=message) as err:
        gemini.read(write("g.json", content))
    assert "g.json" in err.value.message


def test_truncated_ndjson_line_is_quarantined_alone(write):
    lines = [json.dumps(a) for a in _page()["items"]]
    r = gemini.read(write("a.ndjson", "\n".join(lines[:3]) + "\n" + lines[3][:50]))
    assert [(x.locator, x.reason) for x in r.rejects] == [("a.ndjson:line 4", "bad_json")]
    assert r.frames["events"]["quantity"].sum() == 3


def test_scope_option_labels_aggregates_without_customer(write):
    act = _activity("2026-11-03T10:00:00Z", "1", None, "docs", "summarize")
    del act["id"]["customerId"]
    r = CONNECTORS["gemini-workspace"].read(write("s.json", [act]), {"scope": "domain:corp"})
    assert r.frames["aggregate_facts"]["scope"].tolist() == ["domain:corp"]


def _check(result: Any, name: str) -> None:
    for table, frame in result.frames.items():
        spec = TABLES[table]
        assert list(frame.columns) == [*spec.names, LOCATOR]
        for column in spec.required:
            assert frame[column].notna().all(), (table, column)
        if table == "events":
            assert set(frame["action"]) <= set(ACTIONS)
            assert frame["event_id"].is_unique
    for rej in result.rejects:
        assert not (rej.detail or "").startswith(INTERNAL), rej
        assert rej.locator.startswith(name), rej


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


@FUZZ
@given(data=st.data())
def test_type_flips_extra_fields_and_truncation_never_traceback(data):
    doc = _page()
    doc["items"] = doc["items"][:4]
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(doc)
        target = data.draw(st.sampled_from(paths))
        if data.draw(st.booleans()):
            _set(doc, target, data.draw(VALUES))
        else:
            parents = [p for p in paths if isinstance(_get(doc, p), dict)] or [()]
            parent = data.draw(st.sampled_from(parents))
            _set(doc, (*parent, data.draw(st.text(min_size=1, max_size=8))), data.draw(VALUES))
    content = json.dumps(doc).encode()
    if data.draw(st.booleans()):
        content = content[: data.draw(st.integers(min_value=0, max_value=len(content) - 1))]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.json"
        path.write_bytes(content)
        try:
            result = gemini.read(path)
        except InputError as exc:
            assert "fuzz.json" in exc.message
            return
        _check(result, "fuzz.json")


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    node = doc
    for step in path:
        node = node[step]
    return node


def test_workspace_ingest_lands_rows_and_refetch_adds_nothing(tmp_path):
    page = _page()
    items = page["items"]
    # The same fetch again, split into overlapping pages in another order.
    refetch = tmp_path / "refetch.json"
    refetch.write_text(json.dumps([{**page, "items": items[6:]}, {**page, "items": items[:8]}]))
    # A later file with one more activity for a day already stored: its row differs.
    extra = _activity("2026-11-03T18:00:00Z", "77", "ana.silva@corp.example", "gmail", "summarize")
    later = tmp_path / "later.json"
    later.write_text(json.dumps({**page, "items": [*items, extra]}))
    with Workspace.init(tmp_path / "ws") as ws:
        first = ws.ingest("events", [FIXTURE], fmt="gemini-workspace", now=NOW)
        assert sum(r.quarantined for r in first) == 0
        assert sum(r.accepted for r in first if r.table == "events") == 9
        again = ws.ingest("events", [refetch], fmt="gemini-workspace", now=NOW)
        assert sum(r.quarantined for r in again) == 0
        assert sum(r.accepted for r in again) == 0
        assert sum(r.duplicates for r in again) == 9
        # Documented limit: a day's row is fixed by the first file; the changed count is
        # quarantined as a conflict rather than silently added or dropped.
        third = ws.ingest("events", [later], fmt="gemini-workspace", now=NOW)
        assert sum(r.accepted for r in third) == 0
        assert sum(r.quarantined for r in third) == 1
        [q] = ws.quarantine()
        assert q["reason"] == "conflict"
