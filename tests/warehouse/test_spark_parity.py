"""Engine parity: the whole metrics suite gives the same report on DuckDB and on Spark.

A simulated organisation (300 people × 60 days, seed 11: about 115 k events) is ingested
into a workspace, exported to a Parquet lake and measured on three engines: the workspace's
DuckDB warehouse, DuckDB over the lake, and Spark over the lake. Numbers must agree within
1e-9 relative, and the same groups must be suppressed for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from uptake.metrics import compute_all
from uptake.metrics.facts import refresh
from uptake.simulate.run import TABLE_ORDER, simulate
from uptake.warehouse.lake import lake_duckdb_engine
from uptake.warehouse.parity import diff_results
from uptake.workspace import Workspace

pytestmark = pytest.mark.spark

PEOPLE, DAYS, SEED = 300, 60, 11
START = date(2026, 1, 5)


def _available(doc: dict[str, Any]) -> list[str]:
    return [k for k, v in doc["metrics"].items() if v.get("status") != "not_available"]


def _suppressed(tree: Any, path: str = "$") -> list[str]:
    """Paths of every suppressed result or row in a report's JSON, with the reason."""
    found: list[str] = []
    if isinstance(tree, dict):
        if tree.get("suppressed") in ("small", "complementary"):
            found.append(f"{path}: {tree['suppressed']}")
        for k, v in tree.items():
            found += _suppressed(v, f"{path}.{k}")
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            found += _suppressed(v, f"{path}[{i}]")
    return found


@pytest.fixture(scope="module")
def simulated(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch
) -> Iterator[tuple[Workspace, Path, date]]:
    root = tmp_path_factory.mktemp("parity")
    summary = simulate(PEOPLE, DAYS, SEED, start=START, out=root / "sim")
    monkeypatch_module.delenv("UPTAKE_SECRET", raising=False)
    ws = Workspace.init(root / "ws")
    for name in TABLE_ORDER:
        ws.ingest(name, [root / "sim" / f for f in summary.files[name][:1]], fmt="parquet")
    lake = root / "lake"
    ws.export(lake)
    # The simulation's `end` is the day after its last day.
    yield ws, lake, summary.end - timedelta(days=1)
    ws.close()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_metrics_match_on_duckdb_and_spark(
    simulated: tuple[Workspace, Path, date], spark_root: Any
) -> None:
    from uptake.warehouse.spark import SparkEngine

    ws, lake, as_of = simulated
    settings, k = ws.settings.metrics, ws.settings.privacy.min_group_size
    # Reads never build facts: every engine refreshes its own first.
    refresh(ws.engine(), settings)
    want = compute_all(ws.engine(), as_of, settings, k).to_dict()
    # Guard against a vacuous comparison: most families must have produced values.
    assert len(_available(want)) >= 0.8 * len(want["metrics"]), _available(want)
    assert _suppressed(want), "the fixture should exercise suppression"

    lake_engine = lake_duckdb_engine(lake)
    refresh(lake_engine, settings, full=True)
    on_lake = compute_all(lake_engine, as_of, settings, k).to_dict()
    spark = SparkEngine(lake, ws.settings.engine, session=spark_root)
    try:
        refresh(spark, settings, full=True)
        got = compute_all(spark, as_of, settings, k).to_dict()
    finally:
        spark.close()
    assert _suppressed(got) == _suppressed(want)
    differences = {
        "duckdb over the lake": diff_results(want, on_lake),
        "spark over the lake": diff_results(want, got),
    }
    assert differences == {"duckdb over the lake": [], "spark over the lake": []}
