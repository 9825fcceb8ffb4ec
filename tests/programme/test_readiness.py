"""Readiness: each condition's evidence and score against numbers worked out by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from programme.readiness_org import AS_OF, fill
from uptake.errors import InputError
from uptake.metrics.context import MetricContext
from uptake.programme.readiness import (
    CONDITIONS,
    ITEMS,
    Rules,
    answer_rows,
    assess,
    evidence,
    network,
)
from uptake.programme.readiness import questionnaire as q
from uptake.programme.readiness.model import (
    BLEND,
    DATA,
    QUESTIONNAIRE,
    Component,
    condition,
    missing,
    share,
)
from uptake.workspace import Workspace

K = 5
# A champions selection and a silence judgement as the signals document carries them.
SIGNALS: dict[str, Any] = {
    "champions": {
        "champions": ["a", "b", "c", "d", "e"],
        "people": 20,
        "covered_people": 15,
        "teams": 4,
        "teams_covered": 3,
        "roles": 4,
        "roles_covered": 1,
    },
    "status": {
        "champions": {"status": "available"},
        "silence": {
            "status": "available",
            "teams": [
                {"team": "t1", "n": 6, "silent": True, "suppressed": False},
                {"team": "t2", "n": 7, "silent": False, "suppressed": False},
                {"team": "t3", "suppressed": "small"},
            ],
        },
        "typology": {"status": "not_available", "needs": ["responses"]},
    },
    "people": [],
}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    with Workspace.init(tmp_path_factory.mktemp("readiness") / "ws") as w:
        fill(w)
        yield w
    mp.undo()


@pytest.fixture
def ctx(ws: Workspace) -> MetricContext:
    c, _ = ws._aggregate_context(AS_OF, None)
    return c


def _by_name(components: list[Component]) -> dict[str, Component]:
    return {c.name: c for c in components}


# -- data evidence, by hand ---------------------------------------------------------------------


def test_workflow_integration(ctx: MetricContext) -> None:
    got = _by_name(evidence.workflow_integration(ctx))
    inside = got["in_workflows"]
    assert (inside.detail["numerator"], inside.detail["denominator"], inside.n) == (13, 26, 13)
    assert inside.value == pytest.approx(0.5)
    assert inside.detail["window"] == ["2026-05-04", "2026-05-31"]
    ai = got["ai_assisted_people"]
    assert (ai.detail["numerator"], ai.detail["denominator"], ai.n) == (7, 13, 13)
    assert ai.score == pytest.approx(100 * 7 / 13)


def test_override_architecture_counts_only_decisions_whose_outcome_is_due(
    ctx: MetricContext,
) -> None:
    [c] = evidence.override_architecture(ctx, Rules())
    assert (c.detail["numerator"], c.detail["denominator"], c.n) == (21, 30, 6)
    assert c.score == pytest.approx(70.0)
    assert c.detail["window"] == ["2026-04-04", "2026-05-01"]
    assert c.detail["override_rate"] == pytest.approx(6 / 30)
    # With no grace the window holds only ic0's late decision: one decider is hidden, not 0 %.
    [one] = evidence.override_architecture(ctx, Rules(outcome_grace_days=0))
    assert one.status == "hidden" and one.score is None
    assert one.reason == "hidden: fewer than 5 deciders"


def test_performance_feedback_loops(ctx: MetricContext) -> None:
    [c] = evidence.performance_feedback(ctx, Rules())
    assert (c.detail["numerator"], c.detail["denominator"]) == (3, 6)
    assert c.detail["followed_with_outcome"] == 15 and c.detail["overridden_with_outcome"] == 6
    assert c.detail["comparable_workflows"] == 1
    # Two outcomes each are enough for everyone when the bar is two.
    [low] = evidence.performance_feedback(ctx, Rules(outcomes_per_decider=2))
    assert low.detail["numerator"] == 6


def test_management_activation(ctx: MetricContext) -> None:
    [c] = evidence.management_activation(ctx)
    assert (c.detail["numerator"], c.detail["denominator"], c.n) == (3, 5, 5)
    assert c.score == pytest.approx(60.0) and c.detail["basis"] == "measured: tasks"


def test_management_activation_hidden_below_k(ws: Workspace) -> None:
    c, _ = ws._aggregate_context(AS_OF, None)
    c.min_group_size = 6
    [got] = evidence.management_activation(c)
    assert got.status == "hidden" and got.score is None
    assert got.reason == "hidden: fewer than 6 managers"


def test_feedback_channels(ctx: MetricContext) -> None:
    got = _by_name(network.feedback_channels(ctx, SIGNALS, Rules()))
    assert (got["resolved"].detail["numerator"], got["resolved"].detail["denominator"]) == (3, 6)
    assert got["resolution_time"].detail["median_days"] == pytest.approx(2.0)
    assert got["resolution_time"].score == pytest.approx(100.0)
    silent = got["teams_not_silent"]
    assert (silent.detail["numerator"], silent.detail["denominator"], silent.n) == (1, 2, 13)
    # A 1-day target: 2 days is (4 − 2) / (4 − 1) of the way from zero.
    slow = _by_name(network.feedback_channels(ctx, SIGNALS, Rules(resolution_target_days=1)))
    assert slow["resolution_time"].score == pytest.approx(100 * 2 / 3)


def test_champion_network_from_the_signals(ctx: MetricContext) -> None:
    got = _by_name(network.champion_network(ctx, SIGNALS))
    assert got["people_covered"].score == pytest.approx(75.0)
    assert got["roles_covered"].score == pytest.approx(25.0)
    unavailable = {"status": "not_available", "needs": ["help_edges"]}
    none = network.champion_network(ctx, {"status": {"champions": unavailable}})
    assert [c.needs for c in none] == [["help_edges"], ["help_edges"]]


def test_role_redesign_needs_recorded_redesigns(ws: Workspace, ctx: MetricContext) -> None:
    [c] = evidence.role_redesign(ctx)
    assert c.status == "not_available"
    assert c.needs == ["workflow_redesigns (uptake redesign record)"]
    ws.con.execute(
        "INSERT INTO workflow_redesigns VALUES ('wf_hi', DATE '2026-05-01', '[]', NULL, 'lead', "
        "TIMESTAMP '2026-05-01 12:00:00')"
    )
    try:
        fresh, _ = ws._aggregate_context(AS_OF, None)
        [done] = evidence.role_redesign(fresh)
        assert (done.detail["numerator"], done.detail["denominator"]) == (1, 1)
        assert done.score == pytest.approx(100.0)
    finally:
        ws.con.execute("DELETE FROM workflow_redesigns")


# -- scoring ------------------------------------------------------------------------------------


def _q(mean: float, n: int = 1) -> Component:
    return Component("questionnaire", "q", QUESTIONNAIRE, "ok", mean, q.item_score(mean), n)


def test_scores_data_questionnaire_and_their_blend() -> None:
    data = [share("a", "a", 7, 10, 10, K), share("b", "b", 1, 2, 10, K)]
    only_data = condition("workflow_integration", data, None, 60)
    assert only_data["score"] == pytest.approx(60.0) and only_data["basis"] == DATA
    assert only_data["status"] == "ok" and only_data["intervention"] is None
    only_q = condition("trust_transparency", [], _q(2.0), 60)
    assert only_q["score"] == pytest.approx(25.0) and only_q["basis"] == QUESTIONNAIRE
    assert only_q["status"] == "gap" and "publish how each" in only_q["intervention"]
    both = condition("override_architecture", [share("x", "x", 7, 10, 10, K)], _q(5.0), 60)
    assert both["score"] == pytest.approx(85.0) and both["basis"] == BLEND
    assert (both["data_score"], both["questionnaire_score"]) == (70.0, 100.0)


def test_a_score_standing_on_a_proxy_says_so_in_its_basis() -> None:
    # Managers' levels from activity (vendor data alone): the basis had read "data".
    proxy = {"basis": "proxy: activity"}
    lead = condition("management_activation", [share("m", "m", 4, 9, 9, K, detail=proxy)],
                     None, 60)  # fmt: skip
    assert lead["basis"] == "data (proxy)"
    both = condition("management_activation", [share("m", "m", 4, 9, 9, K, detail=proxy)],
                     _q(4.0), 60)  # fmt: skip
    assert both["basis"] == "data (proxy) and questionnaire (equal weights)"


def test_nothing_to_score_is_not_available_never_zero() -> None:
    got = condition("role_redesign", [missing("r", "r", ["workflow_redesigns"])], None, 60)
    assert got["status"] == "not_available" and got["score"] is None
    assert got["needs"] == ["workflow_redesigns"]
    assert got["reason"] == "not available: needs workflow_redesigns"
    small = condition("management_activation", [share("m", "m", 1, 2, 2, K)], None, 60)
    assert small["score"] is None and "hidden: fewer than 5 people" in small["reason"]


def test_a_hidden_component_does_not_enter_the_score() -> None:
    got = condition(
        "workflow_integration",
        [share("a", "a", 9, 10, 10, K), share("b", "b", 0, 4, 4, K)],
        None,
        60,
    )
    assert got["score"] == pytest.approx(90.0)
    assert [c["status"] for c in got["components"]] == ["ok", "hidden"]


@given(
    st.lists(st.tuples(st.integers(0, 50), st.integers(1, 50)), min_size=1, max_size=4),
    st.none() | st.floats(1, 5),
    st.integers(1, 100),
)
# Found by CI's draws: 24/49 is shown as 49.0, which a threshold of 49 passes; 23/40 is 57.5
# only when multiplied by 100 before dividing (the blend then rounds 28.75 up).
@example([(24, 49)], None, 49)
@example([(23, 40)], 1.0, 1)
def test_score_is_the_mean_of_the_parts_and_gap_follows_the_threshold(
    parts: list[tuple[int, int]], answer: float | None, gap: int
) -> None:
    comps = [share(str(i), "x", min(a, b), b, K, K) for i, (a, b) in enumerate(parts)]
    data = sum(100 * min(a, b) / b for a, b in parts) / len(parts)
    got = condition("override_architecture", comps, None if answer is None else _q(answer), gap)
    want = data if answer is None else (data + q.item_score(answer)) / 2
    assert got["score"] == pytest.approx(round(want, 1))
    assert 0 <= got["score"] <= 100
    assert got["status"] == ("gap" if round(want, 1) < gap else "ok")


# -- the questionnaire --------------------------------------------------------------------------


Row = tuple[str, str, str | None, float]


def _answers(rows: list[Row]) -> pd.DataFrame:
    """(response_id, item, person_key, score) rows, timestamps in order."""
    return pd.DataFrame(
        {
            "response_id": [r[0] for r in rows],
            "ts": pd.date_range("2026-05-01", periods=len(rows), freq="h"),
            "item": [r[1] for r in rows],
            "person_key": [r[2] for r in rows],
            "score": [r[3] for r in rows],
            "function": ["finance"] * len(rows),
        }
    )


def test_the_leads_latest_answer_counts() -> None:
    a = _answers(
        [
            ("readiness:lead:1:role_redesign_1", "role_redesign_1", None, 2.0),
            ("readiness:lead:2:role_redesign_1", "role_redesign_1", None, 4.0),
        ]
    )
    means = q.item_means(q.latest(a), K)
    got = means["role_redesign_1"]
    assert (got["mean"], got["n"], got["source"]) == (4.0, 1, "programme lead")
    comp = q.component("role_redesign", means)
    assert comp is not None and comp.score == pytest.approx(75.0)
    assert comp.detail["unanswered"] == ["role_redesign_2"]


def test_respondents_are_averaged_only_from_k() -> None:
    lead: list[Row] = [("readiness:lead:1:transparency_1", "transparency_1", None, 1.0)]
    few: list[Row] = [(f"r{i}", "transparency_1", f"p_{i}", 5.0) for i in range(K - 1)]
    means = q.item_means(q.latest(_answers(lead + few)), K)["transparency_1"]
    assert means["mean"] == 1.0 and means["source"] == "programme lead"
    assert means["note"] == f"other answers left out: fewer than {K} respondents"
    hidden = q.item_means(q.latest(_answers(few)), K)["transparency_1"]
    assert hidden["status"] == "hidden" and hidden["mean"] is None
    enough: list[Row] = [*few, ("rx", "transparency_1", "p_x", 5.0)]
    got = q.item_means(q.latest(_answers(lead + enough)), K)["transparency_1"]
    assert got["n"] == K + 1 and got["mean"] == pytest.approx((1 + 5 * K) / (K + 1))


def test_anonymous_sessions_count_once_each() -> None:
    rows: list[Row] = [
        (f"readiness:s{i}:1:management_1", "management_1", None, 3.0) for i in range(K)
    ]
    rows.append(("readiness:s0:2:management_1", "management_1", None, 5.0))
    got = q.item_means(q.latest(_answers(rows)), K)["management_1"]
    assert got["n"] == K and got["mean"] == pytest.approx((3 * (K - 1) + 5) / K)


def test_segments_follow_k_and_their_complement() -> None:
    rows: list[Row] = [(f"r{i}", "management_1", f"p_{i}", 4.0) for i in range(12)]
    a = q.latest(_answers(rows))
    a.loc[:5, "function"] = "sales"  # 6 sales, 6 finance
    a.loc[10:, "function"] = "legal"  # 2 legal: small, and finance (4) is below k too
    got = {r["segment"]: r for r in q.segments(a, K)}
    assert got["sales"]["n"] == 6 and got["sales"]["items"] == {"management_1": 4.0}
    assert got["legal"]["suppressed"] == "small" and "n" not in got["legal"]
    assert got["finance"]["suppressed"] == "small"


def test_parse_and_validate_answers() -> None:
    assert q.parse_answers(["role_redesign_1=4", "transparency_2=2.5"]) == {
        "role_redesign_1": 4.0,
        "transparency_2": 2.5,
    }
    for bad, said in [
        (["shoe_size=3"], "unknown readiness item"),
        (["role_redesign_1=6"], "answers are from 1 to 5"),
        (["role_redesign_1"], "expected ITEM=SCORE"),
        (["role_redesign_1=high"], "must be a number"),
        ([], "no answers"),
    ]:
        with pytest.raises(InputError, match=said):
            q.parse_answers(bad)


def test_answer_rows_carry_no_identifier_in_their_ids() -> None:
    ts = datetime(2026, 5, 1, 12, tzinfo=UTC)
    lead = answer_rows({"role_redesign_1": 4}, ts=ts)
    assert lead["response_id"].tolist() == ["readiness:lead:20260501T120000:role_redesign_1"]
    assert lead["person"].isna().all() and (lead["instrument"] == "readiness").all()
    named = answer_rows({"role_redesign_1": 4, "override_1": 2}, ts=ts, person="a@b.org")
    assert (named["person"] == "a@b.org").all()
    assert not named["response_id"].str.contains("a@b").any()
    assert named["response_id"].str.split(":").str[1].nunique() == 1


def test_every_condition_has_an_intervention_and_items_name_real_conditions() -> None:
    assert len(CONDITIONS) == 8
    assert {i.condition for i in ITEMS} <= set(CONDITIONS)
    assert 4 <= len(ITEMS) <= 8 and len({i.item for i in ITEMS}) == len(ITEMS)


# -- the whole assessment -----------------------------------------------------------------------


def test_assess_scores_each_condition_by_hand(ctx: MetricContext) -> None:
    answers = _answers(
        [
            ("readiness:lead:1:transparency_1", "transparency_1", None, 4.0),
            ("readiness:lead:1:transparency_2", "transparency_2", None, 2.0),
            ("readiness:lead:1:override_1", "override_1", None, 5.0),
        ]
    )
    doc = assess(ctx, SIGNALS, answers, gap_below=60)
    got = {c["condition"]: c for c in doc["conditions"]}
    assert list(got) == list(CONDITIONS)
    expect = {
        "workflow_integration": ((50 + 100 * 7 / 13) / 2, "gap", DATA),
        "trust_transparency": (50.0, "gap", QUESTIONNAIRE),
        "override_architecture": ((70 + 100) / 2, "ok", BLEND),
        "performance_feedback": (50.0, "gap", DATA),
        "role_redesign": (None, "not_available", None),
        "management_activation": (60.0, "ok", DATA),
        "champion_network": (50.0, "gap", DATA),
        "feedback_channels": ((50 + 100 + 50) / 3, "ok", DATA),
    }
    for key, (score, status, basis) in expect.items():
        c = got[key]
        assert (c["status"], c["basis"]) == (status, basis), key
        assert c["score"] == (None if score is None else pytest.approx(round(score, 1))), key
    assert [g["condition"] for g in doc["gaps"]] == [
        "trust_transparency",
        "performance_feedback",
        "champion_network",
        "workflow_integration",
    ]
    assert all(g["intervention"] for g in doc["gaps"])
    assert got["role_redesign"]["needs"] == [
        "workflow_redesigns (uptake redesign record)",
        "readiness questionnaire: role_redesign_1, role_redesign_2",
    ]
    # The mean of the seven shown scores: 51.9, 50, 85, 50, 60, 50 and 66.7.
    assert doc["summary"] == {"scored": 7, "gaps": 4, "not_available": 1, "mean_score": 59.1}
    assert doc["questionnaire"]["lead_answered"] and doc["questionnaire"]["respondents"] == 0
    assert doc["populations"]["status"] == "not_available"
