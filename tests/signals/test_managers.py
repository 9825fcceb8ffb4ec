"""Managers: own level against the team's, the passive-resistance flag and its near misses."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from uptake.errors import NotAvailableError
from uptake.signals import managers

AS_OF = "2024-03-31"
RUN_DAY = "2024-03-26T10:00"


def _level(wh: Any, person: str, level: int) -> None:
    """Tasks (workflow `credit`, high stakes) that put `person` at `level` on AS_OF."""
    ai, manual = {1: (0, 3), 2: (1, 2), 3: (2, 1), 4: (4, 1)}[level]
    for _ in range(ai):
        wh.task(person, "credit", RUN_DAY, ai_assisted=True)
    for _ in range(manual):
        wh.task(person, "credit", RUN_DAY, ai_assisted=False)
    if level == 4:
        wh.events(person, ["2024-03-05T09:00", "2024-03-19T09:00", "2024-03-26T09:00"])
        wh.feedback("2024-01-20T10:00", person=person)


def _add(wh: Any, key: str, level: int | None, manager: str | None) -> None:
    wh.person(key, manager=manager, team=f"team-{manager}")
    if level is not None:
        wh.license(key, "2024-01-01")
        _level(wh, key, level)


# Manager → (own level, report levels); the ceo manages m1…m6.
TEAMS = {
    "m1": (1, [1, 1, 1, 3]),  # L1, share 0.25 < median 0.4 → flagged
    "m2": (4, [3, 3, 1]),  # share 0.667
    "m3": (2, [3, 3, 3]),  # near miss: L2 but the team is at 1.0
    "m4": (3, [1, 1, 3]),  # near miss: team 0.333 below the median, but the manager is L3
    "m5": (2, [1, 1]),  # L2, team 0 — but two people: not judged
}


def _org(wh: Any) -> None:
    wh.workflow("credit", stakes="high")
    _add(wh, "ceo", 3, None)
    for m, (own, reports) in TEAMS.items():
        _add(wh, m, own, "ceo")
        for i, lv in enumerate(reports):
            _add(wh, f"{m}r{i}", lv, m)
    _add(wh, "m6", None, "ceo")  # unlicensed manager of three L1 people: not flagged
    for i in range(3):
        _add(wh, f"m6r{i}", 1, "m6")


def test_flag_on_a_disengaged_manager_of_a_lagging_team(wh: Any) -> None:
    _org(wh)
    rep = managers.managers(wh.facts_ctx(AS_OF, k=3))
    # Teams of ≥ 3: ceo 0.4 (m1…m5 at L1, L4, L2, L3, L2; unlicensed m6 not counted),
    # m1 0.25, m2 0.667, m3 1.0, m4 0.333, m6 0.0 → median (0.333 + 0.4) / 2.
    assert rep.org_median_l3_share == pytest.approx((1 / 3 + 0.4) / 2)
    assert [f.person_key for f in rep.flags] == ["m1"]
    ev = rep.flags[0].evidence
    assert ev["own_level"] == "L1" and ev["team_licensed"] == 4
    assert ev["team_l3_plus_share"] == 0.25 and ev["teams_judged"] == 6
    got = rep.managers.set_index("manager_key")
    assert got.loc["m5", "team_n"] == 2 and got.loc["ceo", "management_level"] == "M2"
    assert got.loc["m4", "team_l3_plus_share"] == pytest.approx(1 / 3)
    assert pd.isna(got.loc["m6", "own_level"]) and got.loc["m6", "team_n"] == 3


def test_near_miss_at_the_median_is_not_flagged(wh: Any) -> None:
    _org(wh)
    # m1's team gains an L3: 2 of 5 = 0.4, and the median becomes 0.4 (ceo 0.4, m1 0.4,
    # m2 0.667, m3 1.0, m4 0.333, m6 0.0): at the median, not below it → no flag.
    _add(wh, "m1r9", 3, "m1")
    rep = managers.managers(wh.facts_ctx(AS_OF, k=3))
    assert rep.org_median_l3_share == pytest.approx(0.4)
    assert rep.managers.set_index("manager_key").loc["m1", "team_l3_plus_share"] == 0.4
    assert rep.flags == []


def test_small_teams_are_hidden_from_group_rows(wh: Any) -> None:
    _org(wh)
    rep = managers.managers(wh.facts_ctx(AS_OF, k=3))
    teams = rep.teams.set_index("manager_key")
    # m5's two people are below k; the smallest other team (3) covers it.
    assert teams.loc["m5", "suppressed_reason"] == "small"
    assert teams["suppressed_reason"].eq("complementary").sum() == 1
    assert teams.loc["(all)", "n"] == 23 and not teams.loc["(all)", "suppressed"]
    rows = rep.to_dict()["teams"]
    assert {"manager_key": "m5", "suppressed": "small"} in rows
    # The trend: one table per week, the organisation always shown.
    trend = rep.trend[rep.trend["manager_key"] == "(all)"]
    assert len(trend) == 4 and not trend["suppressed"].any()


def test_l5_is_withheld_from_team_rows_without_help_or_feedback_data(wh: Any) -> None:
    wh.workflow("credit", stakes="high")
    _add(wh, "boss", 3, None)
    for i, lv in enumerate([1, 2, 3, 3]):
        _add(wh, f"r{i}", lv, "boss")
    doc = managers.managers(wh.facts_ctx(AS_OF, k=3)).to_dict()
    assert doc["not_available"] == {"L5": ["help_edges or feedback"]}
    shown = [r for r in doc["teams"] if not r["suppressed"]]
    assert shown and all(r["L5"] is None and r["L3"] is not None for r in shown)
    # With feedback held (the organisation above), L5 is counted and nothing is withheld.
    _org(wh)
    doc = managers.managers(wh.facts_ctx(AS_OF, k=3)).to_dict()
    assert "not_available" not in doc
    assert all(isinstance(r["L5"], int) for r in doc["teams"] if not r["suppressed"])


def test_leadership_shown_only_at_or_above_k(wh: Any) -> None:
    _org(wh)
    rep = managers.managers(wh.facts_ctx(AS_OF, k=3))
    lead = rep.leadership.set_index(["table", "group"])
    # One senior manager (the ceo, M2): below k, hidden with its total.
    assert lead.loc[("senior managers", "M2"), "suppressed"]
    assert lead.loc[("senior managers", "(all)"), "suppressed"]
    assert lead.loc[("organisation", "(all)"), "n"] == 24


def test_leadership_total_shown_when_the_group_reaches_k(wh: Any) -> None:
    # ceo (M3+) → vp1…vp3 (M2) → one first-line manager each (M1) → one report each.
    wh.workflow("credit", stakes="high")
    _add(wh, "ceo", 1, None)
    for i, lv in enumerate((3, 4, 1), start=1):
        _add(wh, f"vp{i}", lv, "ceo")
        _add(wh, f"fl{i}", 2, f"vp{i}")
        _add(wh, f"ic{i}", 3, f"fl{i}")
    rep = managers.managers(wh.facts_ctx(AS_OF, k=3))
    lead = rep.leadership.set_index(["table", "group"])
    total = lead.loc[("senior managers", "(all)")]
    assert (total["n"], total["L1"], total["L3"], total["L4"]) == (4, 2, 1, 1)
    assert total["l3_plus_share"] == 0.5
    # M2 (3 people) would reveal M3+ (1) by subtraction: both hidden.
    assert lead.loc[("senior managers", "M3+"), "suppressed_reason"] == "small"
    assert lead.loc[("senior managers", "M2"), "suppressed_reason"] == "complementary"


def test_needs_a_manager_chain(wh: Any) -> None:
    wh.workflow("credit", stakes="high")
    _add(wh, "p1", 3, None)
    with pytest.raises(NotAvailableError):
        managers.managers(wh.facts_ctx(AS_OF, k=3))
