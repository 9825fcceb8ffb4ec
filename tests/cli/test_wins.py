"""`uptake wins` and `uptake redesign`: tables, case-study files, steps errors with lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from uptake.cli import app
from uptake.workspace import Workspace
from workspace.test_wins import STEPS, _fill

ENV = {"COLUMNS": "200", "UPTAKE_WORKSPACE": None, "UPTAKE__PRIVACY__NOISE": "false"}


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=ENV)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    path = tmp_path_factory.mktemp("cli-wins") / "ws"
    with Workspace.init(path) as ws:
        _fill(ws)
    yield path
    mp.undo()


def test_wins_table_and_json(folder: Path) -> None:
    r = run("wins", "-w", str(folder), "--as-of", "2026-05-31")
    assert r.exit_code == 0, r.stderr
    assert "as of 2026-05-31 (given) · 28-day window · groups below k = 5 hidden" in r.stdout
    assert "wf.win" in r.stdout and "+10.0 [" in r.stdout
    assert "Promising, not yet significant: none" in r.stdout
    doc = json.loads(run("wins", "-w", str(folder), "--as-of", "2026-05-31", "--json").stdout)
    assert doc["wins"][0]["saving_per_run"] == 10.0


def test_case_study_files_carry_the_wins_numbers(folder: Path, tmp_path: Path) -> None:
    doc = json.loads(run("wins", "-w", str(folder), "--as-of", "2026-05-31", "--json").stdout)
    row = doc["wins"][0]
    for name in ("case.html", "case.md"):
        out = tmp_path / name
        r = run(
            "wins",
            "-w",
            str(folder),
            "--as-of",
            "2026-05-31",
            "--case",
            "wf.win",
            "--out",
            str(out),
        )
        assert r.exit_code == 0, r.stderr
        assert f"case study of wf.win (win) written to {out}" in " ".join(r.stdout.split())
        text = out.read_text()
        assert "Case study: Reply to a ticket" in text
        assert f"{row['minutes_other']:.1f}" in text and f"{row['minutes_ai']:.1f}" in text
        assert f"{row['saving_per_run']:+.1f}" in text
        assert f"{row['saving_per_run_low']:+.1f} to {row['saving_per_run_high']:+.1f}" in text
        assert "60 runs by 6 people" in text and "as of 2026-05-31" in text
    assert (tmp_path / "case.svg").read_text().startswith("<svg")
    assert "](case.svg)" in (tmp_path / "case.md").read_text()


def test_case_study_bad_output_and_unknown_workflow(folder: Path, tmp_path: Path) -> None:
    r = run("wins", "-w", str(folder), "--case", "wf.win", "--out", str(tmp_path / "c.pdf"))
    assert r.exit_code == 2 and "expected a .html or .md file" in r.stderr
    # A folder that does not exist is said before the case study is computed.
    missing = tmp_path / "no-such-folder" / "c.html"
    r = run("wins", "-w", str(folder), "--case", "wf.none", "--out", str(missing))
    assert r.exit_code == 2
    assert f"--out {missing}: cannot write: the folder {missing.parent} does not exist" in " ".join(
        r.stderr.split()
    )
    r = run("wins", "-w", str(folder), "--as-of", "2026-05-31", "--case", "wf.none")
    assert r.exit_code == 2 and "wf.none: no runs of this workflow in the window" in r.stderr


def test_redesign_record_list_and_roles(folder: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("before:\n  - a\nafter:\n  - step: b\n    ai: maybe\nowner: x\n")
    r = run(
        "redesign", "record", "wf.win", "--on", "2026-05-20", "--steps", str(bad), "-w", str(folder)
    )
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [
        "error: 2 problems in the steps file:",
        f"{bad}:6: unknown key 'owner'; expected: before, after, note",
        f"{bad}:5: after[0].ai: must be one of substitute, augment, create, none",
    ]
    good = tmp_path / "steps.yaml"
    good.write_text(STEPS)
    r = run(
        "redesign",
        "record",
        "wf.win",
        "--on",
        "2026-05-20",
        "--steps",
        str(good),
        "-w",
        str(folder),
    )
    assert r.exit_code == 0, r.stderr
    assert "recorded: wf.win redesigned on 2026-05-20: 3 steps before, 2 after" in r.stdout
    r = run("redesign", "list", "-w", str(folder), "--as-of", "2026-05-31")
    assert r.exit_code == 0, r.stderr
    assert "Reply to a ticket (wf.win): redesigned on 2026-05-20" in r.stdout
    assert "2. Draft [substitute]" in r.stdout and "minutes per run:" in r.stdout
    r = run("redesign", "roles", "-w", str(folder), "--as-of", "2026-05-31")
    assert r.exit_code == 0 and "agent" in r.stdout and "not available: needs decisions" in r.stdout


def test_an_empty_workspace_says_not_available(workspace: Workspace) -> None:
    workspace.close()
    for args in (["wins"], ["redesign", "list"], ["redesign", "roles"]):
        r = run(*args, "-w", str(workspace.path))
        assert r.exit_code == 0, r.stderr
        assert "not available: needs tasks (workflow runs with ai_assisted and minutes)" in (
            " ".join(r.stdout.split())
        )


def test_roles_say_each_reason_once_under_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    import uptake.cli.wins as wins_cli

    def role(name: str, note: str | None, accuracy: float | None = None) -> dict[str, object]:
        modes = {f"{m}_{x}": v for m in ("substitute", "augment", "create")
                 for x, v in (("runs", 1_035), ("share", 0.254))}  # fmt: skip
        return {"role": name, "n": 37, "runs": 4_077, "ai_share": 0.415, **modes,
                "override_rate": 0.4 if accuracy else None, "override_note": note,
                "override_accuracy": accuracy, "override_accuracy_low": 0.403,
                "override_accuracy_high": 0.556}  # fmt: skip

    none = "no decisions by this role in the window"
    doc = {
        "as_of": "2026-05-31", "as_of_rule": "given", "window_days": 28, "min_group_size": 5,
        "status": "ok",
        "roles": [role("claims handler", None, 0.479), role("support agent", none),
                  role("account executive", none), role("credit analyst", "accuracy hidden")],
        "hidden": [{"role": r, "reason": "hidden: fewer than 5 people ran workflows"}
                   for r in ("recruiter", "head of hr")],
    }  # fmt: skip
    monkeypatch.setattr(wins_cli, "read_document", lambda _ws, _fn: doc)
    r = run("redesign", "roles")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert sum(none in line for line in lines) == 1, r.stdout
    assert f"[1] {none}" in lines and "[2] accuracy hidden" in lines
    rows = {line.split("│")[1].strip(): line for line in lines if line.startswith("│ ")}
    assert "— [1]" in rows["support agent"] and "— [1]" in rows["account executive"]
    assert "— [2]" in rows["credit analyst"] and "47.9 [40.3, 55.6] %" in rows["claims handler"]
    # Each mode's share, then its runs under it.
    assert "25.4 %" in rows["claims handler"] and "(25.4 %)" not in r.stdout
    assert "hidden: fewer than 5 people ran workflows: recruiter, head of hr" in lines
    # At 80 columns a long role is folded, never cut short.
    doc["roles"].append(role("sales development representative", none))
    narrow = CliRunner().invoke(app, ["redesign", "roles"], env={**ENV, "COLUMNS": "80"})
    assert narrow.exit_code == 0, narrow.stderr
    body = [line for line in narrow.stdout.splitlines() if line.startswith("│")]
    assert body and not any("…" in line for line in body), narrow.stdout


def test_a_wins_table_shows_ids_and_intervals_whole_at_120_columns() -> None:
    from io import StringIO

    from rich.console import Console

    from uptake.cli.wins import render

    row = {"workflow": "sales.outreach_sequence", "reference": "manual", "runs_ai": 90,
           "people_ai": 14, "runs_other": 113, "people_other": 16,
           "saving_per_run": 65.7, "saving_per_run_low": 44.4, "saving_per_run_high": 91.9,
           "completion_diff": -0.041, "completion_diff_low": -0.055,
           "completion_diff_high": -0.028, "minutes_saved": 7_539.0}  # fmt: skip
    why = "hidden: fewer than 5 people in a compared group"
    hidden = [{"workflow": w, "reason": why} for w in ("cs.kb_article", "eng.test_plan")]
    doc = {"as_of": "2026-05-31", "status": "ok", "confidence": 0.95, "wins": [row],
           "hidden": hidden}  # fmt: skip
    out = StringIO()
    render(doc, Console(file=out, width=120))
    [line] = [x for x in out.getvalue().splitlines() if "sales.outreach_sequence" in x]
    assert "+65.7 [+44.4, +91.9]" in line and "-4.1 [-5.5, -2.8]" in line, out.getvalue()
    assert "90 / 14" in line and "113 / 16" in line and "7,539" in line
    # One comparison for every row: said in the title, not in a column of its own.
    assert "(95 % intervals; against runs without AI)" in out.getvalue()
    assert "no AI" not in line and "┃ compared" not in out.getvalue()
    # The hidden ones on one line per reason.
    assert f"{why}: cs.kb_article, eng.test_plan" in out.getvalue().splitlines()
    # Two kinds of comparison keep the column.
    base = dict(row, workflow="hr.org_design", reference="baseline", runs_other=None,
                people_other=None, baseline_minutes=90.0)  # fmt: skip
    mixed = StringIO()
    render(dict(doc, wins=[row, base]), Console(file=mixed, width=120))
    assert "┃ compared" in mixed.getvalue() and "against" not in mixed.getvalue()
    assert "baseline 90.0 min" in mixed.getvalue()
