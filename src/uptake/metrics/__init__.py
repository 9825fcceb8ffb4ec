"""The metrics engine (DESIGN §6): every metric family, computed over refreshed facts.

`compute_all` refreshes the materialised facts (incrementally when it can), then runs each
family in order. Each family's `compute(ctx)` returns named entries that either carry values
with `n` (people counted) or say `{"status": "not_available", "needs": [...]}`; every group
row has been through `uptake.metrics.privacy.suppress`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from uptake.metrics.context import MetricContext
from uptake.metrics.privacy import check_k
from uptake.metrics.settings import MetricsSettings
from uptake.warehouse.engine import Engine

# Family modules in the order they run; vanity reads the results of those before it.
FAMILIES = (
    "usage",
    "depth",
    "ladder",
    "proficiency",
    "licences",
    "confidence",
    "trust",
    "outcomes",
    "feedback_health",
    "vanity",
)


def compute_all(
    engine: Engine,
    as_of: date,
    settings: MetricsSettings,
    min_group_size: int,
    by: str | None = None,
    *,
    refresh: bool = True,
    families: tuple[str, ...] = FAMILIES,
) -> dict[str, Any]:
    """Compute every metric as of a date.

    Args:
        engine: the compute engine (DuckDB or Spark).
        as_of: last day included.
        settings: metrics settings (windows, thresholds).
        min_group_size: k; groups below it are suppressed (never below 3).
        by: segment dimension of §6.1, or None.
        refresh: bring the materialised facts up to date first.
        families: which families to run (default all, in order).

    Returns:
        `{"as_of", "window_days", "min_group_size", "metrics": {name: entry}}`.
    """
    # Imported here, not at module level: loading settings (uptake.config) imports this
    # package, and must not pull in Ibis and every family.
    from uptake.metrics import (
        confidence,
        depth,
        facts,
        feedback_health,
        ladder,
        licences,
        outcomes,
        proficiency,
        trust,
        usage,
        vanity,
    )

    modules = {
        "usage": usage,
        "depth": depth,
        "ladder": ladder,
        "proficiency": proficiency,
        "licences": licences,
        "confidence": confidence,
        "trust": trust,
        "outcomes": outcomes,
        "feedback_health": feedback_health,
        "vanity": vanity,
    }
    check_k(min_group_size)
    if isinstance(as_of, datetime):
        as_of = as_of.date()
    if refresh:
        facts.refresh(engine, settings)
    ctx = MetricContext(engine, as_of, settings, min_group_size, by)
    metrics: dict[str, Any] = {}
    ctx.results = metrics
    for name in families:
        metrics.update(modules[name].compute(ctx))
    return {
        "as_of": as_of.isoformat(),
        "window_days": settings.window_days,
        "min_group_size": min_group_size,
        "metrics": metrics,
    }
