"""evaluate_friction: every rule scored against episodes, with each kind's matching window."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from metrics.conftest import Warehouse
from uptake.signals.friction import FrictionRules, evaluate_friction
from uptake.signals.friction.evaluate import EPISODE_KINDS, tolerance
from uptake.signals.friction.rules import SIGNALS

D0 = date(2024, 3, 4)
KEYS = {"p@example.com": "p", "q@example.com": "q", "peer@example.com": "peer"}


def at(day: int, hour: int = 10) -> datetime:
    return datetime.combine(D0 + timedelta(days=day), datetime.min.time()).replace(hour=hour)


def episodes(*rows: tuple[str, str, int, int, bool, bool]) -> pd.DataFrame:
    """Episode rows (person, kind, first day, last day, planted, rule_hit) as the simulator."""
    return pd.DataFrame(
        [
            {
                "person": p,
                "kind": k,
                "start_on": D0 + timedelta(days=a),
                "end_on": D0 + timedelta(days=b),
                "planted": pl,
                "rule_hit": hit,
            }
            for p, k, a, b, pl, hit in rows
        ]
    )


def score(wh: Warehouse, as_of: int, eps: pd.DataFrame) -> dict[str, Any]:
    return evaluate_friction(wh.ctx(D0 + timedelta(days=as_of)), eps, KEYS)


def test_every_rule_is_scored() -> None:
    assert EPISODE_KINDS == SIGNALS


def test_a_planted_streak_joined_by_earlier_rejects_is_found(wh: Warehouse) -> None:
    # The person's own rejects on days 0-4 reach five on day 4; the planted ones (days 8-12)
    # follow with no accept between: one streak, flagged before the planted days began.
    for d in (0, 1, 2, 3, 4, 8, 9, 10, 11, 12):
        wh.event("p", at(d), "reject", session_id=f"s{d}")
    wh.event("q", at(1), "accept", session_id="q1")
    eps = episodes(("p@example.com", "rejection_streak", 8, 12, True, True),
                   ("q@example.com", "rejection_streak", 20, 24, True, False))  # fmt: skip
    got = score(wh, 30, eps)["rejection_streak"]
    assert got["status"] == "available" and got["flags"] == 1
    assert got["tolerance_days"] == [7, 2]
    assert got["planted"] == {"episodes": 2, "detected": 1, "recall": 0.5,
                              "flags_matching": 1, "precision": 1.0}  # fmt: skip
    assert got["rule"]["recall"] == 1.0
    # The flag fell on day 4, four days before the planted rejects: only the streak's own
    # window (`streak_days` before the start) lets it match.
    assert tolerance("rejection_streak", FrictionRules(), 2) == (7, 2)
    assert tolerance("rejection_streak", FrictionRules(), 9) == (9, 9)


def test_an_override_spike_seen_after_its_stretch_still_matches(wh: Warehouse) -> None:
    for d in range(0, 10):  # earlier: ten decisions, all followed
        wh.decision("p", at(d), followed=True, workflow="w")
    for i, d in enumerate(range(40, 50)):  # 8 of 10 overridden from day 40
        wh.decision("p", at(d), followed=i >= 8, workflow="w")
    for i, d in enumerate(range(0, 50)):
        wh.decision("peer", at(d), followed=i >= 2, workflow="w")
    # The rule needs 8 recent decisions: it first holds on day 47, after a stretch planted
    # on days 38-44 (the recent window still holds its overrides).
    eps = episodes(("p@example.com", "override_spike", 38, 44, True, True))
    got = score(wh, 50, eps)["override_spike"]
    assert got["tolerance_days"] == [2, 14]
    assert (got["flags"], got["planted"]["detected"], got["planted"]["precision"]) == (1, 1, 1.0)


def test_flags_outside_their_window_and_unplanted_ones(wh: Warehouse) -> None:
    for d in (0, 1, 2, 3, 4):
        wh.event("p", at(d), "reject", session_id=f"s{d}")
    # Planted a fortnight later: the flag on day 4 is another (incidental) episode.
    eps = episodes(("p@example.com", "rejection_streak", 20, 24, True, False),
                   ("p@example.com", "rejection_streak", 0, 4, False, True))  # fmt: skip
    got = score(wh, 30, eps)["rejection_streak"]
    assert got["planted"]["recall"] == 0.0 and got["planted"]["precision"] == 0.0
    assert got["rule"]["recall"] == 1.0 and got["rule"]["precision"] == 1.0


def test_rules_without_their_data_are_not_available(wh: Warehouse) -> None:
    wh.event("p", at(0), "prompt", quantity=3)  # vendor-style daily counts: no sessions
    got = score(wh, 30, episodes(("p@example.com", "override_spike", 1, 14, True, True)))
    for kind in ("bounce_loop", "rejection_streak"):
        assert got[kind]["status"] == "not_available"
        assert got[kind]["needs"] == ["sessions (events with a session_id)"]
    assert got["override_spike"] == {"status": "not_available", "needs": ["decisions"]}
    assert got["surface_use"]["status"] == "not_available"
    assert got["distress_language"]["status"] == "not_available"
    assert tolerance("week3_4_drop", FrictionRules()) == (2, 2)
