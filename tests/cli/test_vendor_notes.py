"""Vendor connector notes as a user sees them: concealed M365 names, GitHub teams, history.

Runs `uptake init / ingest / status` in-process (typer's CliRunner) on the published samples
and small hand-written reports, and checks what reaches the terminal and the warehouse.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from factories import rows, write
from uptake.cli import app
from uptake.workspace import Workspace

SAMPLES = Path(__file__).parents[1] / "ingest" / "connectors" / "samples"


def uptake(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "UPTAKE_WORKSPACE": None})


def flat(text: str) -> str:
    """Output with line wrapping undone (rich wraps long notes)."""
    return " ".join(text.split())


def _roster(tmp_path: Path, ws: Path) -> None:
    people = rows("people", 3)  # person0..2 with aliases login0..2
    people[1]["team"] = None  # person1 has no roster team
    r = uptake("ingest", "people", str(write(people, tmp_path / "people.jsonl")), "-w", str(ws))
    assert r.exit_code == 0, r.output


def test_concealed_m365_names_are_said_at_ingest_and_in_status(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert uptake("init", str(ws)).exit_code == 0
    _roster(tmp_path, ws)
    sample = SAMPLES / "m365_copilot_usage_user_detail_v1.0.csv"
    r = uptake("ingest", "--format", "m365-copilot-usage", str(sample), "-w", str(ws))
    assert r.exit_code == 0, r.output
    out = flat(r.output)
    assert (
        "note: m365_copilot_usage_user_detail_v1.0.csv: names are concealed in this tenant" in out
    )
    assert "turn on display of concealed names in the Microsoft 365 admin centre" in out
    assert "or ingest a mapping" in out
    # The rows are kept, as a person the roster does not know.
    r = uptake("ingest", "--format", "m365-copilot-usage", str(sample), "--json", "-w", str(ws))
    docs = [json.loads(line) for line in r.stdout.splitlines()]
    assert any("names are concealed" in n for d in docs for n in d.get("notes", []))
    status = json.loads(uptake("status", "--json", "-w", str(ws)).stdout)
    m365 = status["identity_coverage"]["formats"]["m365-copilot-usage"]
    assert (m365["seen"], m365["linked"], m365["unlinked"]) == (1, 0, 1)
    assert m365["unlinked_shapes"] == {"hashed": 1}
    text = flat(uptake("status", "-w", str(ws)).output)
    assert "m365-copilot-usage" in text and "conceals user names" in text


def test_github_team_fills_only_a_missing_roster_team(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert uptake("init", str(ws)).exit_code == 0
    _roster(tmp_path, ws)
    teams = [
        {
            "user_id": 1,
            "user_login": "login0",
            "day": "2026-03-10",
            "organization_id": "9",
            "team_id": 5,
            "slug": "web",
        },
        {
            "user_id": 2,
            "user_login": "login1",
            "day": "2026-03-10",
            "organization_id": "9",
            "team_id": 6,
            "slug": "platform",
        },
        {
            "user_id": 2,
            "user_login": "login1",
            "day": "2026-03-10",
            "organization_id": "9",
            "team_id": 5,
            "slug": "api",
        },
    ]
    path = tmp_path / "user-teams-1-day.ndjson"
    path.write_text("".join(json.dumps(t) + "\n" for t in teams))
    r = uptake("ingest", "--format", "github-copilot-usage", str(path), "--json", "-w", str(ws))
    assert r.exit_code == 0, r.output
    [doc] = [json.loads(line) for line in r.stdout.splitlines()]
    assert (doc["table"], doc["accepted"], doc["unrostered"]) == ("person_facts", 2, 0)
    with Workspace.open(ws) as w:
        got = dict(w.con.execute("SELECT person_key, team FROM dim_person").fetchall())
        key = {i: w.pseudonymise(f"person{i}@example.org") for i in range(3)}
    # person0 keeps the roster's team0; person1 (no roster team) gets api, the first of
    # its two GitHub teams by slug; person2 has no GitHub team and keeps team2.
    assert (got[key[0]], got[key[1]], got[key[2]]) == ("team0", "api", "team2")


def test_legacy_metrics_ingest_says_history_only(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert uptake("init", str(ws)).exit_code == 0
    sample = SAMPLES / "github_copilot_metrics_org.json"
    r = uptake("ingest", "--format", "github-copilot-metrics", str(sample), "-w", str(ws))
    assert r.exit_code == 0, r.output
    assert "shut down on 2026-04-02: history import only" in flat(r.output)
