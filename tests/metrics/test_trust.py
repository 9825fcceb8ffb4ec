"""Trust and overrides on hand-built decisions, every number worked by hand."""

from __future__ import annotations

import pytest

from metrics.results import entries, named
from uptake.metrics.families import trust

# as_of Sunday 2024-05-26: window 2024-04-29 .. 05-26; trend weeks (4) start 04-29, 05-06,
# 05-13, 05-20 (week numbers 0..3).
AS_OF = "2024-05-26"
FOL, OVR = True, False


@pytest.fixture
def decisions(wh):
    """Workflow A (a1..a3) over four weeks, workflow C (c1..c4) in the last week."""
    for p, team in [("a1", "x"), ("a2", "x"), ("a3", "y"), ("c1", "x"), ("c2", "x")]:
        wh.person(p, team=team)
    wh.person("c3", team="y")
    wh.person("c4", team="y")
    weeks = {
        "2024-04-29": [("a1", FOL), ("a2", FOL), ("a3", OVR)],  # 1/3 overridden
        "2024-05-06": [("a1", FOL), ("a2", OVR), ("a3", OVR)],  # 2/3
        "2024-05-13": [("a1", OVR), ("a2", OVR), ("a3", OVR), ("a1", FOL)],  # 3/4
        "2024-05-20": [("a1", OVR), ("a2", OVR), ("a3", OVR)],  # 3/3
    }
    for day, rows in weeks.items():
        for p, followed in rows:
            wh.decision(p, f"{day}T10:00", followed=followed, workflow="A")
    for p, followed in [("c1", FOL), ("c2", FOL), ("c3", OVR), ("c4", FOL)]:
        wh.decision(p, "2024-05-21T10:00", followed=followed, workflow="C")
    wh.decision("a1", "2024-04-20", followed=FOL, workflow="A")  # before the window
    wh.decision("a1", "2024-05-27", followed=OVR, workflow="A")  # after as_of
    return wh


def test_override_rate_per_workflow_with_trend(decisions):
    rate = entries(trust.compute(decisions.ctx(AS_OF, k=3, trust_trend_weeks=4)))["override_rate"]
    # Window: A 13 decisions, 9 overridden; C 4 decisions, 1 overridden -> 10/17.
    assert rate["n"] == 7
    assert rate["decisions"] == 17
    assert rate["override_rate"] == pytest.approx(10 / 17, abs=1e-6)
    # Weekly overall rates 1/3, 2/3, 3/4, 4/7 at weeks 0..3: x̄=1.5, Σdx²=5,
    # Σdx·y = -0.5 - 0.333333 + 0.375 + 0.857143 = 0.398810 -> slope 0.079762 per week.
    assert rate["slope"] == pytest.approx(0.079762, abs=1e-5)
    assert [w["override_rate"] for w in rate["weeks"]] == pytest.approx(
        [1 / 3, 2 / 3, 3 / 4, 4 / 7], abs=1e-6
    )
    assert [w["n"] for w in rate["weeks"]] == [3, 3, 3, 7]
    a, c = rate["workflows"]
    assert (a["workflow"], a["n"], a["decisions"]) == ("A", 3, 13)
    assert a["override_rate"] == pytest.approx(9 / 13, abs=1e-6)
    # A: rates 1/3, 2/3, 3/4, 1 -> Σdx·y = -0.5 - 0.333333 + 0.375 + 1.5 = 1.041667, slope
    # 0.208333. Fit 0.375 + 0.208333x leaves residuals -0.041667, 0.083333, -0.041667, 0:
    # SSE 0.010417, s² = SSE/2, se = sqrt(s²/5) = 0.032275, t = 6.455 on 2 df;
    # two-sided p = 1 - t/sqrt(2 + t²) = 1 - 6.455/6.6081 = 0.0232.
    assert a["slope"] == pytest.approx(0.208333, abs=1e-5)
    assert a["slope_p"] == pytest.approx(0.0232, abs=5e-4)
    # C has decisions in one week only: no trend.
    assert (c["workflow"], c["n"], c["decisions"]) == ("C", 4, 4)
    assert c["override_rate"] == pytest.approx(0.25)
    assert c["slope"] is None


def test_override_rate_by_segment(decisions):
    rate = entries(trust.compute(decisions.facts_ctx(AS_OF, k=3, by="team")))["override_rate"]
    # Team x: a1 5 decisions/2 overridden, a2 4/3, c1 1/0, c2 1/0 -> 5/11 over 4 people.
    # Team y: a3 4/4, c3 1/1, c4 1/0 -> 5/6 over 3 people.
    assert rate["by"] == "team"
    x, y = rate["segments"]
    assert (x["segment"], x["n"], x["decisions"]) == ("x", 4, 11)
    assert x["override_rate"] == pytest.approx(5 / 11, abs=1e-6)
    assert (y["segment"], y["n"], y["decisions"]) == ("y", 3, 6)
    assert y["override_rate"] == pytest.approx(5 / 6, abs=1e-6)


def test_small_workflow_is_suppressed_with_a_complement(decisions):
    decisions.decision("b1", "2024-05-14", followed=FOL, workflow="B")
    decisions.decision("b2", "2024-05-14", followed=OVR, workflow="B")
    rate = entries(trust.compute(decisions.ctx(AS_OF, k=3)))["override_rate"]
    rows = {r["workflow"]: r for r in rate["workflows"]}
    # B has 2 people < 3: hidden. A lone hidden cell is recoverable from the total, so the
    # smallest other workflow (A, 3 people) is hidden too; C (4 people) stays.
    assert rows["B"] == {"workflow": "B", "suppressed": "small"}
    assert rows["A"] == {"workflow": "A", "suppressed": "complementary"}
    assert rows["C"]["suppressed"] is False
    assert rate["decisions"] == 19
    # With the default 8 trend weeks, week 04-15 holds only a1's early decision: hidden.
    assert rate["weeks"][0] == {"week": "2024-04-15", "suppressed": "small"}
    assert all(not w["suppressed"] for w in rate["weeks"][1:])
    # Over 4 trend weeks the weeks count 3, 3, 5 (a1..a3, b1, b2) and 7 people: k=4 hides two.
    small = entries(trust.compute(decisions.ctx(AS_OF, k=4, trust_trend_weeks=4)))["override_rate"]
    assert [w["suppressed"] for w in small["weeks"]] == ["small", "small", False, False]


@pytest.fixture
def outcomes(wh):
    """Workflow X: x1..x3 follow (10, 12, 14); x4..x6 override (8, 9, 13)."""
    for p, value in [("x1", 10.0), ("x2", 12.0), ("x3", 14.0)]:
        wh.decision(p, "2024-05-02", followed=True, outcome=value, workflow="X")
    for p, value in [("x4", 8.0), ("x5", 9.0), ("x6", 13.0)]:
        wh.decision(p, "2024-05-03", followed=False, outcome=value, workflow="X")
    wh.decision("x1", "2024-05-04", followed=True, workflow="X")  # no outcome yet
    return wh


def test_outcome_followed_vs_overridden(outcomes):
    out = entries(trust.compute(outcomes.ctx(AS_OF, k=3)))["override_outcomes"]
    # People with an outcome: x1..x6; decisions with an outcome: 6.
    assert (out["n"], out["decisions"]) == (6, 6)
    (x,) = out["workflows"]
    assert x["followed_decisions"] == 3
    assert x["overridden_decisions"] == 3
    # Followed: mean 12, sd 2, sem 1.154701, t(0.975, 2) = 4.302653 -> 12 ± 4.968275.
    assert x["followed_mean"] == pytest.approx(12.0)
    assert x["followed_mean_low"] == pytest.approx(7.031725, abs=1e-5)
    assert x["followed_mean_high"] == pytest.approx(16.968275, abs=1e-5)
    # Overridden: mean 10, SS 14, var 7, sem 1.527525 -> 10 ± 6.572411.
    assert x["overridden_mean"] == pytest.approx(10.0)
    assert x["overridden_mean_low"] == pytest.approx(3.427589, abs=1e-5)
    assert x["difference"] == pytest.approx(-2.0)
    # Welch t = (10 - 12)/sqrt(7/3 + 4/3) = -1.044466 on 3.72 df; its two-sided p lies
    # between the t-table values for 3 df (0.373) and 4 df (0.355).
    assert x["welch_t"] == pytest.approx(-1.044466, abs=1e-5)
    assert 0.355 < x["welch_p"] < 0.373
    # Mann-Whitney: overridden 13 beats followed 10 and 12 -> U = 2; exact P(U <= 2) over
    # the 20 orderings is 4/20, two-sided 0.4.
    assert x["mannwhitney_u"] == pytest.approx(2.0)
    assert x["mannwhitney_p"] == pytest.approx(0.4)


def test_outcome_small_workflow_hides_a_complement(outcomes):
    outcomes.decision("y1", "2024-05-05", followed=False, outcome=5.0, workflow="Y")
    out = entries(trust.compute(outcomes.ctx(AS_OF, k=3)))["override_outcomes"]
    # Y has one overriding person (its followed arm is empty): hidden. The total (7 people,
    # 7 decisions) minus X would reveal Y, so X is hidden as well; the total stays.
    assert (out["n"], out["decisions"]) == (7, 7)
    assert out["workflows"] == [
        {"workflow": "X", "suppressed": "complementary"},
        {"workflow": "Y", "suppressed": "small"},
    ]


def test_outcome_row_hidden_when_an_arm_is_below_k(outcomes):
    res = named(trust.compute(outcomes.ctx(AS_OF, k=4)))["override_outcomes"]
    # Both arms of X count 3 people < 4. X is the only workflow, so the total (6 people)
    # would show it: hidden too, so that X cannot be worked out.
    assert res.values["workflows"][0] == {"workflow": "X", "suppressed": "small"}
    assert res.suppressed == "complementary" and "workflows" not in res.to_dict()


def test_override_accuracy_per_person_and_summary(outcomes):
    outcomes.decision("y1", "2024-05-05", followed=False, outcome=5.0, workflow="Y")
    ctx = outcomes.ctx(AS_OF, k=3, override_accuracy_min=1)
    per = trust.override_accuracy(ctx)
    # Followed average of X = 12: x4 (8) and x5 (9) do not beat it, x6 (13) does. y1's
    # workflow has no followed outcome, so y1's override cannot be judged.
    assert per.person_key.tolist() == ["x4", "x5", "x6"]
    assert per.accuracy.tolist() == [0.0, 0.0, 1.0]
    summary = entries(trust.compute(ctx))["override_accuracy"]
    # Accuracies 0, 0, 1: mean 1/3, median 0; t interval 1/3 ± 4.302653·1/3 clipped to [0, 1].
    assert summary["n"] == 3
    assert summary["mean"] == pytest.approx(1 / 3, abs=1e-6)
    assert summary["median"] == 0.0
    assert (summary["mean_low"], summary["mean_high"]) == (0.0, 1.0)
    # Individual values never appear in the group entry.
    assert "x6" not in str(summary)


def test_override_accuracy_lower_is_better_and_minimum(outcomes):
    ctx = outcomes.ctx(AS_OF, override_accuracy_min=1, outcome_higher_is_better=False)
    assert trust.override_accuracy(ctx).accuracy.tolist() == [1.0, 1.0, 0.0]
    # With the default minimum of 3 judged overrides nobody qualifies (one each).
    default = trust.override_accuracy(outcomes.ctx(AS_OF))
    assert default.accuracy.isna().all()
    # Nobody to summarise: not available (and no zero).
    nobody = named(trust.compute(outcomes.ctx(AS_OF)))["override_accuracy"]
    assert nobody.needs and nobody.n is None and nobody.value is None


def test_override_accuracy_summary_suppressed_below_k(outcomes):
    summary = entries(trust.compute(outcomes.ctx(AS_OF, k=4, override_accuracy_min=1)))
    assert summary["override_accuracy"]["suppressed"] == "small"
    assert "mean" not in summary["override_accuracy"]


def test_not_available(wh):
    out = trust.compute(wh.ctx(AS_OF))
    assert [(r.name, r.needs) for r in out] == [
        ("override_rate", ("decisions",)),
        ("override_outcomes", ("decisions",)),
        ("override_accuracy", ("decisions",)),
    ]
    wh.decision("a1", "2024-05-20", followed=False)
    got = entries(trust.compute(wh.ctx(AS_OF)))
    # One person is below k: the numbers exist but are hidden.
    assert got["override_rate"]["suppressed"] == "small"
    assert "override_rate" not in got["override_rate"]
    assert got["override_outcomes"]["needs"] == ["decisions.outcome"]
