"""A vendor that reports last-activity dates, not every day, says so on day-based metrics."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from uptake.metrics import compute_all

M365 = "m365-copilot"
AS_OF = date(2024, 3, 31)


def _org(wh: Any, report_days: list[date]) -> None:
    for i in range(6):
        p = f"p{i}"
        wh.person(p)
        wh.license(p, "2024-01-01", tool=M365, monthly_cost=None, evidence="m365 user detail")
        wh.event(p, "2024-03-30", tool=M365, surface="word", quantity=1)
        for day in report_days:
            wh.insert(
                "person_facts",
                person_key=p,
                source="m365-copilot-usage",
                tool=M365,
                report_date=day,
                fact="licensed",
                value=1.0,
            )


def _notes(wh: Any) -> dict[str, tuple[str, ...]]:
    ctx = wh.facts_ctx(AS_OF)
    report = compute_all(ctx.engine, AS_OF, ctx.settings, 3)
    return {r.name: r.notes for r in report}


def test_a_monthly_period_report_warns_the_day_based_metrics(wh: Any) -> None:
    _org(wh, [AS_OF])
    notes = _notes(wh)
    warning = [n for n in notes["adoption_ladder"] if "Microsoft 365 Copilot" in n]
    assert warning and "1 report date(s) in the 28-day window" in warning[0]
    assert any("Microsoft 365" in n for n in notes["usage_segments_4w"])
    # A number that does not rest on active days is not warned.
    assert not any("Microsoft 365" in n for n in notes["usage_rate"])


def test_a_daily_by_date_poll_covers_the_window(wh: Any) -> None:
    _org(wh, [AS_OF - timedelta(days=i) for i in range(28)])
    assert not any("Microsoft 365" in n for notes in _notes(wh).values() for n in notes)
