"""Use-case proposals: checking a proposal, the backlog's order, a workflow's measured outcome."""

from __future__ import annotations

import pandas as pd
import pytest

from uptake.errors import InputError
from uptake.programme import proposals


def test_check_cleans_and_refuses() -> None:
    p = proposals.check({"title": "  Draft variance notes ", "priority": "2", "team": ""})
    assert (p.title, p.priority, p.team, p.description) == ("Draft variance notes", 2, None, None)
    for bad, what in [
        ({}, "title"),
        ({"title": "x", "priority": "0"}, "priority"),
        ({"title": "x", "priority": "first"}, "priority"),
        ({"title": "x" * 121}, "title"),
        ({"title": "a\x00"}, "title"),
        ({"title": "x", "team": 3}, "team"),
    ]:
        with pytest.raises(InputError, match=what):
            proposals.check(bad)


def test_the_backlog_orders_open_proposals_by_votes_priority_then_age() -> None:
    frame = pd.DataFrame(
        {
            "proposal_id": ["a", "b", "c", "d", "e"],
            "ts": pd.to_datetime(
                ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05"]
            ),
            "priority": [None, 1, 2, 1, 1],
            "status": ["proposed", "proposed", "proposed", "catalogued", "proposed"],
            "votes": [3, 1, 3, 9, 1],
        }
    )
    got = proposals.ranked(frame)
    assert got["proposal_id"].tolist() == ["c", "a", "b", "e", "d"]
    assert got["rank"].tolist() == [1, 2, 3, 4, None]


def _tasks(people: int, assisted: bool, minutes: float, abandoned: int = 0) -> pd.DataFrame:
    rows = [
        {
            "person_key": f"p_{assisted}_{i}",
            "ai_assisted": assisted,
            "status": "abandoned" if i < abandoned else "completed",
            "minutes": minutes + i,
        }
        for i in range(people)
    ]
    return pd.DataFrame(rows)


def test_an_outcome_shows_each_arm_at_or_above_k_people_only() -> None:
    tasks = pd.concat([_tasks(6, True, 10.0, abandoned=1), _tasks(4, False, 30.0)])
    got = proposals.outcome(tasks, k=5)
    ai = got["arms"]["ai_assisted"]
    assert got["status"] == "ok" and ai["people"] == 6 and ai["tasks"] == 6
    assert ai["completion_rate"] == pytest.approx(5 / 6)
    assert ai["median_minutes"] == pytest.approx(13.0)  # completed runs: 11 … 15
    assert got["arms"]["without_ai"] == {"hidden": "hidden: fewer than 5 people"}
    assert proposals.outcome(tasks, k=4)["arms"]["without_ai"]["people"] == 4
    empty = proposals.outcome(tasks.iloc[0:0], k=5)
    assert empty["status"] == "not_available" and empty["needs"]
