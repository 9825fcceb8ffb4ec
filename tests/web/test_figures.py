"""The dashboard's shared charts, on hand-built metric documents."""

from __future__ import annotations

from typing import Any

from uptake.web.figures import weekly_trend

WEEKS = [{"week": "2026-11-02", "rate": 0.7}, {"week": "2026-11-09", "rate": 0.72}]


def _doc(**metrics: Any) -> dict[str, Any]:
    return {"as_of": "2026-11-15", "window_days": 28, "min_group_size": 5, "metrics": metrics}


def test_the_weekly_trend_with_logins_alone_names_its_one_line() -> None:
    # Vendor data: no depth. One line had been drawn with no legend under a title promising
    # two ("logins against real use").
    doc = _doc(
        weekly_active_rate={"n": 40, "weeks": WEEKS},
        weekly_depth={"status": "not_available", "needs": ["tasks"]},
    )
    chart = weekly_trend(doc)
    assert chart is not None
    assert chart["title"] == "Week by week: logins"
    assert chart["figure"]["layout"]["showlegend"] is True
    assert "depth not available: needs tasks" in chart["caption"]
    depth = [{"week": w["week"], "depth": 0.3} for w in WEEKS]
    both = weekly_trend(_doc(weekly_active_rate={"n": 40, "weeks": WEEKS},
                             weekly_depth={"n": 30, "weeks": depth}))  # fmt: skip
    assert both is not None and both["title"] == "Week by week: logins against real use"
    assert len(both["figure"]["data"]) == 2
