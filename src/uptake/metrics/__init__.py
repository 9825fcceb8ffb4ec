"""The metrics engine: every metric family, computed over refreshed facts, read-only.

`compute_all` runs each family of `uptake.metrics.families` in order over facts that
`uptake.metrics.facts.refresh` brought up to date beforehand; it never writes. Each family's
`compute(ctx)` returns one typed `MetricResult` per metric it declares (a value with its
population n, unit, basis and definition, or "not available: needs …"), and every group row
must have gone through `uptake.metrics.privacy.suppress`: `compute_all` checks each result
and refuses any that did not.

This module stays light (the CLI imports it to check `--metric` and `--by` before any work):
the families, the segment list and the metric specs load on first use (`FAMILIES`, `SPECS`,
`SEGMENTS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from uptake.metrics.result import (
    MetricResult,
    MetricSpec,
    MetricsReport,
    PublicRows,
    check_public,
)

if TYPE_CHECKING:
    from uptake.config import MetricsSettings
    from uptake.metrics.noise import Noise
    from uptake.metrics.plan_store import PlanStore
    from uptake.warehouse.engine import Engine

__all__ = [
    "FAMILIES",
    "SEGMENTS",
    "SPECS",
    "MetricResult",
    "MetricSpec",
    "MetricsReport",
    "PublicRows",
    "compute_all",
]


def __getattr__(name: str) -> Any:
    # Lazy exports: importing the families pulls in Ibis, scipy and scikit-learn.
    if name in ("FAMILIES", "SPECS"):
        from uptake.metrics import families

        return getattr(families, name)
    if name == "SEGMENTS":
        from uptake.metrics.dimensions import SEGMENTS

        return SEGMENTS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def compute_all(
    engine: Engine,
    as_of: date,
    settings: MetricsSettings,
    min_group_size: int,
    by: str | None = None,
    *,
    families: Sequence[str] | None = None,
    noise: Noise | None = None,
    costs: Any = None,
    plans: PlanStore | None = None,
) -> MetricsReport:
    """Compute every metric as of a date, reading the refreshed facts (never writing).

    Args:
        engine: the compute engine (DuckDB, read-only is enough, or Spark).
        as_of: last day included.
        settings: metrics settings (windows, thresholds).
        min_group_size: k; groups below it are suppressed (never below 3).
        by: segment dimension (one of `SEGMENTS`), or None.
        families: which families to run, in registry order (default all).
        noise: seeded noise for published people counts (default off: exact); its
            `as_of` is set to this computation's date, each as-of being its own release.
        costs: `uptake.config.costs.CostSettings` for tool costs (None: no exchange rates).
        plans: release plans kept between processes (None: only this process remembers
            them).

    Returns:
        The report: one result per metric, in family order (`as_of_rule` and `currency`
        at their defaults; the caller sets them).

    Raises:
        PrivacyError: k is below 3, or a family returned group rows that skipped
            `privacy.suppress`.
        NotAvailableError: the warehouse holds data but its facts were never refreshed.
        InputError: unknown family or segment dimension.
    """
    from dataclasses import replace

    from uptake.errors import InputError, NotAvailableError
    from uptake.metrics.concurrent import compute_families
    from uptake.metrics.context import MetricContext
    from uptake.metrics.families import FAMILIES, REGISTRY
    from uptake.metrics.noise import Noise
    from uptake.metrics.privacy import check_k
    from uptake.metrics.report_days import DAY_BASED, day_gaps
    from uptake.metrics.segments import DIM_PERSON

    check_k(min_group_size)
    chosen = FAMILIES if families is None else tuple(families)
    unknown = [f for f in chosen if f not in REGISTRY]
    if unknown:
        raise InputError(
            f"unknown metric family {', '.join(unknown)}; expected one of: {', '.join(FAMILIES)}"
        )
    if isinstance(as_of, datetime):
        as_of = as_of.date()
    if not engine.has(DIM_PERSON) and (engine.has("licenses") or engine.has("people")):
        raise NotAvailableError(
            "the metric facts have not been built: refresh them after ingest",
            needs=[DIM_PERSON],
        )
    noise = replace(noise or Noise.off(), as_of=as_of)
    stated = noise.describe()
    ctx = MetricContext(
        engine, as_of, settings, min_group_size, by, noise=noise, costs=costs, plans=plans
    )
    gaps = day_gaps(ctx)
    order = [f for f in FAMILIES if f in chosen]
    # A read by segment is Python throughout (its release plans): two threads only contend for
    # the interpreter (by team at 10,000 people, 31.5–32.1 s one at a time, 36.2–37.2 s two).
    threads = settings.family_threads if by is None else 1
    computed = compute_families(ctx, [(n, REGISTRY[n]) for n in order], threads)
    for name in order:
        module = REGISTRY[name]
        results = computed[name] if name in computed else module.compute(ctx)
        names = [r.name for r in results]
        expected = [s.name for s in module.SPECS]
        if names != expected:
            raise RuntimeError(f"family {name} returned {names}, declared {expected}")
        for res in results:
            if gaps and res.name in DAY_BASED and res.available:
                res.notes = (*res.notes, *gaps)
            if ctx.by_tool and not getattr(module, "BY_TOOL", False):
                res.notes = (*res.notes, f"not broken down by tool: {res.name} is about people")
            check_public(res)
            # A result is noisy only if noise was really applied (off: exact, no claim).
            res.noisy = res.noisy and noise.enabled
            if res.noisy:
                res.noise = {k: stated[k] for k in ("epsilon", "error_bar", "confidence")}
            ctx.results[res.name] = res
    return MetricsReport(
        as_of=as_of,
        window_days=settings.window_days,
        min_group_size=min_group_size,
        results=dict(ctx.results),
        by=by,
        privacy={"min_group_size": min_group_size, **stated},
    )
