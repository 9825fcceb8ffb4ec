"""AI tool NPS per rollout cohort and month, every number worked by hand."""

from __future__ import annotations

import pytest

from metrics.results import entries
from uptake.metrics.families import nps

AS_OF = "2024-05-26"  # Sunday; the 28 days before it are the weeks of 04-29 .. 05-20


@pytest.fixture
def nps_answers(wh):
    """Cohorts 2024-01 (p1..p3) and 2024-03 (q1..q4); answers in April and May."""
    for p in ["p1", "p2", "p3"]:
        wh.license(p, "2024-01-10")
    for q in ["q1", "q2", "q3", "q4"]:
        wh.license(q, "2024-03-05")
    for who, score in [("p1", 10), ("p2", 9), ("p3", 3), ("q1", 8), (None, 0)]:
        wh.response("2024-04-10", person=who, score=score, item="nps")
    wh.response("2024-05-02", person="p1", score=6, item="nps")  # replaced by 05-20
    wh.response("2024-05-20", person="p1", score=9, item="nps")
    for who, score in [("p2", 7), ("p3", 5), ("q1", 10), ("q2", 10), ("q3", 2), ("q4", 9)]:
        wh.response("2024-05-12", person=who, score=score, item="nps")
    wh.response("2024-03-15", person="p2", score=10, item="nps")  # before the 2 months
    wh.response("2024-05-27", person="q2", score=1, item="nps")  # after as_of
    return wh


def test_nps_per_cohort_and_month(nps_answers):
    entry = entries(nps.compute(nps_answers.ctx(AS_OF, k=3, nps_months=2)))["nps"]
    months = entry["months"]
    # April: 10, 9, 3, 8, 0 -> promoters 2/5, detractors 2/5, NPS 0. Cohort 2024-03 (q1) and
    # the anonymous "(none)" have one person each: hidden; together 2 < 3, so 2024-01 is
    # hidden too. The month total stays.
    assert months[:4] == [
        {
            "month": "2024-04",
            "cohort": "(all)",
            "n": 5,
            "promoters": 0.4,
            "detractors": 0.4,
            "nps": 0.0,
            "suppressed": False,
        },
        {"month": "2024-04", "cohort": "(none)", "suppressed": "small"},
        {"month": "2024-04", "cohort": "2024-01", "suppressed": "complementary"},
        {"month": "2024-04", "cohort": "2024-03", "suppressed": "small"},
    ]
    # May (p1's latest 9 counts): all 9, 7, 5, 10, 10, 2, 9 -> 4/7 - 2/7 -> 28.571429.
    # 2024-01: 9, 7, 5 -> 1/3 - 1/3 = 0. 2024-03: 10, 10, 2, 9 -> 3/4 - 1/4 = 50.
    may = {r["cohort"]: r for r in months[4:]}
    assert may["(all)"]["n"] == 7
    assert may["(all)"]["nps"] == pytest.approx(28.571429, abs=1e-5)
    assert (may["2024-01"]["n"], may["2024-01"]["nps"]) == (3, 0.0)
    assert (may["2024-03"]["n"], may["2024-03"]["nps"]) == (4, 50.0)
    # The 28-day window (04-29 .. 05-26) holds the same seven May answers.
    assert entry["n"] == 7
    assert entry["nps"] == pytest.approx(28.571429, abs=1e-5)
    assert -100 <= entry["nps_low"] <= entry["nps"] <= entry["nps_high"] <= 100


def test_not_available_without_responses(wh):
    (res,) = nps.compute(wh.ctx(AS_OF))
    assert (res.name, res.needs, res.value) == ("nps", ("responses.score",), None)


def test_no_answer_in_the_window_is_not_available(nps_answers):
    # As of 04-30 the window (04-03 .. 04-30) holds the April answers; as of 06-30 it holds
    # none (May is outside it, and the months rows only go back two months).
    assert nps.compute(nps_answers.ctx("2024-04-30", k=3, nps_months=2))[0].n == 5
    (late,) = nps.compute(nps_answers.ctx("2024-07-31", k=3, nps_months=1))
    assert late.needs and late.value is None


def test_with_the_release_noise_on_the_answers_counts_carry_it(nps_answers):
    # A month's answers against the next's showed one person's change of mind when exact:
    # the counts carry the noise, and the shares and the score are derived from them.
    from datetime import date, timedelta

    from uptake.metrics.noise import Noise

    ctx = nps_answers.ctx(AS_OF, k=3, nps_months=2)
    seen = set()
    for day in range(8):
        ctx.noise = Noise(
            enabled=True, key=b"k" * 32, as_of=date(2024, 5, 26) - timedelta(days=day)
        )
        entry = entries(nps.compute(ctx))["nps"]
        assert entry["noise"] and "promoters_n" not in entry
        for row in [entry, *[m for m in entry["months"] if not m["suppressed"]]]:
            assert row["n"] >= 3 and 0 <= row["promoters"] <= 1 and 0 <= row["detractors"] <= 1
            assert row["nps"] == pytest.approx(
                100 * (row["promoters"] - row["detractors"]), abs=1e-3
            )
        seen.add((entry["n"], entry["promoters"], entry["months"][0]["n"]))
    assert len(seen) > 3
