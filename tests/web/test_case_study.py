"""A case-study export of a simulated win matches the wins document's numbers."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from uptake.cli import app
from uptake.programme.case_study import fmt
from uptake.workspace import Workspace
from uptake.workspace.access import Actor

ENV = {"COLUMNS": "200", "UPTAKE_WORKSPACE": None}


def test_case_study_of_a_simulated_win_matches_its_numbers(org: Any, tmp_path: Path) -> None:
    with Workspace.open(org.folder, read_only=True) as ws:
        doc = ws.wins(actor=Actor("a", "analyst"))
    assert doc["status"] == "ok" and doc["wins"]
    win = doc["wins"][0]
    wf = win["workflow"]
    out = tmp_path / "case.html"
    r = CliRunner().invoke(
        app, ["wins", "-w", str(org.folder), "--case", wf, "--out", str(out), "--json"], env=ENV
    )
    assert r.exit_code == 0, r.stderr
    case = json.loads(r.stdout)["case"]
    minutes, done, steps = case["table"]
    # The same numbers as the wins document, not recomputed.
    assert minutes["after"] == win["minutes_ai"] and minutes["difference"] == win["saving_per_run"]
    assert (minutes["difference_low"], minutes["difference_high"]) == (
        win["saving_per_run_low"],
        win["saving_per_run_high"],
    )
    assert minutes["before"] == (
        win["minutes_other"] if win["reference"] == "manual" else win["baseline_minutes"]
    )
    assert (done["before"], done["after"], done["difference"]) == (
        win["completion_other"],
        win["completion_ai"],
        win["completion_diff"],
    )
    assert (steps["before"], steps["after"]) == (win["steps_before"], win["steps_after"])
    assert case["as_of"] == doc["as_of"] and case["window_days"] == doc["window_days"]
    text = html.unescape(out.read_text())
    for row in case["table"]:
        for key in ("before", "after"):
            assert fmt(row[key], row["unit"]) in text
        assert fmt(row["difference"], row["unit"], signed=True) in text
    assert f"{win['runs_ai']:,} runs by {win['people_ai']:,} people" in text
    assert f"as of {doc['as_of']}" in text.lower() and f"{doc['window_days']}-day window" in text
    assert win["name"] in text and ", ".join(win["roles"]) in text
    assert not re.search(r"p_[0-9a-f]{20}", text)
