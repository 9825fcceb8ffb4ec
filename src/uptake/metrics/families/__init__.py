"""The metric families, in the order they run (vanity last: it reads the results before it).

Each family module is named after what it computes, declares `SPECS` (one `MetricSpec` per
metric it returns) and `compute(ctx)`, which returns one `MetricResult` per spec, in order.
"""

from __future__ import annotations

from types import ModuleType

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

__all__ = ["FAMILIES", "REGISTRY", "SPECS"]
