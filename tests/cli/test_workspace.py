"""The command line as a user runs it: exit codes, messages, JSON output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from factories import rows, write


def uptake(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("UPTAKE_WORKSPACE", None)
    full_env.pop("UPTAKE_SECRET", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "uptake", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
    )


def test_init_ingest_status_quarantine_doctor(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    r = uptake("init", str(ws))
    assert r.returncode == 0, r.stderr
    good = rows("events", 5)
    bad = dict(rows("events", 1, start=9)[0], ts="yesterday")
    f = write([*good, bad], tmp_path / "events.csv")
    r = uptake("ingest", "events", str(f), "--json", "--workspace", str(ws))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {
        k: out[k] for k in ("table", "rows", "accepted", "unrostered", "duplicates", "quarantined")
    } == {
        "table": "events",
        "rows": 6,
        "accepted": 5,
        "unrostered": 5,
        "duplicates": 0,
        "quarantined": 1,
    }
    assert out["by_reason"] == {"bad_timestamp": 1}
    # The workspace is found through UPTAKE_WORKSPACE too.
    r = uptake("status", "--json", env={"UPTAKE_WORKSPACE": str(ws)})
    assert r.returncode == 0, r.stderr
    status = json.loads(r.stdout)
    assert status["tables"]["events"] == 5 and status["quarantined_total"] == 1
    r = uptake("quarantine", "--json", cwd=ws)  # ... and as the current directory
    [q] = json.loads(r.stdout)
    assert q["locator"] == "events.csv:line 7" and q["field"] == "ts"
    r = uptake("quarantine", "--workspace", str(ws))
    assert "bad_timestamp" in r.stdout and "events.csv:line 7" in r.stdout
    r = uptake("doctor", "--workspace", str(ws))
    assert r.returncode == 0 and "FAIL" not in r.stdout


def test_unusable_input_exits_2_and_changes_nothing(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    uptake("init", str(ws))
    no_col = write(
        [{k: v for k, v in r.items() if k != "ts"} for r in rows("events", 2)], tmp_path / "e.csv"
    )
    cases = [
        (["ingest", "events", str(no_col)], "missing required column(s) ts"),
        (["ingest", "events", str(tmp_path / "nope.csv")], "does not exist"),
        (["ingest", "events", str(no_col), "--format", "xml"], "unknown format 'xml'"),
        (["ingest", "events", str(no_col), "--map", "ts=when"], "no column 'when'"),
        (["ingest", "nonsense", str(no_col)], "unknown table 'nonsense'"),
    ]
    for args, message in cases:
        r = uptake(*args, "--workspace", str(ws))
        assert r.returncode == 2, (args, r.stderr)
        assert message in " ".join(r.stderr.split()), (args, r.stderr)
        assert "Traceback" not in r.stderr
    status = json.loads(uptake("status", "--json", "--workspace", str(ws)).stdout)
    assert sum(status["tables"].values()) == 0 and status["last_ingests"] == []


def test_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    r = uptake("status", cwd=tmp_path)
    assert r.returncode == 2
    assert "not an uptake workspace" in r.stderr and "uptake init" in r.stderr


def test_ingest_refreshes_the_facts_and_refresh_then_has_nothing_to_do(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    uptake("init", str(ws))
    people = write(rows("people", 3), tmp_path / "people.jsonl")
    events = write(rows("events", 5), tmp_path / "events.csv")
    r = uptake("ingest", "people", str(people), "--workspace", str(ws))
    assert r.returncode == 0 and "Facts refreshed" in r.stdout, r.stdout + r.stderr
    # The second file does not exist: the first is committed, and its facts refreshed.
    r = uptake("ingest", "events", str(events), str(tmp_path / "gone.csv"), "-w", str(ws))
    assert r.returncode == 2 and "gone.csv" in r.stderr
    r = uptake("refresh", "--json", "--workspace", str(ws))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["mode"] == "none"
    assert uptake("refresh", "-w", str(ws)).stdout.strip() == "Facts already up to date."
    r = uptake("refresh", "--full", "--json", "-w", str(ws))
    assert json.loads(r.stdout)["mode"] == "full"
    status = json.loads(uptake("status", "--json", "-w", str(ws)).stdout)
    assert status["tables"]["events"] == 5


def test_refresh_line_says_what_was_rebuilt() -> None:
    from datetime import date

    from uptake.cli.workspace import refresh_line
    from uptake.metrics.facts import RefreshReport

    weeks = [date(2026, 11, 2), date(2026, 11, 9)]
    assert refresh_line(RefreshReport("incremental", 3, weeks=weeks)) == (
        "Facts refreshed, incremental: 2 weeks rebuilt, 2026-11-02 to 2026-11-09."
    )
    seats = RefreshReport("incremental", 4, segment_weeks="all")
    assert refresh_line(seats) == (
        "Facts refreshed, incremental: licensed people per segment and week rebuilt."
    )
    assert refresh_line(RefreshReport("none", 4)) == "Facts already up to date."
