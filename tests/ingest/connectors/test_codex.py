"""OpenAI Codex analytics usage rows: exact rows from the example export, aggregates, bad input."""

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
from uptake.ingest.connectors import CONNECTORS, codex
from uptake.ingest.connectors.collect import INTERNAL
from uptake.workspace import Workspace

USAGE = "codex_usage.json"
NOW = datetime(2026, 11, 5, tzinfo=UTC)
REASONS = {
    "missing_required",
    "bad_type",
    "bad_timestamp",
    "bad_enum",
    "bad_json",
    "malformed_record",
    "unsupported_record",
}


def _doc(fixtures: Path) -> dict[str, Any]:
    return json.loads((fixtures / USAGE).read_text())


def _facts(r) -> dict[tuple[str, str, str], float]:
    pf = r.frames["person_facts"]
    return {
        (p, d, f): v
        for p, d, f, v in zip(pf["person"], pf["report_date"], pf["fact"], pf["value"], strict=True)
    }


def test_example_gives_eight_events_and_thirty_five_facts(fixtures):
    # Hand calculation, 5 rows:
    #   ana 11-02 (6 threads, 41 turns), ana 11-03 (2, 9), bo 11-02 (1, 3),
    #   user-Tn55… 11-02 (3, 12; no e-mail: the user id is the person), bo 11-03 (0, 0).
    #   events: 4 rows with activity x (session_start, prompt) = 8; zero counts make none.
    #   facts: 7 per row (is_active, threads, turns, credits, 3 token counts) x 5 = 35.
    r = codex.read(fixtures / USAGE)
    assert r.rejects == []
    assert r.source_rows == 5
    ev = r.frames["events"]
    assert len(ev) == 8
    got = {
        (p, t[:10], a): q
        for p, t, a, q in zip(ev["person"], ev["ts"], ev["action"], ev["quantity"], strict=True)
    }
    assert got[("ana.silva@example.com", "2026-11-02", "session_start")] == 6
    assert got[("ana.silva@example.com", "2026-11-02", "prompt")] == 41
    assert got[("user-Tn55gHe0rB", "2026-11-02", "prompt")] == 12
    assert ("bo.nguyen@example.com", "2026-11-03", "prompt") not in got
    assert set(ev["tool"]) == {"codex"}
    attrs = json.loads(ev["attrs"].iloc[1])
    assert attrs == {
        "count_of": "total_turns",
        "feature": "turn",
        "granularity": "day",
        "scope": "workspace:ws_7Hq2LmN4pR",
    }
    facts = _facts(r)
    assert len(facts) == 35
    assert facts["ana.silva@example.com", "2026-11-02", "credits"] == 118.5
    assert facts["bo.nguyen@example.com", "2026-11-03", "is_active"] == 0.0
    assert facts["user-Tn55gHe0rB", "2026-11-02", "output_tokens"] == 24600.0
    assert not any(f == "cost" for _, _, f in facts)  # no documented credit rate
    assert "aggregate_facts" not in r.frames


def test_credit_price_adds_a_cost_fact_in_dollars(fixtures):
    r = codex.read(fixtures / USAGE, {"credit_price": "0.04"})
    facts = _facts(r)
    assert facts["ana.silva@example.com", "2026-11-02", "cost"] == pytest.approx(4.74)
    pf = r.frames["person_facts"]
    attrs = json.loads(pf[pf["fact"] == "cost"]["attrs"].iloc[0])
    assert (attrs["currency"], attrs["credit_price"], attrs["credits"]) == ("USD", 0.04, 118.5)
    with pytest.raises(InputError, match="credit_price"):
        codex.read(fixtures / USAGE, {"credit_price": "free"})


def test_rows_grouped_by_day_or_week_become_aggregates(write):
    rows = [
        {"date": "2026-11-02", "total_threads": 12, "total_turns": 70, "total_credits": 150.5},
        {"date": "2026-11-03", "total_threads": 4, "total_turns": 20, "input_tokens": 9000},
    ]
    r = codex.read(write("g.json", {"object": "list", "data": rows, "has_more": False}))
    assert "events" not in r.frames and "person_facts" not in r.frames
    agg = r.frames["aggregate_facts"].set_index(["day", "metric"])
    assert agg.loc[("2026-11-02", "credits"), "value"] == 150.5
    assert agg.loc[("2026-11-03", "input_tokens"), "value"] == 9000.0
    assert agg.loc[("2026-11-02", "rows"), "value"] == 1.0
    assert set(agg["scope"]) == {"workspace"}
    assert set(agg["dims"]) == {'{"period":"day"}'}
    assert any("2 row(s) without user_id or email" in n for n in r.notes)
    weekly = codex.read(write("w.json", rows), {"group_by": "week", "scope": "workspace:w1"})
    assert set(weekly.frames["aggregate_facts"]["dims"]) == {'{"period":"week"}'}
    assert set(weekly.frames["aggregate_facts"]["scope"]) == {"workspace:w1"}


def test_ndjson_and_array_of_pages_give_the_same_ids(fixtures, write):
    doc = _doc(fixtures)
    nd = write("u.ndjson", "".join(json.dumps(r) + "\n" for r in doc["data"]))
    pages = write("p.json", [doc, {**doc, "data": []}])
    ids = [
        sorted(codex.read(p).frames["events"]["event_id"]) for p in (fixtures / USAGE, nd, pages)
    ]
    assert ids[0] == ids[1] == ids[2]
    assert len(set(ids[0])) == 8
    locs = set(codex.read(pages).frames["events"]["__locator"])
    assert "p.json:page 1:row 1" in locs


def test_event_ids_do_not_depend_on_the_scope_label(fixtures):
    plain = codex.read(fixtures / USAGE).frames["events"]
    labelled = codex.read(fixtures / USAGE, {"scope": "team:platform"}).frames["events"]
    assert list(plain["event_id"]) == list(labelled["event_id"])
    assert json.loads(labelled["attrs"].iloc[0])["scope"] == "team:platform"


def test_dates_as_unix_seconds_are_read(write):
    row = {"date": 1793577600, "email": "a@corp.example", "total_turns": 2}
    ev = codex.read(write("s.json", [row])).frames["events"]
    assert list(ev["ts"]) == ["2026-11-02T00:00:00Z"]


def test_truncated_and_garbled_files_are_refused_naming_the_file(fixtures, write):
    text = (fixtures / USAGE).read_text()
    with pytest.raises(InputError) as err:
        codex.read(write("cut.json", text[: len(text) // 3]))
    assert "cut.json" in err.value.message and "truncated" in err.value.message
    with pytest.raises(InputError, match="not valid JSON"):
        codex.read(write("x.json", "date,user_id\n2026-11-02,u1\n"))
    with pytest.raises(InputError, match="expected the Codex usage response"):
        codex.read(write("n.json", '"hello"'))
    with pytest.raises(InputError, match="error response"):
        codex.read(write("err.json", {"error": {"message": "Invalid key", "type": "auth"}}))


def test_wrong_types_reject_the_row_naming_the_field(fixtures, write):
    good = _doc(fixtures)["data"][0]
    rows = [
        {**good, "total_turns": "forty"},
        {**good, "date": "2026-02-30"},
        {**good, "total_threads": -1},
        {**good, "total_turns": 2.5},
        {**good, "is_active": "yes"},
        {**good, "email": ["a", "b"]},
        {k: v for k, v in good.items() if k != "date"},
        {**good, "date": 10},
        "row",
        good,
    ]
    r = codex.read(write("bad.json", {"object": "list", "data": rows}))
    assert [(x.reason, x.field) for x in r.rejects] == [
        ("bad_type", "total_turns"),
        ("bad_timestamp", "date"),
        ("bad_type", "total_threads"),
        ("bad_type", "total_turns"),
        ("bad_type", "is_active"),
        ("bad_type", "email"),
        ("missing_required", "date"),
        ("bad_timestamp", "date"),
        ("bad_type", None),
    ]
    assert r.rejects[0].locator == "bad.json:row 1"
    assert len(r.frames["events"]) == 2


def test_extra_fields_numbers_kept_identifiers_never(fixtures, write):
    row = {
        **_doc(fixtures)["data"][0],
        "surface": "cli",
        "reasoning_tokens": 1200,
        "name": "Ana Silva",
        "unknown_text": "hello",
    }
    r = codex.read(write("x.json", [row]))
    assert r.rejects == []
    facts = _facts(r)
    assert facts["ana.silva@example.com", "2026-11-02", "reasoning_tokens"] == 1200.0
    attrs = json.loads(r.frames["events"]["attrs"].iloc[0])
    assert attrs["extra"] == {"surface": "cli"}
    dumped = json.dumps([f.to_dict("records") for f in r.frames.values()])
    assert "Ana Silva" not in dumped and "user-Qx81bVt3kD" not in dumped
    assert any("unknown_text" in n for n in r.notes)


def test_options_are_checked(fixtures):
    with pytest.raises(InputError, match="group_by"):
        CONNECTORS["codex"].read(fixtures / USAGE, {"group_by": "month"})
    with pytest.raises(InputError, match="no option"):
        CONNECTORS["codex"].read(fixtures / USAGE, {"credits_price": "1"})


def test_example_lands_through_the_workspace_and_reingest_adds_nothing(fixtures, tmp_path):
    with Workspace.init(tmp_path / "ws") as ws:
        first = ws.ingest("events", [fixtures / USAGE], fmt="codex", now=NOW, refresh=False)
        assert sum(r.quarantined for r in first) == 0
        got = {r.table: r.accepted for r in first if r.accepted}
        assert got == {"events": 8, "person_facts": 35}
        again = ws.ingest("events", [fixtures / USAGE], fmt="codex", now=NOW, refresh=False)
        assert sum(r.accepted for r in again) == 0
        assert sum(r.duplicates for r in again) == 43


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["", "2026-11-02", "1793577600", "NaN", "-1"]),
)


def _leaves(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*prefix, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*prefix, i))]
    return [prefix]


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_mutated_example_gives_rows_or_located_rejects(fixtures, data):
    doc = copy.deepcopy(_doc(fixtures))
    leaves = _leaves(doc)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        target = data.draw(st.sampled_from(leaves))
        node = doc
        for step in target[:-1]:
            node = node[step]
        node[target[-1]] = data.draw(SCALARS)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / USAGE
        path.write_text(json.dumps(doc))
        try:
            r = codex.read(path, {"credit_price": "0.04"})
        except InputError as exc:
            assert USAGE in exc.message
            return
    for rej in r.rejects:
        assert rej.reason in REASONS
        assert not (rej.detail or "").startswith(INTERNAL), rej
        assert rej.locator.startswith(USAGE)
    if "events" in r.frames:
        assert (r.frames["events"]["quantity"] >= 1).all()


def test_null_counts_are_unknown_not_zero(fixtures, write):
    row = {**_doc(fixtures)["data"][0], "total_turns": None, "is_active": None}
    r = codex.read(write("n.json", [row]))
    assert r.rejects == [] and r.notes == []
    assert list(r.frames["events"]["action"]) == ["session_start"]
    facts = {f for _, _, f in _facts(r)}
    assert "total_turns" not in facts and "is_active" not in facts
    assert "credits" in facts
