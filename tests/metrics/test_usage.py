"""Usage rate on a hand-built organisation of ten licensed people, k = 3."""

from __future__ import annotations

from typing import Any

from metrics.results import entries, named
from uptake.metrics.families import usage

AS_OF = "2024-03-31"  # a Sunday: the window is 03-04..03-31


def _org(wh: Any) -> None:
    teams = {"t1": ["p1", "p2", "p3", "p4"], "t2": ["p5", "p6"], "t3": ["p7", "p8", "p9", "p10"]}
    for team, people in teams.items():
        for p in people:
            wh.person(p, team=team)
            wh.license(p, "2024-01-02")
    wh.person("u1", team="t1")  # no licence: never counted
    wh.person("r1", team="t1")
    wh.license("r1", "2024-01-02", removed_at="2024-03-15")  # removed before as_of
    events = {
        "p1": ["2024-03-20", "2024-03-27"],
        "p2": ["2024-03-27"],
        "p3": ["2024-03-10"],
        "p4": ["2024-03-01"],  # before the window
        "p5": ["2024-03-27"],
        "p7": ["2024-03-05"],
        "u1": ["2024-03-27"],
        "r1": ["2024-03-27"],
    }
    for p, days in events.items():
        wh.events(p, [f"{d}T10:00" for d in days])


def test_window_rate(wh: Any) -> None:
    _org(wh)
    entry = entries(usage.compute(wh.facts_ctx(AS_OF)))["usage_rate"]
    # Licensed on 03-31: p1..p10 (r1's seat was removed). Active in 03-04..03-31:
    # p1, p2, p3, p5, p7 → 5 of 10.
    assert (entry["n"], entry["active"], entry["rate"]) == (10, 5, 0.5)
    assert entry["window"] == {"start": "2024-03-04", "end": "2024-03-31"}


def test_window_rate_by_team_hides_small_team_and_its_complement(wh: Any) -> None:
    _org(wh)
    entry = entries(usage.compute(wh.facts_ctx(AS_OF, by="team", k=3)))["usage_rate"]
    rows = {r["segment"]: r for r in entry["segments"]}
    # t2 has 2 people < k: hidden. Alone it would be 10 − 4 − 4; the smallest other cell
    # (t1, 4 people, first of the two ties) is hidden with it.
    assert rows["t2"] == {"segment": "t2", "suppressed": "small"}
    assert rows["t1"] == {"segment": "t1", "suppressed": "complementary"}
    # t3: p7 only of 4 → 0.25.
    assert (rows["t3"]["n"], rows["t3"]["active"], rows["t3"]["rate"]) == (4, 1, 0.25)
    assert entry["n"] == 10


def test_weekly_rate(wh: Any) -> None:
    _org(wh)
    entry = entries(usage.compute(wh.facts_ctx(AS_OF, trend_weeks=2)))["weekly_active_rate"]
    weeks = {r["week"]: r for r in entry["weeks"]}
    # Week 03-18: p1 (03-20) → 1 of 10. Week 03-25: p1, p2, p5 → 3 of 10 (u1, r1 unlicensed).
    assert (weeks["2024-03-18"]["active"], weeks["2024-03-18"]["n"]) == (1, 10)
    assert (weeks["2024-03-25"]["active"], weeks["2024-03-25"]["rate"]) == (3, 0.3)
    assert (entry["week"], entry["rate"]) == ("2024-03-25", 0.3)


def test_incomplete_week_is_left_out(wh: Any) -> None:
    _org(wh)
    # As of Wednesday 03-27 the week of 03-25 is not complete: the last one is 03-18.
    entry = entries(usage.compute(wh.facts_ctx("2024-03-27", trend_weeks=2)))["weekly_active_rate"]
    assert [r["week"] for r in entry["weeks"]] == ["2024-03-11", "2024-03-18"]


def test_weekly_rate_by_segment_is_suppressed_per_week(wh: Any) -> None:
    _org(wh)
    entry = entries(usage.compute(wh.facts_ctx(AS_OF, by="team", trend_weeks=2)))[
        "weekly_active_rate"
    ]
    for week in ("2024-03-18", "2024-03-25"):
        rows = {r["segment"]: r for r in entry["segments"] if r["week"] == week}
        assert rows["t2"]["suppressed"] and rows["t1"]["suppressed"]
        assert not rows["t3"]["suppressed"]


def test_not_available_names_missing_inputs(wh: Any) -> None:
    wh.person("p1")
    out = named(usage.compute(wh.facts_ctx(AS_OF)))
    assert out["usage_rate"].needs == ("events", "licenses")
    assert out["usage_rate"].to_dict()["status"] == "not_available"
    wh.license("p1", "2024-01-01")
    out = named(usage.compute(wh.facts_ctx(AS_OF)))
    assert out["weekly_active_rate"].needs == ("events",)


def test_usage_rate_by_tool_counts_each_tools_seat_holders_and_their_use_of_it(wh: Any) -> None:
    # a1..a6 hold tools A and B; b1..b3 hold B only. A is used by a1..a3, B by b1..b3, so
    # no tool group differs from another shown group by fewer than k = 3 people.
    for p in ("a1", "a2", "a3", "a4", "a5", "a6"):
        wh.person(p)
        wh.license(p, "2024-01-02", tool="A")
        wh.license(p, "2024-01-02", tool="B")
    for p in ("b1", "b2", "b3"):
        wh.person(p)
        wh.license(p, "2024-01-02", tool="B")
    for p in ("a1", "a2", "a3"):
        wh.event(p, "2024-03-20T10:00", tool="A")
    for p in ("b1", "b2", "b3"):
        wh.event(p, "2024-03-21T10:00", tool="B")
    entry = entries(usage.compute(wh.facts_ctx(AS_OF, by="tool")))["usage_rate"]
    # The total is per person: 9 licensed, 6 active with any tool.
    assert (entry["n"], entry["active"]) == (9, 6)
    rows = {r["segment"]: r for r in entry["segments"]}
    assert (rows["A"]["n"], rows["A"]["active"], rows["A"]["rate"]) == (6, 3, 0.5)
    assert (rows["B"]["n"], rows["B"]["active"]) == (9, 3)


def test_a_tool_with_fewer_seat_holders_than_k_is_hidden(wh: Any) -> None:
    for p in ("p1", "p2", "p3"):
        wh.person(p)
        wh.license(p, "2024-01-02", tool="A")
    wh.person("solo")
    wh.license("solo", "2024-01-02", tool="C")
    for p in ("p1", "p2", "solo"):
        wh.event(p, "2024-03-20T10:00", tool="A" if p != "solo" else "C")
    entry = entries(usage.compute(wh.facts_ctx(AS_OF, by="tool")))["usage_rate"]
    rows = {r["segment"]: r for r in entry["segments"]}
    assert rows["C"] == {"segment": "C", "suppressed": "small"}
    # A's 3 seat holders are the total of 4 minus solo: showing A would give solo's C seat
    # and, through the active counts, whether solo used it. The tool plan hides A too.
    assert rows["A"] == {"segment": "A", "suppressed": "complementary"}
    assert entry["n"] == 4


def test_by_tool_other_metrics_say_they_are_not_per_tool(wh: Any) -> None:
    from uptake.metrics import compute_all

    _org(wh)
    ctx = wh.facts_ctx(AS_OF)
    report = compute_all(ctx.engine, ctx.as_of, ctx.settings, 3, by="tool")
    assert report["usage_rate"].by == "tool"
    ladder = report["adoption_ladder"]
    assert ladder.by is None and "not broken down by tool" in " ".join(ladder.notes)
