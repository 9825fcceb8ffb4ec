"""The metric families, in the order they run (vanity last: it reads the results before it).

Each family module is named after what it computes, declares `SPECS` (one `MetricSpec` per
metric it returns) and `compute(ctx)`, which returns one `MetricResult` per spec, in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

from uptake.errors import InputError
from uptake.metrics.families import (
    confidence,
    depth,
    feedback_health,
    ladder,
    licenses,
    nps,
    outcomes,
    proficiency,
    tools,
    trust,
    usage,
    usage_segments,
    vanity,
    vendor,
)
from uptake.metrics.result import MetricSpec

REGISTRY: dict[str, ModuleType] = {
    "usage": usage,
    "depth": depth,
    "ladder": ladder,
    "usage_segments": usage_segments,
    "proficiency": proficiency,
    "licenses": licenses,
    "confidence": confidence,
    "nps": nps,
    "trust": trust,
    "outcomes": outcomes,
    "feedback_health": feedback_health,
    "vendor": vendor,
    "tools": tools,
    "vanity": vanity,
}
FAMILIES: tuple[str, ...] = tuple(REGISTRY)
# Every metric by name, in family order.
SPECS: dict[str, MetricSpec] = {
    spec.name: spec for module in REGISTRY.values() for spec in module.SPECS
}

__all__ = ["FAMILIES", "REGISTRY", "SPECS", "families_for"]


def families_for(metrics: Iterable[str]) -> tuple[str, ...]:
    """The families that compute some metrics, with those whose results they read.

    A family's results do not depend on which other families run beside it (each reads the
    facts alone, or the results it declares in `READS_RESULTS`), so asking for a few metrics
    computes only these and gives the numbers the whole report gives.

    Args:
        metrics: metric names.

    Returns:
        Family names, in run order.

    Raises:
        InputError: an unknown metric.
    """
    todo = list(metrics)
    unknown = [m for m in todo if m not in SPECS]
    if unknown:
        raise InputError(f"unknown metric {', '.join(unknown)}; known metrics: {', '.join(SPECS)}")
    chosen: set[str] = set()
    while todo:
        # Each spec names its family (a test holds that it is the family's registry name).
        family = SPECS[todo.pop()].family
        if family not in chosen:
            chosen.add(family)
            todo.extend(getattr(REGISTRY[family], "READS_RESULTS", ()))
    return tuple(f for f in FAMILIES if f in chosen)
