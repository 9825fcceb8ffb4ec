"""Silence: shallow use and no feedback is a risk; feedback or depth turns it off."""

from __future__ import annotations

from typing import Any

import pytest

from uptake.errors import NotAvailableError
from uptake.signals import silence

AS_OF = "2024-03-31"  # feedback window (56 days): 2024-02-05 … 03-31
RUN_DAY = "2024-03-26T10:00"


def _member(wh: Any, key: str, team: str, ai: int, manual: int) -> None:
    wh.person(key, team=team)
    wh.license(key, "2024-01-01")
    for _ in range(ai):
        wh.task(key, "credit", RUN_DAY, ai_assisted=True)
    for _ in range(manual):
        wh.task(key, "credit", RUN_DAY, ai_assisted=False)


def _org(wh: Any) -> None:
    """quiet: depth 1/9, no feedback; vocal: depth 1/9, 2 items; deep: 6/9, none."""
    wh.workflow("credit", stakes="high")
    for team, ai in (("quiet", 1), ("vocal", 1), ("deep", 2)):
        for i in range(3):
            # One AI-assisted run among the team's nine (quiet, vocal), or two of three each.
            mine = ai if (ai == 2 or i == 0) else 0
            _member(wh, f"{team}{i}", team, mine, 3 - mine)
    wh.feedback("2024-03-01T10:00", person="vocal0")
    wh.feedback("2024-03-20T10:00", person="vocal1")
    wh.feedback("2024-01-20T10:00", person="quiet0")  # before the window: not counted
    # Teams of 1 and 2 people: hidden (together they count 3, so nobody else is).
    _member(wh, "tiny0", "tiny", 0, 3)
    _member(wh, "pair0", "pair", 0, 3)
    _member(wh, "pair1", "pair", 0, 3)


def test_shallow_and_silent_team_is_a_risk(wh: Any) -> None:
    _org(wh)
    s = silence.silence(wh.facts_ctx(AS_OF, k=3))
    assert s.basis == "tasks" and s.feedback_window == ("2024-02-05", "2024-03-31")
    teams = s.teams.set_index("team")
    assert teams.loc["quiet", "depth"] == pytest.approx(1 / 9)
    assert teams.loc["deep", "depth"] == pytest.approx(6 / 9)
    assert teams.loc["vocal", ["feedback", "feedback_per_person"]].tolist() == [2, 2 / 3]
    assert teams.loc["quiet", "feedback"] == 0
    assert s.silent["team"].tolist() == ["quiet"]
    # The small teams are shallow and quiet too, but below k: hidden, never listed.
    assert teams.loc["tiny", "suppressed_reason"] == "small"
    assert teams.loc["pair", "suppressed_reason"] == "small"
    assert s.hidden == 0
    rows = {r["team"]: r for r in s.to_dict()["teams"]}
    assert rows["pair"] == {"team": "pair", "suppressed": "small"}
    assert rows["quiet"]["silent"] is True and rows["deep"]["silent"] is False


def test_thresholds_turn_the_signal_on_and_off(wh: Any) -> None:
    _org(wh)
    ctx = wh.facts_ctx(AS_OF, k=3)
    # Two items in three people is quiet under a threshold of one item per person.
    loud = silence.silence(ctx, feedback_below=1.0)
    assert loud.silent["team"].tolist() == ["quiet", "vocal"]
    # Depth below 0.1 catches no one: 1/9 is shallow, not below a tenth.
    assert silence.silence(ctx, depth_below=0.1).silent.empty


def test_no_tasks_uses_the_l3_share(wh: Any) -> None:
    for team in ("idle", "busy"):
        for i in range(3):
            wh.person(f"{team}{i}", team=team)
            wh.license(f"{team}{i}", "2024-01-01")
    # busy: actions on 5 days in each of the 4 recent weeks → L3+; idle: one day → L2.
    for i in range(3):
        for w in ("2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25"):
            for d in range(5):
                wh.event(f"busy{i}", f"{w[:8]}{int(w[8:]) + d:02d}T09:00")
        wh.event(f"idle{i}", "2024-03-26T09:00")
    wh.feedback("2024-01-02T10:00", person="busy0")  # a feedback table, but nothing recent
    s = silence.silence(wh.facts_ctx(AS_OF, k=3))
    teams = s.teams.set_index("team")
    assert s.basis == "activity_proxy"
    assert (teams.loc["idle", "depth"], teams.loc["busy", "depth"]) == (0.0, 1.0)
    assert s.silent["team"].tolist() == ["idle"]


def test_without_feedback_silence_is_not_available(wh: Any) -> None:
    wh.workflow("credit", stakes="high")
    for i in range(3):
        _member(wh, f"q{i}", "quiet", 0, 3)
    with pytest.raises(NotAvailableError) as e:
        silence.silence(wh.facts_ctx(AS_OF, k=3))
    assert e.value.needs == ["feedback"]
