"""`uptake coach digest` in the terminal: one action per team, skipped teams by reason."""

from __future__ import annotations

from typing import Any

from uptake.cli.digest import summary_lines

WHY = "this team is shown only when it and the team without its manager both have at least 5 people"


def _made(team: str, day: str = "2026-12-06") -> dict[str, Any]:
    return {"team": team, "as_of": day, "action": {"text": f"{team}: do one thing"}}


def _skipped(team: str, why: str = WHY) -> dict[str, Any]:
    return {"team": team, "skipped": why}


def test_the_day_once_and_the_skipped_teams_on_one_line_per_reason() -> None:
    docs = [_made("a"), _skipped("a-lead"), _made("b"), _skipped("b-lead"), _skipped("c", "odd")]
    assert summary_lines(docs) == [
        "as of 2026-12-06: 2 digests",
        "a: a: do one thing",
        "b: b: do one thing",
        # Eight lines of the same sentence among the actions on the demo, now one.
        "skipped 2 teams: a-lead, b-lead — a team is shown only when it and the team without "
        "its manager both have at least 5 people",
        "c: skipped — odd",
    ]


def test_one_team_or_different_days_keep_the_day_on_the_line() -> None:
    assert summary_lines([_made("a")]) == ["a (as of 2026-12-06): a: do one thing"]
    assert summary_lines([_made("a"), _made("b", "2026-12-05")]) == [
        "a (as of 2026-12-06): a: do one thing",
        "b (as of 2026-12-05): b: do one thing",
    ]
    assert summary_lines([_skipped("x")]) == [f"x: skipped — {WHY}"]
