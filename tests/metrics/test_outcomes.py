"""Outcomes on hand-built workflow runs, every number worked by hand.

Savings are built from constant arms where the bootstrap cannot vary (interval = point), and
from a three-run arm whose bootstrap medians can only be 10, 15 or 20 (each extreme with
probability 7/27 ≫ 2.5 %), so the percentile interval is exactly [10, 20].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metrics.results import entries
from uptake.metrics.families import outcomes
from uptake.metrics.privacy import TOTAL

# as_of Tuesday 2024-05-28: window 2024-05-01 .. 05-28 (28 days = 4 weeks).
AS_OF = "2024-05-28"
SETTINGS = {"outcomes_min_runs": 3, "hourly_cost": 60.0}
MONTH = 365.25 / 12


@pytest.fixture
def runs(wh):
    """W1 compared with same-period runs, W2 with its baseline, W4 slower with AI."""
    wh.workflow("W1", baseline_minutes=40, steps_before=8, steps_after=5)
    wh.workflow("W2", baseline_minutes=25)
    wh.workflow("W4", steps_before=5, steps_after=5)
    for i, p in enumerate(["u1", "u2", "u3", "u4"]):
        wh.task(p, "W1", f"2024-05-0{2 + i}T09:00", ai_assisted=True, minutes=20)
        wh.task(p, "W1", f"2024-05-0{2 + i}T14:00", ai_assisted=False, minutes=30)
    for p, m in [("v1", 10), ("v2", 15), ("v3", 20)]:
        wh.task(p, "W2", "2024-05-10T09:00", ai_assisted=True, minutes=m)
    wh.task("v1", "W2", "2024-05-11T09:00", ai_assisted=False, minutes=40)  # 1 run < 3
    for p in ["w1", "w2", "w3"]:
        wh.task(p, "W4", "2024-05-20T09:00", ai_assisted=True, minutes=30)
        wh.task(p, "W4", "2024-05-21T09:00", ai_assisted=False, minutes=25)
    # Not counted: abandoned, before the window, without minutes.
    wh.task("u1", "W1", "2024-05-06", ai_assisted=True, status="abandoned", minutes=1)
    wh.task("u1", "W1", "2024-04-30", ai_assisted=True, minutes=1)
    wh.task("u2", "W1", "2024-05-07", ai_assisted=True, minutes=None)
    for p in ["u1", "u2", "u3", "u4", "v1", "v2", "v3", "w1", "w2"]:
        wh.license(p, "2024-01-01", monthly_cost=30.0)
    wh.license("w3", "2024-05-15", monthly_cost=30.0)  # 14 days of the window
    wh.license("x9", "2024-01-01", removed_at="2024-04-01", monthly_cost=30.0)  # before it
    return wh


def test_per_workflow_minutes_and_savings(runs):
    out = entries(outcomes.compute(runs.ctx(AS_OF, k=3, **SETTINGS)))["outcomes"]
    w1, w2, w4 = out["workflows"]
    # W1: AI 20 ×4, others 30 ×4 -> saving 10 per run (constant arms: interval = point),
    # against baseline 40 -> 20. Hours/week = 10 min × 4 runs / 60 / 4 weeks = 0.166667.
    assert (w1["workflow"], w1["n"], w1["people_ai"], w1["ai_runs"], w1["other_runs"]) == (
        "W1",
        4,
        4,
        4,
        4,
    )
    assert (w1["median_ai"], w1["median_other"]) == (20.0, 30.0)
    assert (w1["saving_vs_other"], w1["saving_vs_other_low"], w1["saving_vs_other_high"]) == (
        10.0,
        10.0,
        10.0,
    )
    assert w1["saving_vs_baseline"] == 20.0
    assert w1["reference"] == "manual"
    assert w1["hours_per_week"] == pytest.approx(0.166667, abs=1e-6)
    assert w1["value_per_week"] == pytest.approx(10.0)
    # Steps 8 -> 5: 3 per AI-assisted run × 4 runs.
    assert (w1["steps_retired_per_run"], w1["steps_retired"]) == (3.0, 12.0)

    # W2: AI 10, 15, 20 -> median 15, interval [10, 20]; one non-AI run (< 3) is not shown,
    # so the saving is against baseline 25: 10 [5, 15]; hours 10 × 3 / 240 = 0.125
    # [0.0625, 0.1875]; value × 60 = 7.5 [3.75, 11.25].
    assert (w2["median_ai"], w2["median_ai_low"], w2["median_ai_high"]) == (15.0, 10.0, 20.0)
    assert w2["median_other"] is None
    assert w2["other_runs"] is None
    assert w2["reference"] == "baseline"
    assert (w2["saving_per_run"], w2["saving_per_run_low"], w2["saving_per_run_high"]) == (
        10.0,
        5.0,
        15.0,
    )
    assert (w2["hours_per_week"], w2["hours_per_week_low"], w2["hours_per_week_high"]) == (
        0.125,
        0.0625,
        0.1875,
    )
    assert (w2["value_per_week_low"], w2["value_per_week_high"]) == (3.75, 11.25)

    # W4: AI 30 vs others 25 -> saving -5 (AI is slower; kept, not hidden), -0.0625 h/week.
    assert w4["saving_per_run"] == -5.0
    assert w4["hours_per_week"] == pytest.approx(-0.0625)
    assert w4["steps_retired"] == 0.0


def test_totals_with_joint_bootstrap(runs):
    out = entries(outcomes.compute(runs.ctx(AS_OF, k=3, **SETTINGS)))["outcomes"]
    # People u1..u4, v1..v3, w1..w3 = 10; AI runs 4 + 3 + 3 = 10.
    assert (out["n"], out["people_ai"], out["ai_runs"], out["workflows_compared"]) == (
        10,
        10,
        10,
        3,
    )
    # 0.166667 + 0.125 - 0.0625 = 0.229167 h/week. Only W2 varies: the total can be
    # 0.104167 + {0.0625, 0.125, 0.1875}, extremes with probability 7/27 each.
    assert out["hours_per_week"] == pytest.approx(0.229167, abs=1e-6)
    assert out["hours_per_week_low"] == pytest.approx(0.166667, abs=1e-6)
    assert out["hours_per_week_high"] == pytest.approx(0.291667, abs=1e-6)
    assert out["value_per_week"] == pytest.approx(13.75, abs=1e-4)
    assert (out["value_per_week_low"], out["value_per_week_high"]) == pytest.approx(
        (10.0, 17.5), abs=1e-4
    )


def test_roi_against_prorated_license_cost(runs):
    roi = entries(outcomes.compute(runs.ctx(AS_OF, k=3, **SETTINGS)))["roi"]
    # Nine seats held all 28 days: 9 × 30 × 28 / 30.4375 = 248.377823; w3's seat from
    # 05-15: 30 × 14 / 30.4375 = 13.798768; x9's seat ended before the window.
    cost = 9 * 30 * 28 / MONTH + 30 * 14 / MONTH
    assert roi["license_cost"] == pytest.approx(262.176591, abs=1e-5)
    assert roi["license_cost"] == pytest.approx(cost, abs=1e-5)
    assert (roi["n"], roi["seats"]) == (10, 10)
    # Value over the window: 0.229167 h/week × 4 weeks × 60 = 55 [40, 70].
    assert roi["value_saved"] == pytest.approx(55.0, abs=1e-4)
    assert (roi["value_saved_low"], roi["value_saved_high"]) == pytest.approx(
        (40.0, 70.0), abs=1e-4
    )
    # ROI (55 - 262.176591) / 262.176591 = -0.790218; bounds from 40 and 70.
    assert roi["roi"] == pytest.approx(-0.790218, abs=1e-5)
    assert roi["roi_low"] == pytest.approx(-0.847431, abs=1e-5)
    assert roi["roi_high"] == pytest.approx(-0.733005, abs=1e-5)


def test_steps_retired_weighted_by_ai_runs(runs):
    steps = entries(outcomes.compute(runs.ctx(AS_OF, k=3, **SETTINGS)))["steps_retired"]
    # W1: 3 steps × 4 AI runs; W4: 0 × 3; W2 has no step counts. 12 over 7 runs.
    assert (steps["n"], steps["ai_runs"], steps["steps_retired"]) == (7, 7, 12.0)
    assert steps["per_ai_run"] == pytest.approx(12 / 7, abs=1e-6)


def test_wins_need_an_interval_above_zero(runs):
    wins = entries(outcomes.compute(runs.ctx(AS_OF, k=3, **SETTINGS)))["wins"]
    # W1 [10, 10] and W2 [5, 15] lie above zero with >= 3 people; W4 (-5) is no win.
    assert [w["workflow"] for w in wins["workflows"]] == ["W1", "W2"]
    assert wins["n"] == 7  # u1..u4 and v1..v3
    assert wins["workflows"][1]["saving_per_run_low"] == 5.0


def test_small_workflow_hidden_and_never_a_win(runs):
    runs.workflow("W3", baseline_minutes=10)
    for day in ("2024-05-13", "2024-05-14", "2024-05-15"):
        runs.task("z1", "W3", day, ai_assisted=True, minutes=5)
    out = entries(outcomes.compute(runs.ctx(AS_OF, k=3, **SETTINGS)))
    rows = {r["workflow"]: r for r in out["outcomes"]["workflows"]}
    # W3 rests on one person: hidden, plus one complementary workflow (W2 or W4, 3 people
    # each) so the total minus the visible rows cannot reveal it.
    assert rows["W3"] == {"workflow": "W3", "suppressed": "small"}
    assert sorted(str(r["suppressed"]) for r in rows.values()) == [
        "False",
        "False",
        "complementary",
        "small",
    ]
    assert rows["W1"]["suppressed"] is False
    assert "W3" not in [w["workflow"] for w in out["wins"]["workflows"]]
    # Its saving still counts in the total: 0.229167 + 5 × 3 / 240 = 0.291667.
    assert out["outcomes"]["hours_per_week"] == pytest.approx(0.291667, abs=1e-6)


def test_total_hidden_below_k(runs):
    out = entries(outcomes.compute(runs.ctx(AS_OF, k=11, **SETTINGS)))
    assert out["outcomes"]["suppressed"] == "small"
    assert "hours_per_week" not in out["outcomes"]
    assert (out["roi"]["suppressed"], out["roi"]["value"], out["roi"]["n"]) == ("small", None, None)
    assert "roi" not in out["roi"]


def test_not_available(wh):
    out = outcomes.compute(wh.ctx(AS_OF))
    assert [(r.name, r.needs) for r in out] == [
        (name, ("tasks", "tasks.minutes")) for name in ("outcomes", "roi", "steps_retired", "wins")
    ]
    wh.task("a", "W", "2024-05-02", minutes=None)
    assert entries(outcomes.compute(wh.ctx(AS_OF)))["outcomes"]["needs"] == ["tasks.minutes"]


def test_roi_and_steps_not_available_without_their_inputs(wh):
    for p in ["a", "b", "c"]:
        wh.task(p, "W", "2024-05-02", ai_assisted=True, minutes=10)
    out = entries(outcomes.compute(wh.ctx(AS_OF, k=3, **SETTINGS)))
    assert out["roi"]["needs"] == ["licenses", "licenses.monthly_cost"]
    assert out["steps_retired"]["needs"] == ["workflows.steps_after", "workflows.steps_before"]
    # Seats exist but no workflow has a saving (no baseline, no non-AI runs).
    for p in ["a", "b", "c"]:
        wh.license(p, monthly_cost=30.0)
    roi = entries(outcomes.compute(wh.ctx(AS_OF, k=3, **SETTINGS)))["roi"]
    assert roi["status"] == "not_available"
    assert roi["needs"] == ["workflows.baseline_minutes"]


def test_one_person_workflow_without_ai_is_hidden_too(runs):
    # One person ran W5 once, without AI: no arm with people is shown, yet the row's own
    # population (1 person) is published, so it must be hidden like any small group.
    runs.workflow("W5", baseline_minutes=10)
    runs.task("y1", "W5", "2024-05-13", ai_assisted=False, minutes=5)
    out = entries(outcomes.compute(runs.ctx(AS_OF, k=3, **SETTINGS)))
    rows = {r["workflow"]: r for r in out["outcomes"]["workflows"]}
    assert rows["W5"] == {"workflow": "W5", "suppressed": "small"}
    visible = [r for r in rows.values() if not r["suppressed"]]
    assert all(r["n"] >= 3 for r in visible)


def test_roi_unknown_when_a_seat_has_no_price(runs):
    # w3's seat has no price: the cost of the other nine alone would flatter the ROI.
    runs.con.execute("UPDATE licenses SET monthly_cost = NULL WHERE person_key = 'w3'")
    roi = entries(outcomes.compute(runs.ctx(AS_OF, k=3, **SETTINGS)))["roi"]
    assert (roi["seats"], roi["unpriced_seats"]) == (10, 1)
    assert (roi["license_cost"], roi["roi"], roi["roi_low"], roi["roi_high"]) == (None,) * 4
    assert roi["value"] is None
    # The value of the time saved does not depend on licence prices: 55 as before.
    assert roi["value_saved"] == pytest.approx(55.0, abs=1e-4)
    assert roi["notes"] == [
        "ROI unknown: no price for 1 of 10 seats held in the window (licenses.monthly_cost)"
    ]


def test_workflow_frame_does_not_depend_on_the_order_runs_arrive_in(wh):
    # Each workflow's bootstrap is seeded by its place in name order, not in arrival order:
    # the engine may return the runs in any order without moving an interval.
    for wf in ("W1", "W2"):
        wh.workflow(wf, baseline_minutes=40)
        for i in range(12):
            p, day = f"{wf}-p{i:02d}", f"2024-05-{2 + i:02d}"
            wh.task(p, wf, f"{day}T09:00", ai_assisted=True, minutes=(7 * i) % 23 + 1)
            wh.task(p, wf, f"{day}T14:00", ai_assisted=False, minutes=(5 * i) % 31 + 9)
    ctx = wh.ctx(AS_OF, k=3, **SETTINGS)
    done = outcomes.completed_runs(ctx)
    catalogue = outcomes._catalogue(ctx)
    frame, plans = outcomes.workflow_frame(ctx, done, catalogue)
    for shuffled in (done.iloc[::-1], done.sample(frac=1.0, random_state=3)):
        again, again_plans = outcomes.workflow_frame(
            ctx, shuffled.reset_index(drop=True), catalogue
        )
        pd.testing.assert_frame_equal(again, frame)
        for a, b in zip(again_plans, plans, strict=True):
            assert np.array_equal(a.ai_reps, b.ai_reps)
            assert np.array_equal(a.manual_reps, b.manual_reps)
    assert list(frame.workflow) == ["W1", "W2", TOTAL]
    w1, w2 = frame.iloc[0], frame.iloc[1]
    assert (w1["ai_runs"], w1["other_runs"], w1["n"], w1["people_ai"]) == (12, 12, 12, 12)
    # Same runs, other seeds: the replicates differ, so a swap of seeds would show (12
    # values have few distinct medians, so the interval's ends alone may coincide).
    assert w1["saving_vs_other"] == w2["saving_vs_other"]
    assert np.array_equal(np.sort(plans[0].ai), np.sort(plans[1].ai))
    assert not np.array_equal(plans[0].ai_reps, plans[1].ai_reps)


def test_hidden_workflows_cannot_be_worked_out_from_the_total(runs):
    # W5 and W6 are run by the same two people (under k = 3), five AI-assisted runs each,
    # with a baseline: both hidden, and their people counts (2 + 2) look like k together,
    # so no other workflow was hidden beside them. The total had counted them: the total
    # less the workflows shown gave those two people's runs, hours and steps.
    for wf in ("W5", "W6"):
        runs.workflow(wf, baseline_minutes=60, steps_before=9, steps_after=1)
    for i in range(10):
        runs.task(["z1", "z2"][i % 2], ["W5", "W6"][i // 5], f"2024-05-1{i}T11:00",
                  ai_assisted=True, minutes=5)  # fmt: skip
    out = entries(outcomes.compute(runs.ctx(AS_OF, k=3, **SETTINGS)))
    res = out["outcomes"]
    shown = [w for w in res["workflows"] if not w.get("suppressed")]
    assert [w["workflow"] for w in shown] == ["W1", "W2", "W4"]
    assert res["ai_runs"] == sum(w["ai_runs"] for w in shown) == 10
    assert res["hours_per_week"] == pytest.approx(sum(w["hours_per_week"] for w in shown))
    assert res["workflows_compared"] == 3 and res["n"] == 10
    assert res["notes"] == [
        "the total leaves out 2 hidden workflows: their AI-assisted runs are fewer than 3 people's"
    ]
    assert [w["workflow"] for w in res["workflows"] if w.get("suppressed")] == ["W5", "W6"]
    # Steps retired: W1's 12 alone (W4 retires none), not also W5's and W6's 8 × 10.
    assert out["steps_retired"]["steps_retired"] == 12.0


def test_hidden_workflows_of_k_people_together_stay_in_the_total(runs):
    # Hidden cells whose people together reach k may be told apart from the total as one
    # group (what complementary suppression allows): the total keeps them.
    for wf in ("W5", "W6"):
        runs.workflow(wf, baseline_minutes=60)
    for i, person in enumerate(["z1", "z2", "z3", "z4"]):
        runs.task(person, "W5" if i < 2 else "W6", f"2024-05-1{i}T11:00", ai_assisted=True,
                  minutes=5)  # fmt: skip
    res = entries(outcomes.compute(runs.ctx(AS_OF, k=3, **SETTINGS)))["outcomes"]
    hidden = [w["workflow"] for w in res["workflows"] if w.get("suppressed")]
    assert hidden == ["W5", "W6"] and res["ai_runs"] == 14 and "notes" not in res
