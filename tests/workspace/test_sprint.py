"""`Workspace.sprint`, ticks by hand, page views in the audit log, and the audit sample."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sprint_helpers import PEOPLE, START, build
from uptake.errors import InputError, NotFoundError, PermissionDeniedError, WorkspaceError
from uptake.programme.interview import QUESTIONS
from uptake.workspace import Workspace
from uptake.workspace import sprint as wsprint
from uptake.workspace.access import Actor

NOW = datetime(2026, 5, 1, 9, 30)
ANALYST = Actor("token:aaaa0000", "analyst")
MANAGER = Actor("token:bbbb0000", "manager", teams=("t1",))
ADMIN = Actor("token:cccc0000", "admin")


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    monkeypatch.setattr(wsprint, "_now", lambda: NOW)
    w = build(tmp_path / "ws")
    yield w
    w.close()


def test_who_may_read_and_tick(ws: Workspace) -> None:
    assert ws.sprint(actor=ANALYST)["status"] == "ok"
    for role, scope in (("manager", ("t1",)), ("coach", ("t1",)), ("ingest", ())):
        with pytest.raises(PermissionDeniedError):
            ws.sprint(actor=Actor("x", role, teams=scope))
    with pytest.raises(PermissionDeniedError):
        ws.sprint_tick("sponsor_goals", actor=ANALYST)
    with pytest.raises(PermissionDeniedError):
        ws.sprint_untick("sponsor_goals", actor=ANALYST)
    with pytest.raises(PermissionDeniedError):
        ws.audit_sample(actor=ANALYST)
    assert ws.audit() == [], "refused reads leave nothing in the audit log"


def test_ticks_are_stored_with_who_and_when(ws: Workspace) -> None:
    got = ws.sprint_tick("sponsor_goals", note="  CFO; goals in the charter  ", actor=ADMIN)
    note = "CFO; goals in the charter"
    assert got == {"milestone": "sponsor_goals", "done_on": "2026-05-01", "who": ADMIN.name,
                   "note": note, "recorded_at": "2026-05-01T09:30:00"}  # fmt: skip
    row = ws.con.execute("SELECT * FROM programme_ticks").fetchall()
    assert row == [("sponsor_goals", date(2026, 5, 1), ADMIN.name, "CFO; goals in the charter",
                    NOW)]  # fmt: skip
    # A second tick replaces the first.
    ws.sprint_tick("sponsor_goals", done_on=START, actor=ADMIN)
    assert ws.con.execute("SELECT done_on, note FROM programme_ticks").fetchall() == [(START, None)]
    assert ws.sprint_untick("sponsor_goals")["done_on"] == START.isoformat()
    with pytest.raises(NotFoundError, match="not ticked by hand"):
        ws.sprint_untick("sponsor_goals")


def test_bad_ticks_are_refused(ws: Workspace) -> None:
    with pytest.raises(NotFoundError) as e:
        ws.sprint_tick("no_such_milestone")
    assert e.value.hint and "sponsor_goals" in e.value.hint
    with pytest.raises(InputError, match="future"):
        ws.sprint_tick("sponsor_goals", done_on=NOW.date() + timedelta(days=1))
    with pytest.raises(InputError, match="500 characters"):
        ws.sprint_tick("sponsor_goals", note="x" * 501)
    assert ws.con.execute("SELECT count(*) FROM programme_ticks").fetchone() == (0,)


def test_a_read_only_workspace_cannot_tick(ws: Workspace) -> None:
    folder = ws.path
    ws.close()
    with Workspace.open(folder, read_only=True) as ro:
        with pytest.raises(WorkspaceError):
            ro.sprint_tick("sponsor_goals")
        assert ro.record_page_view("overview", actor=ANALYST) is False


def test_page_views_are_recorded_once_per_reader_page_and_day(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ws.record_page_view("overview", actor=ANALYST) is True
    assert ws.record_page_view("overview", actor=ANALYST) is False  # same day: once
    assert ws.record_page_view("teams", actor=ANALYST) is True
    assert ws.record_page_view("my-team", actor=MANAGER) is True
    for role in ("person", "coach"):  # their own or their people's pages: not a review
        who = Actor("x", role, teams=("t1",), person_key="p_x")
        assert ws.record_page_view("me", actor=who) is False
    log = ws.audit()
    assert sorted((e["actor"], e["role"], e["action"], e["subject"]) for e in log) == [
        (ANALYST.name, "analyst", "view /overview", "2026-05-01"),
        (ANALYST.name, "analyst", "view /teams", "2026-05-01"),
        (MANAGER.name, "manager", "view /my-team", "2026-05-01"),
    ]
    # Another Workspace on the same folder (a restarted server) knows from the log.
    with Workspace.open(ws.path) as other:
        monkeypatch.setattr(wsprint, "_now", lambda: NOW + timedelta(hours=3))
        assert other.record_page_view("overview", actor=ANALYST) is False
        monkeypatch.setattr(wsprint, "_now", lambda: NOW + timedelta(days=1))
        assert other.record_page_view("overview", actor=ANALYST) is True


def test_the_audit_sample_names_people_for_admins_and_is_audited(ws: Workspace) -> None:
    doc = ws.audit_sample(seed=4, actor=ADMIN)
    assert doc["size"] == 10 and len(doc["people"]) == 10 and doc["population"] == 39
    assert {p["person"] for p in doc["people"]} <= set(PEOPLE[:39])
    assert all(p["person_key"].startswith("p_") for p in doc["people"])
    assert [q["id"] for q in doc["questions"]] == [q.id for q in QUESTIONS]
    assert doc["coverage"]["values"]["function"] == [4, 4]
    assert doc["coverage"]["strata_covered"] == 10
    # Deterministic for a seed; another seed draws other people.
    again = ws.audit_sample(seed=4, actor=ADMIN)
    assert [p["person"] for p in again["people"]] == [p["person"] for p in doc["people"]]
    other = ws.audit_sample(seed=5, actor=ADMIN)
    assert [p["person"] for p in other["people"]] != [p["person"] for p in doc["people"]]
    log = ws.audit()
    assert [(e["action"], e["detail"]) for e in log] == [("read audit_sample", "10 people")] * 3
    assert ws.audit_sample(size=3, actor=ADMIN)["size"] == 3
    for size in (0, 201):
        with pytest.raises(InputError):
            ws.audit_sample(size=size)
    with pytest.raises(InputError):
        ws.audit_sample(seed=-1)
