"""Role redesign evidence: tasks by AI mode weighted by runs, override figures at k only."""

from __future__ import annotations

import pytest

from metrics.conftest import Warehouse, wh  # noqa: F401
from uptake.programme.roles import role_redesign

AS_OF = "2026-05-31"
DAY = "2026-05-20T10:00:00"


def fill(w: Warehouse, *, counsel: bool = False) -> None:
    """Five agents (hand-counted runs and decisions); `counsel`: two counsel (below k = 5)."""
    agents = [f"a{i}" for i in range(5)]
    for p in agents:
        w.person(p, role="agent")
    for p in ("c0", "c1") if counsel else ():
        w.person(p, role="counsel")
    w.workflow("cs.reply", roles=["agent"], ai_mode="substitute")
    w.workflow("cs.notes", roles=["agent"], ai_mode="augment")
    w.workflow("cs.kb", roles=["agent", "counsel"], ai_mode="create")
    w.workflow("legal.review", roles=["counsel"], ai_mode="augment")
    for p in agents:
        w.task(p, "cs.reply", DAY)  # AI: substituted
        w.task(p, "cs.reply", DAY, ai_assisted=False)
        w.task(p, "cs.notes", DAY)  # AI: augmented
        w.task(p, "cs.notes", DAY)
    w.task("a0", "cs.kb", DAY)  # AI: created
    for p in ("c0", "c1") if counsel else ():
        w.task(p, "legal.review", DAY)
    # Decisions: the followed case averages 10; a0..a4 each override 3 times.
    for p in agents:
        for _ in range(2):
            w.decision(p, DAY, workflow="cs.reply", followed=True, outcome=10.0)
    wins = {"a0": 3, "a1": 3, "a2": 2, "a3": 1, "a4": 0}
    for p, beat in wins.items():
        for j in range(3):
            w.decision(
                p, DAY, workflow="cs.reply", followed=False, outcome=12.0 if j < beat else 8.0
            )


def test_tasks_by_ai_mode_weighted_by_runs(wh: Warehouse) -> None:  # noqa: F811
    fill(wh)
    doc = role_redesign(wh.ctx(AS_OF, k=5))
    assert doc["status"] == "ok"
    [agent] = doc["roles"]
    assert agent["role"] == "agent" and agent["n"] == 5
    assert (agent["runs"], agent["ai_runs"]) == (21, 16)
    assert (agent["substitute_runs"], agent["augment_runs"], agent["create_runs"]) == (5, 10, 1)
    assert agent["substitute_share"] == pytest.approx(5 / 21)
    assert agent["catalogued"] == {"substitute": 1, "augment": 1, "create": 1}
    assert doc["hidden"] == []


def test_no_role_below_k_and_no_complement_that_reveals_one(wh: Warehouse) -> None:  # noqa: F811
    fill(wh, counsel=True)
    doc = role_redesign(wh.ctx(AS_OF, k=5))
    # Two counsel are hidden; the agents too, else total minus agents would give them away.
    assert doc["roles"] == []
    assert doc["hidden"] == [
        {
            "role": "agent",
            "reason": "hidden so that a smaller group cannot be worked out from the total",
        },
        {"role": "counsel", "reason": "hidden: fewer than 5 people ran workflows"},
    ]


def test_override_rate_and_accuracy_per_role(wh: Warehouse) -> None:  # noqa: F811
    fill(wh)
    [agent] = role_redesign(wh.ctx(AS_OF, k=5))["roles"]
    assert agent["deciders"] == 5 and agent["decisions"] == 25
    assert agent["override_rate"] == pytest.approx(15 / 25)
    # Per person: 3/3, 3/3, 2/3, 1/3, 0/3 overrides beat the followed average (10).
    assert agent["override_accuracy"] == pytest.approx(0.6)
    assert agent["override_accuracy_low"] <= 0.6 <= agent["override_accuracy_high"]
    assert agent["accuracy_people"] == 5 and agent["override_note"] is None


def test_accuracy_is_hidden_below_k_judged_people(wh: Warehouse) -> None:  # noqa: F811
    fill(wh)
    [agent] = role_redesign(wh.ctx(AS_OF, k=5, override_accuracy_min=4))["roles"]
    assert agent["override_rate"] is not None and agent["override_accuracy"] is None
    assert agent["override_note"] == (
        "override accuracy hidden: fewer than 5 people with at least 4 judged overrides"
    )


def test_without_tasks_it_says_what_it_needs(wh: Warehouse) -> None:  # noqa: F811
    wh.person("a0", role="agent")
    doc = role_redesign(wh.ctx(AS_OF, k=5))
    assert doc["status"] == "not_available" and doc["roles"] == []
    assert doc["needs"][0] == "tasks (workflow runs with ai_assisted and minutes)"


def test_a_role_with_few_or_no_deciders_says_which(wh: Warehouse) -> None:  # noqa: F811
    for i in range(5):
        wh.person(f"a{i}", role="agent")
        wh.task(f"a{i}", "cs.reply", DAY)
    wh.workflow("cs.reply", roles=["agent"], ai_mode="substitute")
    wh.decision("x9", DAY, workflow="cs.reply", outcome=1.0)  # someone outside the roster
    [agent] = role_redesign(wh.ctx(AS_OF, k=5))["roles"]
    assert agent["override_note"] == "no decisions by this role in the window"
    for i in range(2):
        wh.decision(f"a{i}", DAY, workflow="cs.reply", followed=False, outcome=2.0)
    [agent] = role_redesign(wh.ctx(AS_OF, k=5))["roles"]
    assert agent["override_note"] == "hidden: fewer than 5 people decided"
    assert agent["deciders"] is None and agent["override_rate"] is None
