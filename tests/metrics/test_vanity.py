"""Vanity vs value (§6.10): the login numbers beside value, and the gap as one number."""

from __future__ import annotations

from typing import Any

from uptake.metrics import vanity
from uptake.metrics.context import not_available


def _ctx(wh: Any, results: dict[str, Any], by: str | None = None) -> Any:
    ctx = wh.ctx("2024-03-31", by=by)
    ctx.results = results
    return ctx


def test_gap_and_missing_inputs(wh: Any) -> None:
    results = {
        "usage_rate": {"n": 10, "active": 8, "rate": 0.8},
        "adoption_ladder": {"n": 10, "l3_plus_share": 0.3, "basis": "tasks"},
        "licences": {"n": 10, "seats": 12},
        "depth_of_use": not_available("tasks"),
        "outcomes": {"n": 6, "hours_per_week": 5.5},
    }
    e = vanity.compute(_ctx(wh, results))["vanity_vs_value"]
    # 80 % of licensed people active, 30 % at L3+: 50 points of activity that is not adoption.
    assert (e["n"], e["monthly_active_users"], e["gap_points"]) == (10, 8, 50.0)
    assert (e["licences"], e["hours_saved_per_week"]) == (12, 5.5)
    assert e["depth"] is None and e["not_available"] == {"depth": ["tasks"]}


def test_segments_take_the_gap_per_segment(wh: Any) -> None:
    results = {
        "usage_rate": {
            "n": 10,
            "active": 6,
            "rate": 0.6,
            "segments": [
                {"segment": "a", "n": 6, "rate": 0.5, "suppressed": False},
                {"segment": "b", "suppressed": True},
                {"segment": "c", "suppressed": True},
            ],
        },
        "adoption_ladder": {
            "n": 10,
            "l3_plus_share": 0.2,
            "segments": [
                {"segment": "a", "n": 6, "l3_plus_share": 0.25, "suppressed": False},
                {"segment": "b", "suppressed": True},
                {"segment": "c", "suppressed": True},
            ],
        },
    }
    e = vanity.compute(_ctx(wh, results, by="team"))["vanity_vs_value"]
    rows = {r["segment"]: r for r in e["segments"]}
    assert rows["a"]["gap_points"] == 25.0  # 50 % − 25 %
    assert rows["b"] == {"segment": "b", "suppressed": True}


def test_not_available_without_usage_or_ladder(wh: Any) -> None:
    results = {"usage_rate": not_available("licenses"), "adoption_ladder": not_available("events")}
    e = vanity.compute(_ctx(wh, results))["vanity_vs_value"]
    assert e == {"status": "not_available", "needs": ["events", "licenses"]}


def test_small_organisation_is_suppressed(wh: Any) -> None:
    results = {"usage_rate": {"suppressed": True}, "adoption_ladder": {"suppressed": True}}
    assert vanity.compute(_ctx(wh, results))["vanity_vs_value"] == {"suppressed": True}
