"""`uptake token` and `uptake audit` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner, Result

from factories import FROZEN_NOW, rows
from uptake.cli import app
from uptake.workspace import Workspace


def uptake(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "UPTAKE_WORKSPACE": None})


def test_token_lifecycle_and_the_audit_log(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert uptake("init", str(ws)).exit_code == 0
    r = uptake("token", "create", "--role", "analyst", "--note", "BI", "-w", str(ws))
    assert r.exit_code == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("upt_") and "Shown once" in r.stderr
    r = uptake("token", "create", "--role", "ingest", "--expires", "never", "--json", "-w", str(ws))
    made = json.loads(r.stdout)
    assert made["expires_at"] is None and made["token"].startswith(f"upt_{made['token_id']}_")
    listed = json.loads(uptake("token", "list", "--json", "-w", str(ws)).stdout)
    assert [t["role"] for t in listed] and {t["status"] for t in listed} == {"active"}
    assert token not in json.dumps(listed)
    r = uptake("token", "revoke", made["token_id"], "-w", str(ws))
    assert r.exit_code == 0 and "Revoked" in r.stdout
    listed = json.loads(uptake("token", "list", "--json", "-w", str(ws)).stdout)
    assert {t["token_id"]: t["status"] for t in listed}[made["token_id"]] == "revoked"
    r = uptake("token", "list", "-w", str(ws))
    assert "revoked" in r.stdout and "BI" in r.stdout

    assert "empty" in uptake("audit", "-w", str(ws)).stdout
    with Workspace.open(ws) as w:
        w.ingest_frame("people", pd.DataFrame(rows("people", 7)), source="p", now=FROZEN_NOW)
        w.ingest_frame("licenses", pd.DataFrame(rows("licenses", 7)), source="l", now=FROZEN_NOW)
        w.ingest_frame("events", pd.DataFrame(rows("events", 30)), source="e", now=FROZEN_NOW)
        w.person_levels()
    entries = json.loads(uptake("audit", "--json", "-w", str(ws)).stdout)
    assert [e["action"] for e in entries] == ["read person_levels"]
    assert entries[0]["role"] == "admin" and entries[0]["detail"] == "7 people"
    r = uptake("audit", "--since", "2999-01-01", "-w", str(ws))
    assert "empty" in r.stdout


def test_a_scope_or_an_action_is_wrapped_between_words_not_inside_one(tmp_path: Path) -> None:
    from uptake.cli import common

    ws = tmp_path / "ws"
    assert uptake("init", str(ws)).exit_code == 0
    people = pd.DataFrame(rows("people", 7)).assign(team="operations-west-05")
    with Workspace.open(ws) as w:
        w.ingest_frame("people", people, source="p", now=FROZEN_NOW)
        w.ingest_frame("licenses", pd.DataFrame(rows("licenses", 7)), source="l", now=FROZEN_NOW)
        w.ingest_frame("events", pd.DataFrame(rows("events", 30)), source="e", now=FROZEN_NOW)
        w.person_levels()
    scope = "team:operations-west-05"
    made = uptake("token", "create", "--role", "manager", "--scope", scope, "--note",
                  "BI tool", "-w", str(ws))  # fmt: skip
    assert made.exit_code == 0, made.stderr
    width = common.console.width
    common.console.width = 80
    try:
        listed, audit = uptake("token", "list", "-w", str(ws)), uptake("audit", "-w", str(ws))
    finally:
        common.console.width = width
    assert any(scope in line for line in listed.stdout.splitlines()), listed.stdout
    # The note keeps its header and words (it had been squeezed to "no" and "BI").
    assert "note" in listed.stdout.split() and "BI tool" in listed.stdout
    assert any("person_levels" in line for line in audit.stdout.splitlines()), audit.stdout
