"""`uptake export --parquet DIR` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from factories import person_id, rows, write
from uptake.workspace import Workspace


def uptake(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("UPTAKE_WORKSPACE", "UPTAKE_SECRET")}
    return subprocess.run(
        [sys.executable, "-m", "uptake", *args], capture_output=True, text=True, env=env
    )


def test_export_writes_a_lake_without_raw_identifiers(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert uptake("init", str(ws)).returncode == 0
    people = write(rows("people", 7), tmp_path / "people.jsonl")
    events = write(rows("events", 30), tmp_path / "events.csv")
    for table, f in (("people", people), ("events", events)):
        r = uptake("ingest", table, str(f), "--workspace", str(ws))
        assert r.returncode == 0, r.stderr
    lake = tmp_path / "lake"
    r = uptake("export", "--parquet", str(lake), "--workspace", str(ws), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["rows"]["events"] == 30 and out["rows"]["people"] == 7
    assert len(list((lake / "events").glob("date=*/part-0.parquet"))) >= 1
    values: set[str] = set()
    con = duckdb.connect()
    for path in lake.rglob("*.parquet"):
        frame = con.execute(f"SELECT * FROM '{path}'").df()
        for col in frame.columns:
            values |= {str(v) for v in frame[col].dropna()}
    assert person_id(1) not in values and "login1" not in values
    with Workspace.open(ws) as opened:
        assert opened.pseudonymise(person_id(1)) in values


def test_export_refuses_a_folder_that_is_not_a_lake(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert uptake("init", str(ws)).returncode == 0
    target = tmp_path / "mine"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    r = uptake("export", "--parquet", str(target), "--workspace", str(ws))
    assert r.returncode == 2
    assert "not an uptake lake" in r.stderr
    assert (target / "keep.txt").exists()


def test_export_names_a_place_it_cannot_write(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert uptake("init", str(ws)).returncode == 0
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    r = uptake("export", "--parquet", str(blocker / "lake"), "--workspace", str(ws))
    assert r.returncode == 2, r.stderr
    [line] = r.stderr.splitlines()
    assert line.startswith(f"error: {blocker / 'lake'}: cannot write a lake there"), line
