"""A batch killed with SIGKILL mid-ingest leaves the warehouse exactly as before it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from factories import FROZEN_NOW, rows, write
from uptake.workspace import Workspace

N = 600_000


def _big_events(path: Path) -> None:
    rng = np.random.default_rng(7)
    ts = pd.Timestamp("2026-03-01") + pd.to_timedelta(rng.integers(0, 60 * 86400, N), unit="s")
    pd.DataFrame(
        {
            "event_id": [f"big{i}" for i in range(N)],
            "ts": ts,
            "person": np.array([f"p{i}@example.org" for i in range(500)])[rng.integers(0, 500, N)],
            "tool": "copilot",
            "action": np.array(["prompt", "accept", "suggestion"])[rng.integers(0, 3, N)],
            "session_id": rng.integers(0, 100_000, N).astype(str),
        }
    ).to_parquet(path, index=False)


def _snapshot(ws: Workspace) -> dict[str, object]:
    q = ws.con.execute
    return {
        "events": q("SELECT count(*), sum(hash(event_id)) FROM events").fetchone(),
        "log": q("SELECT count(*), max(batch_id) FROM ingest_log").fetchone(),
        "quarantine": q("SELECT count(*) FROM quarantine").fetchone(),
        "identities": q("SELECT count(*) FROM identities").fetchone(),
    }


def test_sigkill_mid_ingest_leaves_warehouse_unchanged(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    ws.ingest("events", [write(rows("events", 50), tmp_path / "small.csv")], now=FROZEN_NOW)
    before = _snapshot(ws)
    ws.close()
    big = tmp_path / "big.parquet"
    _big_events(big)
    script = textwrap.dedent(
        f"""
        import sys
        from uptake.workspace import Workspace
        ws = Workspace.open({str(tmp_path / "ws")!r})
        def step(stage):
            print(stage, flush=True)
        ws.ingest("events", [{str(big)!r}], progress=step)
        print("done", flush=True)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line.strip())
        if line.strip() == "write":  # the bulk insert is running now
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, seen
    assert "done" not in seen

    ws = Workspace.open(tmp_path / "ws")
    assert _snapshot(ws) == before
    [r] = ws.ingest("events", [big])
    assert (r.rows, r.accepted, r.duplicates, r.quarantined) == (N, N, 0, 0)
    count, distinct = ws.con.execute(
        "SELECT count(*), count(DISTINCT event_id) FROM events"
    ).fetchone()  # type: ignore[misc]
    assert count == distinct == N + 50
    assert all(c["ok"] for c in ws.doctor())
    ws.close()
