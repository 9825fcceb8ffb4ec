"""Running the metrics over a warehouse: the engine, the as-of rule and fresh-facts check.

Reads only: the facts are refreshed after ingest (or by `uptake refresh`), never here, so a
read-only connection or a second reader beside a writer can compute every metric. The Spark
engine reads the workspace's Parquet lake, a derived copy kept beside the warehouse and
updated here when batches were ingested since (`uptake.warehouse.lake_store`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from uptake.config import Settings
from uptake.errors import EngineError, InputError, PrivacyError, StaleFactsError
from uptake.metrics import compute_all
from uptake.metrics.facts import PERSON_DAY, pending, refresh
from uptake.metrics.facts.materialise import UNREADABLE_HINT
from uptake.metrics.noise import Noise
from uptake.metrics.result import MetricsReport
from uptake.warehouse.engine import DuckDBEngine, Engine

if TYPE_CHECKING:
    from uptake.metrics.plan_store import PlanStore

ENGINES = ("duckdb", "spark")
AS_OF_GIVEN = "given"
AS_OF_LAST_ACTIVE = "the last day with activity"
AS_OF_TODAY = "today (no activity yet)"
log = logging.getLogger(__name__)


def run(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    as_of: date | None = None,
    by: str | None = None,
    engine: str | None = None,
    noise_key: bytes | None = None,
    lake: Path | None = None,
    duck: DuckDBEngine | None = None,
    families: Sequence[str] | None = None,
    plans: PlanStore | None = None,
) -> MetricsReport:
    """Every metric of a warehouse as of a date, on the chosen engine.

    Args:
        con: the warehouse connection (read-only is enough).
        settings: the workspace's settings.
        as_of: last day included; None applies the one as-of rule (`default_as_of`).
        by: segment dimension, or None.
        engine: `duckdb` or `spark` (default from settings).
        noise_key: the key of the seeded noise (`noise.noise_key` of the workspace secret);
            needed when `privacy.noise` is on.
        lake: the workspace's lake folder, which the Spark engine reuses while it holds every
            batch and brings up to date otherwise (None: a temporary lake for this run only).
        duck: the DuckDB engine over `con` to reuse (its compiled queries with it); None
            makes one.
        families: the families to compute (`families.families_for` of the metrics wanted);
            None for all.
        plans: release plans kept between processes (None: only this process remembers
            them).

    Returns:
        The report, with `as_of_rule` saying how the date was chosen.

    Raises:
        PrivacyError: the noise is on but no key was given (never silently exact).
    """
    name = engine or settings.engine.default
    if name not in ENGINES:
        raise InputError(f"unknown engine {name!r}; expected one of: {', '.join(ENGINES)}")
    eng = duck if duck is not None else DuckDBEngine(con)
    stale = pending(eng, settings.metrics)
    if stale:
        # Unreadable stored dates carry their own advice (doctor, not refresh) in the reason.
        hint = None if UNREADABLE_HINT in stale else "run `uptake refresh`"
        raise StaleFactsError(f"the metric facts are out of date: {stale}", hint=hint)
    if as_of is None:
        day, rule = default_as_of(eng)
    else:
        day, rule = as_of, AS_OF_GIVEN
    noise = make_noise(settings, noise_key, day)
    if name == "duckdb":
        report = compute_all(
            eng,
            day,
            settings.metrics,
            settings.privacy.min_group_size,
            by,
            families=families,
            noise=noise,
            costs=settings.costs,
            plans=plans,
        )
    else:
        report = _run_spark(con, settings, day, by, noise, lake, families)
    report.as_of_rule = rule
    report.currency = settings.metrics.currency
    return report


def default_as_of(engine: Engine) -> tuple[date, str]:
    """The one as-of rule: the last day with activity in the facts, at most today (UTC).

    Args:
        engine: an engine whose facts are refreshed.

    Returns:
        The date and the rule that chose it, in words.
    """
    today = datetime.now(UTC).date()
    if not engine.has(PERSON_DAY):
        return today, AS_OF_TODAY
    t = engine.table(PERSON_DAY)
    last = engine.execute(t.aggregate(last=t.day.max()))["last"].iloc[0]
    if last is None or pd.isna(last):
        return today, AS_OF_TODAY
    day = pd.Timestamp(last).date()
    if day > today:
        return today, "today (activity is recorded after today)"
    return day, AS_OF_LAST_ACTIVE


def make_noise(settings: Settings, key: bytes | None, as_of: date) -> Noise:
    """The noise of one as-of release, from the privacy settings.

    Args:
        settings: the workspace's settings (`privacy.noise`, `epsilon`, `confidence`).
        key: the noise key, or None.
        as_of: the release date.

    Returns:
        The noise (off when `privacy.noise` is false).

    Raises:
        PrivacyError: the noise is on and no key was given.
    """
    p = settings.privacy
    if p.noise and not key:
        raise PrivacyError(
            "privacy.noise is on but no noise key was given: counts cannot be published exactly",
            hint="compute metrics through Workspace.metrics, or set UPTAKE__PRIVACY__NOISE=false",
        )
    return Noise(
        enabled=p.noise,
        epsilon=p.epsilon,
        confidence=p.confidence,
        key=key if p.noise and key else b"",
        as_of=as_of,
    )


def _run_spark(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    as_of: date,
    by: str | None,
    noise: Noise,
    lake: Path | None,
    families: Sequence[str] | None,
) -> MetricsReport:
    if importlib.util.find_spec("pyspark") is None:
        raise EngineError(
            "the Spark engine needs PySpark, which is not installed",
            hint="pip install 'uptake[spark]' (and Java 17), or use --engine duckdb",
        )
    from uptake.warehouse.lake_store import workspace_lake
    from uptake.warehouse.spark import SparkEngine

    with contextlib.ExitStack() as stack:
        # Without a workspace lake, a temporary one serves this run only.
        folder = lake or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="uptake-")))
        # The lake is only read here: Spark keeps the facts it computes in its own scratch.
        use = stack.enter_context(workspace_lake(con, folder / "lake" if lake is None else folder))
        log.info("spark lake %s: %s", use.path, use.action)
        eng = SparkEngine(use.path, settings.engine)
        try:
            refresh(eng, settings.metrics, full=True)
            k = settings.privacy.min_group_size
            return compute_all(
                eng,
                as_of,
                settings.metrics,
                k,
                by,
                families=families,
                noise=noise,
                costs=settings.costs,
            )
        finally:
            eng.close()
