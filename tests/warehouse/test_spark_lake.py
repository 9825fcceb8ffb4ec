"""`--engine spark` reads the workspace's kept lake: reused while current, updated after ingest."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from uptake.warehouse.lake import MANIFEST
from uptake.warehouse.lake_store import CURRENT, workspace_lake
from uptake.workspace import Workspace

pytestmark = pytest.mark.spark

NOW = pd.Timestamp("2024-04-01T00:00:00Z").to_pydatetime()
PEOPLE = [f"u{i}@example.com" for i in range(8)]
# Metrics read from every table the lake is written from here (events, licences, the roster):
# the lake's reuse is at stake, not the metrics (every one of them is compared on both engines
# in `test_spark_parity`), and each metric Spark computes costs seconds even on 8 people.
METRICS = ["usage_rate", "weekly_active_rate", "licenses"]


def _events(prefix: str, days: list[int]) -> pd.DataFrame:
    rows = [(p, d) for d in days for p in PEOPLE]
    return pd.DataFrame(
        {
            "event_id": [f"{prefix}{i}" for i in range(len(rows))],
            "ts": [f"2024-03-{d:02d}T10:00:00Z" for _, d in rows],
            "person": [p for p, _ in rows],
            "tool": "copilot",
            "action": ["accept" if i % 3 else "prompt" for i in range(len(rows))],
        }
    )


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    monkeypatch.delenv("UPTAKE_WORKSPACE", raising=False)
    w = Workspace.init(tmp_path / "ws")
    roster = pd.DataFrame({"person": PEOPLE, "aliases": [[] for _ in PEOPLE], "team": "t"})
    w.ingest_frame("people", roster, source="p", now=NOW, refresh=False)
    seats = pd.DataFrame({"person": PEOPLE, "tool": "copilot", "assigned_at": "2024-01-02"})
    w.ingest_frame("licenses", seats, source="l", now=NOW, refresh=False)
    w.ingest_frame("events", _events("a", [4, 5, 11, 12]), source="e", now=NOW)
    return w


def _snapshot(ws: Workspace) -> tuple[str, str]:
    name = (ws.path / "lake" / CURRENT).read_text().strip()
    return name, (ws.path / "lake" / name / MANIFEST).read_text()


def _doc(report: Any) -> str:
    return json.dumps(report.to_dict(), sort_keys=True)


def test_spark_reuses_the_lake_and_refreshes_it_after_an_ingest(
    ws: Workspace, spark_root: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="uptake.metrics.runner")
    first = ws.metrics(engine="spark", metrics=METRICS)
    name, manifest = _snapshot(ws)
    assert json.loads(manifest)["written"] == "exported"
    assert _doc(first) == _doc(ws.metrics(metrics=METRICS))

    # The lake is current: asking for it again (as the next Spark run does) writes nothing.
    with workspace_lake(ws.con, ws.path / "lake") as use:
        assert (use.path.name, use.action) == (name, "reused")
    assert _snapshot(ws) == (name, manifest)

    # One more day arrives: the next run appends it and agrees with DuckDB again.
    ws.ingest_frame("events", _events("b", [13]), source="e2", now=NOW)
    on_spark = ws.metrics(engine="spark", metrics=METRICS)
    newer, written = _snapshot(ws)
    assert newer != name
    assert json.loads(written)["written"] == "appended"
    said = [
        r.getMessage().rsplit(": ", 1)[1]
        for r in caplog.records
        if r.name == "uptake.metrics.runner"
    ]
    assert said == ["exported", "appended"]
    assert json.loads(written)["counts"]["events"] == len(PEOPLE) * 5
    on_duckdb = ws.metrics(metrics=METRICS)
    assert on_duckdb.as_of.day == 13
    assert _doc(on_spark) == _doc(on_duckdb)
