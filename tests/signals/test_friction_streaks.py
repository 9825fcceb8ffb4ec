"""Rejection streaks against a plain reference, on events full of same-instant ties."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from metrics.conftest import Warehouse
from uptake.signals.friction import FrictionRules, detect

D0 = date(2024, 3, 4)
DAYS = 30


def _events(seed: int) -> list[tuple[str, datetime, str, str]]:
    """(person, ts, event id, action): few instants per day, so many events tie on ts."""
    rng = random.Random(seed)
    rows = []
    for p in ("a", "b", "c"):
        for d in range(DAYS):
            for _ in range(rng.randrange(0, 6)):
                at = datetime.combine(D0 + timedelta(days=d), datetime.min.time())
                at += timedelta(hours=rng.choice((9, 13)), milliseconds=rng.choice((0, 0, 400)))
                action = "accept" if rng.random() < 0.2 else "reject"
                rows.append((p, at, f"e{rng.randrange(10**6):06d}", action))
    return rows


def _reference(rows: list[tuple[str, datetime, str, str]], n: int, days: int) -> list[Any]:
    """The rule read literally: walk each person's events in (time, id) order."""
    out = []
    for p in sorted({r[0] for r in rows}):
        streak: list[datetime] = []
        flagged = False
        for _, at, _, action in sorted((r for r in rows if r[0] == p), key=lambda r: r[1:3]):
            if action == "accept":
                streak, flagged = [], False
                continue
            streak.append(at)
            if len(streak) >= n and not flagged and at - streak[-n] < timedelta(days=days):
                out.append((p, at, len(streak), streak[-n], streak[0]))
                flagged = True
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_streaks_follow_event_id_order_within_an_instant(wh: Warehouse, seed: int) -> None:
    rows = _events(seed)
    for p, at, eid, action in rows:
        wh.event(p, at, action, event_id=eid, session_id=f"s-{p}")
    rules = FrictionRules()
    want = _reference(rows, rules.streak_rejects, rules.streak_days)
    assert want, "the data should hold streaks"
    ctx = wh.ctx(D0 + timedelta(days=DAYS - 1))
    flags = detect(ctx, rules, signals=("rejection_streak",)).flags
    got = [
        (
            f.person_key,
            datetime.fromisoformat(f.evidence["window"]["end"]),
            f.evidence["rejects_in_a_row"],
            datetime.fromisoformat(f.evidence["window"]["start"]),
            datetime.fromisoformat(f.evidence["streak_start"]),
        )
        for f in flags
    ]
    assert sorted(got) == sorted(want)
    # Reported from a later day on, the same streaks that start from it (the open streak's
    # anchor is the last accept before that day).
    since = D0 + timedelta(days=DAYS // 2)
    later = detect(ctx, rules, since=since, signals=("rejection_streak",)).flags
    assert [f.to_dict() for f in later] == [f.to_dict() for f in flags if f.since >= since]
