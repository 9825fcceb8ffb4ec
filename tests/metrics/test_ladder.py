"""Adoption ladder L1–L5: one person per rule, worked by hand; proxies; history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest

from metrics.results import entries, named
from uptake.metrics.families import ladder, ladder_history

AS_OF = "2024-03-31"  # Sunday. Window 03-04..03-31; recent weeks 03-25, 03-18, 03-11, 03-04.
RUN_DAY = "2024-03-26T10:00"  # every run falls in the last week


def _runs(wh: Any, person: str, ai: int, manual: int, low_ai: int = 0) -> None:
    for _ in range(ai):
        wh.task(person, "credit", RUN_DAY, ai_assisted=True)
    for _ in range(manual):
        wh.task(person, "credit", RUN_DAY, ai_assisted=False)
    for _ in range(low_ai):
        wh.task(person, "memo", RUN_DAY, ai_assisted=True)


def _integrated(wh: Any, person: str, overrides: int = 1) -> None:
    """80 % AI-assisted, active in 3 of 4 recent weeks, 5 decisions, feedback in February."""
    _runs(wh, person, ai=4, manual=1)
    wh.events(person, ["2024-03-05T09:00", "2024-03-19T09:00", "2024-03-26T09:00"])
    for i in range(5):
        wh.decision(person, f"2024-03-2{i}T12:00", followed=i >= overrides)
    wh.feedback("2024-02-01T10:00", person=person)


def _org(wh: Any) -> None:
    wh.workflow("credit", stakes="high", roles=["analyst"])
    wh.workflow("memo", stakes="low")
    people = ["l1", "l2a", "l2b", "l3", "l4x", "l4", "l4h", "l5", "l5u"]
    for p in people:
        wh.person(p, role="analyst", team="t1" if p in ("l1", "l2a", "l2b", "l3") else "t2")
        wh.license(p, "2024-01-01")
    _runs(wh, "l1", ai=0, manual=3)  # no AI-assisted run → L1
    wh.events("l1", ["2024-03-26T09:00"])
    _runs(wh, "l2a", ai=1, manual=2)  # 33 % → L2
    _runs(wh, "l2b", ai=0, manual=0, low_ai=2)  # only low stakes → L2
    _runs(wh, "l3", ai=2, manual=1)  # 67 %, no feedback → L3
    wh.events("l3", ["2024-03-05T09:00", "2024-03-12T09:00", "2024-03-19T09:00"])
    _integrated(wh, "l4x", overrides=3)  # override rate 0.6, outside [0, 0.35] → L3
    _integrated(wh, "l4")  # → L4
    _integrated(wh, "l4h")
    wh.help("2024-01-10T10:00", asker="l1", helper="l4h")  # too long ago → still L4
    wh.help("2024-01-11T10:00", asker="l2a", helper="l4h")
    _integrated(wh, "l5")
    wh.help("2024-03-10T10:00", asker="l1", helper="l5")  # two distinct colleagues → L5
    wh.help("2024-03-12T10:00", asker="l2a", helper="l5")
    wh.help("2024-03-13T10:00", asker="l2a", helper="l5")
    _integrated(wh, "l5u")
    wh.feedback("2024-03-20T10:00", person="l5u", category="use_case")  # a use case → L5


EXPECTED = {"l1": 1, "l2a": 2, "l2b": 2, "l3": 3, "l4x": 3, "l4": 4, "l4h": 4, "l5": 5, "l5u": 5}


def test_each_rule_places_its_person(wh: Any) -> None:
    _org(wh)
    levels = ladder.person_levels(wh.facts_ctx(AS_OF))
    assert dict(zip(levels.person_key, levels.level, strict=True)) == EXPECTED
    assert (levels.basis == "tasks").all()


def test_distribution_and_segments(wh: Any) -> None:
    _org(wh)
    e = entries(ladder.compute(wh.facts_ctx(AS_OF, by="team")))["adoption_ladder"]
    # L1 l1; L2 l2a, l2b; L3 l3, l4x; L4 l4, l4h; L5 l5, l5u.
    assert [e[x] for x in ("n", "L1", "L2", "L3", "L4", "L5")] == [9, 1, 2, 2, 2, 2]
    assert e["l3_plus_share"] == round(6 / 9, 6)
    rows = {r["segment"]: r for r in e["segments"]}
    # t1: l1, l2a, l2b, l3 → one at L3+; t2: the other five, all L3+.
    assert [rows["t1"][x] for x in ("n", "L1", "L2", "L3")] == [4, 1, 2, 1]
    assert (rows["t2"]["n"], rows["t2"]["l3_plus_share"]) == (5, 1.0)


def _week_and_day_levels(
    wh: Any, week: date, **settings: Any
) -> tuple[dict[str, int], dict[str, int]]:
    """Levels by the history at the end of `week`, and by the day rules on that day."""
    ctx = wh.facts_ctx(AS_OF, **settings)
    hist = wh.engine.execute(ladder_history.history(ctx, [week], "tasks"))
    day = ladder.person_levels(ctx, at=week + timedelta(days=6))
    return (
        dict(zip(hist.person_key, hist.level, strict=True)),
        dict(zip(day.person_key, day.level, strict=True)),
    )


def test_history_agrees_with_day_rules_at_week_end(wh: Any) -> None:
    _org(wh)
    for week in (date(2024, 3, 25), date(2024, 3, 11)):
        by_week, by_day = _week_and_day_levels(wh, week)
        assert by_week == by_day


@pytest.mark.parametrize(("window_days", "recent_weeks"), [(14, 2), (35, 3), (56, 6), (91, 8)])
def test_history_agrees_with_day_rules_for_short_and_long_windows(
    wh: Any, window_days: int, recent_weeks: int
) -> None:
    # Trailing sums of up to four weeks are lagged values, longer ones a framed window sum:
    # both agree with the day rules (ever-licensed people, weeks before and inside the data).
    _org(wh)
    for p in ("l3", "l4", "l5"):
        wh.events(p, ["2024-02-06T09:00", "2024-02-20T09:00"])
        wh.task(p, "credit", "2024-02-13T10:00", ai_assisted=True)
    settings = {"window_days": window_days, "ladder_recent_weeks": recent_weeks}
    seen = set()
    for week in (date(2024, 3, 25), date(2024, 3, 11), date(2024, 2, 19)):
        by_week, by_day = _week_and_day_levels(wh, week, **settings)
        assert by_week == by_day
        seen |= set(by_week.values())
    assert len(seen) >= 3  # the rules tell people apart in these weeks


def test_history_counts_feedback_given_before_the_licence_as_the_day_rules_do(wh: Any) -> None:
    _org(wh)
    # Licensed from 11 March; feedback on 5 March, inside the history's weeks but before
    # the licence: the day rules count all feedback up to the date, and so must the history.
    wh.person("late", role="analyst", team="t2")
    wh.license("late", "2024-03-11")
    _runs(wh, "late", ai=4, manual=1)
    wh.events("late", ["2024-03-12T09:00", "2024-03-19T09:00", "2024-03-26T09:00"])
    wh.feedback("2024-03-05T10:00", person="late")
    by_week, by_day = _week_and_day_levels(wh, date(2024, 3, 25))
    assert by_week == by_day
    assert by_week["late"] == 4


def test_history_counts_work_done_before_the_licence_as_the_day_rules_do(wh: Any) -> None:
    _org(wh)
    # Licensed from 18 March; AI-assisted runs on 12 March, inside the window: the day rules
    # count every run in the window, licensed or not, and so must the history.
    wh.person("early", role="analyst", team="t2")
    wh.license("early", "2024-03-18")
    for _ in range(3):
        wh.task("early", "credit", "2024-03-12T10:00", ai_assisted=True)
    by_week, by_day = _week_and_day_levels(wh, date(2024, 3, 25))
    assert by_week == by_day
    assert by_week["early"] == 3


def test_transitions_week_over_week(wh: Any) -> None:
    _org(wh)
    e = entries(ladder.compute(wh.facts_ctx(AS_OF, trend_weeks=2)))["ladder_transitions"]
    # Every run is on 03-26: at the end of 03-24 nobody has an AI-assisted run (all L1);
    # by 03-31 they spread as in EXPECTED. So 8 of 9 move up from L1.
    assert (e["from_week"], e["to_week"]) == ("2024-03-18", "2024-03-25")
    assert (e["n"], e["up"], e["down"], e["same"]) == (9, 8, 0, 1)
    row = next(r for r in e["rows"] if r["from"] == "L1")
    assert [row[f"to_L{i}"] for i in range(1, 6)] == [1, 2, 2, 2, 2]
    empty = [r for r in e["rows"] if r["from"] != "L1"]
    assert all(r["n"] == 0 and not r["suppressed"] for r in empty)
    weeks = {r["week"]: r for r in e["weeks"]}
    assert weeks["2024-03-18"]["L1"] == 9 and weeks["2024-03-25"]["L5"] == 2


def test_small_transition_rows_are_hidden(wh: Any) -> None:
    _org(wh)
    # As of 04-07, weeks 03-25 → 04-01. From-rows: L1 1, L2 2, L3 2, L4 2, L5 2 people →
    # every row is below k = 3 (together 9 ≥ 3, so the total stays visible).
    e = entries(ladder.compute(wh.facts_ctx("2024-04-07", trend_weeks=2)))["ladder_transitions"]
    assert all(r == {"from": r["from"], "suppressed": "small"} for r in e["rows"])
    # The window still holds the 03-26 runs, but the recent weeks are now 03-11..04-07:
    # l4, l4h, l5, l5u were active only on 03-19 and 03-26 (2 of 4) → down to L3.
    assert (e["n"], e["up"], e["down"]) == (9, 0, 4)


def _days(wh: Any, person: str, per_week: dict[str, int], **kw: Any) -> None:
    """One action a day on the first `n` days of each week (given by its Monday)."""
    for monday, n in per_week.items():
        first = date.fromisoformat(monday)
        wh.events(person, [f"{first + timedelta(days=i)}T09:00" for i in range(n)], **kw)


# The recent weeks (as of Sunday 03-31): Mondays 03-04, 03-11, 03-18, 03-25.
FOUR = ("2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25")


def test_activity_proxies_without_tasks(wh: Any) -> None:
    for p in ("p1", "p2", "p3", "p4", "p5", "p6"):
        wh.person(p)
        wh.license(p, "2024-01-01")
    # p2: one day a week, each a vendor daily total of 150 suggestions: 4 days → L2, never
    # L3 however large the counts.
    _days(wh, "p2", dict.fromkeys(FOUR, 1), action="suggestion", quantity=150)
    # p3: 6 + 5 + 5 = 16 days in 3 weeks → L3 (≥ 16 days, ≥ 3 weeks).
    _days(wh, "p3", {"2024-03-11": 6, "2024-03-18": 5, "2024-03-25": 5})
    # p4: 5 days in each of the 4 weeks = 20 days, and feedback given → L4.
    _days(wh, "p4", dict.fromkeys(FOUR, 5))
    wh.feedback("2024-03-01T10:00", person="p4")
    # p5: the same 20 days but no feedback, while the workspace holds feedback → L3.
    _days(wh, "p5", dict.fromkeys(FOUR, 5))
    # p6: 4 + 4 + 4 + 3 = 15 days in 4 weeks: one day short of L3 → L2.
    _days(wh, "p6", {"2024-03-04": 4, "2024-03-11": 4, "2024-03-18": 4, "2024-03-25": 3})
    ctx = wh.facts_ctx(AS_OF)
    levels = ladder.person_levels(ctx)
    assert dict(zip(levels.person_key, levels.level, strict=True)) == {
        "p1": 1,
        "p2": 2,
        "p3": 3,
        "p4": 4,
        "p5": 3,
        "p6": 2,
    }
    e = entries(ladder.compute(ctx))["adoption_ladder"]
    assert e["basis"] == "proxy: activity" and "proxies" in e["rules"]
    # The definition shown beside a proxy result says the proxy is not the work itself.
    assert "without task data, from activity proxies" in e["definition"]
    # The week-based history agrees with the day-based levels at the week's last day.
    h = ctx.engine.execute(ladder_history.history(ctx, [date(2024, 3, 25)], ladder.PROXY))
    assert dict(zip(h.person_key, h.level, strict=True)) == dict(
        zip(levels.person_key, levels.level, strict=True)
    )


def test_proxy_l4_rules_the_data_cannot_judge_hold_no_one_back(wh: Any) -> None:
    # Vendor exports hold no feedback and no decisions: 20 days in 4 weeks is L4, in the
    # levels and in the published distribution alike.
    for p in ("p1", "p2", "p3"):
        wh.person(p)
        wh.license(p, "2024-01-01")
        _days(wh, p, dict.fromkeys(FOUR, 5))
    ctx = wh.facts_ctx(AS_OF)
    assert ladder.person_levels(ctx).level.tolist() == [4, 4, 4]
    e = entries(ladder.compute(ctx))["adoption_ladder"]
    assert (e["n"], e["L4"]) == (3, 3)


def test_l5_is_not_available_without_help_or_feedback_data(wh: Any) -> None:
    # Vendor exports hold neither who helps whom nor feedback: nobody can be seen to advocate,
    # so L5 is withheld (not a count of 0) wherever the ladder's levels are published.
    for p in ("p1", "p2", "p3", "p4"):
        wh.person(p, team="t1")
        wh.license(p, "2024-01-01")
        _days(wh, p, dict.fromkeys(FOUR, 5))
    ctx = wh.facts_ctx(AS_OF, by="team", trend_weeks=2)
    got = entries(ladder.compute(ctx))
    e, t = got["adoption_ladder"], got["ladder_transitions"]
    assert (e["n"], e["L4"], e["L5"], e["l3_plus_share"]) == (4, 4, None, 1.0)
    assert e["not_available"] == {"L5": ["help_edges or feedback"]}
    assert any("L5 (advocate) not judged" in note for note in e["notes"])
    assert [r["L5"] for r in e["segments"]] == [None]
    assert [r["from"] for r in t["rows"]] == ["L1", "L2", "L3", "L4"]
    assert all(r["to_L5"] is None and r["to_L4"] is not None for r in t["rows"])
    assert all(w["L5"] is None and w["L4"] is not None for w in t["weeks"])
    assert t["not_available"] == e["not_available"]


def test_l5_is_counted_once_help_data_is_held(wh: Any) -> None:
    for p in ("p1", "p2", "p3", "p4"):
        wh.person(p)
        wh.license(p, "2024-01-01")
        _days(wh, p, dict.fromkeys(FOUR, 5))
    # Help between two others, long ago: the rule can be judged, and nobody here meets it.
    wh.help("2023-06-01T10:00", asker="p1", helper="p2")
    got = entries(ladder.compute(wh.facts_ctx(AS_OF, trend_weeks=2)))
    e, t = got["adoption_ladder"], got["ladder_transitions"]
    assert (e["L4"], e["L5"]) == (4, 0) and "not_available" not in e
    assert [r["from"] for r in t["rows"]][-1] == "L5" and "not_available" not in t


def test_not_available_without_licenses(wh: Any) -> None:
    wh.event("p", "2024-03-26T09:00")
    out = named(ladder.compute(wh.facts_ctx(AS_OF)))
    assert out["adoption_ladder"].needs == ("licenses",)
    assert out["ladder_transitions"].needs == ("licenses",)


def test_idle_people_are_l1_and_abandoned_runs_are_trial(wh: Any) -> None:
    wh.workflow("credit", stakes="high")
    wh.person("idle")
    wh.license("idle", "2024-01-01")
    wh.person("busy")
    wh.license("busy", "2024-01-01")
    wh.task("busy", "credit", RUN_DAY)
    # Two AI-assisted runs, both abandoned: trial, not adoption (0 of 2 completed with AI).
    wh.person("trier")
    wh.license("trier", "2024-01-01")
    wh.task("trier", "credit", RUN_DAY, ai_assisted=True, status="abandoned")
    wh.task("trier", "credit", RUN_DAY, ai_assisted=True, status="abandoned")
    levels = ladder.person_levels(wh.facts_ctx(AS_OF))
    assert pd.Series(levels.level.values, index=levels.person_key).to_dict() == {
        "idle": 1,
        "busy": 3,
        "trier": 2,
    }


def test_each_set_of_rules_reads_only_the_inputs_it_declares() -> None:
    # The history computes only `READS[rules]`; a rule reading anything else fails to build.
    import ibis

    from uptake.config import MetricsSettings

    settings = MetricsSettings()
    for rules in (ladder.TASKS, ladder.PROXY):
        t = ibis.table({c: "int64" for c in ladder.READS[rules]}, name="inputs")
        for judge in (ladder.Judged(), ladder.Judged(decisions=False, feedback=False)):
            level = ladder.level_expr(t, settings, rules, judge)
            assert level.type().is_integer()
    assert set(ladder.READS[ladder.TASKS]) | set(ladder.READS[ladder.PROXY]) == set(ladder.INPUTS)


def test_inputs_asked_for_are_those_of_all_inputs(wh: Any) -> None:
    _org(wh)
    ctx = wh.facts_ctx(AS_OF)
    everything = wh.engine.execute(ladder.person_inputs(ctx, ctx.as_of)).set_index("person_key")
    for chosen in (ladder.READS[ladder.TASKS], ladder.READS[ladder.PROXY], ("elig",)):
        some = wh.engine.execute(ladder.person_inputs(ctx, ctx.as_of, chosen))
        some = some.set_index("person_key")
        assert list(some.columns) == [c for c in ladder.INPUTS if c in chosen]
        pd.testing.assert_frame_equal(some.sort_index(), everything[some.columns].sort_index())


def test_the_l3_plus_share_is_of_the_people_counted_at_a_level() -> None:
    # With noise, n and each level's count are noised apart: the share is of the levels'
    # counts (what a chart of them draws), where n had made 2 of 13 beside bars of 2 of 7.
    noisy = pd.DataFrame({"n": [13], "L1": [2], "L2": [3], "L3": [0], "L4": [1], "L5": [1]})
    assert ladder.level_shares(noisy)["l3_plus_share"].iloc[0] == pytest.approx(2 / 7)
    # Without noise the levels add up to n: the same share as before.
    exact = noisy.assign(n=7)
    assert ladder.level_shares(exact)["l3_plus_share"].iloc[0] == pytest.approx(2 / 7)


def test_with_the_release_noise_on_the_moves_and_weeks_carry_it(wh: Any) -> None:
    # The moves compare two weeks: exact, "L1 → L2: 2" beside a noisy distribution showed
    # who moved; the weekly distribution gave the noisy one on as_of away exactly.
    from uptake.metrics.noise import Noise

    _org(wh)
    ctx = wh.facts_ctx(AS_OF, trend_weeks=2)
    exact = entries(ladder.compute(ctx))["ladder_transitions"]
    seen = set()
    for day in range(8):
        ctx.noise = Noise(
            enabled=True, key=b"k" * 32, as_of=date(2024, 3, 31) - timedelta(days=day)
        )
        e = entries(ladder.compute(ctx))["ladder_transitions"]
        assert e["noise"] and (e["from_week"], e["to_week"]) == ("2024-03-18", "2024-03-25")
        rows = {r["from"]: r for r in e["rows"]}
        # Rows of nobody stay 0; a row's n, up and down are its noisy cells' sums, and the
        # total is the rows' sum, so the grid adds up as the exact one did.
        assert all(rows[f]["n"] == 0 for f in ("L2", "L3", "L4", "L5"))
        cells = [rows["L1"][f"to_L{i}"] for i in range(1, 6)]
        assert rows["L1"]["n"] == sum(cells) == e["n"] and rows["L1"]["up"] == sum(cells[1:])
        assert e["up"] == rows["L1"]["up"] and e["same"] == cells[0]
        seen.add((tuple(cells), tuple((w["week"], w["L1"], w["L5"]) for w in e["weeks"])))
    assert len(seen) > 3
    exact_cells = tuple(next(r for r in exact["rows"] if r["from"] == "L1")[f"to_L{i}"]
                        for i in range(1, 6))  # fmt: skip
    assert any(cells != exact_cells for cells, _ in seen)
