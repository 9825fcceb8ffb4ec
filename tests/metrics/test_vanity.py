"""Vanity vs value: the login numbers beside value, and the gap as one number."""

from __future__ import annotations

from typing import Any

import pandas as pd

from uptake.metrics.families import depth, ladder, licenses, outcomes, usage, vanity
from uptake.metrics.privacy import TOTAL, public_rows, suppress
from uptake.metrics.result import MetricResult, MetricSpec, PublicRows, not_available

USAGE = usage.USAGE_RATE
LADDER = ladder.ADOPTION_LADDER


def _ctx(wh: Any, results: list[MetricResult], by: str | None = None) -> Any:
    ctx = wh.ctx("2024-03-31", by=by)
    ctx.results = {r.name: r for r in results}
    return ctx


def _spec(module: Any, name: str) -> MetricSpec:
    return next(s for s in module.SPECS if s.name == name)


def _segments(rows: list[dict[str, Any]], k: int = 3) -> PublicRows:
    """Segment rows suppressed the way a family would (a margin row keeps them honest)."""
    frame = pd.DataFrame([{"segment": TOTAL, **rows[0]}, *rows[1:]])
    return public_rows(suppress(frame, ["segment"], k=k), ["segment"]).where(
        lambda r: r["segment"] != TOTAL
    )


def test_gap_and_missing_inputs(wh: Any) -> None:
    results = [
        MetricResult(USAGE, {"active": 8, "rate": 0.8}, n=10),
        MetricResult(LADDER, {"l3_plus_share": 0.3}, n=10, basis="measured: tasks"),
        MetricResult(_spec(licenses, "licenses"), {"seats": 12}, n=10),
        not_available(depth.DEPTH_OF_USE, "tasks"),
        MetricResult(outcomes.OUTCOMES, {"hours_per_week": 5.5}, n=6),
    ]
    (res,) = vanity.compute(_ctx(wh, results))
    e = res.to_dict()
    # 80 % of licensed people active, 30 % at L3+: 50 points of activity that is not adoption.
    assert (e["n"], e["monthly_active_users"], e["gap_points"]) == (10, 8, 50.0)
    assert res.value == 50.0 and e["unit"] == "points"
    assert (e["licenses"], e["hours_saved_per_week"]) == (12, 5.5)
    assert e["depth"] is None and e["not_available"] == {"depth": ["tasks"]}
    assert e["ladder_basis"] == "measured: tasks"


def test_a_hidden_value_gives_its_reason_not_inputs_to_ingest(wh: Any) -> None:
    results = [
        MetricResult(USAGE, {"active": 8, "rate": 0.8}, n=10),
        MetricResult(LADDER, {"l3_plus_share": 0.3}, n=10, basis="measured: tasks"),
        MetricResult(_spec(licenses, "licenses"), {"seats": 12}, n=10),
        MetricResult(depth.DEPTH_OF_USE, suppressed="complementary"),
        not_available(outcomes.OUTCOMES, "tasks.minutes"),
    ]
    (res,) = vanity.compute(_ctx(wh, results))
    e = res.to_dict()
    # Depth exists but is hidden: its reason, not a list of inputs that are already there.
    assert e["depth"] is None and e["hidden"] == {"depth": "complementary"}
    assert e["not_available"] == {"hours_saved_per_week": ["tasks.minutes"]}


def test_segments_take_the_gap_per_segment(wh: Any) -> None:
    usage_rows = _segments(
        [
            {"n": 10, "rate": 0.6},
            {"segment": "a", "n": 6, "rate": 0.5},
            {"segment": "b", "n": 2, "rate": 1.0},
            {"segment": "c", "n": 2, "rate": 0.5},
        ]
    )
    ladder_rows = _segments(
        [
            {"n": 10, "l3_plus_share": 0.2},
            {"segment": "a", "n": 6, "l3_plus_share": 0.25},
            {"segment": "b", "n": 2, "l3_plus_share": 0.0},
            {"segment": "c", "n": 2, "l3_plus_share": 0.25},
        ]
    )
    results = [
        MetricResult(USAGE, {"active": 6, "rate": 0.6}, n=10, by="team", segments=usage_rows),
        MetricResult(LADDER, {"l3_plus_share": 0.2}, n=10, by="team", segments=ladder_rows),
    ]
    (res,) = vanity.compute(_ctx(wh, results, by="team"))
    rows = {r["segment"]: r for r in res.to_dict()["segments"]}
    assert rows["a"]["gap_points"] == 25.0  # 50 % − 25 %
    # b and c count 2 people each: hidden, and the reason travels with them.
    assert rows["b"] == {"segment": "b", "suppressed": "small"}
    assert isinstance(res.segments, PublicRows)


def test_not_available_without_usage_or_ladder(wh: Any) -> None:
    results = [not_available(USAGE, "licenses"), not_available(LADDER, "events")]
    (res,) = vanity.compute(_ctx(wh, results))
    assert res.needs == ("events", "licenses")
    assert res.to_dict()["status"] == "not_available"


def test_small_organisation_is_suppressed(wh: Any) -> None:
    results = [MetricResult(USAGE, suppressed="small"), MetricResult(LADDER, suppressed="small")]
    (res,) = vanity.compute(_ctx(wh, results))
    assert (res.suppressed, res.value, res.n) == ("small", None, None)


def _vendor_only(
    usage_rows: PublicRows | None = None, ladder_rows: PublicRows | None = None
) -> list[MetricResult]:
    """Vendor exports and a roster: logins measured, the ladder only an activity proxy."""
    by = "team" if usage_rows is not None else None
    return [
        MetricResult(USAGE, {"active": 8, "rate": 0.8}, n=10, by=by, segments=usage_rows),
        MetricResult(
            LADDER, {"l3_plus_share": 0.4}, n=10, basis="proxy: activity", by=by,
            segments=ladder_rows,
        ),
        MetricResult(_spec(licenses, "licenses"), {"seats": 12}, n=10),
        not_available(depth.DEPTH_OF_USE, "tasks", "workflows.stakes"),
        not_available(outcomes.OUTCOMES, "tasks", "tasks.minutes"),
    ]  # fmt: skip


def test_no_gap_from_a_proxy_ladder(wh: Any) -> None:
    # The warehouse holds no tasks and no workflow catalogue: nothing measures value.
    (res,) = vanity.compute(_ctx(wh, _vendor_only()))
    e = res.to_dict()
    # The login side stands (80 % active, 8 people); the proxy's 40 % is not value, so no
    # 40-point "gap" is made of it.
    assert (e["monthly_active_users"], e["active_rate"], e["licenses"]) == (8, 0.8, 12)
    assert e["gap_points"] is None and e["l3_plus_share"] is None and res.value is None
    assert e["needs"] == ["tasks", "tasks.minutes", "workflows.stakes"]
    assert e["ladder_basis"] == "proxy: activity" and e["basis"] == "measured: logins only"
    assert e["notes"][0].startswith(
        "value not measurable yet: ingest tasks (with minutes), workflows (with stakes)"
    )
    assert "status" not in e  # the metric is there; only its value side is missing


def test_no_gap_per_segment_from_a_proxy_ladder(wh: Any) -> None:
    usage_rows = _segments([{"n": 10, "rate": 0.8}, {"segment": "a", "n": 10, "rate": 0.8}])
    ladder_rows = _segments(
        [{"n": 10, "l3_plus_share": 0.4}, {"segment": "a", "n": 10, "l3_plus_share": 0.4}]
    )
    (res,) = vanity.compute(_ctx(wh, _vendor_only(usage_rows, ladder_rows), by="team"))
    [row] = res.to_dict()["segments"]
    assert (row["active_rate"], row["l3_plus_share"], row["gap_points"]) == (0.8, None, None)


def test_hidden_proxy_says_value_is_not_measurable(wh: Any) -> None:
    results = [
        MetricResult(USAGE, suppressed="small"),
        MetricResult(LADDER, suppressed="small", basis="proxy: activity"),
    ]
    (res,) = vanity.compute(_ctx(wh, results))
    assert res.suppressed == "small"
    assert res.notes[0].startswith("value not measurable yet: ingest tasks")
