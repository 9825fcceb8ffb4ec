"""The 90-day sprint: dates from the start, statuses, and milestones ticking when data appears."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sprint_helpers import PEOPLE, START, build, day, ingest
from uptake.programme import sprint as sp
from uptake.programme import sprint_checks as sc
from uptake.workspace import Workspace

AS_OF = START + timedelta(days=59)  # the last day of activity: day 60


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    w = build(tmp_path / "ws")
    yield w
    w.close()


def _m(doc: dict[str, Any], milestone: str) -> dict[str, Any]:
    return next(m for p in doc["phases"] for m in p["milestones"] if m["id"] == milestone)


def _audit_row(ws: Workspace, when: str, action: str, role: str = "analyst") -> None:
    ts = datetime.fromisoformat(when.removesuffix("Z"))
    ws.con.execute(
        "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?)",
        [ts, "token:abcd1234", role, action, ts.date().isoformat(), "page view"],
    )


def test_due_dates_and_phases_count_from_the_configured_start(ws: Workspace) -> None:
    doc = ws.sprint()
    assert doc["status"] == "ok" and doc["as_of"] == AS_OF.isoformat()
    assert (doc["start"], doc["start_rule"]) == (START.isoformat(), sp.START_SETTING)
    assert doc["end"] == (START + timedelta(days=89)).isoformat()
    assert doc["day"] == 60 and doc["phase"] == "shadow"
    spans = [(p["id"], p["start"], p["end"]) for p in doc["phases"]]
    assert spans == [
        ("foundation", "2026-03-02", "2026-03-31"),
        ("shadow", "2026-04-01", "2026-04-30"),
        ("activation", "2026-05-01", "2026-05-30"),
    ]
    for m in sp.MILESTONES:
        row = _m(doc, m.id)
        assert row["due"] == (START + timedelta(days=m.day - 1)).isoformat()
        phase = next(p for p in sp.PHASES if p.id == m.phase)
        assert phase.first_day <= m.day <= phase.last_day
    per_phase = [sum(m.phase == p.id for m in sp.MILESTONES) for p in sp.PHASES]
    assert all(4 <= n <= 6 for n in per_phase)
    assert sum(doc["counts"].values()) == len(sp.MILESTONES)


def test_without_a_setting_the_start_is_the_first_day_of_ai_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    with build(tmp_path / "ws", start=None) as w:
        doc = w.sprint()
    assert (doc["start"], doc["start_rule"]) == (START.isoformat(), sp.START_DATA)


def test_without_a_start_or_any_use_the_sprint_says_what_it_needs(workspace: Workspace) -> None:
    doc = workspace.sprint(as_of=START)
    assert doc["status"] == "not_available" and doc["phases"] == []
    assert doc["reason"].startswith("not available: needs programme.start")


def test_statuses_follow_the_as_of_day() -> None:
    on = START + timedelta(days=9)  # day 10
    doc = sp.plan(START, sp.START_SETTING, on, {}, {})
    status = {m["id"]: m["status"] for p in doc["phases"] for m in p["milestones"]}
    assert status["sponsor_goals"] == "overdue"  # due day 7
    assert status["audit_interviewed"] == "due"  # day 14: within a week
    assert status["wins_chosen"] == "upcoming"  # day 21
    assert doc["day"] == 10 and doc["phase"] == "foundation"
    hand = next(m for p in doc["phases"] for m in p["milestones"] if m["id"] == "sponsor_goals")
    assert hand["needs"] == [
        "a tick by hand: who the sponsor is and the two or three outcome goals"
    ]
    before = sp.plan(START, sp.START_SETTING, START - timedelta(days=1), {}, {})
    assert before["phase"] == "not started" and before["day"] == 0
    assert (doc["day_text"], before["day_text"]) == ("day 10 of 90", "1 day before day 1")
    after = sp.plan(START, sp.START_SETTING, START + timedelta(days=118), {}, {})
    assert after["day_text"] == "29 days after day 90"  # it had read "day 119 of 90"
    assert before["counts"]["overdue"] == before["counts"]["done"] == 0


def test_override_tracking_begins_when_decisions_flow(ws: Workspace) -> None:
    m = _m(ws.sprint(), "override_tracking")
    assert m["status"] == "overdue" and m["data"]["status"] == "not_available"
    assert m["needs"][0] == "decisions" and m["evidence"].startswith("not available: needs")
    # A decision before the start is not the sprint's tracking.
    row = {"decision_id": "d0", "ts": day(-4), "person": PEOPLE[0], "tool": "github-copilot",
           "followed": True}  # fmt: skip
    ingest(ws, "decisions", [row])
    m = _m(ws.sprint(), "override_tracking")
    assert m["status"] == "overdue" and m["evidence"] == "no decision logged since the start"
    ingest(ws, "decisions", [{**row, "decision_id": "d1", "ts": day(12)}])
    m = _m(ws.sprint(), "override_tracking")
    assert (m["status"], m["how"], m["done_on"]) == ("done", "data", "2026-03-13")
    # Judged on an earlier day, it had not happened yet.
    early = _m(ws.sprint(as_of=START + timedelta(days=10)), "override_tracking")
    assert (early["status"], early["done_on"]) == ("upcoming", None)


def test_outcomes_logged_needs_k_followed_and_k_overridden(ws: Workspace) -> None:
    def rows(n: int, followed: bool, first: int) -> list[dict[str, Any]]:
        return [{"decision_id": f"{followed}-{i}", "ts": day(first + i), "person": PEOPLE[i],
                 "tool": "github-copilot", "followed": followed, "outcome": 1.0,
                 "outcome_ts": day(first + i + 1)} for i in range(n)]  # fmt: skip

    ingest(ws, "decisions", rows(5, True, 10) + rows(4, False, 10))
    m = _m(ws.sprint(), "outcomes_logged")
    assert m["status"] == "overdue" and "fewer than k = 5 overridden" in m["evidence"]
    ingest(ws, "decisions", rows(5, False, 20))
    m = _m(ws.sprint(), "outcomes_logged")
    # The fifth overridden outcome arrives on day 20 + 4 + 1.
    assert (m["status"], m["done_on"]) == ("done", (START + timedelta(days=24)).isoformat())


def test_the_first_feedback_cycle_completes_when_half_is_resolved(ws: Workspace) -> None:
    items = [{"feedback_id": f"f{i}", "ts": day(3 + i), "channel": "ticket", "text": "slow",
              "person": PEOPLE[i]} for i in range(4)]  # fmt: skip
    items.append({**items[0], "feedback_id": "late", "ts": day(40)})  # phase two's
    # Interview notes and pulse answers are closed on arrival: nothing to resolve.
    items += [{**items[0], "feedback_id": f"note{c}", "channel": c, "status": "closed"}
              for c in sc.FORM_CHANNELS]  # fmt: skip
    ingest(ws, "feedback", items)
    m = _m(ws.sprint(), "feedback_cycle")
    assert m["status"] == "overdue" and m["evidence"].startswith("0 of 4 items received")
    ingest(ws, "feedback", [{**items[0], "status": "resolved", "resolved_at": day(20)}])
    assert _m(ws.sprint(), "feedback_cycle")["status"] == "overdue"
    ingest(ws, "feedback", [{**items[2], "status": "resolved", "resolved_at": day(33)}])
    m = _m(ws.sprint(), "feedback_cycle")
    assert (m["status"], m["done_on"]) == ("done", (START + timedelta(days=32)).isoformat())
    assert "2 of 4 items received in days 1–30 resolved" in m["evidence"]
    second = _m(ws.sprint(), "second_feedback_cycle")
    assert second["status"] == "upcoming"
    assert second["evidence"] == "0 of 1 items received in days 31–60 resolved; needs half"
    # A resolved status without a date counts, dated no earlier than the as-of day.
    ingest(ws, "feedback", [{**items[4], "status": "Done"}])
    second = _m(ws.sprint(), "second_feedback_cycle")
    assert (second["status"], second["done_on"]) == ("done", AS_OF.isoformat())


def test_weekly_dashboard_review_needs_views_in_three_consecutive_weeks(ws: Workspace) -> None:
    for d in (2, 9, 23):  # sprint weeks 1, 2 and 4
        _audit_row(ws, day(d), "view /overview")
    _audit_row(ws, day(16), "view /me", role="person")  # not an organisation reader
    _audit_row(ws, day(16), "read signals", role="admin")  # not a page view
    m = _m(ws.sprint(), "weekly_dashboard")
    assert m["status"] == "overdue" and m["evidence"].startswith("dashboard viewed in sprint "
                                                                 "weeks 1, 2, 4")  # fmt: skip
    _audit_row(ws, day(17), "view /teams", role="manager")
    m = _m(ws.sprint(), "weekly_dashboard")
    assert (m["status"], m["how"], m["done_on"]) == ("done", "data", "2026-03-18")


def test_the_audit_sample_and_its_interviews_tick_from_the_data(ws: Workspace) -> None:
    _audit_row(ws, day(4), sc.SAMPLE_ACTION, role="admin")
    m = _m(ws.sprint(), "audit_sample_drawn")
    assert (m["status"], m["done_on"]) == ("done", "2026-03-05")
    forms = [{"response_id": f"r{i}", "ts": day(6 + i), "instrument": "audit",
              "item": "audit_used_for", "person": PEOPLE[i], "text": "drafting"}
             for i in range(5)]  # fmt: skip
    # One form answers several questions: one row each, one submission.
    forms += [{**f, "response_id": f"s{i}", "item": "audit_confidence", "score": 6.0,
               "text": None} for i, f in enumerate(forms)]  # fmt: skip
    ingest(ws, "responses", forms[:4] + forms[5:9])
    m = _m(ws.sprint(), "audit_interviewed")
    assert m["status"] == "overdue" and m["evidence"] == (
        "4 interview forms received of the 5 needed"
    )
    ingest(ws, "responses", [forms[4], forms[9]])
    m = _m(ws.sprint(), "audit_interviewed")
    assert (m["status"], m["done_on"]) == ("done", "2026-03-11")


def test_champion_network_ticks_when_champions_cover_enough_people(ws: Workspace) -> None:
    m = _m(ws.sprint(), "champion_network")
    assert m["data"]["status"] == "not_available" and "help_edges" in m["needs"]
    # Daily users (u0, u7, …, one per team) each helped by three colleagues on day 30.
    helpers = [PEOPLE[i] for i in (0, 7, 14, 21, 28)]
    edges = [{"ts": day(30), "asker": PEOPLE[h + a], "helper": PEOPLE[h]}
             for h in (0, 7, 14, 21, 28) for a in (1, 2, 3)]  # fmt: skip
    assert all(e["helper"] in helpers for e in edges)
    ingest(ws, "help_edges", edges)
    m = _m(ws.sprint(), "champion_network")
    assert (m["status"], m["how"]) == ("done", "data"), m
    # First met at the first sprint week end after day 30: day 35.
    assert m["done_on"] == (START + timedelta(days=34)).isoformat()
    assert "cover 100% of people" in m["evidence"]


def test_champion_check_finds_the_first_week_end_it_held(ws: Workspace) -> None:
    ctx, _ = ws._aggregate_context(AS_OF, None)
    threshold = START + timedelta(days=18)

    def coverage(c: Any) -> float:
        return 0.6 if c.as_of >= threshold else 0.1

    got = sc.evidence(ctx, START, sample_size=10, champions=coverage)["champions"]
    assert got.done_on == START + timedelta(days=20)  # the week end of days 15–21
    low = sc.evidence(ctx, START, sample_size=10, champions=lambda c: 0.3)["champions"]
    assert low.done_on is None and low.text.startswith("champions cover 30% of people")
    # Just short of the target is said with the decimal that shows it short.
    near = sc.evidence(ctx, START, sample_size=10, champions=lambda c: 0.4963)["champions"]
    assert near.done_on is None
    assert near.text.startswith("champions cover 49.6% of people; needs 50.0%"), near.text


def test_proposals_and_redesigns_tick_from_their_tables(ws: Workspace) -> None:
    ws.con.execute(
        "INSERT INTO proposals (proposal_id, ts, team, title) VALUES ('x', ?, 't1', 'Drafts')",
        [datetime(2026, 4, 20, 9)],
    )
    ws.con.execute(
        "INSERT INTO workflow_redesigns VALUES ('fin.close', ?, '[]', NULL, 'lead', ?)",
        [date(2026, 4, 25), datetime(2026, 4, 25, 9)],
    )
    doc = ws.sprint()
    assert (_m(doc, "proposals_backlog")["done_on"], _m(doc, "production_workflow")["done_on"]) == (
        "2026-04-20", "2026-04-25",
    )  # fmt: skip


def test_a_tick_by_hand_wins_and_says_who(ws: Workspace) -> None:
    ingest(ws, "decisions", [{"decision_id": "d1", "ts": day(12), "person": PEOPLE[0],
                              "tool": "github-copilot", "followed": True}])  # fmt: skip
    ws.sprint_tick("override_tracking", done_on=START + timedelta(days=2), note="in the CRM")
    ws.sprint_tick("sponsor_goals", done_on=START + timedelta(days=5))
    doc = ws.sprint()
    m = _m(doc, "override_tracking")
    assert (m["status"], m["how"], m["done_on"], m["note"]) == (
        "done", "by hand", "2026-03-04", "in the CRM",
    )  # fmt: skip
    assert m["data"]["done_on"] == "2026-03-13"  # the data's evidence is still shown
    assert _m(doc, "sponsor_goals")["who"] and _m(doc, "sponsor_goals")["status"] == "done"
    # A tick after the as-of day does not count yet on that day.
    early = _m(ws.sprint(as_of=START + timedelta(days=3)), "sponsor_goals")
    assert (early["status"], early["how"]) == ("due", None)
    ws.sprint_untick("override_tracking")
    assert _m(ws.sprint(), "override_tracking")["how"] == "data"


def test_a_tick_made_today_counts_by_default_and_the_data_s_earlier_date_stands(
    ws: Workspace,
) -> None:
    ingest(ws, "decisions", [{"decision_id": "d1", "ts": day(12), "person": PEOPLE[0],
                              "tool": "github-copilot", "followed": True}])  # fmt: skip
    # Made today, after the last day with data (the default as-of): it had not counted
    # until the data caught up, so `sprint tick` then `sprint` showed it overdue.
    ws.sprint_tick("sponsor_goals")
    doc = ws.sprint()
    m = _m(doc, "sponsor_goals")
    assert (m["status"], m["how"], m["note"]) == ("done", "by hand", None)
    assert m["evidence"] == f"ticked by hand by {m['who']}"  # it had ended ": nan"
    on_the_day = _m(ws.sprint(as_of=date.fromisoformat(doc["as_of"])), "sponsor_goals")
    assert on_the_day["how"] is None  # a given as-of still judges on that day
    # A tick later than the day the data shows it done does not move that day.
    ws.sprint_tick("override_tracking", done_on=START + timedelta(days=20))
    m = _m(ws.sprint(), "override_tracking")
    assert (m["how"], m["done_on"]) == ("data", "2026-03-13")
