"""Claude Code Analytics report: exact rows from the published sample, layouts, bad input."""

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
from uptake.ingest.connectors import CONNECTORS, claude_code
from uptake.ingest.connectors.base import LOCATOR
from uptake.ingest.connectors.collect import INTERNAL
from uptake.ingest.spill import SpillTo, spilling
from uptake.schema.tables import ACTIONS, TABLES
from uptake.workspace import Workspace

SAMPLE = Path(__file__).parent / "samples" / "anthropic_claude_code_usage_report.json"
REASONS = {
    "missing_required",
    "bad_type",
    "bad_timestamp",
    "bad_enum",
    "bad_json",
    "malformed_record",
    "unsupported_record",
}
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _row() -> dict[str, Any]:
    return copy.deepcopy(json.loads(SAMPLE.read_text())["data"][0])


def _facts(r) -> dict[str, float]:
    return r.frames["person_facts"].set_index("fact")["value"].to_dict()


def test_sample_gives_eight_events_and_nine_person_facts(samples):
    # Hand calculation from the sample's one user_actor row (user@example.com, 2025-08-08,
    # iTerm.app): num_sessions 15 -> session_start 15; tool_actions accepted/rejected:
    # edit 25/3, multi_edit 12/1, notebook_edit 5/2, write 8/0 (a zero makes no row) -> 7;
    # 1 + 7 = 8 events. Person facts: commits 8, lines added 342, removed 128, PRs 2,
    # tokens input 45230+23100, output 12450+5680, cache_read 8790+3420, cache_creation
    # 2340+890, cost (186+42 cents) = 2.28 USD -> 4 + 4 + 1 = 9.
    r = claude_code.read(samples / SAMPLE.name)
    assert r.rejects == []
    assert r.source_rows == 1
    assert set(r.frames) == {"events", "person_facts"}
    ev = r.frames["events"]
    assert len(ev) == 8
    got = {
        (json.loads(a)["feature"], act): q
        for a, act, q in ev[["attrs", "action", "quantity"]].values
    }
    assert got == {
        ("session", "session_start"): 15,
        ("edit_tool", "accept"): 25,
        ("edit_tool", "reject"): 3,
        ("multi_edit_tool", "accept"): 12,
        ("multi_edit_tool", "reject"): 1,
        ("notebook_edit_tool", "accept"): 5,
        ("notebook_edit_tool", "reject"): 2,
        ("write_tool", "accept"): 8,
    }
    assert set(ev["person"]) == {"user@example.com"}
    assert set(ev["tool"]) == {"claude-code"}
    assert set(ev["surface"]) == {"iTerm.app"}
    assert set(ev["ts"]) == {"2025-08-08T00:00:00Z"}
    attrs = json.loads(ev["attrs"].iloc[0])
    assert attrs["granularity"] == "day"
    assert attrs["customer_type"] == "api"
    assert attrs["scope"] == "organization:12345678-1234-5678-1234-567812345678"
    facts = _facts(r)
    assert facts == {
        "commits": 8.0,
        "lines_added": 342.0,
        "lines_removed": 128.0,
        "pull_requests": 2.0,
        "tokens_input": 68330.0,
        "tokens_output": 18130.0,
        "tokens_cache_read": 12210.0,
        "tokens_cache_creation": 3230.0,
        "cost": 2.28,
    }
    pf = r.frames["person_facts"].set_index("fact")
    cost = json.loads(str(pf.loc["cost", "attrs"]))
    assert cost["currency"] == "USD"
    assert cost["by_model"] == {"claude-sonnet-4-20250514": 1.86, "claude-3-5-haiku-20241022": 0.42}
    assert cost["estimated"] is True
    tokens = json.loads(str(pf.loc["tokens_input", "attrs"]))["by_model"]
    assert tokens == {"claude-sonnet-4-20250514": 45230, "claude-3-5-haiku-20241022": 23100}
    assert set(r.frames["person_facts"]["report_date"]) == {"2025-08-08"}
    assert any("has_more" in n for n in r.notes)


def test_event_ids_are_deterministic_and_distinct(samples):
    first = claude_code.read(samples / SAMPLE.name).frames["events"]["event_id"].tolist()
    second = claude_code.read(samples / SAMPLE.name).frames["events"]["event_id"].tolist()
    assert first == second
    assert len(set(first)) == 8


def test_two_terminals_a_day_are_events_per_terminal_and_facts_summed(write):
    a = _row()
    b = _row()
    b["terminal_type"] = "vscode"
    b["core_metrics"] = {"num_sessions": 2, "lines_of_code": {"added": 100, "removed": 0}}
    b["tool_actions"] = {"edit_tool": {"accepted": 4, "rejected": 0}}
    b["model_breakdown"] = [b["model_breakdown"][0]]
    r = claude_code.read(write("two.json", {"data": [a, b], "has_more": False}))
    assert r.rejects == []
    ev = r.frames["events"]
    sessions = ev[ev["action"] == "session_start"].set_index("surface")["quantity"]
    assert sessions.to_dict() == {"iTerm.app": 15, "vscode": 2}
    assert ev[ev["action"] == "accept"]["quantity"].sum() == 25 + 12 + 5 + 8 + 4
    assert ev["event_id"].is_unique
    facts = _facts(r)
    # Summed over both terminals, once per person and day (the facts' key).
    assert facts["lines_added"] == 442.0
    assert facts["commits"] == 8.0  # the vscode row reported no commits: nothing added
    assert facts["cost"] == pytest.approx(2.28 + 1.86)
    assert len(r.frames["person_facts"]) == 9
    attrs = json.loads(r.frames["person_facts"]["attrs"].iloc[0])
    assert attrs["terminal_types"] == ["iTerm.app", "vscode"]
    assert not any("has_more" in n for n in r.notes)


def test_a_page_saved_twice_counts_once_and_a_conflicting_row_is_quarantined(write):
    row = _row()
    other = {**_row(), "core_metrics": {"num_sessions": 99}}
    r = claude_code.read(write("dup.json", [row, row, other]))
    assert len(r.frames["events"]) == 8
    assert _facts(r)["lines_added"] == 342.0
    assert any("counted once" in n for n in r.notes)
    [rej] = r.rejects
    assert (rej.locator, rej.reason) == ("dup.json:record 3", "malformed_record")
    assert "dup.json:record 1" in (rej.detail or "")


def test_a_repeat_with_its_fields_in_another_order_counts_once(write):
    row = _row()
    reordered = dict(reversed(list(json.loads(json.dumps(row)).items())))
    reordered["core_metrics"] = dict(reversed(list(reordered["core_metrics"].items())))
    r = claude_code.read(write("dup.ndjson", f"{json.dumps(row)}\n{json.dumps(reordered)}\n"))
    assert r.rejects == [] and len(r.frames["events"]) == 8
    assert "1 repeated row(s) (same actor, day and terminal) counted once" in r.notes


def _report_lines(n: int) -> str:
    """`n` NDJSON rows: 50 users over days, two rows a day each (two terminals)."""
    lines = []
    for i in range(n):
        row = _row()
        row["actor"]["email_address"] = f"dev{i % 50}@example.com"
        row["date"] = f"2026-10-{1 + (i // 100) % 28:02d}T00:00:00Z"
        row["terminal_type"] = "vscode" if (i // 50) % 2 else "iTerm.app"
        row["core_metrics"]["num_sessions"] = 1 + i % 7
        lines.append(json.dumps(row))
    return "\n".join(lines) + "\n"


def test_a_report_is_handled_a_row_at_a_time_and_spills(write, tmp_path):
    path = write("report.ndjson", _report_lines(600))
    held = claude_code.read(path)
    (tmp_path / "spill").mkdir()
    with spilling(SpillTo(tmp_path / "spill", 1_000)):
        spilled = claude_code.read(path)
    # Each row's events are added as the row is read, so they are written out in chunks
    # while the file is read (they were all added after the last row, and never spilled).
    events = spilled.spilled["events"]
    assert len(events.files) >= 3
    assert events.locators == held.frames["events"][LOCATOR].tolist()
    assert (spilled.rejects, spilled.notes) == (held.rejects, held.notes)


def test_reading_a_report_holds_far_less_than_the_report(write, reading_peak):
    path = write("report.ndjson", _report_lines(1_500))
    peak, parsed = reading_peak(claude_code.read, path, write("small.ndjson", _report_lines(200)))
    # What the read keeps (a digest per row, the sums per person and day) is well under the
    # rows as parsed JSON; it held all of them, and every row they became (2.4 times as much).
    assert peak < parsed / 2, f"peak {peak:,} bytes reading against {parsed:,} for the rows"


def test_api_key_rows_become_aggregate_facts_only(write):
    row = _row()
    row["actor"] = {"type": "api_actor", "api_key_name": "ci-pipeline"}
    secret = "sk-ant-admin01-" + "x" * 40
    hidden = {**_row(), "actor": {"type": "api_actor", "api_key_name": secret}}
    r = claude_code.read(write("api.json", {"data": [row, hidden]}))
    assert r.rejects == []
    assert set(r.frames) == {"aggregate_facts"}
    agg = r.frames["aggregate_facts"]
    scopes = set(agg["scope"])
    assert "api_key:ci-pipeline" in scopes
    [hashed] = scopes - {"api_key:ci-pipeline"}
    assert hashed.startswith("api_key:sha256:")
    assert secret not in json.dumps(agg.drop(columns=[LOCATOR]).to_dict("records"))
    mine = agg[agg["scope"] == "api_key:ci-pipeline"].set_index(["metric", "dims"])["value"]
    assert mine["sessions", '{"actor":"api_actor","terminal_type":"iTerm.app"}'] == 15.0
    dims = '{"actor":"api_actor","terminal_type":"iTerm.app","tool":"edit_tool"}'
    assert mine["tool_actions.accepted", dims] == 25.0
    cost = json.dumps(
        {
            "actor": "api_actor",
            "currency": "USD",
            "model": "claude-sonnet-4-20250514",
            "terminal_type": "iTerm.app",
        },
        separators=(",", ":"),
    )
    assert mine["cost", cost] == 1.86
    # sessions, lines x2, commits, PRs; 4 tools x 2; 2 models x (4 token kinds + cost) = 23
    assert len(mine) == 23
    assert any("2 API-key row(s)" in n for n in r.notes)


def test_user_rows_without_email_are_summed_into_organisation_facts(write):
    a = _row()
    a["actor"] = {"type": "user_actor"}
    b = copy.deepcopy(a)
    r = claude_code.read(write("anon.json", [a, b]))
    assert r.rejects == []
    agg = r.frames["aggregate_facts"].set_index(["metric", "dims"])["value"]
    assert agg["sessions", '{"actor":"user_actor","terminal_type":"iTerm.app"}'] == 30.0
    assert set(r.frames["aggregate_facts"]["scope"]) == {
        "organization:12345678-1234-5678-1234-567812345678"
    }
    assert any("without an e-mail" in n for n in r.notes)


def test_layouts_give_the_same_rows(write):
    row = _row()
    second = {**_row(), "actor": {"type": "user_actor", "email_address": "b@example.com"}}
    doc = write("resp.json", {"data": [row, second], "has_more": False, "next_page": None})
    bare = write("rows.json", [row, second])
    ndjson = write("rows.ndjson", json.dumps(row) + "\n" + json.dumps(second) + "\n")
    pages = write("pages.json", [{"data": [row], "has_more": True}, {"data": [second]}])
    paged = write(
        "pages.ndjson",
        json.dumps({"data": [row], "has_more": True})
        + "\n"
        + json.dumps({"data": [second], "has_more": False})
        + "\n",
    )
    ids = {}
    for path in (doc, bare, ndjson, pages, paged):
        r = claude_code.read(path)
        assert r.rejects == [] and r.source_rows == 2
        ids[path.name] = r.frames["events"]["event_id"].tolist()
        locs = r.frames["events"][LOCATOR]
        assert locs.str.startswith(path.name).all()
        assert not any("has_more" in n for n in r.notes)
    assert len({tuple(v) for v in ids.values()}) == 1
    assert claude_code.read(ndjson).frames["events"][LOCATOR].iloc[-1] == "rows.ndjson:line 2"
    assert claude_code.read(paged).frames["events"][LOCATOR].iloc[-1] == (
        "pages.ndjson:line 2 record 1"
    )
    assert (
        claude_code.read(pages).frames["events"][LOCATOR].iloc[-1] == "pages.json:page 2 record 1"
    )


def test_truncated_document_is_refused_naming_the_file(write):
    text = SAMPLE.read_text()
    with pytest.raises(InputError) as err:
        claude_code.read(write("cut.json", text[: len(text) // 2]))
    assert "cut.json" in err.value.message and "truncated" in err.value.message


def test_truncated_last_ndjson_line_is_quarantined_alone(write):
    line = json.dumps(_row())
    r = claude_code.read(write("rows.ndjson", line + "\n" + line[:70]))
    assert len(r.frames["events"]) == 8
    assert [(x.locator, x.reason) for x in r.rejects] == [("rows.ndjson:line 2", "bad_json")]


@pytest.mark.parametrize(
    "content",
    ["date,actor\n2025-08-08,someone\n", "<html>502 Bad Gateway</html>", "42", '"text"'],
)
def test_garbled_files_are_refused(write, content):
    with pytest.raises(InputError) as err:
        claude_code.read(write("garbled.json", content))
    assert "garbled.json" in err.value.message


def test_api_error_answer_is_refused_with_a_hint(write):
    body = {"type": "error", "error": {"type": "permission_error", "message": "no"}}
    with pytest.raises(InputError) as err:
        claude_code.read(write("err.json", body))
    assert "permission_error" in err.value.message and err.value.hint


def _bad(path: str, value: Any) -> dict[str, Any]:
    row = _row()
    node = row
    steps = path.split(".")
    for step in steps[:-1]:
        node = node[step]
    node[steps[-1]] = value
    return row


@pytest.mark.parametrize(
    ("path", "value", "reason", "field"),
    [
        ("tool_actions.edit_tool.accepted", "25", "bad_type", "tool_actions.edit_tool.accepted"),
        ("core_metrics.num_sessions", -1, "bad_type", "core_metrics.num_sessions"),
        ("core_metrics.num_sessions", 1.5, "bad_type", "core_metrics.num_sessions"),
        ("core_metrics.lines_of_code", ["x"], "bad_type", "core_metrics.lines_of_code"),
        ("date", "2025-13-40", "bad_timestamp", "date"),
        ("date", None, "missing_required", "date"),
        ("actor.type", "robot", "bad_enum", "actor.type"),
        ("actor", None, "missing_required", "actor"),
        ("actor", "user@example.com", "bad_type", "actor"),
        ("model_breakdown", {"model": "x"}, "bad_type", "model_breakdown"),
        ("tool_actions.write_tool", 8, "bad_type", "tool_actions.write_tool"),
    ],
)
def test_wrong_types_reject_the_row_naming_the_field(write, path, value, reason, field):
    good = {**_row(), "actor": {"type": "user_actor", "email_address": "other@example.com"}}
    r = claude_code.read(write("bad.json", {"data": [_bad(path, value), good]}))
    [rej] = r.rejects
    assert (rej.locator, rej.reason) == ("bad.json:record 1", reason)
    assert (rej.field or "").startswith(field)
    assert len(r.frames["events"]) == 8  # the good row still counts


def test_cost_amount_string_and_dollar_unit(write):
    row = _row()
    row["model_breakdown"][0]["estimated_cost"]["amount"] = "186.5"
    r = claude_code.read(write("s.json", [row]))
    assert _facts(r)["cost"] == pytest.approx(2.285)
    dollars = claude_code.read(write("d.json", [_row()]), {"cost_unit": "dollars"})
    assert _facts(dollars)["cost"] == 228.0
    cost_attrs = json.loads(
        str(dollars.frames["person_facts"].set_index("fact").at["cost", "attrs"])
    )
    assert cost_attrs["reported_in"] == "dollars"
    with pytest.raises(InputError, match="cost_unit"):
        claude_code.read(write("d.json", [_row()]), {"cost_unit": "euros"})
    with pytest.raises(InputError, match="no option 'cost_units'"):
        CONNECTORS["claude-code"].read(write("d.json", [_row()]), {"cost_units": "cents"})


def test_extra_fields_are_tolerated_and_only_allow_listed_ones_kept(write):
    row = _row()
    row["workspace_id"] = "wrkspc_01"
    row["reviewer_email"] = "boss@example.com"
    row["future_block"] = {"x": 1}
    row["core_metrics"]["num_prompts"] = 40
    row["tool_actions"]["bash_tool"] = {"accepted": 6, "rejected": 1, "new": 2}
    row["model_breakdown"][0]["tokens"]["web_search"] = 3
    row["model_breakdown"][0]["context_window"] = "0-200k"
    r = claude_code.read(write("extra.json", {"data": [row], "extra_top": True}))
    assert r.rejects == []
    ev = r.frames["events"]
    bash = ev[ev["attrs"].str.contains('"feature":"bash_tool"')]
    assert sorted(bash["action"]) == ["accept", "reject"]
    attrs = json.loads(ev["attrs"].iloc[0])
    assert attrs["extra"] == {"workspace_id": "wrkspc_01"}
    facts = _facts(r)
    assert facts["core_metrics.num_prompts"] == 40.0
    assert facts["tokens_web_search"] == 3.0
    text = json.dumps([f.drop(columns=[LOCATOR]).to_dict("records") for f in r.frames.values()])
    assert "boss@example.com" not in text
    assert any("future_block, reviewer_email" in n for n in r.notes)


def test_row_without_numbers_yields_nothing_but_counts(write):
    row = {"date": "2025-08-08", "actor": {"type": "user_actor", "email_address": "a@b.example"}}
    r = claude_code.read(write("empty.json", {"data": [row]}))
    assert r.rejects == [] and r.source_rows == 1
    assert all(f.empty for f in r.frames.values())


# --- fuzzing: whatever the mutation, a message or located rejects, never a traceback ---

FUZZ = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["", "2025-08-08", "user_actor", "api_actor", "-1", "1e400"]),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=6), SCALARS, max_size=3),
)


def _check(r: Any, name: str) -> None:
    for table, frame in r.frames.items():
        spec = TABLES[table]
        for col in spec.required:
            assert frame[col].notna().all(), (table, col)
        if table == "events":
            assert set(frame["action"]) <= set(ACTIONS)
            assert frame["event_id"].is_unique
        assert frame[LOCATOR].str.startswith(name).all()
    for rej in r.rejects:
        assert rej.reason in REASONS, rej
        assert not (rej.detail or "").startswith(INTERNAL), rej
        assert rej.locator.startswith(name)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _read(name: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            r = CONNECTORS["claude-code"].read(path)
        except InputError as exc:
            assert name in exc.message
            return
        _check(r, name)


@FUZZ
@given(data=st.data())
def test_mutated_reports_never_traceback(data):
    doc = json.loads(SAMPLE.read_text())
    doc["data"].append(
        {**_row(), "actor": {"type": "api_actor", "api_key_name": "k"}, "terminal_type": "tmux"}
    )
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(doc)
        target = data.draw(st.sampled_from(paths))
        node = doc
        for step in target[:-1]:
            node = node[step]
        if isinstance(node, dict) and data.draw(st.booleans()):
            node[data.draw(st.text(min_size=1, max_size=8))] = data.draw(VALUES)
        else:
            node[target[-1]] = data.draw(VALUES)
    _read("fuzz.json", json.dumps(doc).encode())


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(SAMPLE.read_bytes()) - 1), lines=st.booleans())
def test_truncated_reports_never_traceback(cut, lines):
    if lines:
        text = "\n".join(json.dumps(_row()) for _ in range(3)).encode()
        _read("cut.ndjson", text[: cut % len(text)])
    else:
        _read("cut.json", SAMPLE.read_bytes()[:cut])


# --- through the workspace: rows land, re-ingest adds nothing, the quarantine is scrubbed ---


def test_workspace_ingest_is_idempotent_and_scrubs_the_quarantine(tmp_path):
    api = {**_row(), "actor": {"type": "api_actor", "api_key_name": "ci-pipeline"}}
    bad = {**_row(), "actor": {"type": "user_actor", "email_address": "zed@example.com"}}
    bad["date"] = "not a day"
    path = tmp_path / "claude_code.json"
    path.write_text(json.dumps({"data": [_row(), api, bad], "has_more": False}))
    with Workspace.init(tmp_path / "ws") as ws:
        results = ws.ingest("events", [path], fmt="claude-code", now=NOW, refresh=False)
        accepted = {r.table: r.accepted for r in results if r.accepted}
        assert accepted == {"events": 8, "person_facts": 9, "aggregate_facts": 23}
        assert sum(r.quarantined for r in results) == 1
        [q] = ws.quarantine()
        assert q["reason"] == "bad_timestamp"
        assert "zed@example.com" not in json.dumps(q, default=str)
        again = ws.ingest("events", [path], fmt="claude-code", now=NOW, refresh=False)
        assert sum(r.accepted for r in again) == 0
        keys = ws.con.execute("SELECT DISTINCT person_key FROM events").fetchall()
        assert keys == [(ws.pseudonymise("user@example.com"),)]
