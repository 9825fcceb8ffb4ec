"""`uptake evaluate`: the command prints a compact table, its --json parses, bad input exits 2."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from uptake.cli import app
from uptake.cli import evaluate as command
from uptake.signals.friction.evaluate import EPISODE_KINDS
from uptake.signals.friction.rules import SIGNALS as FRICTION_KINDS

ARGS = ["evaluate", "--people", "40", "--days", "28", "--seed", "7", "--start", "2026-08-03"]


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    """What `uptake evaluate --json` printed for a small organisation."""
    r = CliRunner().invoke(app, [*ARGS, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_json_document(doc: dict[str, Any]) -> None:
    assert doc["simulation"] == {
        "people": 40,
        "days": 28,
        "seed": 7,
        "scenario": "mixed",
        "start": "2026-08-03",
        "last_day": "2026-08-30",
    }
    assert doc["as_of"] == "2026-08-30"
    pairs = [(r["measured"], r["reference"]) for r in doc["segments"]["comparisons"]]
    assert pairs == [("canonical", "truth"), ("vendor", "truth"), ("vendor", "canonical")]
    for row in doc["ladder"]["comparisons"]:
        assert {"n", "accuracy", "kappa", "labels", "confusion"} <= set(row)
    assert [t["tool"] for t in doc["tools"]] == ["Microsoft 365 Copilot", "GitHub Copilot"]


def test_human_output_fits_80_columns(doc: dict[str, Any]) -> None:
    out = Console(width=80, record=True, file=io.StringIO())
    command.show(doc, out)
    text = out.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    for words in (
        f"Per-person agreement, as of {doc['as_of']} (the last simulated day)",
        "usage segment 4w",
        "vendor (proxy) vs truth",
        "canonical (tasks) vs truth",
        "Ladder on the vendor view: an activity proxy",
        "used, reported",
    ):
        assert words in text, words
    canon = doc["segments"]["comparisons"][0]
    assert f"{canon['accuracy']:.1%}" in text
    # Every friction rule has its rows, n/a where the vendor view cannot run it.
    assert FRICTION_KINDS == EPISODE_KINDS
    for kind in FRICTION_KINDS:
        [line] = [x for x in text.splitlines() if x.strip().startswith(kind)]
        assert "precision" in line, kind
    [streak] = [x for x in text.splitlines() if x.strip().startswith("rejection_streak")]
    assert streak.split()[-1] == "n/a"


def test_command_prints_the_table(doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake(*args: Any, **kwargs: Any) -> dict[str, Any]:
        seen.update(args=args, start=kwargs["start"])
        return doc

    # The command imports the evaluation when it runs: it finds this one there.
    monkeypatch.setattr("uptake.evaluate.evaluate", fake)
    r = CliRunner().invoke(app, [*ARGS, "--data", "both"], env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    assert seen["args"] == (40, 28, 7, "both") and str(seen["start"]) == "2026-08-03"
    assert "Seats per tool on 2026-08-30" in r.stdout and "Traceback" not in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "xml"], "--data 'xml': expected one of canonical, vendor, both"),
        (["--people", "3"], "--people"),
        (["--start", "yesterday"], "--start"),
    ],
)
def test_bad_values_exit_2_in_one_line(args: list[str], message: str) -> None:
    r = CliRunner().invoke(app, ["evaluate", *args])
    assert r.exit_code == 2
    assert r.stdout == "" and "Traceback" not in r.stderr
    [line] = r.stderr.strip().splitlines()
    assert line.startswith("error: ") and message in line
