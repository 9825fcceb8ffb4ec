"""`uptake sprint` (plan, tick, untick) and `uptake audit-sample` through the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from sprint_helpers import PEOPLE, build
from uptake.cli import app
from uptake.programme.interview import QUESTIONS
from uptake.programme.sprint import MILESTONES


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    path = tmp_path_factory.mktemp("sprint") / "ws"
    build(path).close()
    # The CLI reads the workspace's own settings: day 1 from the data (the first event).
    yield path
    mp.undo()


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "UPTAKE_WORKSPACE": None})


def test_the_plan_as_json_and_as_tables(folder: Path) -> None:
    r = _run("sprint", "-w", str(folder), "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["start"] == "2026-03-02"
    assert doc["start_rule"] == "the first day of AI use in the data"
    ids = [m["id"] for p in doc["phases"] for m in p["milestones"]]
    assert ids == [m.id for m in MILESTONES]
    r = _run("sprint", "-w", str(folder), "--as-of", "2026-03-20")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "day 19 of 90 (foundation)" in out
    for title in ("Foundation: days 1–30", "Shadow mode and trust building: days 31–60",
                  "Production activation: days 61–90"):  # fmt: skip
        assert title in out
    assert "not available: needs decisions" in out
    assert "overdue" in out and "upcoming" in out
    # The evidence names its input once; then what a tick by hand should record.
    flat = " ".join(out.replace("│", " ").split())
    assert "needs decisions; a tick by hand" not in flat
    assert "followed or overridden) · needs a tick by hand: where decisions" in flat


def test_tick_and_untick_by_hand(folder: Path) -> None:
    r = _run("sprint", "tick", "wins_chosen", "--on", "2026-03-10", "--note", "close, intake",
             "-w", str(folder))  # fmt: skip
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("ticked wins_chosen: done on 2026-03-10 by ")
    doc = json.loads(_run("sprint", "-w", str(folder), "--json").stdout)
    m = next(m for p in doc["phases"] for m in p["milestones"] if m["id"] == "wins_chosen")
    assert (m["status"], m["how"], m["done_on"], m["note"]) == (
        "done", "by hand", "2026-03-10", "close, intake",
    )  # fmt: skip
    assert "done (by hand) 2026-03-10" in _run("sprint", "-w", str(folder)).stdout
    r = _run("sprint", "untick", "wins_chosen", "-w", str(folder), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["done_on"] == "2026-03-10"
    r = _run("sprint", "untick", "wins_chosen", "-w", str(folder))
    assert r.exit_code == 2 and r.stderr.startswith("error: wins_chosen: not ticked by hand")


def test_unknown_milestones_and_bad_dates_are_one_line(folder: Path) -> None:
    r = _run("sprint", "tick", "nope", "-w", str(folder))
    assert r.exit_code == 2 and r.stderr.splitlines()[0] == "error: unknown milestone 'nope'"
    assert "sponsor_goals" in r.stderr.splitlines()[1]
    r = _run("sprint", "tick", "sponsor_goals", "--on", "03/10/2026", "-w", str(folder))
    assert r.exit_code == 2 and "--on '03/10/2026': expected a date" in r.stderr


def test_audit_sample_lists_people_and_the_interview(folder: Path) -> None:
    r = _run("audit-sample", "--size", "4", "--seed", "7", "-w", str(folder), "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert len(doc["people"]) == 4 and doc["seed"] == 7
    assert {p["person"] for p in doc["people"]} <= set(PEOPLE)
    r = _run("audit-sample", "--size", "4", "--seed", "7", "-w", str(folder))
    assert r.exit_code == 0, r.output
    for p in doc["people"]:
        assert p["person"] in r.stdout
    assert "4 of 39 people" in r.stdout and "function: 4 of 4 values" in r.stdout
    for q in QUESTIONS:
        assert q.text in r.stdout
    audit = json.loads(_run("audit", "-w", str(folder), "--json").stdout)
    assert [e["action"] for e in audit].count("read audit_sample") == 2


def test_whom_to_invite_is_never_cut_at_80_columns() -> None:
    import io

    from rich.console import Console

    from uptake.cli.sprint import render_sample

    long = "rebecca.robinson@meridian-group.example"
    doc = {"as_of": "2026-12-06", "seed": 0, "size": 1, "population": 1878, "strata": 79,
           "coverage": {"values": {}, "strata_covered": 1, "strata": 79}, "dimensions": [],
           "notes": [],
           "people": [{"person": long, "person_key": "p_x", "function": "customer service",
                       "seniority": "individual contributor", "ladder": "L2"}],
           "questions": []}  # fmt: skip
    out = io.StringIO()
    render_sample(doc, Console(file=out, width=80, color_system=None))
    assert long in out.getvalue()  # it had read "rebecca.robinson@meridian-group.ex…"
    assert "1 of 1,878 people" in out.getvalue()


def test_milestone_ids_and_flag_names_stay_whole_at_80_columns() -> None:
    # `sprint tick` takes the id: it had been split ("first_win_documente|d") at 80 columns.
    import io
    from datetime import date, timedelta

    from rich.console import Console

    from uptake.cli.sprint import render
    from uptake.programme import sprint as sp

    start = date(2026, 3, 2)
    doc = {"status": "ok", "as_of": "2026-05-01", "as_of_rule": "given",
           **sp.plan(start, sp.START_SETTING, start + timedelta(days=60), {}, {})}  # fmt: skip
    for phase in doc["phases"]:
        for m in phase["milestones"]:
            # Evidence as long as the data's: it takes the width the ids had given up.
            m["evidence"] = "the data shows it from the interview forms received " * 3
            m.update(status="done", how="by hand", done_on="2026-04-01")
    out = io.StringIO()
    render(doc, Console(file=out, width=80, color_system=None))
    text = out.getvalue()
    assert all(len(line) <= 80 for line in text.splitlines())
    words = set(text.split())
    assert {m.id for m in MILESTONES} <= words
