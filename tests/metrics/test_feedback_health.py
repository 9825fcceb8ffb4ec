"""Feedback channel health on hand-built feedback, every number worked by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from metrics.results import entries, named
from uptake.metrics.families import feedback_health

# as_of Sunday 2024-05-26: the current week starts Monday 2024-05-20 and the span ends at
# midnight 2024-05-27.
AS_OF = "2024-05-26"


@pytest.fixture
def tickets(wh):
    """Two weeks of feedback: week of 05-13 (4 items, 4 people), week of 05-20 (2 items)."""
    wh.feedback("2024-05-13T09:00", person="p1", resolved_at="2024-05-15T09:00")  # 2 days
    wh.feedback("2024-05-14", person="p2", resolved_at="2024-05-18")  # 4 days
    wh.feedback("2024-05-15", person="p3")  # open: censored at 05-27, 12 days
    wh.feedback("2024-05-16", status="Closed")  # anonymous, resolved by status, no date
    wh.feedback("2024-05-20", person="p1", resolved_at="2024-05-21")  # 1 day
    wh.feedback("2024-05-21", person="p4")  # open: censored at 05-27, 6 days
    wh.feedback("2024-05-01", person="p5")  # before the two-week span
    wh.feedback("2024-05-27", person="p6")  # after as_of
    return wh


def test_weekly_volume_counts_people_and_suppresses_small_weeks(tickets):
    out = entries(feedback_health.compute(tickets.ctx(AS_OF, k=3, feedback_weeks=2)))
    vol = out["feedback_volume"]
    # Items 6 over two weeks; people: p1..p4 plus one anonymous item = 5.
    assert vol["n"] == 5
    assert vol["items"] == 6
    assert vol["per_week"] == pytest.approx(3.0)
    # Week 05-13: 4 items by p1, p2, p3 and one anonymous person -> shown (4 >= k).
    # Week 05-20: 2 items by p1, p4 -> 2 people < k=3, hidden; each week is its own table.
    assert vol["weeks"] == [
        {"week": "2024-05-13", "n": 4, "items": 4, "suppressed": False},
        {"week": "2024-05-20", "suppressed": "small"},
    ]


def test_resolution_share_and_kaplan_meier_median(tickets):
    res = entries(feedback_health.compute(tickets.ctx(AS_OF, k=3, feedback_weeks=2)))[
        "feedback_resolution"
    ]
    assert res["items"] == 6
    # Resolved: p1 (dated), p2 (dated), the anonymous "Closed" item, p1's second item = 4.
    assert res["resolved"] == 4
    assert res["share_resolved"] == pytest.approx(4 / 6, abs=1e-6)
    # Wilson, z=1.959964, n=6, p=2/3: centre (p + z²/2n)/(1 + z²/n) = 0.98679/1.64024 =
    # 0.60161; half-width z/(1+z²/n)·sqrt(p(1-p)/n + z²/4n²) = 1.19493·0.252416 = 0.30162.
    assert res["share_resolved_low"] == pytest.approx(0.29999, abs=1e-4)
    assert res["share_resolved_high"] == pytest.approx(0.90323, abs=1e-4)
    # Kaplan-Meier on 1, 2, 4 (resolved) and 6, 12 (open, censored); the status-only item
    # has no duration and leaves the analysis. S(1)=4/5, S(2)=0.6, S(4)=0.4 -> median 4.
    assert res["median_days"] == pytest.approx(4.0)
    # Log-log band: at t=1, S=0.8, se=sqrt(1/20)/|ln 0.8| = 1.00211; lower curve
    # 0.8^exp(1.96·1.00211) = 0.204 <= 0.5, so the lower bound is 1 day. The upper curve is
    # 0.969, 0.882 (t=2), 0.753 (t=4): it never reaches 0.5, so no upper bound.
    assert res["median_days_low"] == pytest.approx(1.0)
    assert res["median_days_high"] is None
    # Plain median of the dated resolutions 2, 4, 1 -> 2 days.
    assert res["median_days_resolved"] == pytest.approx(2.0)
    # No category set: one "(none)" row equal to the total.
    assert [c["category"] for c in res["categories"]] == ["(none)"]
    assert res["categories"][0]["items"] == 6


def test_resolution_rows_below_k_are_suppressed(tickets):
    tickets.feedback("2024-05-22", person="p7", category="billing")
    res = entries(feedback_health.compute(tickets.ctx(AS_OF, k=3, feedback_weeks=2)))[
        "feedback_resolution"
    ]
    # "billing" has one person -> hidden; the other category must then hide too, or the
    # total minus "(none)" would reveal it.
    assert res["categories"] == [
        {"category": "(none)", "suppressed": "complementary"},
        {"category": "billing", "suppressed": "small"},
    ]
    assert res["items"] == 7


def _volumes(wh, volumes, first=date(2024, 3, 18)):
    """One item per distinct person per unit of weekly volume, starting Monday `first`."""
    person = 0
    for week, count in enumerate(volumes):
        for i in range(count):
            wh.feedback(first + timedelta(weeks=week, days=i % 5), person=f"q{person}")
            person += 1


def test_second_peak_found_with_prominence(wh):
    # Weeks 03-18 .. 05-20 (10 weeks): volumes 0,0,6,3,1,1,4,5,2,1. Series searched starts
    # one zero week before the first item: [0,6,3,1,1,4,5,2,1]. Threshold max(1, 0.25·6)=1.5.
    # Peak 6 (week 04-01): prominence 6 - max(0, 1) = 5.
    # Peak 5 (week 05-06): left base min(3,1,1,4)=1, right base min(2,1)=1 -> 5 - 1 = 4.
    _volumes(wh, [0, 0, 6, 3, 1, 1, 4, 5, 2, 1])
    out = entries(feedback_health.compute(wh.ctx(AS_OF, k=3, feedback_history_weeks=10)))
    peaks = out["feedback_peaks"]
    assert peaks["prominence_min"] == pytest.approx(1.5)
    assert peaks["weeks_searched"] == 9
    assert peaks["peaks"] == [
        {"week": "2024-04-01", "n": 6, "items": 6, "prominence": 5.0, "suppressed": False},
        {"week": "2024-05-06", "n": 5, "items": 5, "prominence": 4.0, "suppressed": False},
    ]
    assert peaks["second_peak"] is True
    assert peaks["second_peak_week"] == "2024-05-06"
    assert peaks["n"] == 23


def test_launch_peak_in_first_week_and_higher_prominence(wh):
    # History of 8 weeks starts 04-01, the first busy week: a zero is put before it, so the
    # same two peaks are found. With prominence share 0.8 the threshold is 4.8: only the
    # launch peak (5) passes; the second (4) does not.
    _volumes(wh, [0, 0, 6, 3, 1, 1, 4, 5, 2, 1])
    peaks = entries(feedback_health.compute(wh.ctx(AS_OF, k=3, feedback_history_weeks=8)))[
        "feedback_peaks"
    ]
    assert [p["week"] for p in peaks["peaks"]] == ["2024-04-01", "2024-05-06"]
    high = entries(
        feedback_health.compute(
            wh.ctx(AS_OF, k=3, feedback_history_weeks=8, feedback_peak_prominence=0.8)
        )
    )["feedback_peaks"]
    assert [p["week"] for p in high["peaks"]] == ["2024-04-01"]
    assert high["second_peak"] is False
    assert high["second_peak_week"] is None


def test_peak_week_below_k_is_suppressed(wh):
    # k=6: the 05-06 peak counts 5 people -> hidden (its week and the flag stay).
    _volumes(wh, [0, 0, 6, 3, 1, 1, 4, 5, 2, 1])
    peaks = entries(feedback_health.compute(wh.ctx(AS_OF, k=6, feedback_history_weeks=10)))[
        "feedback_peaks"
    ]
    assert peaks["peaks"][1] == {"week": "2024-05-06", "suppressed": "small"}
    assert peaks["peaks"][0]["items"] == 6


def test_peak_channels_filter(wh):
    _volumes(wh, [0, 0, 6, 3, 1, 1, 4, 5, 2, 1])  # all on channel "ticket"
    wh.feedback("2024-04-22", person="c1", channel="comment")
    out = entries(
        feedback_health.compute(
            wh.ctx(AS_OF, k=3, feedback_history_weeks=10, feedback_peak_channels=["survey"])
        )
    )
    assert out["feedback_peaks"]["status"] == "not_available"
    assert "survey" in out["feedback_peaks"]["notes"][0]
    assert out["feedback_peaks"]["needs"] == ["feedback"]


def test_not_available_without_feedback(wh):
    out = named(feedback_health.compute(wh.ctx(AS_OF)))
    assert list(out) == ["feedback_volume", "feedback_resolution", "feedback_peaks"]
    for res in out.values():
        assert res.needs == ("feedback",) and res.value is None


def test_survey_answers_and_interview_notes_are_not_tickets(tickets):
    # A pulse survey sent to everyone, and interview notes: answers, not requests. They must
    # not swell the volume nor lower the share resolved.
    for i in range(8):
        tickets.feedback("2024-05-21", person=f"s{i}", channel="pulse")
    tickets.feedback("2024-05-22", person="p9", channel="interview")
    out = entries(feedback_health.compute(tickets.ctx(AS_OF, k=3, feedback_weeks=2)))
    assert out["feedback_volume"]["items"] == 6
    assert out["feedback_resolution"]["items"] == 6
    assert out["feedback_resolution"]["resolved"] == 4
    # Counted again when the workspace says these channels are requests after all.
    both = feedback_health.compute(
        tickets.ctx(AS_OF, k=3, feedback_weeks=2, feedback_answer_channels=[])
    )
    assert entries(both)["feedback_volume"]["items"] == 15
