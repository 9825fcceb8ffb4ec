"""Ingesting simulated files: clean files are accepted whole; every planted bad row lands in
quarantine with the expected reason and every planted duplicate is counted as one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim_helpers import run
from uptake.simulate import SimulationSummary

workspace_mod = pytest.importorskip("uptake.workspace", reason="needs the ingest pipeline")
Workspace = workspace_mod.Workspace


def _ingest_all(summary: SimulationSummary, where: Path) -> tuple[dict[str, Any], Any]:
    """Ingest every file of a run, in manifest order; returns results per file and the workspace."""
    ws = Workspace.init(where)
    results: dict[str, Any] = {}
    for table, files in summary.files.items():
        for name in files:
            (results[name],) = ws.ingest(table, [summary.out / name])
    return results, ws


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_clean_files_ingest_with_nothing_quarantined(
    tmp_path: Path, fmt: str, mixed: SimulationSummary
) -> None:
    summary = mixed if fmt == "parquet" else run(tmp_path / "sim", fmt="csv")
    results, ws = _ingest_all(summary, tmp_path / "ws")
    try:
        assert set(results) == {f for files in summary.files.values() for f in files}
        for name, r in results.items():
            table = name.split(".")[0]
            assert r.quarantined == 0, (name, r.by_reason)
            assert r.duplicates == 0, name
            assert r.unrostered == 0, name  # every identifier resolves through the roster
            assert r.accepted == r.rows == summary.rows[table], name
        assert ws.quarantine() == []
    finally:
        ws.close()


@pytest.fixture(scope="module", params=["parquet", "csv"])
def dirty(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp(f"dirty-{request.param}")
    summary = run(base / "sim", fmt=request.param, dirty=True)
    results, ws = _ingest_all(summary, base / "ws")
    quarantined = pd.DataFrame(ws.quarantine())
    ws.close()
    truth = pd.read_parquet(summary.out / "ground_truth_dirty.parquet")
    return summary, results, quarantined, truth


def test_every_failure_kind_is_planted(dirty: Any) -> None:
    summary, _, _, truth = dirty
    kinds = set(truth["expected"])
    base = {
        "missing_required",
        "future_timestamp",
        "bad_enum",
        "bad_json",
        "conflict",
        "duplicate",
        "bad_type",
        "bad_timestamp",
        "malformed_record",
    }
    assert base <= kinds
    if summary.fmt == "csv":
        assert "bad_date" in kinds
    assert truth["locator"].is_unique
    assert summary.planted == truth["expected"].value_counts().to_dict()


def test_every_planted_row_is_quarantined_with_its_reason(dirty: Any) -> None:
    _, _, quarantined, truth = dirty
    expected = truth[truth["expected"] != "duplicate"].set_index("locator")["expected"]
    got = quarantined.set_index("locator")["reason"]
    assert got.index.is_unique
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()


def test_every_planted_duplicate_is_counted(dirty: Any) -> None:
    _, results, _, truth = dirty
    planted = truth[truth["expected"] == "duplicate"].groupby("file").size().to_dict()
    counted = {n: r.duplicates for n, r in results.items() if r.duplicates}
    assert counted == planted


def test_valid_late_events_are_accepted(dirty: Any) -> None:
    _, results, _, truth = dirty
    late = results["events_late.jsonl"]
    bad = truth[truth["file"] == "events_late.jsonl"]
    assert late.accepted == late.rows - len(bad) > 0
