"""`uptake proposals list|add|link`: the backlog from the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from factories import FROZEN_NOW, person_id, rows
from uptake.cli import app, common
from uptake.workspace import Workspace


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """30 people and 40 tasks of `wf1` by 7 of them."""
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    path = tmp_path_factory.mktemp("proposals") / "ws"
    with Workspace.init(path) as ws:
        ws.ingest_frame("people", pd.DataFrame(rows("people", 30)), source="p", now=FROZEN_NOW)
        ws.ingest_frame("tasks", pd.DataFrame(rows("tasks", 40)), source="t", now=FROZEN_NOW)
    yield path
    mp.undo()


def _run(*args: str) -> object:
    # The shared console fixes its width when created (pytest-xdist sets COLUMNS=80 then).
    width = common.console.width
    common.console.width = 200
    try:
        return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    finally:
        common.console.width = width


def test_add_list_and_link(folder: Path) -> None:
    ws = ["-w", str(folder)]
    empty = _run("proposals", "list", *ws)
    assert empty.exit_code == 0 and "no proposals yet" in empty.stdout  # type: ignore[attr-defined]
    r = _run(
        "proposals",
        "add",
        "Draft variance notes",
        "--priority",
        "1",
        "--proposer",
        person_id(4),
        "--json",
        *ws,
    )
    assert r.exit_code == 0, r.stderr  # type: ignore[attr-defined]
    got = json.loads(r.stdout)  # type: ignore[attr-defined]
    assert got["team"] == "team0" and got["priority"] == 1
    pid = got["proposal_id"]
    with Workspace.open(folder) as w:
        stored = w.con.execute("SELECT proposer_key FROM proposals").fetchall()
        assert stored == [(w.pseudonymise(person_id(4)),)]  # a key, never the identifier
    linked = _run("proposals", "link", pid, "wf1", *ws)
    assert linked.exit_code == 0 and "catalogued workflow wf1" in linked.stdout  # type: ignore[attr-defined]
    doc = json.loads(_run("proposals", "list", "--as-of", "2026-03-03", "--json", *ws).stdout)  # type: ignore[attr-defined]
    row = doc["proposals"][0]
    assert row["outcome"]["arms"]["ai_assisted"]["people"] == 7
    table = _run("proposals", "list", "--as-of", "2026-03-03", *ws)
    assert "Draft variance notes" in table.stdout and "100 % completed" in table.stdout  # type: ignore[attr-defined]
    # The workflow has its own column: the catalogued id once linked, else the words given.
    row_line = next(ln for ln in table.stdout.splitlines() if pid in ln)  # type: ignore[attr-defined]
    assert [c.strip() for c in row_line.split("│")][3:5] == ["Draft variance notes", "wf1"]
    worded = _run("proposals", "add", "Triage tickets", "--workflow", "ticket triage", *ws)
    assert worded.exit_code == 0  # type: ignore[attr-defined]
    listed = _run("proposals", "list", *ws).stdout  # type: ignore[attr-defined]
    line = next(ln for ln in listed.splitlines() if "Triage tickets" in ln)
    assert [c.strip() for c in line.split("│")][3:5] == ["Triage tickets", "ticket triage"]
    # Without a team or a proposer: said in words (it had read "(team -)").
    lone = _run("proposals", "add", "Summarise tickets", *ws)
    assert lone.exit_code == 0 and "Summarise tickets (no team)" in lone.stdout  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", " "], "title"),
        (["add", "x", "--proposer", "nobody@example.org"], "is on the roster"),
        (["link", "prop_nope", "wf1"], "no proposal"),
        (["add", "x", "--priority", "0"], "--priority"),
        (["add", "x", "--team", "no-such-team"], "no one on the roster is in that team"),
    ],
)
def test_bad_input_is_one_line(folder: Path, args: list[str], message: str) -> None:
    r = _run("proposals", *args, "-w", str(folder))
    assert r.exit_code == 2  # type: ignore[attr-defined]
    assert "Traceback" not in r.stderr and message in r.stderr  # type: ignore[attr-defined]
