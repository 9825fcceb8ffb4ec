"""`Workspace` wins, case studies, redesigns and role evidence: who may, what is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from factories import FROZEN_NOW
from uptake.errors import NotAvailableError, NotFoundError, PermissionDeniedError
from uptake.programme.redesign import StepsError
from uptake.workspace import Workspace
from uptake.workspace.access import Actor

AS_OF = date(2026, 5, 31)
ANALYST = Actor("a1", "analyst")
STEPS = (
    "before:\n  - Read\n  - Search\n  - Draft\n"
    "after:\n  - Read\n  - step: Draft\n    ai: substitute\n"
)


def _fill(ws: Workspace) -> None:
    """Six people run `wf.win` with AI in 20 minutes, six without in 30 (May 2026)."""
    people = [f"user{i}@example.org" for i in range(12)]
    ws.ingest_frame(
        "people",
        pd.DataFrame({"person": people, "role": "agent", "team": "t"}),
        source="p",
        now=FROZEN_NOW,
        refresh=False,
    )
    ws.ingest_frame(
        "workflows",
        pd.DataFrame(
            [
                {
                    "workflow": "wf.win",
                    "name": "Reply to a ticket",
                    "roles": ["agent"],
                    "stakes": "high",
                    "baseline_minutes": 35.0,
                    "steps_before": 5,
                    "steps_after": 3,
                    "ai_mode": "substitute",
                }
            ]
        ),
        source="w",
        now=FROZEN_NOW,
        refresh=False,
    )
    rows = []
    for i, p in enumerate(people):
        for d in range(10, 30, 2):
            at = f"2026-05-{d:02d}T10:00:00Z"
            rows.append(
                {
                    "task_id": f"t{i}-{d}",
                    "person": p,
                    "workflow": "wf.win",
                    "started_at": at,
                    "completed_at": at,
                    "status": "completed",
                    "ai_assisted": i < 6,
                    "minutes": (20.0 if i < 6 else 30.0) + d % 3,
                }
            )
    ws.ingest_frame("tasks", pd.DataFrame(rows), source="t", now=FROZEN_NOW)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    with Workspace.init(tmp_path_factory.mktemp("wins") / "ws") as w:
        _fill(w)
        yield w
    mp.undo()


def test_analysts_read_the_wins_and_others_may_not(ws: Workspace) -> None:
    doc = ws.wins(AS_OF, actor=ANALYST)
    assert doc["status"] == "ok" and doc["as_of"] == "2026-05-31" and doc["as_of_rule"] == "given"
    assert doc["privacy"]["min_group_size"] == 5
    [win] = doc["wins"]
    assert (win["workflow"], win["saving_per_run"], win["people_ai"]) == ("wf.win", 10.0, 6)
    for actor in (
        Actor("m", "manager", teams=("t",)),
        Actor("p", "person", person_key="p_x"),
        Actor("c", "coach", teams=("t",)),
        Actor("i", "ingest"),
    ):
        for read in (ws.wins, ws.redesigns, ws.role_redesign):
            with pytest.raises(PermissionDeniedError):
                read(AS_OF, actor=actor)


def test_the_case_study_is_the_wins_row(ws: Workspace) -> None:
    row = ws.wins(AS_OF, actor=ANALYST)["wins"][0]
    case = ws.case_study("wf.win", AS_OF, actor=ANALYST)
    minutes = case["table"][0]
    assert (minutes["before"], minutes["after"], minutes["difference"]) == (
        row["minutes_other"],
        row["minutes_ai"],
        row["saving_per_run"],
    )
    assert case["as_of"] == "2026-05-31" and case["roles"] == ["agent"]
    with pytest.raises(NotFoundError):
        ws.case_study("wf.none", AS_OF, actor=ANALYST)


def test_only_admins_record_a_redesign_and_it_is_listed_with_its_change(
    ws: Workspace, tmp_path: Path
) -> None:
    steps = tmp_path / "steps.yaml"
    steps.write_text(STEPS)
    with pytest.raises(PermissionDeniedError):
        ws.record_redesign("wf.win", date(2026, 5, 20), steps, actor=ANALYST)
    with pytest.raises(NotFoundError):
        ws.record_redesign("wf.unknown", date(2026, 5, 20), steps)
    bad = tmp_path / "bad.yaml"
    bad.write_text("before:\n  - a\nafter:\n  - step: b\n    ai: maybe\n")
    with pytest.raises(StepsError) as got:
        ws.record_redesign("wf.win", date(2026, 5, 20), bad)
    assert got.value.problems == [
        f"{bad}:5: after[0].ai: must be one of substitute, augment, create, none"
    ]
    out = ws.record_redesign(
        "wf.win", date(2026, 5, 20), steps, note="first try", actor=Actor("admin1", "admin")
    )
    assert (out["steps_before"], out["steps_after"], out["substitute"], out["who"]) == (
        3,
        2,
        1,
        "admin1",
    )
    # Recording again replaces the first.
    ws.record_redesign("wf.win", date(2026, 5, 20), steps, actor=Actor("admin2", "admin"))
    stored = ws.con.execute(
        "SELECT workflow, redesigned_on, steps, note, who FROM workflow_redesigns"
    ).fetchall()
    assert len(stored) == 1 and stored[0][4] == "admin2" and stored[0][3] is None
    assert json.loads(stored[0][2])["after"][1] == {"step": "Draft", "ai": "substitute"}
    [red] = ws.redesigns(AS_OF, actor=ANALYST)["redesigns"]
    assert (red["workflow"], red["name"], red["redesigned_on"]) == (
        "wf.win",
        "Reply to a ticket",
        "2026-05-20",
    )
    change = red["change"]
    assert change["days"] == 12 and change["before"]["start"] == "2026-05-08"
    assert change["status"] == "ok" and change["after"]["people"] == 12
    # The case study carries the redesign and its measured change.
    assert ws.case_study("wf.win", AS_OF, actor=ANALYST)["redesign"]["change"] == change


def test_role_evidence(ws: Workspace) -> None:
    doc = ws.role_redesign(AS_OF, actor=ANALYST)
    [agent] = doc["roles"]
    assert (agent["role"], agent["n"], agent["runs"], agent["substitute_runs"]) == (
        "agent",
        12,
        120,
        60,
    )
    assert agent["override_note"] == "not available: needs decisions"


def test_an_empty_workspace_says_what_each_part_needs(workspace: Workspace, tmp_path: Path) -> None:
    needs = [
        "tasks (workflow runs with ai_assisted and minutes)",
        "workflows (the catalogue: roles, baseline_minutes, steps, ai_mode)",
    ]
    for read in (workspace.wins, workspace.redesigns, workspace.role_redesign):
        doc = read(actor=ANALYST)
        assert doc["status"] == "not_available" and doc["needs"] == needs, read
        assert doc["message"] == f"not available: needs {', '.join(needs)}"
    with pytest.raises(NotAvailableError):
        workspace.case_study("wf.win", actor=ANALYST)
    steps = tmp_path / "steps.yaml"
    steps.write_text(STEPS)
    with pytest.raises(NotAvailableError) as got:
        workspace.record_redesign("wf.win", date(2026, 5, 20), steps)
    assert got.value.needs == ["workflows"]
