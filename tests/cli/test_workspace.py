"""The command line as a user runs it: exit codes, messages, JSON output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_status_at_80_columns_keeps_each_ingest_time_whole(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    uptake("init", str(ws))
    f = write(rows("events", 3), tmp_path / "copilot_usage_export_november_2026_all_teams.csv")
    assert uptake("ingest", "events", str(f), "-w", str(ws)).returncode == 0
    r = uptake("status", "-w", str(ws), env={"COLUMNS": "80"})
    ingests = r.stdout.split("Latest ingests")[1].split("Quarantined rows")[0]
    assert max(len(line) for line in ingests.splitlines()) <= 80
    # The time is whole ("12-07 04:55", not "12-07 04:…"); the long file name wraps instead.
    assert re.search(r"\b\d\d-\d\d \d\d:\d\d *$", ingests, re.M), ingests
    assert "…" not in ingests
    # With room to spare, the name is on one line.
    r = uptake("status", "-w", str(ws), env={"COLUMNS": "120"})
    ingests = r.stdout.split("Latest ingests")[1].split("Quarantined rows")[0]
    assert "copilot_usage_export_november_2026_all_teams.csv" in ingests, ingests


def test_a_summary_of_several_files_names_each_file_at_80_columns(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    uptake("init", str(ws))
    files = [write(rows("events", 2, start=10 * i), tmp_path / f"day_{i}.csv") for i in (1, 2)]
    r = uptake("ingest", "events", *map(str, files), "-w", str(ws), env={"COLUMNS": "80"})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    # The counts had taken all 80 columns and left the file column none.
    for f in files:
        assert any(line.lstrip().startswith(f.name) for line in lines), r.stdout


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
    # The roster sent again stores nothing: nothing to rebuild, no flag to look at again (it
    # had rebuilt every week's segments and looked at the whole window "as the roster
    # changed"), and the facts are current for a read.
    r = uptake("ingest", "people", str(people), "--json", "-w", str(ws))
    assert (json.loads(r.stdout)["accepted"], json.loads(r.stdout)["duplicates"]) == (0, 3)
    r = uptake("ingest", "people", str(people), "-w", str(ws))
    assert "Facts already up to date." in r.stdout and "Live friction" not in r.stdout, r.stdout
    assert uptake("metrics", "--metric", "usage_rate", "-w", str(ws)).returncode == 0


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
    live = {"mode": "days", "since": "2026-11-10", "raised": 2, "cleared": 1, "seconds": 0.42,
            "reason": ""}  # fmt: skip
    assert refresh_line(RefreshReport("incremental", 5, weeks=weeks[1:], live=live)) == (
        "Facts refreshed, incremental: 1 week rebuilt, 2026-11-09. Live friction flags looked "
        "at from 2026-11-10 on: 2 raised, 1 cleared (0.4 s)."
    )
    whole = {**live, "mode": "window", "reason": "requested"}
    assert refresh_line(RefreshReport("none", 5, live=whole)).endswith(
        "Live friction flags looked at over the whole window (requested): 2 raised, 1 cleared "
        "(0.4 s)."
    )
    quiet = {**live, "mode": "none"}
    assert refresh_line(RefreshReport("none", 5, live=quiet)) == "Facts already up to date."


LOGINS = [f"Octo-Dev{i}" for i in range(4)]


def _roster_and_usage(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A roster without GitHub logins, the same roster with them, and usage by those logins.

    The usage file holds 4 logins x 2 days; each record makes 3 events and 3 person facts,
    so the logins own 48 stored rows.
    """
    people = rows("people", 4)
    for i, p in enumerate(people):
        p["aliases"] = [f"E{i:05d}"]
    bare = write(people, tmp_path / "people.jsonl")
    for i, p in enumerate(people):
        p["aliases"] = [f"E{i:05d}", LOGINS[i]]
    full = write(people, tmp_path / "people-with-logins.jsonl")
    recs = [
        {
            "user_login": login,
            "day": f"2026-05-0{1 + d}",
            "user_initiated_interaction_count": 3,
            "code_generation_activity_count": 2,
            "code_acceptance_activity_count": 1,
        }
        for login in LOGINS
        for d in range(2)
    ]
    usage = tmp_path / "users-1-day.ndjson"
    usage.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return bare, full, usage


@pytest.mark.slow  # a minute end to end: the benchmark's slow tier runs it
def test_unlinked_logins_are_shown_warned_about_and_fixed_by_the_roster(tmp_path: Path) -> None:
    import shutil

    ws = tmp_path / "ws"
    bare, full, usage = _roster_and_usage(tmp_path)
    assert uptake("init", str(ws)).returncode == 0
    assert uptake("ingest", "people", str(bare), "-w", str(ws)).returncode == 0
    r = uptake("ingest", "--format", "github-copilot-usage", str(usage), "-w", str(ws))
    assert r.returncode == 0, r.stderr

    r = uptake("status", "--json", "-w", str(ws))
    got = json.loads(r.stdout)["identity_coverage"]["formats"]["github-copilot-usage"]
    assert (got["seen"], got["linked"], got["unlinked"], got["linked_share"]) == (4, 0, 4, 0.0)
    assert "GitHub logins" in got["hint"] and len(got["examples"]) == 4
    human = uptake("status", "-w", str(ws), env={"COLUMNS": "120"})
    table = human.stdout[human.stdout.index("Identity coverage") :].splitlines()
    assert max(len(line) for line in table) <= 80, table
    assert any("github-copilot-usage" in ln and " 0 %" in ln for ln in table), table
    assert "GitHub logins" in " ".join(table)
    for out in (r.stdout, human.stdout):
        assert not any(login.lower() in out.lower() for login in LOGINS)

    # A warning, not a failure: exit 0, unless --strict.
    r = uptake("doctor", "-w", str(ws))
    assert r.returncode == 0 and "FAIL" not in r.stdout, r.stdout
    [warn] = [ln for ln in r.stdout.splitlines() if ln.startswith("WARN")]
    assert "identity_coverage: github-copilot-usage: 0 % of 4 identities" in warn
    assert uptake("doctor", "--strict", "-w", str(ws)).returncode == 4

    twin = tmp_path / "twin"
    shutil.copytree(ws, twin)
    # The roster now lists the logins: nothing new is accepted, but 48 rows of 4 people move.
    r = uptake("ingest", "people", str(full), "-w", str(ws))
    assert r.returncode == 0, r.stderr
    assert "re-keyed 48 rows of 4 identities" in " ".join(r.stdout.split()), r.stdout
    r = uptake("ingest", "people", str(full), "--json", "-w", str(twin))
    out = json.loads(r.stdout)
    assert (out["accepted"], out["duplicates"]) == (0, 4)
    assert (out["rekeyed_rows"], out["rekeyed_identities"]) == (48, 4)

    status = json.loads(uptake("status", "--json", "-w", str(ws)).stdout)
    got = status["identity_coverage"]["formats"]["github-copilot-usage"]
    assert (got["linked"], got["linked_share"], got["hint"]) == (4, 1.0, None)
    r = uptake("doctor", "--strict", "-w", str(ws))
    assert r.returncode == 0 and "WARN" not in r.stdout, r.stdout
