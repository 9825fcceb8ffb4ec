"""The overview's headline: a hidden number says it is hidden, a missing one what it needs."""

from __future__ import annotations

from datetime import date
from typing import Any

from uptake.metrics.families import vanity
from uptake.metrics.result import MetricResult, MetricsReport
from uptake.web.views.overview import overview


class _Workspace:
    """Only what the overview reads: the metrics report (a real one, built by hand)."""

    def __init__(self, report: MetricsReport) -> None:
        self.report = report

    def metrics(self, as_of: date | None = None, actor: Any = None) -> MetricsReport:
        return self.report


def test_hidden_and_missing_values_are_told_apart() -> None:
    vv = MetricResult(
        vanity.SPEC,
        values={
            "monthly_active_users": 40,
            "active_rate": 0.8,
            "l3_plus_share": 0.3,
            "licenses": 50,
            "depth": None,
            "hours_saved_per_week": None,
            "gap_points": 50.0,
            "not_available": {"hours_saved_per_week": ["tasks.minutes"]},
            "hidden": {"depth": "small"},
        },
        n=50,
    )
    report = MetricsReport(
        as_of=date(2026, 11, 24),
        window_days=28,
        min_group_size=5,
        results={vv.name: vv},
    )
    rows = {r["key"]: r for r in overview(_Workspace(report), actor=None)["headline"]}  # type: ignore[arg-type]
    assert rows["depth"]["missing"] == "fewer than 5 people: not shown"
    assert rows["hours_saved_per_week"]["missing"] == "not available: needs tasks.minutes"


def test_the_licences_assigned_need_no_activity_in_the_window() -> None:
    # An as-of past the data: the comparison needs activity in the window, the seats do not
    # (the overview had said "licences assigned: not available: needs events …").
    from uptake.metrics.families import licenses

    needs = ("events (activity in the window)", "events (in the window)")
    vv = MetricResult(vanity.SPEC, needs=needs)
    lic = MetricResult(licenses.SPEC, values={"seats": 2501, "used": 0}, n=1843)
    report = MetricsReport(
        as_of=date(2030, 1, 1),
        window_days=28,
        min_group_size=5,
        results={vv.name: vv, lic.name: lic},
    )
    rows = {r["key"]: r for r in overview(_Workspace(report), actor=None)["headline"]}  # type: ignore[arg-type]
    assert (
        rows["licences assigned"]["text"] == "2,501" and "missing" not in rows["licences assigned"]
    )
    assert rows["depth"]["missing"] == f"not available: needs {', '.join(needs)}"
