"""Implausible dates already stored (by an older uptake) never crash metrics; doctor names them.

Ingest refuses year 0 or 9999 today, but a warehouse written before that rule may hold them.
The rows are written here straight into the tables, bypassing ingest. Refreshing the facts and
computing metrics must then fail with a clear uptake error naming the columns (the CLI: a
message and an exit code, no traceback), and `uptake doctor` must name them and exit 4.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from factories import FROZEN_NOW, rows, write
from uptake.errors import IntegrityError, StaleFactsError, UptakeError
from uptake.workspace import Workspace

YEARS = ["0000", "-0001", "9999"]
NAMED = ("events.ts", "licenses.assigned_at", "licenses.removed_at", "people.hire_date")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("UPTAKE_WORKSPACE", "UPTAKE_SECRET")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "uptake", *args], capture_output=True, text=True, env=env
    )


def _plant(ws: Workspace, years: list[str]) -> None:
    """Rows as an older uptake might have stored them, one per year and table."""
    con = ws.con
    keys = [k for (k,) in con.execute("SELECT person_key FROM people ORDER BY 1").fetchall()]
    for i, y in enumerate(years):
        stamp, day = f"TIMESTAMP '{y}-06-01 10:00:00'", f"DATE '{y}-01-01'"
        con.execute(
            "INSERT INTO events (event_id, ts, person_key, tool, action, batch_id) "
            f"VALUES ('old{i}', {stamp}, ?, 'copilot', 'accept', 0)",
            [keys[0]],
        )
        con.execute(
            "INSERT INTO licenses (person_key, tool, assigned_at, removed_at, monthly_cost, "
            f"batch_id) VALUES (?, 'old{i}', {stamp}, {stamp} + INTERVAL 30 DAY, 10, 0)",
            [keys[0]],
        )
        con.execute(f"UPDATE people SET hire_date = {day} WHERE person_key = ?", [keys[i + 1]])
    con.execute("CHECKPOINT")


def _workspace(path: Path, tmp: Path, *, refreshed: bool) -> Workspace:
    ws = Workspace.init(path)
    for t, n in (("people", 7), ("licenses", 5), ("events", 30)):
        ws.ingest(t, [write(rows(t, n), tmp / f"{t}.csv")], now=FROZEN_NOW, refresh=False)
    if refreshed:
        ws.refresh()
        ws.metrics()
    return ws


@pytest.fixture(autouse=True)
def _no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)


@pytest.mark.parametrize("refreshed", [False, True], ids=["never_refreshed", "refreshed_before"])
@pytest.mark.parametrize("years", [YEARS, *[[y] for y in YEARS]], ids=["all", *YEARS])
def test_metrics_refuse_unreadable_stored_dates_by_name(
    tmp_path: Path, years: list[str], refreshed: bool
) -> None:
    with _workspace(tmp_path / "ws", tmp_path, refreshed=refreshed) as ws:
        _plant(ws, years)
        n = len(years)
        if not refreshed:
            with pytest.raises(IntegrityError) as refused:
                ws.refresh()
            assert "no metric can use" in refused.value.message
            assert all(f"{n} in {c}" in refused.value.message for c in NAMED)
            assert refused.value.hint and "uptake doctor" in refused.value.hint
        with pytest.raises(StaleFactsError) as stale:
            ws.metrics()
        assert all(f"{n} in {c}" in stale.value.message for c in NAMED)
        # The advice is doctor's, not "run uptake refresh" (which would refuse again).
        assert "uptake doctor" in stale.value.message and stale.value.hint is None
        [check] = [c for c in ws.doctor() if c["check"] == "plausible_dates"]
        assert not check["ok"]
        assert all(f"{n} in {c}" in check["message"] for c in NAMED)


def test_the_cli_names_them_without_a_traceback(tmp_path: Path) -> None:
    with _workspace(tmp_path / "ws", tmp_path, refreshed=True) as ws:
        _plant(ws, YEARS)
    where = str(tmp_path / "ws")
    for args in (["refresh"], ["metrics"], ["metrics", "--json"]):
        run = _cli(*args, "--workspace", where)
        out = run.stdout + run.stderr
        assert run.returncode not in (0, 1), out
        assert "Traceback" not in out and "3 in events.ts" in out, out
    doctor = _cli("doctor", "--workspace", where)
    assert doctor.returncode == 4, doctor.stdout + doctor.stderr
    assert "Traceback" not in doctor.stdout + doctor.stderr
    assert all(f"3 in {c}" in doctor.stdout for c in NAMED), doctor.stdout


def test_plausible_but_unusual_dates_still_give_metrics(tmp_path: Path) -> None:
    """Inside what every reader can hold (2150 here) metrics run; doctor still flags them."""
    with _workspace(tmp_path / "ws", tmp_path, refreshed=False) as ws:
        _plant(ws, ["2150"])
        ws.refresh()
        assert ws.metrics() is not None
        [check] = [c for c in ws.doctor() if c["check"] == "plausible_dates"]
        assert not check["ok"] and "1 in events.ts" in check["message"]


def test_the_errors_are_uptake_errors() -> None:
    assert issubclass(IntegrityError, UptakeError) and issubclass(StaleFactsError, UptakeError)
