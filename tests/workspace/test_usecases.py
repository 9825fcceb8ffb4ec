"""`Workspace` and the use-case library: who may read and import, the folder, peers' use cases."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from factories import FROZEN_NOW, person_id
from uptake.coach.library import LibraryError, bundled_files
from uptake.errors import InputError, PermissionDeniedError
from uptake.workspace import Workspace
from uptake.workspace.access import Actor

ANALYST = Actor("token:a1a1a1a1", "analyst")
PERSON = Actor("token:p1p1p1p1", "person", person_key="k")
COACH = Actor("token:c1c1c1c1", "coach", teams=("t",))
MANAGER = Actor("token:m1m1m1m1", "manager", teams=("t",))
INGEST = Actor("token:i1i1i1i1", "ingest")
MINE = """\
version: 1
use_cases:
  - id: acme-close-checklist
    role: financial analyst
    title: Run the month-end close checklist with Copilot
    workflow: fin.reconciliation
    surface: excel
    steps: [Open the close checklist., Ask which items are still open and why.]
    prompt: "List the open items of the {month} close checklist with their owners."
    minutes_saved: 15
"""


def test_every_role_but_ingest_reads_the_library(workspace: Workspace) -> None:
    doc = workspace.usecases("Financial Analyst", "fin.variance_analysis")
    ids = [c["id"] for c in doc["use_cases"]]
    assert ids[0] == "fa-variance-first-draft"
    assert all(c["role"] in ("financial analyst", "any") for c in doc["use_cases"])
    assert all(c["workflow"] in ("fin.variance_analysis", None) for c in doc["use_cases"])
    assert doc["use_cases"][0]["source"].startswith("bundled/finance.yaml:")
    assert doc["use_cases"][0]["placeholders"] == ["month"]
    for actor in (ANALYST, PERSON, COACH, MANAGER):
        assert workspace.usecases(actor=actor)["count"] >= 40
    with pytest.raises(PermissionDeniedError):
        workspace.usecases(actor=INGEST)
    with pytest.raises(InputError, match="--workflow 'no such'"):
        workspace.usecases(workflow="no such")


def test_import_copies_validated_files_and_is_idempotent(
    workspace: Workspace, tmp_path: Path
) -> None:
    src = tmp_path / "acme.yml"
    src.write_text(MINE)
    before = len(workspace.library())
    with pytest.raises(PermissionDeniedError):
        workspace.import_usecases([src], actor=ANALYST)
    assert workspace.validate_usecases([src]) == {
        "valid": True, "files": 1, "valid_files": 1, "use_cases": 1, "roles": 1, "problems": [],
    }  # fmt: skip
    doc = workspace.import_usecases([src])
    folder = workspace.path / "usecases"
    assert doc == {
        "folder": str(folder), "imported": ["acme.yml"], "unchanged": [], "use_cases": 1,
        "library": before + 1, "warnings": [],
        "unchecked": [
            "roles not checked: needs the roster's roles (people.role)",
            "workflows not checked: needs the workflows the workspace holds (catalogue, runs, "
            "events)",
            "surfaces not checked: needs the surfaces its events name",
        ],
    }  # fmt: skip
    assert (folder / "acme.yml").read_text() == MINE
    again = workspace.import_usecases([src])
    assert (again["imported"], again["unchanged"], again["library"]) == (
        [],
        ["acme.yml"],
        before + 1,
    )
    got = workspace.library().get("acme-close-checklist")
    assert got is not None and got.minutes_saved == 15


REACH = """\
version: 1
use_cases:
  - id: acme-fits
    role: Analyst
    title: Fits a role, a workflow and a surface the data names
    workflow: wf1
    surface: word
    steps: [One., Two.]
    prompt: "Draft the {thing}."
    minutes_saved: 5
  - id: acme-typo
    role: analist
    title: A role no one holds
    steps: [One., Two.]
    prompt: "Draft the {thing}."
    minutes_saved: 5
  - id: acme-any
    role: any
    title: Every role, a workflow no data names
    workflow: wf99
    steps: [One., Two.]
    prompt: "Draft the {thing}."
    minutes_saved: 5
  - id: acme-excel
    role: engineer
    title: A surface no event names
    surface: excel
    steps: [One., Two.]
    prompt: "Draft the {thing}."
    minutes_saved: 5
"""


def test_import_warns_of_use_cases_the_data_never_reaches(
    workspace: Workspace, tmp_path: Path
) -> None:
    from factories import rows

    for table in ("people", "workflows", "events"):
        workspace.ingest_frame(table, pd.DataFrame(rows(table, 6)), source="f", now=FROZEN_NOW)
    src = tmp_path / "reach.yaml"
    src.write_text(REACH)
    doc = workspace.import_usecases([src])
    # Imported all the same: the files are valid, and the roster may yet name the role.
    assert doc["imported"] == ["reach.yaml"] and doc["unchecked"] == []
    assert workspace.library().get("acme-typo") is not None
    name = str(src)
    assert doc["warnings"] == [
        f"{name}: use case acme-typo: role 'analist' is none of the roster's roles (people.role)"
        " (did you mean 'analyst'?): no one is shown it until someone holds that role",
        f"{name}: use case acme-any: workflow 'wf99' is none of the workflows the workspace "
        "holds (catalogue, runs, events): it fits no work there, so it is shown only where no "
        "better use case fits",
        f"{name}: use case acme-excel: surface 'excel' is none of the surfaces its events name:"
        " it fits no work there, so it is shown only where no better use case fits",
    ]


def test_a_bad_file_or_a_clash_imports_nothing(workspace: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINE.replace("minutes_saved: 15", "minutes_saved: 0"))
    clash = tmp_path / "clash.yaml"
    clash.write_text(MINE.replace("acme-close-checklist", bundled_files()[0].cases[0].id))
    report = workspace.validate_usecases([bad, clash])
    assert not report["valid"] and len(report["problems"]) == 2
    # Both files were checked; the clash file alone parses (its problem is the library's).
    assert (report["files"], report["valid_files"]) == (2, 1)
    assert report["problems"][0] == f"{bad}:10: use_cases[0].minutes_saved: must be greater than 0"
    assert "duplicate id" in report["problems"][1] and "override: true" in report["problems"][1]
    with pytest.raises(LibraryError) as info:
        workspace.import_usecases([bad, clash])
    assert info.value.problems == report["problems"]
    assert not (workspace.path / "usecases").exists()
    # Two files with the same name cannot both land in the folder.
    other = tmp_path / "x"
    other.mkdir()
    (other / "clash.yaml").write_text(MINE)
    (tmp_path / "ok.yaml").write_text(MINE)
    with pytest.raises(LibraryError, match="same file name"):
        workspace.import_usecases([clash.with_name("ok.yaml"), other / "clash.yaml", clash])


def test_the_library_rereads_the_folder_when_a_file_changes(workspace: Workspace) -> None:
    folder = workspace.usecase_folder()
    first = workspace.library()
    assert workspace.library() is first  # cached
    folder.mkdir()
    (folder / "acme.yaml").write_text(MINE)
    second = workspace.library()
    assert len(second) == len(first) + 1
    (folder / "acme.yaml").write_text(MINE.replace("minutes_saved: 15", "minutes_saved: 25"))
    stat = (folder / "acme.yaml").stat()
    os.utime(folder / "acme.yaml", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    third = workspace.library()
    case = third.get("acme-close-checklist")
    assert case is not None and case.minutes_saved == 25
    (folder / "acme.yaml").write_text("use_cases: [")
    with pytest.raises(LibraryError, match=r"acme.yaml:1: not YAML"):
        workspace.library()


def test_the_folder_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    ws = Workspace.init(tmp_path / "ws", {"coach.library": "library/extra"})
    try:
        assert ws.usecase_folder() == tmp_path / "ws" / "library" / "extra"
    finally:
        ws.close()


def test_peer_usecases_are_aggregates_for_analysts(workspace: Workspace) -> None:
    with pytest.raises(PermissionDeniedError):
        workspace.peer_usecases(actor=PERSON)
    assert workspace.peer_usecases(actor=ANALYST)["message"] == "not available: needs tasks"
    # k = 5: four people with AI-assisted runs are not shown, five are.
    people = [person_id(i) for i in range(5)]
    workspace.ingest_frame(
        "people",
        pd.DataFrame({"person": people, "role": "financial analyst", "team": "fin"}),
        source="p", now=FROZEN_NOW, refresh=False,
    )  # fmt: skip
    start = pd.Timestamp("2026-05-20T09:00:00Z")
    tasks = [
        {"task_id": f"t{i}-{j}", "person": p, "workflow": "fin.variance_analysis",
         "started_at": (start + timedelta(hours=j)).isoformat(),
         "completed_at": (start + timedelta(hours=j, minutes=60)).isoformat(),
         "status": "completed", "ai_assisted": True, "minutes": 60.0}
        for i, p in enumerate(people) for j in range(2)
    ]  # fmt: skip
    workspace.ingest_frame("tasks", pd.DataFrame(tasks[:8]), source="t", now=FROZEN_NOW)
    assert workspace.peer_usecases(as_of=date(2026, 5, 31))["roles"] == []
    workspace.ingest_frame("tasks", pd.DataFrame(tasks[8:]), source="t2", now=FROZEN_NOW)
    doc = workspace.peer_usecases("financial analyst", date(2026, 5, 31), actor=ANALYST)
    [role] = doc["roles"]
    [row] = role["workflows"]
    assert (row["workflow"], row["people"], row["ai_runs"], row["completion_rate"]) == (
        "fin.variance_analysis", 5, 10, 1.0,
    )  # fmt: skip
    text = json.dumps(doc)
    assert "example.org" not in text and "person_key" not in text
