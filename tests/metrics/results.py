"""Reading a family's typed results in tests: by name, as objects or as their JSON."""

from __future__ import annotations

from typing import Any

from uptake.metrics.result import MetricResult


def entries(results: list[MetricResult]) -> dict[str, dict[str, Any]]:
    """A family's results as their JSON documents (`to_dict`), by metric name."""
    return {r.name: r.to_dict() for r in results}


def named(results: list[MetricResult]) -> dict[str, MetricResult]:
    """A family's results by metric name."""
    return {r.name: r for r in results}
