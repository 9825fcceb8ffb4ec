"""Workspace.submit_form and the proposals' books: who may write, what is stored, k."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from factories import FROZEN_NOW, person_id, rows
from uptake.errors import InputError, PermissionDeniedError, PrivacyError
from uptake.workspace import Actor, Workspace

NOW = datetime(2026, 6, 1, 14, 30, tzinfo=UTC)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """30 people (k = 5): finance 10 active, engineering 10 on leave, customer service left."""
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    with Workspace.init(tmp_path / "ws") as w:
        w.ingest_frame("people", pd.DataFrame(rows("people", 30)), source="p", now=FROZEN_NOW)
        yield w


def _person(w: Workspace, i: int) -> Actor:
    return Actor(name=f"token:{i:08x}", role="person", person_key=w.pseudonymise(person_id(i)))


def test_who_may_answer(ws: Workspace) -> None:
    assert ws.may_answer("pulse", _person(ws, 3)) == "self"
    assert ws.may_answer("audit", Actor.local()) == "interviewer"
    for name, actor in [
        ("pulse", Actor.local()),
        ("audit", Actor(name="a", role="analyst")),
        ("pulse", Actor(name="i", role="ingest")),
    ]:
        with pytest.raises(PermissionDeniedError, match="person token"):
            ws.may_answer(name, actor)
    with pytest.raises(InputError, match="no form"):
        ws.may_answer("exit-survey", _person(ws, 3))


def test_segments_offered_are_those_of_at_least_k_roster_people(ws: Workspace) -> None:
    got = ws.segment_options()
    # customer service: everyone left; engineering people are on leave, still on the roster.
    assert got["function"] == ["engineering", "finance"]
    assert got["team"] == ["team0", "team1", "team3"]  # team2: 4 people still on the roster
    assert ws.check_segment({"function": "finance"}) == 10
    with pytest.raises(PrivacyError, match="fewer than 5 people"):
        ws.check_segment({"function": "finance", "team": "team1"})
    with pytest.raises(InputError, match="segment field"):
        ws.check_segment({"manager": "x"})


def test_a_named_submission_is_ingested_under_the_person_key(ws: Workspace) -> None:
    me = _person(ws, 3)
    got = ws.submit_form(
        "pulse", {"confidence": "4", "comment": "Call Ana on +351 912 345 678"}, actor=me, now=NOW
    )
    assert (got["responses"], got["feedback"], got["quarantined"]) == (2, 1, 0)
    stored = ws.con.execute(
        "SELECT r.person_key, r.ts, f.text FROM responses r JOIN feedback f "
        "ON f.feedback_id = r.response_id"
    ).fetchall()
    assert stored[0][0] == me.person_key and stored[0][1] == datetime(2026, 6, 1, 14, 30)
    assert "912 345 678" not in stored[0][2]  # redacted by the normal ingest
    sources = [s for (s,) in ws.con.execute("SELECT source FROM ingest_log").fetchall()]
    assert "form:pulse:token:00000003" in sources


def test_an_anonymous_submission_stores_no_person_nor_its_time(ws: Workspace) -> None:
    got = ws.submit_form(
        "pulse",
        {"nps": "10", "segment_role": "analyst", "used_last_week": "x"},
        actor=_person(ws, 3),
        anonymous=True,
        now=NOW,
    )
    assert got["anonymous"] and got["segment_size"] == 10
    people = ws.con.execute(
        "SELECT count(*) FROM responses WHERE person_key IS NOT NULL UNION ALL "
        "SELECT count(*) FROM feedback WHERE person_key IS NOT NULL"
    ).fetchall()
    assert people == [(0,), (0,)]
    ts = ws.con.execute("SELECT DISTINCT ts FROM responses").fetchall()
    assert ts == [(datetime(2026, 6, 1),)]
    sources = ws.con.execute("SELECT source FROM ingest_log ORDER BY batch_id").fetchall()
    assert sources == [("p",), ("form:pulse:anonymous",), ("form:pulse:anonymous",)]


def test_nothing_is_stored_when_a_submission_is_refused(ws: Workspace) -> None:
    me = _person(ws, 3)
    bad = [
        ({"confidence": "12"}, False, InputError),
        ({}, False, InputError),
        (
            {"confidence": "3", "segment_function": "finance", "segment_team": "team1"},
            True,
            PrivacyError,
        ),
    ]
    for data, anonymous, error in bad:
        with pytest.raises(error):
            ws.submit_form("pulse", data, actor=me, anonymous=anonymous, now=NOW)
    assert ws.con.execute("SELECT count(*) FROM responses").fetchone() == (0,)
