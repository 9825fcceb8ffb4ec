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
