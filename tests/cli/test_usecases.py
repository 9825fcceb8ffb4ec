"""`uptake usecases list|validate|import|peers` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from uptake.cli.edge import UptakeGroup
from uptake.cli.usecases import usecases_app
from uptake.workspace import Workspace

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

app = typer.Typer(cls=UptakeGroup, add_completion=False)


@app.callback()
def _root() -> None:
    """The `uptake` root, with only the usecases group (registered as in uptake.cli)."""


app.add_typer(usecases_app, name="usecases")


def run(*args: str) -> Result:
    return CliRunner().invoke(
        app, ["usecases", *args], env={"COLUMNS": "200", "UPTAKE_WORKSPACE": None}
    )


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A current directory that is not a workspace."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UPTAKE_WORKSPACE", raising=False)
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    return tmp_path


def test_list_without_a_workspace_shows_the_bundled_library(here: Path) -> None:
    r = run("list", "--role", "counsel", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["folder"] is None and doc["count"] == 8  # 5 for counsel, 3 for any role
    assert [c["role"] for c in doc["use_cases"]][:5] == ["counsel"] * 5
    r = run("list", "--workflow", "legal.nda_draft")
    assert r.exit_code == 0 and "para-nda-from-template" in r.stdout
    assert "bundled library only" in r.stdout
    # A role without its own cases gets those for any role, and is told so.
    r = run("list", "--role", "astronaut")
    assert r.exit_code == 0 and "3 use cases" in r.stdout
    assert "no use case is written for the role 'astronaut': these are for any role" in r.stdout
    assert "no use case is written" not in run("list", "--role", "counsel").stdout


def test_list_at_120_columns_keeps_each_workflow_id_whole(here: Path) -> None:
    from io import StringIO

    from rich.console import Console

    from uptake.cli.usecases import render_list

    doc = json.loads(run("list", "--json").stdout)
    ids = {c["workflow"] for c in doc["use_cases"] if c.get("workflow")}
    # The command's console takes its width from the terminal it started in: the table is
    # rendered here at 120 columns whatever the test's terminal.
    out = StringIO()
    render_list(doc, Console(file=out, width=120))
    # Every id on one line of the table, none cut short with "…" or folded.
    shown = {cell.strip() for line in out.getvalue().splitlines() for cell in line.split("│")}
    assert ids <= shown, sorted(ids - shown)[:5]


def test_validate_counts_or_lists_every_problem(here: Path) -> None:
    good = here / "good.yaml"
    good.write_text(MINE)
    r = run("validate", str(good))
    assert (r.exit_code, r.stdout) == (0, "valid: 1 file, 1 use case, 1 role\n")
    bad = here / "bad.yaml"
    bad.write_text(
        MINE.replace("minutes_saved: 15", "minutes_saved: 0").replace("id: acme", "id: A")
    )
    r = run("validate", str(bad), str(here / "missing.yaml"))
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [
        "error: 3 problems in the use-case files:",
        f"{here / 'missing.yaml'}: no such file",
        f"{bad}:3: use_cases[0].id: must be a slug: lower-case letters, digits, _ . - (2 to 80 "
        "characters)",
        f"{bad}:10: use_cases[0].minutes_saved: must be greater than 0",
    ]
    r = run("validate", str(here / "missing.yaml"))
    assert (r.exit_code, r.stderr) == (2, f"error: {here / 'missing.yaml'}: no such file\n")
    r = run("validate", "--json", str(bad))
    assert r.exit_code == 2 and json.loads(r.stdout)["valid"] is False
    # Every file checked is counted, the valid ones apart ("files": 1 had read as one file
    # checked, all of it valid, when the one given had problems).
    good = here / "good.yaml"
    good.write_text(MINE)
    doc = json.loads(run("validate", "--json", str(bad), str(good)).stdout)
    assert (doc["files"], doc["valid_files"]) == (2, 1)


def test_import_then_list_from_the_workspace(here: Path) -> None:
    Workspace.init(here / "ws").close()
    src = here / "acme.yaml"
    src.write_text(MINE)
    r = run("import", str(src), "-w", str(here / "ws"))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("imported 1 file, 0 unchanged, into ")
    # Nothing ingested: nothing to check the role, workflow and surface with, and it says so.
    assert r.stderr.splitlines() == [
        "note: roles not checked: needs the roster's roles (people.role)",
        "note: workflows not checked: needs the workflows the workspace holds (catalogue, "
        "runs, events)",
        "note: surfaces not checked: needs the surfaces its events name",
    ]
    r = run("import", str(src), "-w", str(here / "ws"))
    assert "imported 0 files, 1 unchanged" in r.stdout
    r = run("list", "--role", "financial analyst", "--json", "-w", str(here / "ws"))
    doc = json.loads(r.stdout)
    got = {c["id"]: c for c in doc["use_cases"]}
    assert got["acme-close-checklist"]["source"] == f"{here / 'ws' / 'usecases' / 'acme.yaml'}:3"
    src.write_text("use_cases: {}\n")
    r = run("import", str(src), "-w", str(here / "ws"))
    assert (r.exit_code, r.stderr) == (
        2,
        f"error: {src}:1: use_cases: must be a list of use cases\n",
    )


def test_import_warns_when_no_one_holds_the_role(here: Path) -> None:
    import pandas as pd

    from factories import FROZEN_NOW, rows

    with Workspace.init(here / "ws") as ws:
        ws.ingest_frame("people", pd.DataFrame(rows("people", 6)), source="p", now=FROZEN_NOW)
    src = here / "acme.yaml"
    src.write_text(MINE.replace("role: financial analyst", "role: Analysts"))
    r = run("import", str(src), "-w", str(here / "ws"))
    # Imported (exit 0, the usual line on stdout); the warning on stderr.
    assert r.exit_code == 0 and r.stdout.startswith("imported 1 file, 0 unchanged")
    lines = r.stderr.splitlines()
    assert lines[0] == (
        f"warning: {src}: use case acme-close-checklist: role 'Analysts' is none of the "
        "roster's roles (people.role) (did you mean 'analyst'?): no one is shown it until "
        "someone holds that role"
    )
    assert lines[1:] == [
        "note: workflows not checked: needs the workflows the workspace holds (catalogue, "
        "runs, events)",
        "note: surfaces not checked: needs the surfaces its events name",
    ]


def test_peers_says_what_is_missing(here: Path) -> None:
    Workspace.init(here / "ws").close()
    r = run("peers", "-w", str(here / "ws"))
    assert (r.exit_code, r.stdout) == (0, "peer use cases: not available: needs tasks\n")
    r = run("peers", "--json", "--role", "counsel", "-w", str(here / "ws"))
    assert json.loads(r.stdout)["needs"] == ["tasks"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "--role", ""], "error: --role '': a role must not be empty"),
        (["list", "--workflow", "no such"], "error: --workflow 'no such': a workflow id is"),
        (["peers", "--as-of", "2026-13-01"], "error: --as-of '2026-13-01': expected a date"),
        (["peers", "--role", " "], "error: --role ' ': a role must not be empty"),
        (["import", "x.yaml", "-w", "nowhere"], "error: nowhere"),
        (["validate"], "error: missing argument"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(here: Path, args: list[str], message: str) -> None:
    r = run(*args)
    assert r.exit_code == 2 and r.stdout == "", (r.stdout, r.stderr)
    line, *hint = r.stderr.splitlines()
    assert line.startswith(message), line
    assert hint == [] or (len(hint) == 1 and hint[0].startswith("hint: ")), hint
