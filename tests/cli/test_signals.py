"""`uptake signals` as a user runs it: the human view, --json, --reveal, the audit trail."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from uptake.cli import app
from uptake.workspace import Workspace

AS_OF = date(2024, 3, 31)
NOW = pd.Timestamp("2024-04-01T00:00:00Z").to_pydatetime()


def _workspace(root: Path) -> Path:
    ws = Workspace.init(root / "ws")
    # Two teams of five: the default minimum group size.
    people = [f"{team}{i}@corp.example" for team in ("busy", "idle") for i in range(5)]
    roster = pd.DataFrame(
        {"person": people, "aliases": [[] for _ in people], "team": [p[:4] for p in people]}
    )
    ws.ingest_frame("people", roster, source="roster", now=NOW)
    seats = pd.DataFrame({"person": people, "tool": "copilot", "assigned_at": "2024-01-01"})
    ws.ingest_frame("licenses", seats, source="seats", now=NOW)
    busy = [p for p in people if p.startswith("busy")]
    days = [AS_OF - timedelta(days=d) for d in range(56)]
    events = pd.DataFrame(
        {
            "event_id": [f"e{p}{d}" for p in busy for d in days],
            "ts": [f"{d}T10:00:00Z" for _ in busy for d in days],
            "person": [p for p in busy for _ in days],
            "tool": "copilot",
            "action": "accept",
        }
    )
    ws.ingest_frame("events", events, source="events", now=NOW)
    ws.close()
    return root / "ws"


def _audit(path: Path) -> list[str]:
    ws = Workspace.open(path)
    try:
        return [r[0] for r in ws.con.execute("SELECT action FROM audit_log").fetchall()]
    finally:
        ws.close()


def test_signals_human_json_and_reveal(tmp_path: Path) -> None:
    path = _workspace(tmp_path)
    run = CliRunner()
    human = run.invoke(app, ["signals", "-w", str(path), "--as-of", "2024-03-31"])
    assert human.exit_code == 0, human.output
    assert "Teams that need help first" in human.output
    assert "idle" in human.output and "@corp.example" not in human.output
    # Events without task data: the levels are a proxy, and the L3+ column says so.
    assert "L3+ (proxy)" in human.output and "L3+ is a proxy: without task data" in human.output
    # The detectors read as the flags do: words, not rule names.
    detectors = human.output.split("Detectors:")[1].split("\n")
    assert any(line.startswith("  week 3–4 drop: ") for line in detectors), human.output
    assert any(line.startswith("  early warning: not available") for line in detectors)
    assert "week3_4_drop" not in human.output and "bounce_loop" not in human.output
    doc = json.loads(run.invoke(app, ["signals", "-w", str(path), "--json"]).stdout)
    assert doc["status"]["ladder"] == {"status": "available", "basis": "proxy: activity"}
    # Events alone let only some friction detectors run: the teams' pressure says so.
    ran = sum(st["status"] != "not_available" for st in doc["status"]["friction"].values())
    assert 0 < ran < 7
    assert {t["pressure_basis"] for t in doc["teams"]} == {
        f"share with friction ({ran} of 7 detectors ran)"
    }
    assert doc["as_of"] == "2024-03-31"
    assert [t["team"] for t in doc["teams"]] == ["idle", "busy"]
    assert all(p["person"].startswith("p_") for p in doc["people"])
    shown = run.invoke(app, ["signals", "-w", str(path), "--json", "--reveal"])
    revealed = json.loads(shown.stdout)
    assert {p["person"] for p in revealed["people"]} == {
        f"{team}{i}@corp.example" for team in ("busy", "idle") for i in range(5)
    }
    # Every read of individual signals is in the audit log, the reveal apart.
    actions = _audit(path)
    assert actions.count("read signals") == 3
    assert actions.count("read identities (signals --reveal)") == 1


def test_a_bad_date_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = _workspace(tmp_path)
    r = CliRunner().invoke(app, ["signals", "-w", str(path), "--as-of", "yesterday"])
    assert r.exit_code == 2
    assert len(r.output.strip().splitlines()) == 1


def test_an_as_of_past_the_data_says_the_ladder_is_not_available(tmp_path: Path) -> None:
    # Nothing arrived for the window: teams had been ranked on "L3+ 0 %" (everyone at L1).
    path = _workspace(tmp_path)
    run = CliRunner()
    args = ["signals", "-w", str(path), "--as-of", "2025-01-31"]
    doc = json.loads(run.invoke(app, [*args, "--json"]).stdout)
    assert doc["status"]["ladder"] == {
        "status": "not_available",
        "needs": ["events (activity in the window)"],
    }
    assert doc["teams"] == [] and doc["people"] == []
    human = run.invoke(app, args)
    assert human.exit_code == 0, human.output
    assert "the adoption ladder is not available (needs events (activity in the window))" in (
        " ".join(human.output.split())
    )
    assert "Teams that need help first" not in human.output


def test_a_teams_friction_and_typology_read_as_words(tmp_path: Path) -> None:
    from io import StringIO

    from rich.console import Console

    from uptake.cli.signals import _render

    path = _workspace(tmp_path)
    doc = json.loads(CliRunner().invoke(app, ["signals", "-w", str(path), "--json"]).stdout)
    doc["teams"][0].update(dominant_friction="no_meaningful_use_14d", dominant_typology="none")
    doc["teams"][1].update(dominant_friction=None, dominant_typology="trust_deficit")
    out = StringIO()
    _render(doc, Console(file=out, width=160))
    lines = out.getvalue().splitlines()
    # The column says what it holds: "typology" was the model's word, not the reader's.
    header = next(line for line in lines if " friction " in line)
    assert "resistance" in header and "typology" not in header, header
    rows = [line for line in lines if "│" in line]
    first, second = (next(r for r in rows if f" {t['team']} " in r) for t in doc["teams"][:2])
    assert "no meaningful use (14 days)" in first and "no resistance" in first, first
    assert "—" in second and "trust deficit" in second, second
    assert "no_meaningful_use_14d" not in out.getvalue()


def test_detectors_say_for_how_many_a_partial_rule_could_not_look() -> None:
    from io import StringIO

    from rich.console import Console

    from uptake.cli.signals import _status

    status = {"friction": {
        "bounce_loop": {"status": "partial", "flags": 18, "since": "2026-11-10",
                        "needs": ["sessions (events with a session_id)"],
                        "people_without": 1, "people": 398},
        "no_meaningful_use_14d": {"status": "partial", "flags": 1, "since": "2026-11-10",
                                  "needs": ["meaningful events from m365-copilot"]},
        "override_spike": {"status": "not_available", "needs": ["decisions"]},
    }, "champions": {"status": "not_available", "needs": ["help_edges"]}}  # fmt: skip
    out = StringIO()
    _status(status, Console(file=out, width=200))
    assert out.getvalue().splitlines() == [
        "Detectors:",
        "  bounce loop: 18 new since 2026-11-10; not looked for in 1 of 398 people: needs "
        "sessions (events with a session_id)",
        "  no meaningful use (14 days): 1 new since 2026-11-10; not looked for everywhere: "
        "needs meaningful events from m365-copilot",
        # "not available (needs sessions (events with a session_id))" had nested brackets.
        "  override spike: not available: needs decisions",
        "  champions: not available: needs help_edges",
    ]
