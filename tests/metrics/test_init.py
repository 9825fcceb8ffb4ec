"""The registry: every family in one report; nothing below k leaks; reads never write."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from uptake.config import MetricsSettings
from uptake.errors import PrivacyError
from uptake.metrics import SEGMENTS, compute_all
from uptake.metrics.facts import refresh
from uptake.metrics.noise import Noise
from uptake.metrics.result import MetricsReport

AS_OF = date(2024, 3, 31)
K = 3


def _org(wh: Any) -> None:
    """Three teams: t1 and t2 of four people, `small` of K−1 = 2; activity of every kind."""
    wh.workflow("credit", stakes="high", baseline_minutes=30)
    wh.workflow("memo", stakes="low", baseline_minutes=10)
    teams = {"t1": 4, "t2": 4, "small": K - 1}
    i = 0
    for team, size in teams.items():
        for _ in range(size):
            i += 1
            p = f"p{i}"
            wh.person(p, team=team, role="analyst" if i % 2 else "ops", location=team)
            wh.license(p, "2024-01-01" if i < 7 else "2024-02-12")
            for d in (5, 12, 19, 26):
                wh.event(p, f"2024-03-{d:02d}T10:00", "accept" if i % 3 else "prompt")
                wh.task(p, "credit", f"2024-03-{d:02d}T11:00", ai_assisted=bool(i % 2), minutes=20)
                wh.task(p, "memo", f"2024-03-{d:02d}T12:00", ai_assisted=False, minutes=12)
            wh.decision(p, "2024-03-20T10:00", followed=bool(i % 2), outcome=float(i))
            wh.response("2024-03-15T10:00", person=p, score=float(i % 10))
            wh.feedback("2024-03-18T10:00", person=p, status="resolved", resolved_at="2024-03-20")
    wh.help("2024-03-10T10:00", asker="p1", helper="p2")


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def _check_no_small_group(doc: dict[str, Any], small: set[str]) -> int:
    """Every visible group counts 0 or ≥ K people; no table hides exactly one cell."""
    checked = 0
    for path, node in _walk(doc["metrics"]):
        if isinstance(node, dict) and node.get("suppressed") is False and "n" in node:
            n = node["n"]
            assert n is None or n == 0 or n >= K, f"{path}: visible group of {n}"
            checked += 1
        if isinstance(node, dict) and node.get("segment") in small:
            assert node.get("suppressed") == "small", f"{path}: small segment visible"
        if (
            isinstance(node, list)
            and node
            and all(isinstance(r, dict) and "suppressed" in r for r in node)
        ):
            parts: dict[Any, list[bool]] = {}
            for r in node:
                parts.setdefault(r.get("week"), []).append(bool(r["suppressed"]))
            for flags in parts.values():
                assert sum(flags) != 1 or len(flags) == 1, f"{path}: a lone hidden cell"
    return checked


def test_document_shape_and_every_family(wh: Any) -> None:
    _org(wh)
    refresh(wh.engine, MetricsSettings())
    report = compute_all(wh.engine, AS_OF, MetricsSettings(), K)
    assert isinstance(report, MetricsReport)
    doc = report.to_dict()
    assert list(doc) == [
        "as_of",
        "as_of_rule",
        "window_days",
        "min_group_size",
        "by",
        "currency",
        "privacy",
        "metrics",
    ]
    assert doc["privacy"] == {"min_group_size": K, **Noise.off().describe()}
    assert (doc["as_of"], doc["window_days"], doc["min_group_size"]) == ("2024-03-31", 28, K)
    expected = {
        "usage_rate",
        "weekly_active_rate",
        "depth_of_use",
        "weekly_depth",
        "adoption_ladder",
        "ladder_transitions",
        "usage_segments_12w",
        "usage_segments_4w",
        "time_to_proficiency",
        "licenses",
        "vanity_vs_value",
        "override_rate",
        "outcomes",
        "feedback_volume",
        "confidence",
        "nps",
    }
    assert expected <= set(doc["metrics"])
    for name, entry in doc["metrics"].items():
        assert (
            ("n" in entry) or entry.get("status") == "not_available" or entry.get("suppressed")
        ), name
    assert doc["metrics"]["usage_rate"]["n"] == 10
    assert report["usage_rate"].value == 1.0  # everyone has events in March


@pytest.fixture(scope="module")
def org(module_warehouse: Any) -> Any:
    """One organisation with its facts refreshed, shared by the per-dimension checks."""
    _org(module_warehouse)
    refresh(module_warehouse.engine, MetricsSettings(trend_weeks=3))
    return module_warehouse


@pytest.mark.parametrize("by", [None, *SEGMENTS])
def test_group_of_k_minus_one_is_never_visible(org: Any, by: str | None) -> None:
    settings = MetricsSettings(trend_weeks=3)
    doc = compute_all(org.engine, AS_OF, settings, K, by).to_dict()
    # The small team is also the small location; for other dimensions the check is generic.
    small = {"small"} if by in ("team", "location") else set()
    assert _check_no_small_group(doc, small) > 0


def test_empty_warehouse_reports_not_available_never_zero(wh: Any) -> None:
    doc = compute_all(wh.engine, AS_OF, MetricsSettings(), K).to_dict()
    for name, entry in doc["metrics"].items():
        assert entry.get("status") == "not_available", name
        assert entry["needs"], name
        assert "value" not in entry and "n" not in entry, name


def test_unsafe_k_is_refused(wh: Any) -> None:
    with pytest.raises(PrivacyError):
        compute_all(wh.engine, AS_OF, MetricsSettings(), 2)
