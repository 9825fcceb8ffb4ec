"""Cursor Admin API: exact rows from the published samples, no double-counted prompts, bad input."""

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
from uptake.ingest.connectors import CONNECTORS, cursor
from uptake.ingest.connectors.collect import INTERNAL
from uptake.workspace import Workspace

DAILY = "cursor_daily_usage_data.json"
EVENTS = "cursor_filtered_usage_events.json"
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


def _doc(samples: Path, name: str) -> dict[str, Any]:
    return json.loads((samples / name).read_text())


def _facts(r, person: str | None = None) -> dict[tuple[str, str], float]:
    pf = r.frames["person_facts"]
    if person:
        pf = pf[pf["person"] == person]
    return {(d, f): v for d, f, v in zip(pf["report_date"], pf["fact"], pf["value"], strict=True)}


def test_daily_sample_gives_eighteen_events_and_thirty_six_facts(samples):
    # Hand calculation: 2 rows (2024-03-18, 2024-03-19), same e-mail, every counter > 0:
    #   9 counters -> 9 event rows per day = 18 events
    #   (tabs shown/accepted, applies/accepts/rejects, chat, composer, agent, cmdk).
    #   Numbers per row: isActive + 4 line counts + 3 edit + 2 tab + 3 request + cmdk
    #   + 3 billing request counts + bugbot = 18 facts per day = 36 (apiKeyReqs 0 is a fact).
    r = cursor.read(samples / DAILY)
    assert r.rejects == []
    assert r.source_rows == 2
    ev = r.frames["events"]
    assert len(ev) == 18
    assert set(ev["person"]) == {"developer@company.com"}
    assert set(ev["tool"]) == {"cursor"}
    assert set(ev["ts"]) == {"2024-03-18T00:00:00Z", "2024-03-19T00:00:00Z"}
    day1 = ev[ev["ts"] == "2024-03-18T00:00:00Z"]
    by = {
        (json.loads(a)["feature"], act): q
        for a, act, q in zip(day1["attrs"], day1["action"], day1["quantity"], strict=True)
    }
    assert by == {
        ("tab", "suggestion"): 342,
        ("tab", "accept"): 289,
        ("agent_edit", "suggestion"): 87,
        ("agent_edit", "accept"): 73,
        ("agent_edit", "reject"): 14,
        ("chat", "prompt"): 128,
        ("composer", "prompt"): 45,
        ("agent", "prompt"): 12,
        ("cmdk", "prompt"): 67,
    }
    attrs = json.loads(day1["attrs"].iloc[0])
    assert attrs["most_used_model"] == "gpt-4"
    assert attrs["client_version"] == "0.25.1"
    assert attrs["granularity"] == "day"
    facts = _facts(r)
    assert len(facts) == 36
    assert facts["2024-03-18", "accepted_lines_added"] == 1102.0
    assert facts["2024-03-19", "total_lines_deleted"] == 1203.0
    assert facts["2024-03-18", "api_key_reqs"] == 0.0
    assert facts["2024-03-19", "bugbot_usages"] == 5.0
    assert facts["2024-03-18", "is_active"] == 1.0
    assert "aggregate_facts" not in r.frames


def test_usage_events_sample_gives_per_day_facts_and_cost_in_dollars(samples):
    # developer: 2 events on 2025-06-26 (UTC): requestsCosts 5 + 10 = 15 units,
    #   totalCents 20.18232 + 40.167 = 60.34932 cents = $0.6034932; tokens summed;
    #   8 facts (requests, units, 4 token kinds, cost, max_mode_requests).
    # admin: 1 event, no tokenUsage -> requests 1, units 1.4, max_mode 1, and no cost
    #   (unpriced is unknown, never 0)                                             = 3 facts.
    r = cursor.read(samples / EVENTS)
    assert r.rejects == []
    assert r.source_rows == 3
    assert "events" not in r.frames  # default: prompts come from the daily data
    dev = _facts(r, "developer@company.com")
    assert len(dev) == 8
    assert dev["2025-06-26", "requests"] == 2.0
    assert dev["2025-06-26", "request_units"] == 15.0
    assert dev["2025-06-26", "cost"] == pytest.approx(0.6034932)
    assert dev["2025-06-26", "input_tokens"] == 126 + 5805
    assert dev["2025-06-26", "cache_read_tokens"] == 11964
    admin = _facts(r, "admin@company.com")
    assert admin == {
        ("2025-06-26", "requests"): 1.0,
        ("2025-06-26", "request_units"): 1.4,
        ("2025-06-26", "max_mode_requests"): 1.0,
    }
    pf = r.frames["person_facts"]
    cost_attrs = json.loads(pf[pf["fact"] == "cost"]["attrs"].iloc[0])
    assert cost_attrs["currency"] == "USD"
    assert cost_attrs["by_model"] == {"claude-4-opus": 2}
    assert any("page 1 of 12" in n for n in r.notes)


def test_prompts_from_events_gives_one_prompt_per_request_at_its_time(samples):
    r = cursor.read(samples / EVENTS, {"prompts_from": "events"})
    ev = r.frames["events"].sort_values("ts")
    assert list(ev["ts"]) == [
        "2025-06-26T22:52:19.901000Z",
        "2025-06-26T23:06:13.824000Z",
        "2025-06-26T23:07:05.854000Z",
    ]
    assert set(ev["action"]) == {"prompt"}
    assert list(ev["quantity"]) == [1, 1, 1]
    assert ev["value"].iloc[2] == pytest.approx(0.2018232)
    assert ev["value"].iloc[0] is None
    attrs = json.loads(ev["attrs"].iloc[0])
    assert (attrs["model"], attrs["kind"], attrs["count_of"]) == (
        "claude-4-sonnet-thinking",
        "Included in Business",
        "usageEvents",
    )
    # The daily data then counts tabs and edits, but no prompts.
    daily = cursor.read(samples / DAILY, {"prompts_from": "events"}).frames["events"]
    assert len(daily) == 10
    assert "prompt" not in set(daily["action"])


def _same_day_files(samples: Path, folder: Path) -> tuple[Path, Path, int, int]:
    """A daily row and four usage events of the same person and day."""
    daily = _doc(samples, DAILY)
    daily["data"] = daily["data"][:1]
    events = _doc(samples, EVENTS)
    base = 1710720000000 + 9 * 3600 * 1000
    events["usageEvents"] = [
        {**events["usageEvents"][i % 3], "timestamp": str(base + i * 60_000)} for i in range(4)
    ]
    for e in events["usageEvents"]:
        e["userEmail"] = "developer@company.com"
    d, e = folder / "daily.json", folder / "events.json"
    d.write_text(json.dumps(daily))
    e.write_text(json.dumps(events))
    row = daily["data"][0]
    prompts = sum(row[k] for k in ("chatRequests", "composerRequests", "agentRequests"))
    return d, e, prompts + row["cmdkUsages"], 4


@pytest.mark.parametrize("mode", ["daily", "events"])
def test_both_responses_for_one_day_never_count_a_prompt_twice(samples, tmp_path, mode):
    daily, events, daily_prompts, requests = _same_day_files(samples, tmp_path)
    with Workspace.init(tmp_path / "ws") as ws:
        for path in (daily, events):
            opts = {"prompts_from": mode}
            results = ws.ingest("events", [path], fmt="cursor", options=opts, refresh=False)
            assert sum(r.quarantined for r in results) == 0
        [(prompts,)] = ws.con.execute(
            "SELECT sum(coalesce(quantity, 1)) FROM events WHERE action = 'prompt'"
        ).fetchall()
        [(tabs,)] = ws.con.execute(
            "SELECT sum(quantity) FROM events WHERE action = 'suggestion'"
        ).fetchall()
        [(cost,)] = ws.con.execute(
            "SELECT sum(value) FROM person_facts WHERE fact = 'cost'"
        ).fetchall()
    assert prompts == (daily_prompts if mode == "daily" else requests)
    assert prompts != daily_prompts + requests
    assert tabs == 342 + 87
    assert cost == pytest.approx((20.18232 + 40.167 + 20.18232) / 100)


def test_rows_without_email_become_daily_aggregates(samples, write):
    doc = _doc(samples, DAILY)
    anon = [{k: v for k, v in row.items() if k != "email"} for row in doc["data"]]
    doc["data"] = [*doc["data"], anon[0], anon[0], anon[1]]
    r = cursor.read(write("d.json", doc))
    assert r.rejects == []
    assert r.source_rows == 5
    assert len(r.frames["events"]) == 18  # the two rows with a person only
    agg = r.frames["aggregate_facts"].set_index(["day", "metric"])
    assert agg.loc[("2024-03-18", "rows_without_email"), "value"] == 2.0
    assert agg.loc[("2024-03-18", "chat_requests"), "value"] == 256.0
    assert agg.loc[("2024-03-19", "rows_without_email"), "value"] == 1.0
    assert set(agg["scope"]) == {"team"}
    assert any("3 daily row(s) without email" in n for n in r.notes)


def test_usage_events_without_email_become_aggregates_in_dollars(samples, write):
    doc = _doc(samples, EVENTS)
    for e in doc["usageEvents"]:
        e.pop("userEmail")
    r = cursor.read(write("e.json", doc), {"scope": "team:acme", "prompts_from": "events"})
    assert "person_facts" not in r.frames and "events" not in r.frames
    agg = r.frames["aggregate_facts"].set_index("metric")
    assert agg.loc["requests", "value"] == 3.0
    assert agg.loc["cost", "value"] == pytest.approx(0.6034932)
    assert json.loads(str(agg.loc["cost", "dims"])) == {"currency": "USD", "from": "usage events"}
    assert set(agg["scope"]) == {"team:acme"}
    assert any("3 usage event(s) without userEmail" in n for n in r.notes)


def test_ndjson_rows_and_array_of_pages_give_the_same_ids(samples, write):
    doc = _doc(samples, EVENTS)
    page = write("page.json", doc)
    rows = write("rows.ndjson", "".join(json.dumps(e) + "\n" for e in doc["usageEvents"]))
    pages = write("pages.json", [doc, {**doc, "usageEvents": []}])
    opts = {"prompts_from": "events"}
    ids = [sorted(cursor.read(p, opts).frames["events"]["event_id"]) for p in (page, rows, pages)]
    assert ids[0] == ids[1] == ids[2]
    assert len(set(ids[0])) == 3
    locs = cursor.read(pages, opts).frames["events"]["__locator"]
    assert set(locs) == {f"pages.json:page 1:event {i}" for i in (1, 2, 3)}


def test_null_counts_are_unknown_not_zero(samples, write):
    doc = _doc(samples, DAILY)
    doc["data"] = [{**doc["data"][0], "chatRequests": None, "isActive": None}]
    r = cursor.read(write("n.json", doc))
    assert r.rejects == [] and r.notes == []
    features = {json.loads(a)["feature"] for a in r.frames["events"]["attrs"]}
    assert features == {"tab", "agent_edit", "composer", "agent", "cmdk"}
    facts = {f for _, f in _facts(r)}
    assert "chat_requests" not in facts and "is_active" not in facts
    assert len(facts) == 16


def test_one_person_in_two_spellings_gets_one_set_of_day_facts(samples, write):
    doc = _doc(samples, EVENTS)
    doc["usageEvents"][2]["userEmail"] = "DEVELOPER@company.com"
    r = cursor.read(write("e.json", doc))
    pf = r.frames["person_facts"]
    assert set(pf["person"]) == {"developer@company.com"}
    assert _facts(r)["2025-06-26", "requests"] == 3.0


def test_usage_based_costs_in_dollars_are_read(write):
    event = {
        "timestamp": "1750979225854",
        "model": "gpt-5",
        "kind": "Usage-based",
        "requestsCosts": 1,
        "usageBasedCosts": "$0.32",
        "userEmail": "a@corp.example",
    }
    r = cursor.read(write("e.json", {"usageEvents": [event]}))
    assert _facts(r)["2025-06-26", "cost"] == pytest.approx(0.32)


def test_truncated_and_garbled_files_are_refused_naming_the_file(samples, write):
    text = (samples / DAILY).read_text()
    with pytest.raises(InputError) as err:
        cursor.read(write("cut.json", text[: len(text) // 2]))
    assert "cut.json" in err.value.message and "truncated" in err.value.message
    with pytest.raises(InputError, match="not valid JSON"):
        cursor.read(write("x.json", "date,email\n2024-03-18,a@b.example\n"))
    with pytest.raises(InputError, match="expected a Cursor"):
        cursor.read(write("n.json", "42"))
    with pytest.raises(InputError, match="error response"):
        cursor.read(write("err.json", {"error": "Unauthorized"}))


def test_truncated_last_ndjson_line_is_quarantined_alone(samples, write):
    rows = _doc(samples, DAILY)["data"]
    text = json.dumps(rows[0]) + "\n" + json.dumps(rows[1])[:60]
    r = cursor.read(write("d.ndjson", text))
    assert len(r.frames["events"]) == 9
    assert [(x.locator, x.reason) for x in r.rejects] == [("d.ndjson:line 2", "bad_json")]


def test_wrong_types_reject_the_record_naming_the_field(samples, write):
    doc = _doc(samples, DAILY)
    good = doc["data"][0]
    doc["data"] = [
        {**good, "totalTabsShown": "many"},
        {**good, "date": "yesterday"},
        {**good, "chatRequests": -3},
        {**good, "mostUsedModel": {"name": "x"}},
        {**good, "totalTabsAccepted": True},
        {**good, "isActive": "yes"},
        {**good, "agentRequests": 0.3},
        {"hello": "world"},
        7,
        good,
    ]
    events = _doc(samples, EVENTS)
    events["usageEvents"] = [
        {**events["usageEvents"][0], "timestamp": "last tuesday"},
        {**events["usageEvents"][0], "timestamp": "99999999999999999"},
        {**events["usageEvents"][0], "tokenUsage": {"inputTokens": "lots"}},
        {**events["usageEvents"][0], "usageBasedCosts": "cheap"},
        {k: v for k, v in events["usageEvents"][0].items() if k != "timestamp"},
    ]
    r = cursor.read(write("bad.json", [doc, events]))
    assert [(x.reason, x.field) for x in r.rejects] == [
        ("bad_type", "totalTabsShown"),
        ("bad_timestamp", "date"),
        ("bad_type", "chatRequests"),
        ("bad_type", "mostUsedModel"),
        ("bad_type", "totalTabsAccepted"),
        ("bad_type", "isActive"),
        ("bad_type", "agentRequests"),
        ("unsupported_record", None),
        ("bad_type", None),
        ("bad_timestamp", "timestamp"),
        ("bad_timestamp", "timestamp"),
        ("bad_type", "tokenUsage.inputTokens"),
        ("bad_type", "usageBasedCosts"),
        ("missing_required", "timestamp"),
    ]
    assert r.rejects[0].locator == "bad.json:page 1:record 1"
    assert len(r.frames["events"]) == 9  # the one good row
    assert "person_facts" in r.frames and "aggregate_facts" not in r.frames


def test_extra_fields_numbers_become_facts_identifiers_never_kept(samples, write):
    doc = _doc(samples, DAILY)
    row = doc["data"][0]
    row.update(
        userId=981234,
        newCounter=4,
        owningTeam="platform",
        future={"x": "y"},
        userName="Dev Eloper",
        isActive=False,
    )
    r = cursor.read(write("extra.json", doc))
    assert r.rejects == []
    facts = _facts(r)
    assert facts["2024-03-18", "new_counter"] == 4.0
    assert facts["2024-03-18", "is_active"] == 0.0
    assert not any("user" in f for _, f in facts)
    dumped = json.dumps([f.to_dict("records") for f in r.frames.values()])
    assert "981234" not in dumped and "Dev Eloper" not in dumped
    attrs = json.loads(r.frames["events"]["attrs"].iloc[0])
    assert attrs["extra"] == {"owningTeam": "platform"}
    assert any("future" in n for n in r.notes)


def test_options_are_checked(samples):
    with pytest.raises(InputError, match="prompts_from"):
        CONNECTORS["cursor"].read(samples / DAILY, {"prompts_from": "both"})
    with pytest.raises(InputError, match="no option 'prompt_from'"):
        CONNECTORS["cursor"].read(samples / DAILY, {"prompt_from": "events"})


def test_samples_land_through_the_workspace_and_reingest_adds_nothing(samples, tmp_path):
    # (file, options, accepted rows per table); each file is then ingested again.
    steps = [
        (DAILY, {}, {"events": 18, "person_facts": 36}),
        (EVENTS, {}, {"person_facts": 11}),
        # Switching to per-request prompts adds the three events; the facts are the same.
        (EVENTS, {"prompts_from": "events"}, {"events": 3}),
    ]
    with Workspace.init(tmp_path / "ws") as ws:
        for name, options, expected in steps:
            path = samples / name
            first = ws.ingest(
                "events", [path], fmt="cursor", options=options, now=NOW, refresh=False
            )
            assert sum(r.quarantined for r in first) == 0
            got: dict[str, int] = {}
            for r in first:
                got[r.table] = got.get(r.table, 0) + r.accepted
            assert {k: v for k, v in got.items() if v} == expected, name
            again = ws.ingest(
                "events", [path], fmt="cursor", options=options, now=NOW, refresh=False
            )
            assert sum(r.accepted for r in again) == 0
            assert sum(r.duplicates for r in again) == sum(r.rows for r in first)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["", "1710720000000", "2024-03-18", "$1.5", "NaN", "-1"]),
)


def _leaves(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*prefix, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*prefix, i))]
    return [prefix]


@pytest.mark.parametrize("name", [DAILY, EVENTS])
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_mutated_samples_give_rows_or_located_rejects(samples, name, data):
    doc = copy.deepcopy(_doc(samples, name))
    leaves = _leaves(doc)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        target = data.draw(st.sampled_from(leaves))
        node = doc
        for step in target[:-1]:
            node = node[step]
        node[target[-1]] = data.draw(SCALARS)
    mode = data.draw(st.sampled_from(["daily", "events"]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(json.dumps(doc))
        try:
            r = cursor.read(path, {"prompts_from": mode})
        except InputError as exc:
            assert name in exc.message
            return
    for rej in r.rejects:
        assert rej.reason in REASONS
        assert not (rej.detail or "").startswith(INTERNAL), rej
        assert rej.locator.startswith(name)
    for frame in r.frames.values():
        assert frame["__locator"].map(lambda s: s.startswith(name)).all()
    if "events" in r.frames:
        assert (r.frames["events"]["quantity"] >= 1).all()
