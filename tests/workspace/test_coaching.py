"""A coach's people to support: its teams only, people with a signal, keys only, audited."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from factories import FROZEN_NOW, person_id, rows
from uptake.errors import NotFoundError, PermissionDeniedError
from uptake.workspace import Workspace
from uptake.workspace.access import Actor

COACH = Actor("token:c0c0c0c0", "coach", teams=("small",))
ITEMS = ("job_security", "competence", "trust", "workflow_fit", "values", "confidence")


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    """Teams `big` and `small`, six people each, with events and survey answers."""
    people = pd.DataFrame(rows("people", 12)).assign(employment_status="active")
    people["team"] = ["big"] * 6 + ["small"] * 6
    workspace.ingest_frame("people", people, source="p", now=FROZEN_NOW)
    workspace.ingest_frame(
        "licenses", pd.DataFrame(rows("licenses", 12)), source="l", now=FROZEN_NOW
    )
    events = pd.DataFrame(rows("events", 400))
    events["person"] = [person_id(i % 12) for i in range(len(events))]
    workspace.ingest_frame("events", events, source="e", now=FROZEN_NOW)
    # Survey answers that differ by person, so some people get a typology.
    answers = pd.DataFrame(rows("responses", 120))
    answers["person"] = [person_id(i % 12) for i in range(len(answers))]
    answers["item"] = [ITEMS[(i // 12) % len(ITEMS)] for i in range(len(answers))]
    answers["score"] = [float(1 + (i * 7) % 5) for i in range(len(answers))]
    workspace.ingest_frame("responses", answers, source="r", now=FROZEN_NOW)
    return workspace


def _team_of(ws: Workspace) -> dict[str, str]:
    got = ws.con.execute("SELECT person_key, team FROM dim_person").fetchall()
    return {str(k): str(t) for k, t in got}


def _worth_a_coach(p: dict[str, Any]) -> bool:
    high = p["risk"].get("level") == "high"
    return bool(p["flags"]) or high or (p["typology"] or {}).get("name") not in (None, "none")


def test_a_coach_sees_only_people_of_its_team_with_a_signal(ws: Workspace) -> None:
    doc = ws.coaching(actor=COACH)
    team_of = _team_of(ws)
    assert doc["teams"] == [
        {"team": "small", "people": 6, "licensed": 6, "shown": len(doc["people"])}
    ]
    assert doc["people"], "the factory data gives people of `small` a signal"
    assert {team_of[p["person"]] for p in doc["people"]} == {"small"}
    assert all(p["team"] == "small" and _worth_a_coach(p) for p in doc["people"])
    assert doc["counts"] == {"people_in_teams": 6, "licensed": 6, "shown": len(doc["people"])}
    # Each flag says since when and what would help; each person what would help first.
    for p in doc["people"]:
        assert p["help"] and p["level"] in {"L1", "L2", "L3", "L4", "L5"}
        for f in p["flags"]:
            assert f["help"] and f["since"] <= f["latest"] and f["times"] >= 1
    # No model was trained: risk says what it needs, it is not a low score.
    assert {p["risk"]["status"] for p in doc["people"]} == {"not_available"}
    assert doc["status"]["early_warning"]["needs"]
    # Pseudonymous keys only: no roster identifier, and no organisation-wide flag counts.
    text = json.dumps(doc)
    assert "@" not in text and "login" not in text
    assert all("flags" not in st for st in doc["status"]["friction"].values())


def test_admin_sees_every_team_and_the_coach_a_subset(ws: Workspace) -> None:
    admin = ws.coaching(actor=Actor("token:adadadad", "admin"))
    assert [t["team"] for t in admin["teams"]] == ["big", "small"]
    assert {p["team"] for p in admin["people"]} <= {"big", "small"}
    assert admin["counts"]["people_in_teams"] == 12
    mine = ws.coaching(actor=COACH)
    small = [p for p in admin["people"] if p["team"] == "small"]
    assert mine["people"] == small
    # A coach of a team that is not on the roster sees no one (and is still allowed).
    nowhere = ws.coaching(actor=Actor("token:c1c1c1c1", "coach", teams=("nowhere",)))
    assert nowhere["people"] == [] and nowhere["teams"][0]["people"] == 0


@pytest.mark.parametrize(
    "actor",
    [
        Actor("token:a1a1a1a1", "analyst"),
        Actor("token:a2a2a2a2", "manager", teams=("small",)),
        Actor("token:a3a3a3a3", "person", person_key="p_00000000000000000000"),
        Actor("token:a4a4a4a4", "ingest"),
        Actor("token:a5a5a5a5", "coach"),
    ],
    ids=["analyst", "manager", "person", "ingest", "coach-without-team"],
)
def test_everyone_else_is_refused_and_nothing_is_read(ws: Workspace, actor: Actor) -> None:
    with pytest.raises(PermissionDeniedError):
        ws.coaching(actor=actor)
    assert ws.audit() == []


def test_one_team_alone_and_counts_without_anyones_row(ws: Workspace) -> None:
    admin = Actor("token:adadadad", "admin")
    small = ws.coaching(actor=admin, team="small")
    mine = ws.coaching(actor=COACH)
    assert small["teams"] == mine["teams"] and small["people"] == mine["people"]
    assert small["listed"] and small["counts"] == mine["counts"]
    audited = len(ws.audit())
    counts = ws.coaching(actor=admin, list_at_most=1)
    assert not counts["listed"] and counts["people"] == []
    assert counts["teams"] == ws.coaching(actor=admin, list_at_most=2)["teams"]
    assert len(ws.audit()) == audited + 1  # the listing read only, not the counts
    with pytest.raises(NotFoundError, match="no team 'nope'"):
        ws.coaching(actor=admin, team="nope")
    with pytest.raises(PermissionDeniedError):
        ws.coaching(actor=COACH, team="big")
    assert len(ws.audit()) == audited + 1
    # One team asked by name is listed whatever the limit.
    assert ws.coaching(actor=admin, team="big", list_at_most=0)["listed"]


def test_each_read_is_audited_under_the_coachs_name(ws: Workspace) -> None:
    first = ws.coaching(actor=COACH)
    ws.coaching(actor=COACH)
    log = ws.audit()
    assert [e["action"] for e in log] == ["read coaching"] * 2
    assert {(e["actor"], e["role"]) for e in log} == {("token:c0c0c0c0", "coach")}
    assert log[0]["detail"] == f"{len(first['people'])} people"
    assert log[0]["subject"] == first["as_of"]


def test_the_signals_are_built_once_for_repeated_reads(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uptake.signals import report

    calls = []
    real = report.build

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(report, "build", counted)
    one = ws.coaching(actor=COACH)
    two = ws.coaching(actor=Actor("token:adadadad", "admin"))
    three = ws.coaching(actor=COACH)
    assert len(calls) == 1
    assert one == three and len(two["people"]) >= len(one["people"])
