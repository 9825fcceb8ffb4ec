"""Wins: known differences land in their intervals, nothing below k, a null is not a win."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.conftest import Warehouse, wh  # noqa: F401
from uptake.metrics.stats import Interval
from uptake.programme.case_study import case_study, fmt, to_html, to_markdown
from uptake.programme.wins import MIXED, NONE, PROMISING, WIN, direction, verdict, wins

AS_OF = "2026-05-31"
DAY = "2026-05-20T10:00:00"
K = 5


def _arm(w: Warehouse, wf: str, people: list[str], minutes: list[float], **kw: object) -> None:
    for p in people:
        for m in minutes:
            w.task(p, wf, DAY, minutes=m, **kw)  # type: ignore[arg-type]


def fill(w: Warehouse, *, small: bool = False) -> None:
    """Hand-built workflows with known differences (k = 5); `small`: one below k too."""
    ai = [f"a{i}" for i in range(6)]
    man = [f"m{i}" for i in range(6)]
    for p in ai + man:
        w.person(p, role="analyst")
    w.workflow("wf.win", name="Known win", roles=["analyst"], steps_before=6, steps_after=3)
    w.workflow("wf.null", name="No difference")
    w.workflow("wf.base", name="Against the baseline", baseline_minutes=60)
    w.workflow("wf.small", name="Too few people")
    w.workflow("wf.done", name="Completes more often")
    # Saving exactly 10 minutes: each arm runs the same five durations, shifted by 10.
    _arm(w, "wf.win", ai, [18, 19, 20, 21, 22])
    _arm(w, "wf.win", man, [28, 29, 30, 31, 32], ai_assisted=False)
    # A null: both arms draw from the same distribution (fixed seed).
    rng = np.random.default_rng(3)
    for p in ai:
        _arm(w, "wf.null", [p], list(rng.normal(30, 5, 6).round(1)))
    for p in man:
        _arm(w, "wf.null", [p], list(rng.normal(30, 5, 6).round(1)), ai_assisted=False)
    # No runs without AI: the catalogued baseline (60) against a median of 40.
    _arm(w, "wf.base", ai, [38, 40, 42])
    if small:
        # Only three people with AI: never shown.
        _arm(w, "wf.small", ai[:3], [10, 11, 12])
        _arm(w, "wf.small", man, [20, 21, 22], ai_assisted=False)
    # Same minutes; every AI run completes, half the runs without AI are abandoned.
    _arm(w, "wf.done", ai, [30, 30, 30, 30])
    _arm(w, "wf.done", man, [30, 30], ai_assisted=False)
    _arm(w, "wf.done", man, [None, None], ai_assisted=False, status="abandoned")  # type: ignore[list-item]


def _rows(doc: dict[str, object]) -> dict[str, dict[str, object]]:
    return {r["workflow"]: r for key in ("wins", "mixed", "promising", "others") for r in doc[key]}  # type: ignore[attr-defined,index]


def test_a_known_saving_lies_in_its_interval_and_is_a_win(wh: Warehouse) -> None:  # noqa: F811
    fill(wh)
    doc = wins(wh.ctx(AS_OF, k=K))
    assert doc["status"] == "ok" and doc["start"] == "2026-05-04" and doc["end"] == AS_OF
    rows = _rows(doc)
    win = rows["wf.win"]
    assert win["verdict"] == WIN and win["reference"] == "manual"
    assert win["saving_per_run"] == 10.0
    assert win["saving_per_run_low"] <= 10.0 <= win["saving_per_run_high"]
    assert win["saving_per_run_low"] > 0
    assert (win["people_ai"], win["people_other"], win["runs_ai"], win["runs_other"]) == (
        6,
        6,
        30,
        30,
    )
    assert (win["minutes_ai"], win["minutes_other"]) == (20.0, 30.0)
    assert win["minutes_saved"] == 300.0  # 10 minutes × 30 AI-assisted runs
    assert (win["steps_before"], win["steps_after"], win["roles"]) == (6, 3, ["analyst"])
    assert win["saving_vs_baseline"] is None  # no catalogued baseline
    # Every run completed in both arms: no completion difference.
    assert win["completion_diff"] == 0.0
    assert win["completion_diff_low"] < 0 < win["completion_diff_high"]
    # Ranked by minutes saved in the window: 20 × 18 runs, 10 × 30 runs, 0 × 24 runs.
    assert [r["workflow"] for r in doc["wins"]] == ["wf.base", "wf.win", "wf.done"]


def test_the_baseline_is_the_reference_without_runs_without_ai(wh: Warehouse) -> None:  # noqa: F811
    fill(wh)
    base = _rows(wins(wh.ctx(AS_OF, k=K)))["wf.base"]
    assert base["reference"] == "baseline" and base["compared_with"] == "the catalogued baseline"
    assert base["saving_per_run"] == 20.0 and base["saving_per_run_low"] > 0
    assert base["saving_vs_baseline"] == 20.0 and base["baseline_minutes"] == 60.0
    assert base["people_other"] is None and base["runs_other"] is None
    assert base["completion_diff"] is None and "not compared" in base["completion_note"]
    assert base["verdict"] == WIN


def test_more_completions_is_a_win_with_its_interval(wh: Warehouse) -> None:  # noqa: F811
    fill(wh)
    done = _rows(wins(wh.ctx(AS_OF, k=K)))["wf.done"]
    assert done["saving_per_run"] == 0.0
    assert (done["completion_ai"], done["completion_other"]) == (1.0, 0.5)
    assert done["completion_diff"] == 0.5
    assert 0 < done["completion_diff_low"] <= 0.5 <= done["completion_diff_high"]
    assert done["started_ai"] == 24 and done["started_other"] == 24
    assert done["verdict"] == WIN


def test_a_null_difference_is_not_called_a_win(wh: Warehouse) -> None:  # noqa: F811
    fill(wh)
    doc = wins(wh.ctx(AS_OF, k=K))
    null = _rows(doc)["wf.null"]
    assert null["verdict"] in (PROMISING, NONE)
    assert null["saving_per_run_low"] < 0 < null["saving_per_run_high"]
    assert "wf.null" not in [r["workflow"] for r in doc["wins"]]


def test_no_group_below_k_is_shown(wh: Warehouse) -> None:  # noqa: F811
    fill(wh, small=True)
    doc = wins(wh.ctx(AS_OF, k=K))
    assert "wf.small" not in _rows(doc)
    small, other = sorted(doc["hidden"], key=lambda h: h["workflow"] != "wf.small")
    assert small == {
        "workflow": "wf.small",
        "name": "Too few people",
        "reason": "hidden: fewer than 5 people in a compared group",
    }
    # As on the outcomes page, one more workflow is hidden so the small one cannot be worked
    # out from the total; its row carries no number.
    assert other["reason"].startswith("hidden so that a smaller group cannot be worked out")
    assert other["workflow"] not in _rows(doc) and set(other) == {"workflow", "name", "reason"}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    arms=st.lists(st.tuples(st.integers(1, 8), st.integers(0, 8)), min_size=1, max_size=4),
    k=st.integers(3, 6),
)
def test_every_shown_arm_reaches_k(arms: list[tuple[int, int]], k: int) -> None:
    w = Warehouse()
    for j, (n_ai, n_man) in enumerate(arms):
        wf = f"wf{j}"
        w.workflow(wf, baseline_minutes=50)
        _arm(w, wf, [f"a{j}-{i}" for i in range(n_ai)], [20, 25])
        _arm(w, wf, [f"m{j}-{i}" for i in range(n_man)], [30, 35], ai_assisted=False)
    doc = wins(w.ctx(AS_OF, k=k))
    for row in _rows(doc).values():
        assert row["people_ai"] >= k
        if row["runs_other"] is not None:
            assert row["people_other"] >= k
        if row["completion_diff"] is not None:
            assert row["completion_note"] is None
    shown = set(_rows(doc)) | {h["workflow"] for h in doc["hidden"]}
    assert shown == {f"wf{j}" for j in range(len(arms))}


def test_without_tasks_it_says_what_it_needs(wh: Warehouse) -> None:  # noqa: F811
    wh.person("a0")
    doc = wins(wh.ctx(AS_OF, k=K))
    assert doc["status"] == "not_available"
    assert doc["needs"] == [
        "tasks (workflow runs with ai_assisted and minutes)",
        "workflows (the catalogue: roles, baseline_minutes, steps, ai_mode)",
    ]
    assert doc["message"].startswith("not available: needs tasks")
    assert doc["wins"] == [] and doc["promising"] == []


def test_verdicts_from_directions() -> None:
    better, worse = Interval(2.0, 1.0, 3.0), Interval(-2.0, -3.0, -1.0)
    leans, nothing = Interval(1.0, -1.0, 3.0), Interval(None, None, None)
    assert direction(better) == "better" and direction(worse) == "worse"
    assert direction(leans) == "leans better" and direction(nothing) is None
    assert direction(worse, good_if_positive=False) == "better"
    assert verdict("better", None) == WIN and verdict("better", "worse") == MIXED
    assert verdict("leans better", None) == PROMISING and verdict(None, None) == NONE


def test_the_case_study_carries_the_rows_numbers(wh: Warehouse) -> None:  # noqa: F811
    fill(wh)
    doc = {**wins(wh.ctx(AS_OF, k=K)), "as_of": AS_OF, "as_of_rule": "given"}
    row = _rows(doc)["wf.win"]
    case = case_study(doc, "wf.win")
    minutes, done, steps = case["table"]
    assert (minutes["before"], minutes["after"]) == (row["minutes_other"], row["minutes_ai"])
    assert (minutes["difference"], minutes["difference_low"], minutes["difference_high"]) == (
        row["saving_per_run"],
        row["saving_per_run_low"],
        row["saving_per_run_high"],
    )
    assert (
        minutes["n_before"] == "30 runs by 6 people" and minutes["n_after"] == "30 runs by 6 people"
    )
    assert (done["before"], done["after"], done["difference"]) == (1.0, 1.0, 0.0)
    assert (steps["before"], steps["after"], steps["difference"]) == (6, 3, 3)
    assert case["roles"] == ["analyst"] and case["verdict"] == WIN
    for text in (to_markdown(case), to_html(case)):
        assert "Known win" in text and f"as of {AS_OF}" in text.lower()
        assert fmt(row["saving_per_run"], "minutes", signed=True) in text  # "+10.0"
        assert fmt(row["saving_per_run_low"], "minutes", signed=True) in text
        assert "30 runs by 6 people" in text and "28-day window" in text
    assert "<script" not in to_html(case) and "<svg" in to_html(case)


def test_with_noise_people_counts_move_but_stay_at_or_above_k(wh: Warehouse) -> None:  # noqa: F811
    from uptake.metrics.noise import Noise

    fill(wh, small=True)
    ctx = wh.ctx(AS_OF, k=K)
    exact = _rows(wins(ctx))
    ctx.noise = Noise(enabled=True, key=b"k" * 32, as_of=ctx.as_of)
    doc = wins(ctx)
    noisy = _rows(doc)
    assert set(noisy) == set(exact)  # suppression decides on the exact counts
    for wf, row in noisy.items():
        assert row["people_ai"] >= K or exact[wf]["people_ai"] == 0
        # Minutes and intervals are not counts of people: the noise leaves them alone.
        assert row["saving_per_run"] == exact[wf]["saving_per_run"]
    assert any(noisy[w]["people_other"] != exact[w]["people_other"] or
               noisy[w]["people_ai"] != exact[w]["people_ai"] for w in noisy)  # fmt: skip
