"""`uptake demo` end to end on a small organisation: simulate, ingest, metrics, charts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from uptake.cli.demo import MARKER, run_demo
from uptake.errors import WorkspaceError


def test_demo_writes_metrics_and_charts(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = run_demo(folder, people=120, days=45, seed=3)
    assert (folder / MARKER).exists()
    # Every simulated row is accounted for and the clean simulation quarantines nothing.
    assert sum(r.rows for r in result.ingests) == sum(result.simulation["rows"].values())
    assert sum(r.quarantined for r in result.ingests) == 0
    doc = json.loads((folder / "results" / "metrics.json").read_text())
    assert doc["min_group_size"] == 5
    assert doc["metrics"]["vanity_vs_value"]["n"] > 0
    names = {p.name for p in result.charts}
    assert {"vanity_vs_value.png", "ladder_by_function.png", "weekly_trend.png"} <= names
    for chart in result.charts:
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_refuses_to_overwrite_a_non_demo_folder(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("precious")
    with pytest.raises(WorkspaceError, match="not a demo workspace"):
        run_demo(tmp_path / "mine", people=20, days=20)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "precious"
