"""Depth of use and completion on AI-assisted high-stakes workflows, by hand."""

from __future__ import annotations

from typing import Any

from metrics.results import entries, named
from uptake.metrics.families import depth

AS_OF = "2024-03-31"


def _org(wh: Any) -> None:
    wh.workflow("credit", stakes="high", roles=["analyst"])
    wh.workflow("memo", stakes="low")
    for p, team in (("a1", "t1"), ("a2", "t1"), ("a3", "t1"), ("a4", "t2")):
        wh.person(p, role="analyst", team=team)
        wh.license(p, "2024-01-01")
    wh.person("o1", role="ops", team="t2")
    wh.license("o1", "2024-01-01")
    d = "2024-03-20T10:00"
    # a1: 3 eligible runs, 2 AI-assisted completed, 1 manual completed.
    wh.task("a1", "credit", d, ai_assisted=True)
    wh.task("a1", "credit", d, ai_assisted=True)
    wh.task("a1", "credit", d, ai_assisted=False)
    # a2: 2 eligible: 1 AI-assisted abandoned, 1 manual completed.
    wh.task("a2", "credit", d, ai_assisted=True, status="abandoned")
    wh.task("a2", "credit", d, ai_assisted=False)
    # a3: 1 eligible AI-assisted completed; plus a low-stakes run (never eligible).
    wh.task("a3", "credit", d, ai_assisted=True)
    wh.task("a3", "memo", d, ai_assisted=True)
    # a4: 2 eligible manual completed, one before the window (03-01 < 03-04).
    wh.task("a4", "credit", d, ai_assisted=False)
    wh.task("a4", "credit", "2024-03-01T10:00", ai_assisted=True)
    # o1 is ops: credit is not eligible for the role.
    wh.task("o1", "credit", d, ai_assisted=True)


def test_depth_and_completion(wh: Any) -> None:
    _org(wh)
    e = entries(depth.compute(wh.facts_ctx(AS_OF)))["depth_of_use"]
    # People with eligible runs in the window: a1, a2, a3, a4 → n = 4.
    # Eligible runs 3 + 2 + 1 + 1 = 7; AI-assisted 2 + 1 + 1 = 4; AI-assisted completed
    # 2 + 0 + 1 = 3; completed eligible 3 + 1 + 1 + 1 = 6.
    assert (e["n"], e["elig"], e["ai_elig"], e["ai_elig_done"], e["elig_done"]) == (4, 7, 4, 3, 6)
    assert round(e["depth"], 6) == round(3 / 7, 6)
    assert e["completion_share"] == 0.5  # 3 / 6
    assert e["ai_completion_rate"] == 0.75  # 3 / 4


def test_depth_by_team_suppresses_small_team(wh: Any) -> None:
    _org(wh)
    e = entries(depth.compute(wh.facts_ctx(AS_OF, by="team", k=3)))["depth_of_use"]
    rows = {r["segment"]: r for r in e["segments"]}
    # t1 has 3 people with eligible runs (visible); t2 only a4 (o1 has none) → hidden, and
    # with one hidden cell left the only other cell, t1, is hidden as well.
    assert (rows["t2"]["suppressed"], rows["t1"]["suppressed"]) == ("small", "complementary")
    assert e["n"] == 4


def test_weekly_depth(wh: Any) -> None:
    _org(wh)
    e = entries(depth.compute(wh.facts_ctx(AS_OF, trend_weeks=2)))["weekly_depth"]
    weeks = {r["week"]: r for r in e["weeks"]}
    # Week 03-18 holds every 03-20 run: eligible 3 + 2 + 1 + 1 = 7 (a4's 03-01 run is
    # weeks earlier), completed AI-assisted 3 → depth 3/7; 4 people with eligible runs.
    assert (weeks["2024-03-18"]["n"], weeks["2024-03-18"]["depth"]) == (4, round(3 / 7, 6))
    assert weeks["2024-03-25"]["n"] == 0 and weeks["2024-03-25"]["depth"] is None


def test_not_available_without_stakes(wh: Any) -> None:
    wh.person("a")
    wh.license("a", "2024-01-01")
    wh.task("a", "credit", "2024-03-20T10:00")
    e = named(depth.compute(wh.facts_ctx(AS_OF)))
    assert e["depth_of_use"].needs == ("workflows.stakes",)
    assert e["depth_of_use"].to_dict()["status"] == "not_available"
