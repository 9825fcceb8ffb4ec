"""Running the metrics for a workspace: choosing the engine and the as-of date."""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from uptake.errors import EngineError, InputError
from uptake.metrics import compute_all
from uptake.metrics.facts import PERSON_DAY, refresh
from uptake.warehouse.engine import Engine

if TYPE_CHECKING:
    from uptake.workspace import Workspace

ENGINES = ("duckdb", "spark")


def run(
    ws: Workspace,
    *,
    as_of: date | None = None,
    by: str | None = None,
    engine: str | None = None,
) -> dict[str, Any]:
    """Every metric of a workspace as of a date, on the chosen engine.

    Args:
        ws: the open workspace.
        as_of: last day included; None uses the last day with activity (at most today).
        by: segment dimension of §6.1, or None.
        engine: `duckdb` (default from settings) or `spark`.

    Returns:
        The `compute_all` document.
    """
    name = engine or ws.settings.engine.default
    if name not in ENGINES:
        raise InputError(f"unknown engine {name!r}; expected one of: {', '.join(ENGINES)}")
    settings = ws.settings.metrics
    k = ws.settings.privacy.min_group_size
    if name == "duckdb":
        eng = ws.engine()
        refresh(eng, settings)
        day = as_of or default_as_of(eng)
        return compute_all(eng, day, settings, k, by, refresh=False)
    return _run_spark(ws, as_of, by)


def default_as_of(engine: Engine) -> date:
    """The last day with activity in the facts, or today (UTC) when that is earlier/absent.

    Args:
        engine: an engine whose facts are refreshed.

    Returns:
        The as-of date.
    """
    today = datetime.now(UTC).date()
    if not engine.has(PERSON_DAY):
        return today
    t = engine.table(PERSON_DAY)
    last = engine.execute(t.aggregate(last=t.day.max()))["last"].iloc[0]
    if last is None or pd.isna(last):
        return today
    return min(pd.Timestamp(last).date(), today)


def _run_spark(ws: Workspace, as_of: date | None, by: str | None) -> dict[str, Any]:
    if importlib.util.find_spec("pyspark") is None:
        raise EngineError(
            "the Spark engine needs PySpark, which is not installed",
            hint="pip install 'uptake[spark]' (and Java 17), or use --engine duckdb",
        )
    from uptake.warehouse.export import export_lake
    from uptake.warehouse.spark import SparkEngine

    folder = Path(tempfile.mkdtemp(prefix="uptake-lake-"))
    lake = folder / "lake"
    try:
        export_lake(ws.con, lake)
        eng = SparkEngine(lake, ws.settings.engine)
        try:
            refresh(eng, ws.settings.metrics, full=True)
            day = as_of or default_as_of(eng)
            return compute_all(
                eng, day, ws.settings.metrics, ws.settings.privacy.min_group_size, by, refresh=False
            )
        finally:
            eng.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
