"""`uptake readiness` through the CLI: the table, --json, the questionnaire and bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from programme.readiness_org import AS_OF, fill
from uptake.cli import app
from uptake.workspace import Workspace


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    path = tmp_path_factory.mktemp("cli-readiness") / "ws"
    with Workspace.init(path) as ws:
        fill(ws)
    yield path
    mp.undo()


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "250", "UPTAKE_WORKSPACE": None})


def _doc(folder: Path) -> dict:  # type: ignore[type-arg]
    r = _run("readiness", "-w", str(folder), "--as-of", AS_OF.isoformat(), "--json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_json_is_the_workspace_document(folder: Path) -> None:
    doc = _doc(folder)
    with Workspace.open(folder, read_only=True) as ws:
        want = json.loads(json.dumps(ws.readiness_assessment(as_of=AS_OF), default=str))
    assert doc == want
    assert [c["condition"] for c in doc["conditions"]][:2] == [
        "workflow_integration",
        "trust_transparency",
    ]


def test_table_shows_scores_evidence_gaps_and_what_is_missing(folder: Path) -> None:
    r = _run("readiness", "-w", str(folder), "--as-of", AS_OF.isoformat())
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert "as of 2026-05-31 (given) · 28-day window · a gap is a score below 60" in out
    assert "licensed managers at L3 or above: 60 % (3 of 5; n = 5 managers)" in out
    assert "decisions whose outcome is logged (outcome due): 70 % (21 of 30 decisions" in out
    assert "Gaps and what to do:" in out
    assert "Workflow integration (51.9): pick the two or three catalogued workflows" in out
    assert "Champion network: not available: needs help_edges" in out
    assert "Trust through transparency: not available: needs readiness questionnaire" in out


def test_a_gap_just_below_the_threshold_never_reads_as_the_threshold(folder: Path) -> None:
    from io import StringIO

    from rich.console import Console

    from uptake.cli.readiness import render

    doc = _doc(folder)
    first = next(c for c in doc["conditions"] if c["score"] is not None)
    # 59.5 is a gap under a threshold of 60; shown without its decimal it read "60".
    near = dict(first, score=59.5, status="gap", intervention="do the thing")
    out = StringIO()
    render(dict(doc, gap_below=60, conditions=[near], gaps=[near]), Console(file=out, width=200))
    text = out.getvalue()
    row = next(line for line in text.splitlines() if line.startswith(f"│ {near['label']}"))
    assert "│ 59.5 " in row and "│ 60 " not in row, row
    assert f"{near['label']} (59.5): do the thing" in text


def test_answer_then_read_back(folder: Path) -> None:
    r = _run("readiness", "answer", "transparency_1=4", "transparency_2=2", "--on",
             "2026-05-30", "-w", str(folder))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert "recorded 2 of 2 answers as the programme lead's (2026-05-30)" in r.stdout
    assert "quarantined" not in r.stdout
    got = next(c for c in _doc(folder)["conditions"] if c["condition"] == "trust_transparency")
    assert (got["score"], got["status"], got["basis"]) == (50.0, "gap", "questionnaire")
    r = _run("readiness", "answer", "override_1=5", "--person", "ic0@example.org", "--on",
             "2026-05-30", "-w", str(folder), "--json")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["accepted"] == 1 and out["person_stored"] is True


def test_questions_lists_every_item() -> None:
    r = _run("readiness", "questions", "--json")
    assert r.exit_code == 0
    items = json.loads(r.stdout)
    assert [i["item"] for i in items][:2] == ["transparency_1", "transparency_2"]
    assert all(i["text"] and i["condition"] for i in items)
    table = _run("readiness", "questions")
    assert "role_redesign_1" in table.stdout and "1 strongly disagree" in table.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["answer", "shoe_size=3"], "error: unknown readiness item 'shoe_size'"),
        (["answer", "override_1=9"], "error: override_1=9: answers are from 1 to 5"),
        (["answer", "override_1=3", "override_1=4"], "error: override_1 is given twice"),
        (
            ["answer", "override_1=3", "--on", "2099-01-01"],
            "error: --on 2099-01-01: answers cannot be given in the future",
        ),
        (["answer", "override_1=3", "--on", "2026-13-01"], "error: --on '2026-13-01'"),
        (["answer", "override_1=3", "--person", " "], "error: --person: give a roster"),
        (["--as-of", "2026-13-01"], "error: --as-of '2026-13-01': expected a date"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(folder: Path, args: list[str], said: str) -> None:
    r = (
        _run("readiness", *args, "-w", str(folder))
        if args[0] != "--as-of"
        else _run("readiness", "-w", str(folder), *args)
    )
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith(said) and "Traceback" not in r.stderr
    assert r.stdout == ""
