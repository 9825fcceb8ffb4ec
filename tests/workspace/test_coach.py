"""The coach through the Workspace: who may ask, caps, quiet hours, opt-out and the holdout."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uptake.coach.caps import local, quiet
from uptake.coach.rules import Peers, Person
from uptake.coach.state import RECENT_DAYS, CoachState, load_books
from uptake.errors import NotFoundError, PermissionDeniedError
from uptake.workspace import Actor, Workspace

START = datetime(2026, 6, 1, 0, 0)  # a Monday
KEYS = [f"p_{i:020x}" for i in range(6)]
# Keys 0, 4 and 5 are in UTC (the tests at 10:00 UTC use them: working hours there).
ZONES = ["UTC", "Asia/Tokyo", "America/New_York", "Europe/Paris", "UTC", "UTC"]


class Case:
    """A use case as the library gives it."""

    def __init__(self, i: int) -> None:
        self.id, self.title, self.workflow, self.surface = f"case{i}", f"Case {i}", None, None
        self.steps, self.prompt, self.minutes_saved, self.practice = ["a", "b"], "p", 10.0 + i, None


class Library:
    def for_role(self, role: str, workflow: Any = None, surface: Any = None) -> list[Case]:
        return [Case(i) for i in range(40)]


def _state(holdout: set[str]) -> CoachState:
    state = CoachState(as_of=START.date(), peers=Peers())
    for key, zone in zip(KEYS, ZONES, strict=True):
        state.people[key] = Person(key=key, role="analyst", team="t1")
        state.zones[key] = zone
        state.arms[key] = "holdout" if key in holdout else "treatment"
        state.aliases[key] = key
    return state


def _prime(ws: Workspace, holdout: set[str]) -> None:
    """A workspace whose coach already knows everyone (no signals to compute)."""
    ws.__dict__["_coach_state"] = (None, _state(holdout))
    ws.__dict__["library"] = lambda: Library()


@settings(max_examples=25, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    steps=st.lists(
        st.tuples(
            st.integers(0, 5),  # who
            st.integers(1, 600),  # minutes since the previous request
            st.sampled_from(
                ["ask", "ask", "ask", "acted", "dismissed", "snoozed", "opt_out", "opt_in"]
            ),
        ),
        min_size=1,
        max_size=120,
    )
)
def test_caps_quiet_hours_opt_out_and_holdout_hold_for_any_stream(
    workspace: Workspace, steps: list[tuple[int, int, str]]
) -> None:
    workspace.con.execute("DELETE FROM interventions; DELETE FROM coach_prefs")
    holdout = {KEYS[5]}
    _prime(workspace, holdout)
    s = workspace.settings.coach
    now = START
    out: dict[str, bool] = {k: False for k in KEYS}
    last: dict[str, str] = {}
    for who, gap, action in steps:
        now += timedelta(minutes=gap)
        key = KEYS[who]
        if action == "opt_out" or action == "opt_in":
            workspace.coach_preferences(key, opt_out=action == "opt_out", now=now)
            out[key] = action == "opt_out"
            continue
        if action in ("acted", "dismissed", "snoozed") and key in last:
            workspace.coach_interaction(last[key], action, now=now)
            continue
        card = workspace.coach_next(key, now=now)
        if card is None:
            continue
        assert key not in holdout, "the holdout never sees a card"
        assert not out[key], "an opted-out person never sees a card"
        assert not quiet(local(now, ZONES[who]), s.quiet_start, s.quiet_end)
        last[key] = card["card_id"]
    rows = workspace.con.execute(
        "SELECT person_key, ts, arm, status FROM interventions ORDER BY ts"
    ).fetchall()
    per_day: Counter[tuple[str, Any]] = Counter()
    for key, ts, arm, status in rows:
        zone = ZONES[KEYS.index(key)]
        day = local(ts, zone).date()
        per_day[(key, day)] += 1
        if key in holdout:
            assert arm == "holdout" and status is None
        else:
            assert arm == "treatment" and status is not None
            assert not quiet(local(ts, zone), s.quiet_start, s.quiet_end)
    assert all(n <= s.max_per_day for n in per_day.values())
    for (key, day), _ in per_day.items():
        week = sum(n for (k, d), n in per_day.items()
                   if k == key and day - timedelta(days=6) <= d <= day)  # fmt: skip
        assert week <= s.max_per_week


def test_an_open_card_is_shown_again_not_delivered_anew(workspace: Workspace) -> None:
    _prime(workspace, set())
    at = datetime(2026, 6, 2, 10)
    first = workspace.coach_next(KEYS[0], now=at)
    assert first is not None
    again = workspace.coach_next(KEYS[0], now=at + timedelta(hours=3))
    assert again == first
    assert workspace.con.execute("SELECT count(*) FROM interventions").fetchone() == (1,)
    # Acted on: the next day brings a new card.
    assert workspace.coach_interaction(first["card_id"], "acted", now=at)["status"] == "acted"
    nxt = workspace.coach_next(KEYS[0], now=at + timedelta(days=1))
    assert nxt is not None and nxt["card_id"] != first["card_id"]
    assert nxt["use_case"] != first["use_case"], "a use case is not repeated"


def test_status_only_moves_forward_and_snooze_pauses(workspace: Workspace) -> None:
    _prime(workspace, set())
    at = datetime(2026, 6, 2, 10)
    card = workspace.coach_next(KEYS[0], now=at)
    assert card is not None
    cid = card["card_id"]
    assert workspace.coach_interaction(cid, "acted", now=at)["status"] == "acted"
    assert workspace.coach_interaction(cid, "opened", now=at)["status"] == "acted"
    card = workspace.coach_next(KEYS[4], now=at)
    assert card is not None
    workspace.coach_interaction(card["card_id"], "snoozed", snooze_days=3, now=at)
    assert workspace.coach_next(KEYS[4], now=at + timedelta(days=2)) is None
    assert workspace.coach_next(KEYS[4], now=at + timedelta(days=3, hours=1)) is not None
    prefs = workspace.coach_preferences(KEYS[4], now=at)
    assert prefs["opted_out"] is False and prefs["snoozed_until"] is not None


def test_who_may_ask(workspace: Workspace) -> None:
    _prime(workspace, set())
    at = datetime(2026, 6, 2, 10)
    me = Actor("token:me", "person", person_key=KEYS[0])
    assert workspace.coach_next(actor=me, now=at) is not None
    with pytest.raises(PermissionDeniedError):
        workspace.coach_next(KEYS[4], actor=me, now=at)
    # Asking about someone who does not exist is refused the same way (no roster probing).
    with pytest.raises(PermissionDeniedError):
        workspace.coach_next("nobody@example.com", actor=me, now=at)
    coach = Actor("token:c", "coach", teams=("t1",))
    assert workspace.coach_next(KEYS[5], actor=coach, now=at) is not None
    outsider = Actor("token:c2", "coach", teams=("t9",))
    with pytest.raises(PermissionDeniedError):
        workspace.coach_next(KEYS[3], actor=outsider, now=at)
    for role in ("analyst", "manager", "ingest"):
        with pytest.raises(PermissionDeniedError):
            workspace.coach_next(KEYS[3], actor=Actor("t", role, teams=("t1",)), now=at)
    with pytest.raises(NotFoundError):
        workspace.coach_next("nobody@example.com", now=at)
    # A person cannot act on someone else's card, nor learn that it exists.
    other = workspace.coach_next(KEYS[5], now=at)
    assert other is not None
    with pytest.raises(NotFoundError):
        workspace.coach_interaction(other["card_id"], "acted", actor=me, now=at)
    # The coach's read of someone's card is audited.
    who = workspace.con.execute("SELECT actor FROM audit_log").fetchall()
    assert ("token:c",) in who


def test_an_open_card_survives_a_restart(workspace: Workspace) -> None:
    _prime(workspace, set())
    at = datetime(2026, 6, 2, 10)
    first = workspace.coach_next(KEYS[0], now=at)
    assert first is not None
    # A new server process remembers no card: it rebuilds the open one from the log.
    workspace.__dict__.pop("_coach_cards")
    again = workspace.coach_next(KEYS[0], now=at + timedelta(hours=2))
    assert again is not None
    assert (again["card_id"], again["use_case"], again["kind"]) == (
        first["card_id"], first["use_case"], first["kind"],
    )  # fmt: skip


def test_imported_interventions_do_not_count_against_the_caps(workspace: Workspace) -> None:
    at = datetime(2026, 6, 2, 10)
    workspace.con.execute(
        "INSERT INTO interventions VALUES ('lms-1', ?, ?, 'training_session', 'excel-ai-101', "
        "'treatment', 'acted', 1)",
        [at - timedelta(hours=1), KEYS[0]],
    )
    _prime(workspace, set())
    # The coach's books read the import (a training session an hour ago, same day)…
    state = workspace.coach_state()
    load_books(workspace.con, state, at - timedelta(days=RECENT_DAYS))
    assert [r.intervention_id for r in state.recent[KEYS[0]]] == ["lms-1"]
    # …and the daily cap still leaves room for the first card of the day.
    card = workspace.coach_next(KEYS[0], now=at)
    assert card is not None and card["card_id"].startswith("coach_")
