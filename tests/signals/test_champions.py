"""Champions: the score worked by hand, greedy cover with a known optimum, impact and k."""

from __future__ import annotations

from typing import Any

import pytest

from uptake.errors import NotAvailableError
from uptake.signals import champions

AS_OF = "2024-03-31"  # Sunday; credibility window (56 days) 2024-02-05 … 03-31.
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


def _early_use(wh: Any, person: str) -> None:
    """Action days in the first weeks of the licence: not a low early user."""
    wh.events(person, ["2024-01-02T09:00", "2024-01-03T09:00", "2024-01-04T09:00"])


def _person(wh: Any, key: str, level: int, *, team: str = "t9", role: str = "r9") -> None:
    wh.person(key, team=team, role=role)
    wh.license(key, "2024-01-01")
    _level(wh, key, level)


def _ask(wh: Any, helper: str, askers: list[str], at: str = "2024-03-10T10:00") -> None:
    for a in askers:
        wh.help(at, asker=a, helper=helper)


def test_score_counts_askers_and_weighs_depth_and_conversion(wh: Any) -> None:
    wh.workflow("credit", stakes="high")
    for a in ("a1", "a2", "a3"):
        _person(wh, a, 1)
    # L4 by its runs, L5 once two colleagues ask; early use, confident → 3 askers × 1.5.
    _person(wh, "deep", 4)
    _early_use(wh, "deep")
    wh.response("2024-01-15T10:00", person="deep", score=8)
    _ask(wh, "deep", ["a1", "a2", "a3"])
    _person(wh, "conv", 3)  # L3, early pulse 2 ≤ 4 → converted: 2 × 1.5 = 3.0
    _early_use(wh, "conv")
    wh.response("2024-01-15T10:00", person="conv", score=2)
    wh.response("2024-03-15T10:00", person="conv", score=9)  # later answers are not early
    _ask(wh, "conv", ["a1", "a2"])
    _person(wh, "plain", 3)  # L3, used early, no pulse → 2 × 1.0
    _early_use(wh, "plain")
    _ask(wh, "plain", ["a1", "a2"])
    _ask(wh, "plain", ["a3"], at="2024-01-10T10:00")  # before the window: not counted
    _person(wh, "keen", 2)  # asked by 3 but at L2 himself: scored, not credible
    _early_use(wh, "keen")
    _ask(wh, "keen", ["a1", "a2", "a3"])
    _person(wh, "once", 3)  # one asker (self-asks ignored) → not credible
    _early_use(wh, "once")
    _ask(wh, "once", ["a1", "once"])
    r = champions.rank(wh.facts_ctx(AS_OF, k=3))
    got = r.frame.set_index("person_key")
    assert list(r.frame.person_key) == ["deep", "conv", "keen", "plain", "once"]
    assert got.loc["deep", ["askers", "level", "depth", "converted", "score"]].tolist() == [
        3, 5, True, False, 4.5,
    ]  # fmt: skip
    assert got.loc["conv", ["askers", "early_confidence", "converted", "score"]].tolist() == [
        2, 2.0, True, 3.0,
    ]  # fmt: skip
    assert got.loc["plain", ["askers", "converted", "score"]].tolist() == [2, False, 2.0]
    assert got.loc["keen", "score"] == 3.0 and not got.loc["keen", "credible"]
    assert got.loc["once", "askers"] == 1 and not got.loc["once", "credible"]
    assert list(r.candidates().person_key) == ["deep", "conv", "plain"]


def test_low_early_use_is_conversion(wh: Any) -> None:
    wh.workflow("credit", stakes="high")
    _person(wh, "a1", 1)
    _person(wh, "a2", 1)
    _person(wh, "late", 3)  # nothing in January: fewer than 3 early action days
    _ask(wh, "late", ["a1", "a2"])
    got = champions.rank(wh.facts_ctx(AS_OF, k=3)).frame.set_index("person_key")
    assert got.loc["late", "early_action_days"] == 0 and got.loc["late", "converted"]


def _cover_org(wh: Any) -> None:
    """Candidates A (t1, r1), B (t2, r2), C (t1, r2), D (t3, r1); E (t4) has one asker.

    Three teams need three champions, and {A, B, D} covers all 3 teams and both roles:
    the optimum. C outscores B but adds only role r2 once A is in.
    """
    wh.workflow("credit", stakes="high")
    askers = [f"q{i}" for i in range(6)]
    for a in askers:
        _person(wh, a, 1, team="t5", role="r3")
    for key, team, role, n in (("A", "t1", "r1", 5), ("B", "t2", "r2", 2),
                               ("C", "t1", "r2", 4), ("D", "t3", "r1", 2),
                               ("E", "t4", "r1", 1)):  # fmt: skip
        _person(wh, key, 3, team=team, role=role)
        _early_use(wh, key)
        _ask(wh, key, askers[:n])
    # Colleagues who are not candidates: t1 has 3 people, t2 2, t3 1, t4 2.
    for key, team in (("x1", "t1"), ("x2", "t2"), ("x3", "t4")):
        _person(wh, key, 1, team=team, role="r3")


def test_greedy_cover_reaches_the_known_optimum(wh: Any) -> None:
    _cover_org(wh)
    ctx = wh.facts_ctx(AS_OF, k=3)
    r = champions.rank(ctx)
    assert list(r.candidates().person_key) == ["A", "C", "B", "D"]
    sel = champions.select(ctx, r)
    assert sel.champions == ["A", "B", "D"]
    assert sel.detail["gain"].tolist() == [2, 2, 1]
    assert (sel.teams_covered, sel.teams, sel.roles_covered, sel.roles) == (3, 5, 2, 3)
    # People in t1 (A, C, x1), t2 (B, x2), t3 (D) of 6 askers + 5 candidates + 3 others.
    assert (sel.covered_people, sel.people) == (6, 14)
    assert sel.coverage == pytest.approx(6 / 14)
    assert sel.to_dict()["champions"] == ["A", "B", "D"]
    assert champions.select(ctx, r, max_champions=1).champions == ["A"]


def test_precision_against_a_truth() -> None:
    assert champions.precision(["A", "B", "D"], ["A", "D", "Z"]) == {
        "selected": 3,
        "true_positive": 2,
        "precision": 0.6667,
    }
    assert champions.precision([], ["A"])["precision"] is None


def _impact_org(wh: Any) -> None:
    """Weeks 02-26 (start) and 03-25 (end); help counted from 03-04.

    Helped (asked `ch`): h1, h2, h3 — analysts from L1 to L3, gain 2 each. Comparison
    (asked no one): c1 L1 → L2 (gain 1), c2 and c3 stay L1 → mean 1/3. `o1` (role other)
    has no helped stratum; `hx` asked someone else; `lone` (role solo) was helped but has no
    comparison in its stratum: all three are left out.
    """
    wh.workflow("credit", stakes="high")
    for p, role in (("h1", "analyst"), ("h2", "analyst"), ("h3", "analyst"), ("c1", "analyst"),
                    ("c2", "analyst"), ("c3", "analyst"), ("o1", "other"),
                    ("hx", "analyst"), ("lone", "solo"), ("ch", "analyst"),
                    ("ot", "other")):  # fmt: skip
        wh.person(p, role=role)
        wh.license(p, "2024-01-01")
    for p in ("h1", "h2", "h3", "lone", "o1", "hx"):
        _level(wh, p, 3)
    _level(wh, "c1", 2)
    _ask(wh, "ch", ["h1", "h2", "h3", "lone"])
    _ask(wh, "ot", ["hx"])


def test_impact_compares_helped_with_comparable_people(wh: Any) -> None:
    _impact_org(wh)
    im = champions.impact(wh.facts_ctx(AS_OF, k=3), ["ch"])
    assert (im.start_week, im.end_week) == ("2024-02-26", "2024-03-25")
    d = im.to_dict()
    assert d["groups"] == [
        {"group": "helped", "n": 3, "mean_gain": 2.0},
        {"group": "comparison", "n": 3, "mean_gain": pytest.approx(1 / 3, abs=1e-6)},
    ]
    assert im.difference == pytest.approx(5 / 3)
    assert im.strata == 1


def test_impact_is_hidden_below_k(wh: Any) -> None:
    _impact_org(wh)
    im = champions.impact(wh.facts_ctx(AS_OF, k=4), ["ch"])
    # Both groups count 3 < 4: each is hidden, and so is the difference between them.
    assert [g.get("suppressed") for g in im.to_dict()["groups"]] == ["small", "small"]
    assert "n" not in im.to_dict()["groups"][0] and im.difference is None


def test_no_help_edges_means_no_ranking(wh: Any) -> None:
    wh.workflow("credit", stakes="high")
    _person(wh, "p1", 4)
    with pytest.raises(NotAvailableError) as e:
        champions.rank(wh.facts_ctx(AS_OF, k=3))
    assert e.value.needs == ["help_edges"]
