"""Scoped views: a manager's team only at or above k with and without them; a person's own."""

from __future__ import annotations

import pandas as pd
import pytest

from factories import FROZEN_NOW, person_id, rows
from uptake.errors import InputError, NotFoundError, PermissionDeniedError, PrivacyError
from uptake.workspace import Workspace
from uptake.workspace.access import Actor


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    """Team `big`: a manager and 5 reports; team `small`: a manager and 4 reports."""
    people = pd.DataFrame(rows("people", 11)).assign(employment_status="active")
    people["team"] = ["big"] * 6 + ["small"] * 5
    people["manager"] = [None, *[person_id(0)] * 5, None, *[person_id(6)] * 4]
    workspace.ingest_frame("people", people, source="p", now=FROZEN_NOW)
    licenses = pd.DataFrame(rows("licenses", 11))
    workspace.ingest_frame("licenses", licenses, source="l", now=FROZEN_NOW)
    events = pd.DataFrame(rows("events", 400))
    events["person"] = [person_id(i % 11) for i in range(len(events))]
    workspace.ingest_frame("events", events, source="e", now=FROZEN_NOW)
    return workspace


def test_a_manager_sees_their_own_team_only_when_it_is_big_enough(ws: Workspace) -> None:
    boss = Actor("token:aaaaaaaa", "manager", teams=("big",))
    doc = ws.team_metrics("big", actor=boss)
    assert doc["team"] == "big"
    usage = doc["metrics"]["usage_rate"]
    assert usage["team_value"]["segment"] == "big" and usage["team_value"]["n"] == 6
    # Nothing organisation-wide rides along.
    assert "value" not in usage and "segments" not in usage
    with pytest.raises(PermissionDeniedError, match="own team"):
        ws.team_metrics("small", actor=boss)
    # `small` has 5 people, 4 without its manager: with k = 5 its manager sees nothing.
    small_boss = Actor("token:bbbbbbbb", "manager", teams=("small",))
    with pytest.raises(PrivacyError, match="without its manager"):
        ws.team_metrics("small", actor=small_boss)
    # An analyst may read any team; the team's own numbers stay k-suppressed.
    analyst = Actor("token:cccccccc", "analyst")
    small = ws.team_metrics("small", actor=analyst)["metrics"]["usage_rate"]["team_value"]
    assert small["segment"] == "small" and small.get("n") == 5
    with pytest.raises(InputError, match="no team"):
        ws.team_metrics("nowhere", actor=analyst)


def test_a_person_sees_only_themselves_and_the_read_is_audited(ws: Workspace) -> None:
    key = ws.pseudonymise(person_id(2))
    me = Actor("token:dddddddd", "person", person_key=key)
    doc = ws.my_adoption(actor=me)
    assert doc["ladder"] in {"L1", "L2", "L3", "L4", "L5"}
    assert doc["next_step"] and isinstance(doc["trend"], list)
    assert all(f["help"] for f in doc["flags"])
    other = ws.pseudonymise(person_id(3))
    with pytest.raises(PermissionDeniedError, match="own data"):
        ws.my_adoption(actor=me, person=other)
    # A coach reads people of its teams only; an admin anyone.
    coach = Actor("token:eeeeeeee", "coach", teams=("small",))
    assert ws.my_adoption(actor=coach, person=ws.pseudonymise(person_id(7)))["ladder"]
    with pytest.raises(PermissionDeniedError, match="teams in its scope"):
        ws.my_adoption(actor=coach, person=key)
    assert ws.my_adoption(person=other)["as_of"] == doc["as_of"]
    log = ws.audit()
    # The person's own read, and a coach's and an admin's of someone else (newest first).
    assert [e["action"] for e in log] == ["read person_adoption"] * 2 + ["read my_adoption"]
    assert [e["actor"] for e in log][-1] == "token:dddddddd" and log[-1]["detail"] == "1 person"
    with pytest.raises(InputError, match="whose adoption"):
        ws.my_adoption(actor=Actor("token:ffffffff", "admin"))
    # A key no one has: not found for an admin (it had read "not licensed"), and refused, as
    # any other person outside its teams, for a coach, which learns nothing of who exists.
    with pytest.raises(NotFoundError, match="no person with the key"):
        ws.my_adoption(actor=Actor("token:ffffffff", "admin"), person="p_nobody")
    with pytest.raises(PermissionDeniedError, match="teams in its scope"):
        ws.my_adoption(actor=coach, person="p_nobody")
