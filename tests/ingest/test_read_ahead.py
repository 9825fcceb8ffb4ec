"""Vendor files parsed ahead in a helper process: the same rows, and any failure read in place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from uptake.errors import InputError
from uptake.ingest import read_ahead as ra
from uptake.workspace import Workspace

SECRET = "read-ahead-test-secret-long-enough-0123456789"
TABLES = ("events", "person_facts", "licenses", "quarantine")


@pytest.fixture(scope="module")
def by_date(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[Path], dict[str, Any]]:
    """A simulated organisation's Microsoft 365 user detail, one file per day."""
    from uptake.evaluate.views import ingest_plan
    from uptake.simulate import simulate

    sim = tmp_path_factory.mktemp("read-ahead") / "sim"
    simulate(people=40, days=28, seed=11, start=date(2026, 6, 1), out=sim, emit="vendor")
    for _table, paths, fmt, options in ingest_plan(sim, "vendor"):
        if paths[0].parent.name == "copilot_user_detail_by_date":
            return fmt, list(paths)[-6:], dict(options or {})
    raise AssertionError("the vendor view has no by-date folder")


def _rows(ws: Workspace, table: str) -> list[tuple[Any, ...]]:
    cols = [
        r[0]
        for r in ws.con.execute(f"DESCRIBE {table}").fetchall()
        if r[0] not in ("batch_id", "ingested_at")
    ]
    return ws.con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL").fetchall()


def _ingest(
    root: Path, name: str, files: list[Path], fmt: str, options: dict[str, Any], ahead: int
) -> dict[str, list[tuple[Any, ...]]]:
    with Workspace.init(root / name, {"ingest.read_ahead_files": ahead}) as ws:
        results = ws.ingest("events", files, fmt=fmt, options=options, refresh=False)
        assert {r.source for r in results} == {str(f) for f in files}
        return {t: _rows(ws, t) for t in TABLES}


def test_files_parsed_ahead_store_the_same_rows(
    by_date: tuple[str, list[Path], dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fmt, files, options = by_date
    monkeypatch.setenv("UPTAKE_SECRET", SECRET)
    ahead = _ingest(tmp_path, "ahead", files, fmt, options, 1)
    in_place = _ingest(tmp_path, "in-place", files, fmt, options, 0)
    assert ahead["events"] and ahead["person_facts"]
    assert ahead == in_place


def test_the_helper_parses_every_file_after_the_first(
    by_date: tuple[str, list[Path], dict[str, Any]],
) -> None:
    from uptake.ingest.connectors import CONNECTORS

    fmt, files, options = by_date
    got = [(p, parsed) for p, _spill, parsed in ra.read_ahead(fmt, files, options)]
    assert [p for p, _ in got] == files
    assert got[0][1] is None and all(parsed is not None for _, parsed in got[1:])
    for path, parsed in got[1:3]:
        assert parsed is not None
        own = CONNECTORS[fmt].read(path, options)
        assert parsed.frames.keys() == own.frames.keys()
        for name, frame in own.frames.items():
            assert parsed.frames[name].equals(frame)
    # One file, or read-ahead off: no helper, every file read in place.
    assert list(ra.read_ahead(fmt, files[:1], options)) == [(files[0], None, None)]
    assert all(p is None for _, _, p in ra.read_ahead(fmt, files[:3], options, ahead=0))


def test_a_helper_that_cannot_run_leaves_every_file_to_the_caller(
    by_date: tuple[str, list[Path], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    fmt, files, options = by_date
    monkeypatch.setattr(ra.sys, "executable", "/bin/false")  # starts, answers nothing
    assert [p for _, _, p in ra.read_ahead(fmt, files[:4], options)] == [None] * 4
    monkeypatch.setattr(ra.sys, "executable", "/nonexistent/python")  # cannot start
    assert [p for _, _, p in ra.read_ahead(fmt, files[:4], options)] == [None] * 4
    monkeypatch.setattr(ra.sys, "executable", None)  # an embedded interpreter names none
    assert [p for _, _, p in ra.read_ahead(fmt, files[:4], options)] == [None] * 4


def test_a_file_the_helper_cannot_parse_fails_as_it_does_in_place(
    by_date: tuple[str, list[Path], dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fmt, files, options = by_date
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"\x00\x01 not a report\n")
    started: list[ra._Helper] = []
    real = ra._Helper.start

    def start() -> ra._Helper | None:
        helper = real()
        if helper is not None:
            started.append(helper)
        return helper

    monkeypatch.setattr(ra._Helper, "start", staticmethod(start))
    errors = []
    for ahead in (0, 1):
        with (
            Workspace.init(tmp_path / f"ws{ahead}", {"ingest.read_ahead_files": ahead}) as ws,
            pytest.raises(InputError) as err,
        ):
            ws.ingest("events", [files[0], bad, files[1]], fmt=fmt, options=options)
        errors.append(err.value.message)
        # The helper (parsing the file after the bad one) ended with the failure.
        assert all(h.proc.poll() is not None for h in started)
    assert errors[0] == errors[1] and "broken.csv" in errors[0]
    assert len(started) == 1


def test_a_script_without_a_main_guard_runs_once(
    by_date: tuple[str, list[Path], dict[str, Any]], tmp_path: Path
) -> None:
    # A `multiprocessing` child would import this script again and ingest twice.
    fmt, files, options = by_date
    runs = tmp_path / "runs.txt"
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(f"""
        from pathlib import Path
        from uptake.workspace import Workspace
        with open({str(runs)!r}, "a") as f:
            f.write("ran\\n")
        with Workspace.init(Path({str(tmp_path / "ws")!r})) as ws:
            got = ws.ingest("events", {[str(f) for f in files[:4]]!r}, fmt={fmt!r},
                            options={options!r}, refresh=False)
        print(len(got))
        """)
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert runs.read_text() == "ran\n"


def test_the_command_line_reads_a_folder_ahead_with_the_same_results(
    by_date: tuple[str, list[Path], dict[str, Any]], tmp_path: Path
) -> None:
    fmt, files, _options = by_date
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"\x00\x01 not a report\n")
    out = {}
    for ahead in ("1", "0"):
        ws = tmp_path / f"ws{ahead}"
        env = {**os.environ, "UPTAKE_SECRET": SECRET, "UPTAKE__INGEST__READ_AHEAD_FILES": ahead}
        env.pop("UPTAKE_WORKSPACE", None)

        def run(*args: str, env: dict[str, str] = env) -> subprocess.CompletedProcess[str]:
            cmd = [sys.executable, "-m", "uptake", *args]
            return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)

        assert run("init", str(ws)).returncode == 0
        got = run("ingest", "events", *map(str, files), "--format", fmt, "--json", "-w", str(ws))
        assert got.returncode == 0, got.stderr
        # A bad file after a good one: the good one is committed, the bad one refused.
        more = run("ingest", "events", str(files[0]), str(bad), "--format", fmt, "-w", str(ws))
        assert more.returncode == 2 and "broken.csv" in more.stderr
        assert "Traceback" not in more.stderr
        out[ahead] = (got.stdout, more.stderr)
    assert out["1"] == out["0"]
    lines = [json.loads(line) for line in out["1"][0].splitlines()]
    assert {line["source"] for line in lines} == {str(f) for f in files}
