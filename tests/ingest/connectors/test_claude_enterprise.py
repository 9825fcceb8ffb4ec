"""Claude Enterprise Analytics: /users rows and /summaries from the fixtures, and bad input.

No verbatim vendor sample exists; the fixtures follow the documented objects and the row
layout reported by secondary sources (see the connector's docstring).
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
from uptake.ingest.connectors import CONNECTORS, claude_enterprise
from uptake.ingest.connectors.base import LOCATOR
from uptake.ingest.connectors.collect import INTERNAL
from uptake.schema.tables import ACTIONS, TABLES
from uptake.workspace import Workspace
from uptake.workspace.layout import SPILL_DIR

FIXTURES = Path(__file__).parent / "fixtures"
USERS = FIXTURES / "claude_enterprise_users.json"
SUMMARIES = FIXTURES / "claude_enterprise_summaries.json"
DAY = {"date": "2026-03-02"}
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


def _rows() -> list[dict[str, Any]]:
    return copy.deepcopy(json.loads(USERS.read_text())["data"])


def _events(r) -> dict[tuple[str, str, str, str], int]:
    ev = r.frames["events"]
    return {
        (p, t, json.loads(a)["feature"], act): q
        for p, t, a, act, q in ev[["person", "tool", "attrs", "action", "quantity"]].values
    }


def test_users_fixture_gives_27_events_and_52_person_facts():
    # Hand calculation (zero counts make no event; reported zeros are still facts):
    # ana:  chat prompt 23; Claude Code session 3, edit 18/2, multi_edit 4/-, write 3/1;
    #       excel session 1 + prompt 6                                      = 9 events
    #       chat 8 facts (every chat number but message_count), Claude Code commits,
    #       PRs, lines added/removed (4), cowork action_count, web_search_count = 14 facts
    # ben:  chat prompt 61; word session 2 + prompt 9; cowork session 2 + prompt 14 = 5;
    #       facts 8 + 4 (Claude Code all zero) + 1 + 1                          = 14
    # chen: Claude Code session 7, edit 64/5, multi 21/2, write 9/-, notebook 2/1 = 8;
    #       facts 8 (chat zeros) + 4 + 1 + 1                                     = 14
    # dana: chat prompt 5; excel 1 + 3; powerpoint 1 + 4                        = 5;
    #       no claude_code_metrics: facts 8 + 1 + 1                             = 10
    # events 9 + 5 + 8 + 5 = 27; facts 14 + 14 + 14 + 10 = 52.
    r = claude_enterprise.read(USERS, DAY)
    assert r.rejects == [] and r.notes == []
    assert r.source_rows == 4
    assert set(r.frames) == {"events", "person_facts"}
    assert len(r.frames["events"]) == 27
    assert len(r.frames["person_facts"]) == 52
    ev = _events(r)
    ana = "ana.silva@example.com"
    assert ev[(ana, "claude", "chat", "prompt")] == 23
    assert ev[(ana, "claude-code", "claude_code", "session_start")] == 3
    assert ev[(ana, "claude-code", "edit_tool", "accept")] == 18
    assert ev[(ana, "claude-code", "write_tool", "reject")] == 1
    assert ev[(ana, "claude", "office_excel", "prompt")] == 6
    assert ("ana.silva@example.com", "claude-code", "multi_edit_tool", "reject") not in ev
    assert ev[("ben.okafor@example.com", "claude", "cowork", "session_start")] == 2
    assert ev[("dana.kowalski@example.com", "claude", "office_powerpoint", "prompt")] == 4
    frame = r.frames["events"]
    assert set(frame["ts"]) == {"2026-03-02T00:00:00Z"}
    assert set(frame[frame["tool"] == "claude-code"]["surface"]) == {"claude_code"}
    assert frame["event_id"].is_unique
    facts = r.frames["person_facts"].set_index(["person", "tool", "fact"])["value"]
    chen = "chen.wei@example.com"
    assert facts[chen, "claude-code", "lines_added"] == 1180.0
    assert facts[chen, "claude-code", "commits"] == 5.0
    assert facts["ben.okafor@example.com", "claude", "cowork.action_count"] == 31.0
    assert facts[ana, "claude", "chat.distinct_conversation_count"] == 4.0
    assert facts[ana, "claude", "web_search_count"] == 7.0
    assert ("dana.kowalski@example.com", "claude-code", "commits") not in facts
    assert set(r.frames["person_facts"]["report_date"]) == {"2026-03-02"}
    assert set(r.frames["person_facts"]["source"]) == {"claude-enterprise"}
    # The user id is an identifier: it is not kept anywhere.
    assert "user_01JNX" not in json.dumps(frame.drop(columns=[LOCATOR]).to_dict("records"))


def test_summaries_fixture_gives_22_aggregate_facts():
    # 2 daily entries x 11 numbers (seats, invites, DAU/WAU/MAU, three adoption rates,
    # Cowork DAU/WAU/MAU) = 22.
    r = claude_enterprise.read(SUMMARIES)
    assert r.rejects == []
    agg = r.frames["aggregate_facts"]
    assert len(agg) == 22
    key = agg.set_index(["day", "metric"])["value"]
    assert key["2026-03-02", "daily_active_user_count"] == 118.0
    assert key["2026-03-03", "assigned_seat_count"] == 250.0
    assert key["2026-03-02", "monthly_adoption_rate"] == 0.812
    assert set(agg["scope"]) == {"organization"}
    assert set(agg["dims"]) == {"{}"}
    assert set(agg["tool"]) == {"claude"}
    scoped = claude_enterprise.read(SUMMARIES, {"scope": "organization:acme"})
    assert set(scoped.frames["aggregate_facts"]["scope"]) == {"organization:acme"}


def test_a_summary_over_several_days_says_so_and_bad_periods_are_rejected(write):
    doc = json.loads(SUMMARIES.read_text())
    doc["summaries"][0]["ending_date"] = "2026-03-09"
    doc["summaries"][1]["ending_date"] = "2026-03-01"
    r = claude_enterprise.read(write("s.json", doc))
    assert set(r.frames["aggregate_facts"]["dims"]) == {'{"ending_date":"2026-03-09"}'}
    [rej] = r.rejects
    assert (rej.locator, rej.reason, rej.field) == (
        "s.json:record 2",
        "bad_timestamp",
        "ending_date",
    )


def test_the_day_comes_from_row_then_response_then_option(write):
    rows = _rows()
    with pytest.raises(InputError) as err:
        claude_enterprise.read(USERS)
    assert "date" in (err.value.hint or "") and "claude_enterprise_users.json" in err.value.message
    rows[0]["date"] = "2026-03-05"
    page = write("p.json", {"data": rows, "date": "2026-03-04", "has_more": False})
    r = claude_enterprise.read(page, DAY)
    days = r.frames["events"].groupby("person")["ts"].first()
    assert days["ana.silva@example.com"] == "2026-03-05T00:00:00Z"
    assert days["ben.okafor@example.com"] == "2026-03-04T00:00:00Z"
    only_option = claude_enterprise.read(write("o.json", _rows()[:1]), {"date": "2026-03-06"})
    assert set(only_option.frames["events"]["ts"]) == {"2026-03-06T00:00:00Z"}
    with pytest.raises(InputError, match="parameter date"):
        claude_enterprise.read(USERS, {"date": "March 2"})


def test_claude_code_can_be_skipped_to_avoid_counting_it_twice():
    r = claude_enterprise.read(USERS, {**DAY, "claude_code": "skip"})
    assert set(r.frames["events"]["tool"]) == {"claude"}
    assert set(r.frames["person_facts"]["tool"]) == {"claude"}
    # 27 - (6 + 0 + 8 + 0) events; 52 - 4 x 3 Claude Code facts
    assert len(r.frames["events"]) == 13
    assert len(r.frames["person_facts"]) == 40
    with pytest.raises(InputError, match="claude_code"):
        claude_enterprise.read(USERS, {**DAY, "claude_code": "maybe"})


def test_users_without_email_become_organisation_totals(write):
    rows = _rows()
    for row in rows[:2]:
        row["user"] = {"id": row["user"]["id"]}
    r = claude_enterprise.read(write("anon.json", {"data": rows}), DAY)
    assert r.rejects == []
    assert set(r.frames["events"]["person"]) == {
        "chen.wei@example.com",
        "dana.kowalski@example.com",
    }
    agg = r.frames["aggregate_facts"]
    assert set(agg["scope"]) == {"organization"}
    assert set(agg["dims"]) == {'{"actor":"user without e-mail"}'}
    key = agg.set_index(["tool", "metric"])["value"]
    assert key["claude", "users_without_email"] == 2.0
    assert key["claude", "chat_metrics.message_count"] == 23.0 + 61.0
    assert key["claude-code", "lines_added"] == 214.0
    dims = "claude_code_metrics.tool_actions.edit_tool.accepted_count"
    assert key["claude-code", dims] == 18.0
    assert any("2 user row(s) without an e-mail" in n for n in r.notes)


def test_repeated_rows_count_once_and_conflicting_ones_are_quarantined(write):
    rows = _rows()
    changed = copy.deepcopy(rows[1])
    changed["chat_metrics"]["message_count"] = 1
    r = claude_enterprise.read(write("dup.json", [*rows, rows[0], changed]), DAY)
    assert len(r.frames["events"]) == 27
    assert any("1 repeated row" in n for n in r.notes)
    [rej] = r.rejects
    assert (rej.locator, rej.reason) == ("dup.json:record 6", "malformed_record")


def test_a_repeat_with_its_fields_in_another_order_counts_once(write):
    row = _rows()[0]
    reordered = dict(reversed(list(copy.deepcopy(row).items())))
    r = claude_enterprise.read(write("dup.json", [row, reordered]), DAY)
    assert r.rejects == []
    assert "1 repeated row(s) (same user and day) counted once" in r.notes


def _report_lines(n: int, dated: bool = True) -> str:
    """`n` NDJSON user rows: 60 users over days, each row varied."""
    lines = []
    template = _rows()[0]
    for i in range(n):
        row = copy.deepcopy(template)
        row["user"]["email_address"] = f"dev{i % 60}@example.com"
        if dated:
            row["date"] = f"2026-10-{1 + i // 60 % 28:02d}"
        row["chat_metrics"]["message_count"] = 1 + i % 11
        lines.append(json.dumps(row))
    return "\n".join(lines) + "\n"


def test_reading_a_report_holds_far_less_than_the_report(write, reading_peak):
    path = write("users.ndjson", _report_lines(1_500))
    peak, parsed = reading_peak(
        claude_enterprise.read, path, write("small.ndjson", _report_lines(200))
    )
    # Rows are handled as they are read, and only a digest of each is kept for repeats: the
    # read had listed every row first, and kept each for comparison.
    assert peak < parsed / 2, f"peak {peak:,} bytes reading against {parsed:,} for the rows"


def test_rows_without_a_day_refuse_the_file_after_it_was_read_storing_nothing(
    write, tmp_path, monkeypatch
):
    # The refusal comes once every row is read (rows were spilled by then): none is stored.
    monkeypatch.setenv("UPTAKE__INGEST__SPILL_ROWS", "1000")
    path = write("users.ndjson", _report_lines(400, dated=False))
    ws = Workspace.init(tmp_path / "ws")
    with pytest.raises(InputError, match="carry no date"):
        ws.ingest("events", [path], fmt="claude-enterprise", now=NOW)
    assert ws.con.execute("SELECT count(*) FROM events").fetchone() == (0,)
    assert ws.con.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)
    spill = ws.path / SPILL_DIR
    assert not spill.exists() or not any(spill.rglob("*.parquet"))
    ws.close()


def test_unknown_products_and_numbers_are_kept(write):
    row = _rows()[0]
    row["design_metrics"] = {"message_count": 3, "distinct_session_count": 1, "canvas_count": 2}
    row["office_metrics"]["outlook"] = {"message_count": 2}
    row["claude_code_metrics"]["core_metrics"]["tokens_count"] = 900
    row["claude_code_metrics"]["tool_actions"]["bash_tool"] = {"accepted_count": 5}
    row["thinking_budget_count"] = 4
    row["organization_id"] = "org_01"
    row["manager_email"] = "boss@example.com"
    r = claude_enterprise.read(write("x.json", [row]), DAY)
    assert r.rejects == []
    ev = _events(r)
    ana = "ana.silva@example.com"
    assert ev[(ana, "claude", "design", "prompt")] == 3
    assert ev[(ana, "claude", "design", "session_start")] == 1
    assert ev[(ana, "claude", "office_outlook", "prompt")] == 2
    assert ev[(ana, "claude-code", "bash_tool", "accept")] == 5
    facts = r.frames["person_facts"].set_index("fact")["value"]
    assert facts["design.canvas_count"] == 2.0
    assert facts["claude_code.tokens_count"] == 900.0
    assert facts["thinking_budget_count"] == 4.0
    attrs = json.loads(r.frames["events"]["attrs"].iloc[0])
    assert attrs["extra"] == {"organization_id": "org_01"}
    text = json.dumps([f.drop(columns=[LOCATOR]).to_dict("records") for f in r.frames.values()])
    assert "boss@example.com" not in text
    assert any("manager_email" in n for n in r.notes)


@pytest.mark.parametrize(
    ("mutate", "reason", "field"),
    [
        (
            lambda r: r["chat_metrics"].update(message_count="23"),
            "bad_type",
            "chat_metrics.message_count",
        ),
        (
            lambda r: r["chat_metrics"].update(message_count=-2),
            "bad_type",
            "chat_metrics.message_count",
        ),
        (lambda r: r.update(chat_metrics=[1]), "bad_type", "chat_metrics"),
        (lambda r: r.update(user="ana"), "bad_type", "user"),
        (lambda r: r.update(date="02/03/2026"), "bad_timestamp", "date"),
        (
            lambda r: r["claude_code_metrics"]["tool_actions"].update(edit_tool=[]),
            "bad_type",
            "claude_code_metrics.tool_actions.edit_tool",
        ),
        (
            lambda r: r["office_metrics"].update(excel="many"),
            "bad_type",
            "office_metrics.excel",
        ),
    ],
)
def test_wrong_types_reject_the_row_naming_the_field(write, mutate, reason, field):
    rows = _rows()
    mutate(rows[0])
    r = claude_enterprise.read(write("bad.json", {"data": rows}), DAY)
    [rej] = r.rejects
    assert (rej.locator, rej.reason, rej.field) == ("bad.json:record 1", reason, field)
    assert len(r.frames["events"]) == 27 - 9


def test_unsupported_and_non_object_rows(write):
    r = claude_enterprise.read(write("odd.json", {"data": [{"hello": "world"}, 3]}), DAY)
    assert [x.reason for x in r.rejects] == ["unsupported_record", "bad_type"]


def test_truncated_garbled_and_ndjson_inputs(write):
    text = USERS.read_text()
    with pytest.raises(InputError) as err:
        claude_enterprise.read(write("cut.json", text[: len(text) // 3]), DAY)
    assert "cut.json" in err.value.message and "truncated" in err.value.message
    with pytest.raises(InputError, match=r"garbled\.json"):
        claude_enterprise.read(write("garbled.json", "user,messages\nana,3\n"), DAY)
    lines = [json.dumps(r) for r in _rows()]
    r = claude_enterprise.read(write("rows.ndjson", "\n".join([*lines, lines[0][:50]])), DAY)
    assert len(r.frames["events"]) == 27
    assert [(x.locator, x.reason) for x in r.rejects] == [("rows.ndjson:line 5", "bad_json")]
    with pytest.raises(InputError, match="should be an array"):
        claude_enterprise.read(write("page.json", {"data": {"user": 1}, "has_more": False}), DAY)


def test_has_more_is_noted(write):
    r = claude_enterprise.read(write("p1.json", {"data": _rows(), "has_more": True}), DAY)
    assert any("has_more" in n for n in r.notes)


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
    st.sampled_from(["", "2026-03-02", "-1", "1e400"]),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=6), SCALARS, max_size=3),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _read(name: str, content: bytes, options: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            r = CONNECTORS["claude-enterprise"].read(path, options)
        except InputError as exc:
            assert name in exc.message
            return
        for table, frame in r.frames.items():
            for col in TABLES[table].required:
                assert frame[col].notna().all(), (table, col)
            if table == "events":
                assert set(frame["action"]) <= set(ACTIONS)
                assert frame["event_id"].is_unique
            assert frame[LOCATOR].str.startswith(name).all()
        for rej in r.rejects:
            assert rej.reason in REASONS, rej
            assert not (rej.detail or "").startswith(INTERNAL), rej
            assert rej.locator.startswith(name)


@FUZZ
@given(data=st.data(), which=st.sampled_from([USERS, SUMMARIES]))
def test_mutated_responses_never_traceback(data, which):
    doc = json.loads(which.read_text())
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        target = data.draw(st.sampled_from(_paths(doc)))
        node = doc
        for step in target[:-1]:
            node = node[step]
        if isinstance(node, dict) and data.draw(st.booleans()):
            node[data.draw(st.text(min_size=1, max_size=8))] = data.draw(VALUES)
        else:
            node[target[-1]] = data.draw(VALUES)
    _read(which.name, json.dumps(doc).encode(), DAY if data.draw(st.booleans()) else {})


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(USERS.read_bytes()) - 1))
def test_truncated_responses_never_traceback(cut):
    _read("cut.json", USERS.read_bytes()[:cut], DAY)


# --- through the workspace: rows land, re-ingest adds nothing ---


def test_workspace_ingest_is_idempotent(tmp_path):
    with Workspace.init(tmp_path / "ws") as ws:
        steps = [
            (USERS, DAY, {"events": 27, "person_facts": 52}),
            (SUMMARIES, {}, {"aggregate_facts": 22}),
        ]
        for path, options, expected in steps:
            results = ws.ingest(
                "events", [path], fmt="claude-enterprise", options=options, now=NOW, refresh=False
            )
            assert sum(r.quarantined for r in results) == 0
            assert {r.table: r.accepted for r in results if r.accepted} == expected
            again = ws.ingest(
                "events", [path], fmt="claude-enterprise", options=options, now=NOW, refresh=False
            )
            assert sum(r.accepted for r in again) == 0
        tools = ws.con.execute(
            "SELECT tool, count(DISTINCT person_key) FROM events GROUP BY tool ORDER BY tool"
        ).fetchall()
        assert tools == [("claude", 3), ("claude-code", 2)]


def test_measures_may_be_fractions_but_counts_must_be_whole(write):
    rows = _rows()[:2]
    rows[0]["chat_metrics"]["avg_response_seconds"] = 2.5
    rows[1]["chat_metrics"]["distinct_conversation_count"] = -1
    fixed = copy.deepcopy(rows[1])
    fixed["chat_metrics"]["distinct_conversation_count"] = 9
    r = claude_enterprise.read(write("m.json", [*rows, fixed]), DAY)
    facts = r.frames["person_facts"].set_index(["person", "fact"])["value"]
    assert facts["ana.silva@example.com", "chat.avg_response_seconds"] == 2.5
    # The corrected copy of a rejected row is accepted, not refused as a conflict.
    assert facts["ben.okafor@example.com", "chat.distinct_conversation_count"] == 9.0
    [rej] = r.rejects
    assert (rej.locator, rej.field) == (
        "m.json:record 2",
        "chat_metrics.distinct_conversation_count",
    )
