"""Friction signals on hand-built warehouses: each rule, its near miss, evidence, incrementality."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from metrics.conftest import Warehouse
from uptake.signals import Flag
from uptake.signals.friction import FrictionRules, detect

D0 = date(2024, 3, 4)


def at(day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    """A timestamp `day` days after D0."""
    return datetime.combine(D0 + timedelta(days=day), datetime.min.time()).replace(
        hour=hour, minute=minute, second=second
    )


def session(
    wh: Warehouse, person: str, start: datetime, seconds: int, actions: Sequence[str] = ("prompt",)
) -> None:
    """One session: start, the actions a few seconds apart, end with its duration."""
    sid = f"s-{person}-{start.isoformat()}"
    wh.event(person, start, "session_start", session_id=sid)
    for i, a in enumerate(actions, 1):
        wh.event(person, start + timedelta(seconds=i), a, session_id=sid)
    wh.event(person, start + timedelta(seconds=seconds), "session_end", session_id=sid,
             duration_ms=seconds * 1000)  # fmt: skip


def run(wh: Warehouse, as_of: int, **kw: Any) -> Any:
    """detect() as of D0 + `as_of` days."""
    return detect(wh.ctx(D0 + timedelta(days=as_of)), **kw)


def signal(wh: Warehouse, name: str, as_of: int, **kw: Any) -> list[Flag]:
    """The flags of one signal."""
    return run(wh, as_of, signals=(name,), **kw).of(name)


# -- bounce_loop --------------------------------------------------------------------------


def test_bounce_loop_fires_on_three_short_empty_sessions_within_a_week(wh: Warehouse) -> None:
    session(wh, "p", at(0), 20)
    session(wh, "p", at(3), 45)
    session(wh, "p", at(6), 59)
    session(wh, "p", at(6, 15), 300)  # a long session does not count
    [flag] = signal(wh, "bounce_loop", 10)
    assert (flag.person_key, flag.since) == ("p", D0 + timedelta(days=6))
    ev = flag.evidence
    assert ev["short_sessions"] == 3
    assert [s["seconds"] for s in ev["sessions"]] == [20.0, 45.0, 59.0]
    assert ev["window"] == {"start": D0.isoformat(), "end": (D0 + timedelta(days=6)).isoformat()}
    assert ev["threshold"] == {"sessions": 3, "seconds": 60, "days": 7}


@pytest.mark.parametrize(
    "third",
    [
        pytest.param((7, 20, ("prompt",)), id="eight-days"),
        pytest.param((6, 60, ("prompt",)), id="sixty-seconds"),
        pytest.param((6, 20, ("prompt", "accept")), id="accepted"),
    ],
)
def test_bounce_loop_near_misses(wh: Warehouse, third: tuple[int, int, tuple[str, ...]]) -> None:
    day, seconds, actions = third
    session(wh, "p", at(0), 20)
    session(wh, "p", at(3), 45)
    session(wh, "p", at(day), seconds, actions)
    assert signal(wh, "bounce_loop", 10) == []


def test_one_episode_while_the_window_keeps_holding(wh: Warehouse) -> None:
    for d in (0, 1, 2, 3, 4, 5):
        session(wh, "p", at(d), 10)
    for d in (20, 21, 22):  # a second loop after the window emptied
        session(wh, "p", at(d), 10)
    flags = signal(wh, "bounce_loop", 30)
    assert [f.since for f in flags] == [D0 + timedelta(days=2), D0 + timedelta(days=22)]


# -- no_meaningful_use_14d ----------------------------------------------------------------


def test_no_meaningful_use_after_fourteen_licensed_days(wh: Warehouse) -> None:
    wh.license("p", at(0))
    wh.events("p", [at(1), at(2)], "prompt")
    wh.license("q", at(0))
    wh.event("q", at(13), "accept")  # near miss: a meaningful event by day 14
    wh.license("r", at(5))  # near miss: licensed only 13 days on the as-of date
    [flag] = signal(wh, "no_meaningful_use_14d", 17)
    assert (flag.person_key, flag.since) == ("p", D0 + timedelta(days=14))
    assert flag.evidence["events"] == 2
    assert flag.evidence["meaningful_events"] == 0
    assert flag.evidence["licensed_on"] == D0.isoformat()
    assert flag.evidence["tools"] == ["copilot"]


# -- week3_4_drop -------------------------------------------------------------------------


@pytest.mark.parametrize(("after", "flagged"), [(4, True), (5, False)])
def test_week3_4_drop_below_half(wh: Warehouse, after: int, flagged: bool) -> None:
    wh.events("p", [at(d) for d in range(10)], "prompt")  # days 1-14: 10 events
    wh.events("p", [at(14 + d) for d in range(after)], "prompt")  # days 15-28
    flags = signal(wh, "week3_4_drop", 40)
    if not flagged:
        assert flags == []
        return
    [flag] = flags
    assert flag.since == D0 + timedelta(days=27)  # decided once day 28 is over
    assert flag.evidence["days_1_14"]["events"] == 10
    assert flag.evidence["days_15_28"] == {
        "start": (D0 + timedelta(days=14)).isoformat(),
        "end": (D0 + timedelta(days=27)).isoformat(),
        "events": 4,
    }
    assert flag.evidence["ratio"] == 0.4


def test_week3_4_drop_needs_a_habit_to_drop_from(wh: Warehouse) -> None:
    wh.events("p", [at(0, h) for h in range(8)] + [at(1, h) for h in range(8)], "prompt")
    assert signal(wh, "week3_4_drop", 40) == []  # 16 events, but on 2 days only
    literal = FrictionRules(drop_min_active_days=1)
    [flag] = signal(wh, "week3_4_drop", 40, rules=literal)
    assert flag.evidence["days_1_14"]["active_days"] == 2


def test_week3_4_drop_not_decided_before_day_28(wh: Warehouse) -> None:
    wh.events("p", [at(d) for d in range(10)], "prompt")
    assert signal(wh, "week3_4_drop", 26) == []
    assert len(signal(wh, "week3_4_drop", 27)) == 1


# -- surface_use --------------------------------------------------------------------------


@pytest.mark.parametrize(("high", "flagged"), [(0, True), (1, False)])
def test_surface_use_low_stakes_only(wh: Warehouse, high: int, flagged: bool) -> None:
    wh.workflow("memo", stakes="low")
    wh.workflow("credit", stakes="high")
    for d in range(5):
        wh.task("p", "memo", at(d))
    for d in range(high):
        wh.task("p", "credit", at(d))
    wh.task("p", "credit", at(1), ai_assisted=False)  # work without AI does not count
    flags = signal(wh, "surface_use", 10)
    assert len(flags) == int(flagged)
    if flagged:
        assert flags[0].since == D0 + timedelta(days=4)
        assert flags[0].evidence["ai_runs"] == 5
        assert flags[0].evidence["low_share"] == 1.0


def test_surface_use_needs_workflow_stakes(wh: Warehouse) -> None:
    wh.task("p", "memo", at(0))
    report = run(wh, 5, signals=("surface_use",))
    assert report.status["surface_use"] == {
        "status": "not_available",
        "needs": ["workflows.stakes"],
    }


# -- rejection_streak ---------------------------------------------------------------------


@pytest.mark.parametrize(("accept_after", "flagged"), [(None, True), (3, False)])
def test_rejection_streak(wh: Warehouse, accept_after: int | None, flagged: bool) -> None:
    for i in range(5):
        if accept_after is not None and i == accept_after:
            wh.event("p", at(i, 9), "accept", session_id=f"s{i}")
        wh.event("p", at(i), "reject", session_id=f"s{i}")
    flags = signal(wh, "rejection_streak", 10)
    assert len(flags) == int(flagged)
    if flagged:
        assert flags[0].since == D0 + timedelta(days=4)
        assert flags[0].evidence["rejects_in_a_row"] == 5
        assert flags[0].evidence["window"]["start"] == at(0).isoformat()


def test_rejection_streak_window(wh: Warehouse) -> None:
    for d in (0, 2, 4, 6, 8):  # five rejects over eight days: never five within seven
        wh.event("p", at(d), "reject", session_id=f"s{d}")
    assert signal(wh, "rejection_streak", 9) == []
    wh.event("p", at(8, 15), "reject", session_id="s9")  # the last five: under 7 days
    [flag] = signal(wh, "rejection_streak", 9)
    assert flag.since == D0 + timedelta(days=8)
    assert flag.evidence["rejects_in_a_row"] == 6


# -- override_spike -----------------------------------------------------------------------


def decisions(wh: Warehouse, person: str, days: range, overrides: int, wf: str = "w") -> None:
    """One decision a day over `days`; the first `overrides` of them overridden."""
    for i, d in enumerate(days):
        wh.decision(person, at(d), followed=i >= overrides, workflow=wf)


@pytest.mark.parametrize(("earlier", "flagged"), [(0, True), (6, False)])
def test_override_spike(wh: Warehouse, earlier: int, flagged: bool) -> None:
    decisions(wh, "p", range(0, 10), earlier)  # earlier window: 10 decisions
    decisions(wh, "p", range(40, 50), 8)  # recent: 8 of 10 overridden, the first on day 40
    decisions(wh, "peer", range(0, 50), 2)  # the workflow's rate stays low
    flags = signal(wh, "override_spike", 50)
    assert len(flags) == int(flagged)
    if flagged:
        [flag] = flags
        # Day 47 is the first with 8 recent decisions; 8 overrides of 8 by then.
        assert flag.since == D0 + timedelta(days=47)
        assert flag.evidence["recent"]["rate"] == 1.0
        assert flag.evidence["earlier"]["decisions"] == 10
        assert flag.evidence["workflow_rate"] < 0.4


def test_a_day_between_that_does_not_hold_does_not_split_an_override_spike(wh: Warehouse) -> None:
    decisions(wh, "p", range(0, 10), 0)  # earlier window: 10 followed
    decisions(wh, "p", range(40, 48), 8)  # day 47: 8 of 8 overridden, the spike starts
    for m in range(30):  # day 48: 30 followed dilute the rate under the margin
        wh.decision("p", at(48, 9, m), followed=True, workflow="w")
    for m in range(30):  # day 50: 30 overridden, it holds again, 3 days after day 47
        wh.decision("p", at(50, 9, m), followed=False, workflow="w")
    for d in range(0, 51):  # the workflow's own rate stays low
        for h in range(4):
            wh.decision("peer", at(d, 8 + h), followed=not (d == 0 and h < 2), workflow="w")
    held = [f.since for f in signal(wh, "override_spike", 47)]
    assert held == [D0 + timedelta(days=47)]
    assert signal(wh, "override_spike", 48) == signal(wh, "override_spike", 47)
    # One episode: days on which it holds, less than spike_gap_days apart.
    assert [f.since for f in signal(wh, "override_spike", 50)] == held
    # The same from a run that starts after the first day (incremental).
    assert signal(wh, "override_spike", 50, since=D0 + timedelta(days=49)) == []


# -- distress_language --------------------------------------------------------------------


def lost(texts: Sequence[str]) -> list[bool]:
    """A stand-in classifier: distressed when the text says "lost"."""
    return ["lost" in t for t in texts]


def test_distress_language_with_a_classifier(wh: Warehouse) -> None:
    wh.feedback(at(1), person="p", text="I am lost and annoyed", feedback_id="f1")
    wh.feedback(at(5), person="p", text="still lost", feedback_id="f2")  # same episode
    wh.feedback(at(2), person="q", text="works fine", feedback_id="f3")
    wh.feedback(at(3), text="lost, anonymous")  # no person: no flag
    [flag] = signal(wh, "distress_language", 10, distress_fn=lost)
    assert (flag.person_key, flag.since) == ("p", D0 + timedelta(days=1))
    assert [i["feedback_id"] for i in flag.evidence["items"]] == ["f1"]


def test_distress_unavailable_without_the_voice_module(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh.feedback(at(1), person="p", text="lost")
    monkeypatch.setattr("uptake.signals.friction.distress.VOICE_MODULE", "uptake.no_such_voice")
    report = run(wh, 5)
    assert report.status["distress_language"] == {
        "status": "not_available",
        "needs": ["uptake.signals.voice"],
    }
    assert report.of("distress_language") == []


def test_distress_unavailable_when_the_classifier_cannot_answer(wh: Warehouse) -> None:
    from uptake.errors import InputError

    def untrained(texts: Sequence[str]) -> list[bool]:
        raise InputError("the voice model is missing")

    wh.feedback(at(1), person="p", text="lost")
    status = run(wh, 5, distress_fn=untrained).status["distress_language"]
    assert status["status"] == "not_available"
    assert status["reason"] == "the voice model is missing"


# -- vendor daily counts ------------------------------------------------------------------


def test_vendor_counts_session_rules_unavailable(wh: Warehouse) -> None:
    wh.license("v", at(0))
    for d in range(10):  # GitHub-style: one row per day and counter, at midnight
        wh.event("v", at(d, 0), "suggestion", quantity=12)
        wh.event("v", at(d, 0), "accept", quantity=3)
    wh.event("v", at(15, 0), "suggestion", quantity=40)
    report = run(wh, 40)
    for name in ("bounce_loop", "rejection_streak"):
        # An input, as every item of a `needs` list is (pages print "needs" before it).
        needs = ["sessions (events with a session_id)"]
        assert report.status[name] == {"status": "not_available", "needs": needs}
    # Counts, not rows: 150 before, 40 after.
    [drop] = report.of("week3_4_drop")
    assert (drop.evidence["days_1_14"]["events"], drop.evidence["days_15_28"]["events"]) == (
        150,
        40,
    )
    assert report.of("no_meaningful_use_14d") == []


def test_no_meaningful_use_skips_tools_that_never_report_it(wh: Warehouse) -> None:
    wh.license("g", at(0), tool="github")
    wh.event("g", at(3, 0), "accept", tool="github", quantity=2)
    wh.license("m", at(0), tool="m365")  # Microsoft 365 reports days of use, never accepts
    wh.event("m", at(1, 0), "prompt", tool="m365", quantity=1)
    wh.license("h", at(0), tool="github")
    report = run(wh, 20)
    assert [f.person_key for f in report.of("no_meaningful_use_14d")] == ["h"]
    assert report.status["no_meaningful_use_14d"]["status"] == "partial"
    assert report.status["no_meaningful_use_14d"]["needs"] == ["meaningful events from m365"]


def test_mixed_data_session_rules_partial(wh: Warehouse) -> None:
    wh.event("v", at(0, 0), "suggestion", quantity=12)
    for d in (0, 1, 2):
        session(wh, "p", at(d), 10)
    report = run(wh, 5)
    assert report.status["bounce_loop"]["status"] == "partial"
    assert report.status["bounce_loop"]["people_without"] == 1
    assert [f.person_key for f in report.of("bounce_loop")] == ["p"]


# -- batch over history = incremental -----------------------------------------------------

DAYS = 50
Row = tuple[int, str, dict[str, Any]]


def random_org(seed: int) -> list[Row]:
    """Rows (day, table, fields) of a small organisation that trips every rule."""
    rng = random.Random(seed)
    rows: list[Row] = []

    def add(day: int, table: str, **kw: Any) -> None:
        rows.append((day, table, kw))

    add(0, "workflow", workflow="memo", stakes="low")
    add(0, "workflow", workflow="credit", stakes="high")
    for p in range(8):
        key = f"p{p}"
        lic_day = rng.randrange(0, 10)
        add(lic_day, "license", person=key, assigned_at=at(lic_day))
        if p == 7:
            continue  # never uses the tool: no meaningful use
        start = lic_day + rng.randrange(0, 4)
        for d in range(start, DAYS):
            if p in (2, 5):  # decide daily; overrides jump after day 32
                over = d > 32 and rng.random() < 0.8
                add(d, "decision", person=key, at=at(d, 11), followed=not over, workflow="w")
            # Everyone is busy in weeks 1-2; every third person then drops off.
            busy = 0.8 if d < start + 14 else 0.15 if p % 3 == 0 else 0.6
            if rng.random() > busy:
                continue
            for _ in range(rng.randrange(1, 3)):
                h, m = rng.randrange(8, 18), rng.randrange(60)
                short = rng.random() < 0.35
                acts = [rng.choice(("prompt", "reject", "reject", "suggestion", "accept"))
                        for _ in range(rng.randrange(1, 4))]  # fmt: skip
                if short:
                    acts = [a for a in acts if a != "accept"] or ["prompt"]
                add(d, "session", person=key, start=at(d, h, m), actions=tuple(acts),
                    seconds=rng.randrange(5, 59) if short else rng.randrange(61, 900))  # fmt: skip
            if rng.random() < 0.3:
                add(d, "task", person=key, workflow="memo" if p % 2 else "credit", started_at=at(d))
            if rng.random() < 0.05:
                add(d, "feedback", at=at(d, 12), person=key, feedback_id=f"f-{key}-{d}",
                    text=rng.choice(("lost again", "fine", "slow")))  # fmt: skip
    for d in range(DAYS):  # a colleague on the same workflow who rarely overrides
        add(d, "decision", person="peer", at=at(d, 9), followed=rng.random() < 0.9, workflow="w")
    return rows


def load(wh: Warehouse, rows: list[Row]) -> None:
    """Insert rows through the Warehouse helpers."""
    for _, table, kw in rows:
        kw = dict(kw)
        if table == "session":
            session(wh, kw["person"], kw["start"], kw["seconds"], kw["actions"])
        elif table == "decision":
            wh.decision(kw.pop("person"), kw.pop("at"), **kw)
        elif table == "feedback":
            wh.feedback(kw.pop("at"), **kw)
        elif table == "license":
            wh.license(kw["person"], kw["assigned_at"])
        elif table == "task":
            wh.task(kw["person"], kw["workflow"], kw["started_at"])
        else:
            wh.workflow(kw.pop("workflow"), **kw)


def as_dicts(flags: list[Flag]) -> list[dict[str, Any]]:
    """Comparable flags (person included)."""
    return sorted(({"person": f.person_key, **f.to_dict()} for f in flags), key=repr)


def test_batch_over_history_equals_incremental_batches(
    make_warehouse: Callable[[], Warehouse],
) -> None:
    rows = random_org(seed=20240304)
    full = make_warehouse()
    load(full, rows)
    last = DAYS - 1
    batch = run(full, last, distress_fn=lost).flags
    fired = {f.signal for f in batch}
    # The data trips every rule, so the identity below compares real flags.
    assert fired == {"bounce_loop", "no_meaningful_use_14d", "week3_4_drop", "surface_use",
                     "rejection_streak", "override_spike", "distress_language"}  # fmt: skip

    # Ingested in batches of 1-5 days (seeded), each run reporting from the batch's first
    # day and seeing only what arrived so far. (Every run costs ~2 s of query compilation on
    # this machine, hence batches rather than 50 single days.)
    rng = random.Random(7)
    inc = make_warehouse()
    flags: list[Flag] = []
    lo, runs = 0, 0
    while lo < DAYS:
        hi = min(lo + rng.choice((1, 1, 2, 3, 5)), DAYS) - 1
        load(inc, [r for r in rows if lo <= r[0] <= hi])
        flags += run(inc, hi, since=D0 + timedelta(days=lo), distress_fn=lost).flags
        lo, runs = hi + 1, runs + 1
    assert runs >= 15
    assert as_dicts(flags) == as_dicts(batch)
