"""Time to proficiency: Kaplan–Meier against a textbook, and on a built org."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from metrics.results import entries
from uptake.metrics.families import proficiency

# Freireich et al. (1963) 6-MP remission data as tabulated in Kleinbaum & Klein, "Survival
# Analysis: A Self-Learning Text" (3rd ed., ch. 2): weeks in remission, group 1 (6-MP),
# 21 patients, 9 relapses; "+" = censored.
MP_RELAPSE = [6, 6, 6, 7, 10, 13, 16, 22, 23]
MP_CENSORED = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
# Group 2 (placebo), 21 patients, all relapsed.
PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
# The book's KM table for group 1: S(t) at each relapse time (to 4 decimals), median 23.
BOOK_6MP = {6: 0.8571, 7: 0.8067, 10: 0.7529, 13: 0.6902, 16: 0.6275, 22: 0.5378, 23: 0.4482}


def test_kaplan_meier_matches_textbook_6mp() -> None:
    times = np.array(MP_RELAPSE + MP_CENSORED)
    events = np.array([True] * len(MP_RELAPSE) + [False] * len(MP_CENSORED))
    km = proficiency.kaplan_meier(times, events)
    curve = dict(km["curve"])
    for t, s in BOOK_6MP.items():
        assert curve[float(t)] == pytest.approx(s, abs=5e-5)
    assert (km["n"], km["events"], km["censored"], km["median"]) == (21, 9, 12, 23.0)
    # The log-log band never falls to 0.5 at its upper limit: the upper CI is open.
    assert km["ci_low"] is not None and km["ci_low"] <= 23 and km["ci_high"] is None


def test_kaplan_meier_matches_textbook_placebo_median() -> None:
    km = proficiency.kaplan_meier(np.array(PLACEBO), np.ones(len(PLACEBO), dtype=bool))
    # The book gives the placebo median as 8 weeks (S(8) = 8/21 ≈ 0.381 ≤ 0.5 < S(5)).
    assert km["median"] == 8.0
    assert dict(km["curve"])[8.0] == pytest.approx(8 / 21, abs=1e-9)


def test_no_event_gives_no_median() -> None:
    km = proficiency.kaplan_meier(np.array([5.0, 9.0]), np.array([False, False]))
    assert (km["median"], km["events"], km["censored"]) == (None, 0, 2)


def _org(wh: Any) -> None:
    wh.workflow("credit", stakes="high")
    # Seats on Monday 2024-01-01. r1..r3 analysts reach L3 in weeks 1, 2 and 3 (their first
    # AI-assisted eligible run lands that week); n1, n2 analysts never do; o1..o3 ops reach
    # it in week 2; all cohort 2024-01, except late (ops, seat 2024-02-05, reaches week 7).
    people = {
        "r1": ("analyst", "2024-01-01", "2024-01-03"),
        "r2": ("analyst", "2024-01-01", "2024-01-10"),
        "r3": ("analyst", "2024-01-01", "2024-01-17"),
        "n1": ("analyst", "2024-01-01", None),
        "n2": ("analyst", "2024-01-01", None),
        "o1": ("ops", "2024-01-01", "2024-01-10"),
        "o2": ("ops", "2024-01-01", "2024-01-10"),
        "o3": ("ops", "2024-01-01", "2024-01-10"),
        "late": ("ops", "2024-02-05", "2024-02-14"),
    }
    for p, (role, seat, run) in people.items():
        wh.person(p, role=role)
        wh.license(p, seat)
        if run:
            wh.task(p, "credit", f"{run}T10:00", ai_assisted=True)
        else:
            wh.task(p, "credit", "2024-01-10T10:00", ai_assisted=False)


def test_durations_and_groups(wh: Any) -> None:
    _org(wh)
    e = entries(proficiency.compute(wh.facts_ctx("2024-02-25")))["time_to_proficiency"]
    # Level checked at week ends (Sundays). Seat 01-01: reaching in week 1 → day 6 (01-07),
    # week 2 → 13, week 3 → 20. n1, n2 censored at the last week end 02-25 → day 55.
    # late: seat 02-05, reaches in its first week → 02-11 → day 6.
    # Times: 6 (r1), 6 (late), 13 (r2, o1, o2, o3), 20 (r3), 55+ (n1, n2). n = 9.
    # S(6) = 7/9, S(13) = 3/9 ≤ 0.5 → median 13.
    assert (e["n"], e["reached"], e["censored"], e["median_days"]) == (9, 7, 2, 13.0)
    roles = {r["group"]: r for r in e["by_role"]}
    # analysts: 6, 13, 20, 55+, 55+ → S(6)=4/5, S(13)=3/5, S(20)=2/5 → median 20.
    assert (roles["analyst"]["n"], roles["analyst"]["median_days"]) == (5, 20.0)
    # ops: 13, 13, 13, 6 → S(6)=3/4, S(13)=0 → median 13.
    assert (roles["ops"]["n"], roles["ops"]["median_days"]) == (4, 13.0)
    cohorts = {r["group"]: r for r in e["by_cohort"]}
    # cohort 2024-02 is one person: hidden, and 2024-01 with it (the total would give it).
    assert cohorts["2024-02"]["suppressed"] and cohorts["2024-01"]["suppressed"]


def test_median_not_reached_says_so(wh: Any) -> None:
    _org(wh)
    # As of 01-07 only r1 has reached L3 (day 6): 1 of 9, so no median exists yet.
    [res] = proficiency.compute(wh.facts_ctx("2024-01-07"))
    assert res.values["median_days"] is None and res.value is None
    assert res.notes == ("median not reached: fewer than half have reached L3 so far",)
    [done] = proficiency.compute(wh.facts_ctx("2024-02-25"))
    assert done.notes == ()


def test_delayed_entry_by_hand() -> None:
    # (time, reached, entry): b, c, e licensed after the data starts; a licensed 47 days
    # before it reaches L3 at 52; d licensed 50 days before it is censored at 60.
    a, b, c, d, e = (52, True, 47), (10, True, 0), (20, True, 0), (60, False, 50), (30, False, 0)
    times, reached, entry = (np.array(x) for x in zip(a, b, c, d, e, strict=True))
    naive = proficiency.kaplan_meier(times, reached)
    # Naive: at 10 five at risk → 4/5; at 20 four → 3/5; 30 censored; at 52 two → 3/10.
    assert dict(naive["curve"])[52.0] == pytest.approx(0.3)
    assert naive["median"] == 52.0
    km = proficiency.kaplan_meier(times, reached, entry=entry)
    # Delayed entry: a and d are not at risk before 47 and 50. At 10: b, c, e → 2/3; at 20:
    # c, e → 1/3 (the median); at 52: a and d (47 < 52, 50 < 52) → 1/3 × 1/2 = 1/6.
    curve = dict(km["curve"])
    assert (curve[10.0], curve[20.0], curve[52.0]) == pytest.approx((2 / 3, 1 / 3, 1 / 6))
    assert (km["n"], km["events"], km["censored"], km["median"]) == (5, 3, 2, 20.0)


def test_never_at_risk_is_left_out() -> None:
    # Entering at 30 and leaving at 30: never observed at risk (entry < t ≤ exit is empty).
    km = proficiency.kaplan_meier(np.array([10, 30]), np.array([True, True]), entry=[0, 30])
    assert (km["n"], km["events"], dict(km["curve"])) == (1, 1, {10.0: 0.0})


@pytest.mark.filterwarnings("ignore:The confidence interval is undefined:RuntimeWarning")
def test_matches_scipy_without_truncation() -> None:
    # Without late entries the estimator is the plain one: curve and band agree with scipy.
    from scipy import stats

    rng = np.random.default_rng(7)
    times = rng.integers(1, 40, size=60).astype(float)
    events = rng.random(60) < 0.6
    km = proficiency.kaplan_meier(times, events)
    ref = stats.ecdf(stats.CensoredData(uncensored=times[events], right=times[~events]))
    assert [t for t, _ in km["curve"]] == list(ref.sf.quantiles)
    assert [p for _, p in km["curve"]] == pytest.approx(list(ref.sf.probabilities))
    band = ref.sf.confidence_interval(confidence_level=0.95, method="log-log")
    q, low, high = ref.sf.quantiles, band.low.probabilities, band.high.probabilities
    first = {  # first time each limit falls to 0.5, as scipy's band gives it
        name: next((float(t) for t, p in zip(q, lim, strict=True) if p <= 0.5), None)
        for name, lim in (("ci_low", low), ("ci_high", high))
    }
    assert (km["ci_low"], km["ci_high"]) == (first["ci_low"], first["ci_high"])
    assert None not in (km["median"], km["ci_low"], km["ci_high"])  # a real comparison


def _vendor_start(wh: Any) -> None:
    wh.workflow("credit", stakes="high")
    # The data starts on Tuesday 2024-03-05 (the first run). late and old2 hold seats from
    # 2024-01-18, 47 days before it; new1 and new2 from Monday 03-11.
    for p, seat in (("late", "2024-01-18"), ("old2", "2024-01-18")):
        wh.person(p)
        wh.license(p, seat)
    for p in ("new1", "new2"):
        wh.person(p)
        wh.license(p, "2024-03-11")
    wh.task("late", "credit", "2024-03-05T10:00", ai_assisted=True)  # L3 in the week to 03-10
    wh.task("old2", "credit", "2024-03-06T10:00", ai_assisted=False)
    wh.task("new1", "credit", "2024-03-12T10:00", ai_assisted=True)  # L3 in the week to 03-17
    wh.task("new2", "credit", "2024-03-12T10:00", ai_assisted=False)


def test_licence_before_the_data_is_left_truncated(wh: Any) -> None:
    _vendor_start(wh)
    ctx = wh.facts_ctx("2024-03-31")
    frame = proficiency.durations(ctx, "tasks").set_index("person_key")
    # late: proficient 5 days into the data (week end 03-10) → an event at 52 days from its
    # seat. Levels are weekly, so observation starts with the week holding the data start
    # (Monday 03-04): entry at 46 — not 46 days of non-use. old2: censored at 03-31, 73 days.
    assert frame.loc["late", ["days", "reached", "entry"]].tolist() == [52, True, 46]
    assert frame.loc["old2", ["days", "reached", "entry"]].tolist() == [73, False, 46]
    # new1: seat 03-11, L3 at 03-17 → 6 days; new2 censored at 03-31 → 20 days; no late entry.
    assert frame.loc["new1", ["days", "reached", "entry"]].tolist() == [6, True, 0]
    assert frame.loc["new2", ["days", "reached", "entry"]].tolist() == [20, False, 0]
    e = entries(proficiency.compute(ctx))["time_to_proficiency"]
    assert (e["data_start"], e["left_truncated"], e["n"]) == ("2024-03-05", 2, 4)
    # At 6 days only new1 and new2 are at risk (late and old2 enter at 47): S(6) = 1/2, the
    # median. Read naively, four at risk at 6 (3/4) and two at 52 (3/8): a median of 52.
    assert e["median_days"] == 6.0
    naive = proficiency.kaplan_meier(frame["days"].to_numpy(), frame["reached"].to_numpy())
    assert naive["median"] == 52.0


def test_no_complete_week_since_the_data_starts(wh: Any) -> None:
    _vendor_start(wh)
    # As of Saturday 03-09 the last complete week ended 03-03, before the data (03-05):
    # nobody was ever observed at a week's end, so nobody is counted as not yet proficient.
    [res] = proficiency.compute(wh.facts_ctx("2024-03-09"))
    assert res.needs == ("events (a complete week since the data starts)",)
    assert res.notes == ("the data starts on 2024-03-05, after the last complete week",)


def test_with_the_release_noise_on_the_counts_carry_it(wh: Any) -> None:
    # One more "reached" between two dates was one person reaching L3: the counts carry the
    # noise, and the censored are the rest, so the three agree.
    from datetime import date, timedelta

    from uptake.metrics.noise import Noise

    _org(wh)
    ctx = wh.facts_ctx("2024-02-25", k=3)
    seen = set()
    for day in range(8):
        ctx.noise = Noise(
            enabled=True, key=b"k" * 32, as_of=date(2024, 2, 25) - timedelta(days=day)
        )
        e = entries(proficiency.compute(ctx))["time_to_proficiency"]
        assert e["noise"] and e["n"] == e["reached"] + e["censored"] and e["n"] >= 3
        for r in e["by_role"]:
            if not r.get("suppressed"):
                assert r["n"] == r["reached"] + r["censored"] and r["censored"] >= 0
        seen.add((e["n"], e["reached"]))
    assert len(seen) > 3
