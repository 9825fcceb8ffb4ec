"""The 90-day adoption sprint: three phases of milestones, dated from the rollout's start.

Day 1 is the rollout's start: `programme.start` when set, else the first day of AI use in the
data (the first person-day with an action). Each milestone is due on a day of the sprint and
is done either from the data (the first day its evidence holds, up to the as-of day) or by
hand (a row of `programme_ticks`: who said so, when, and a note). A tick by hand wins over
the data, whose evidence is still shown beside it.

Milestones with a `check` tick from the data (`uptake.programme.sprint_checks` says what
evidence each needs). The rest need a tick by hand; each says what to record. Statuses:
`done` (with how, date and evidence), `overdue` (due before the as-of day), `due` (due
within `DUE_SOON_DAYS`), `upcoming`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from uptake.errors import NotAvailableError
from uptake.metrics.context import MetricContext
from uptake.metrics.facts import PERSON_DAY

if TYPE_CHECKING:
    from uptake.programme.sprint_checks import Evidence

SPRINT_DAYS = 90
DUE_SOON_DAYS = 7
START_SETTING = "settings: programme.start"
START_DATA = "the first day of AI use in the data"
TICK_COMMAND = "uptake sprint tick MILESTONE [--on YYYY-MM-DD] [--note TEXT]"


@dataclass(frozen=True)
class Phase:
    """One phase of the sprint: its days (1-based, inclusive) and what it is for."""

    id: str
    title: str
    first_day: int
    last_day: int
    purpose: str


@dataclass(frozen=True)
class Milestone:
    """One milestone: due on a sprint day, ticked from the data (`check`) or by hand.

    Attributes:
        id: stable identifier (`uptake sprint tick <id>`).
        phase: the phase id.
        title: what is done, in words.
        day: the sprint day it is due (1 = the start).
        check: the data check that ticks it, or None (by hand only).
        record: what a tick by hand should record when the data cannot tell.
    """

    id: str
    phase: str
    title: str
    day: int
    check: str | None
    record: str


PHASES: tuple[Phase, ...] = (
    Phase("foundation", "Foundation", 1, 30,
          "audit real use, set goals, start measuring overrides and reviewing the dashboard"),
    Phase("shadow", "Shadow mode and trust building", 31, 60,
          "AI alongside people's own decisions; champions, feedback answered, first win"),
    Phase("activation", "Production activation", 61, 90,
          "redesigned workflows in production, outcomes measured, the next sprint planned"),
)  # fmt: skip

MILESTONES: tuple[Milestone, ...] = (
    Milestone("sponsor_goals", "foundation", "executive sponsor named and outcome goals set", 7,
              None, "who the sponsor is and the two or three outcome goals"),
    Milestone("audit_sample_drawn", "foundation",
              "audit sample drawn (ten people across levels and functions)", 7, "audit_sample",
              "run `uptake audit-sample`, or note how the people were chosen"),
    Milestone("audit_interviewed", "foundation", "audit sample interviewed (week 1–2 form)", 14,
              "interviews", "how many people were interviewed and where the notes are"),
    Milestone("wins_chosen", "foundation", "two or three candidate workflow wins chosen", 21,
              None, "which workflows, and why they were chosen"),
    Milestone("override_tracking", "foundation", "override tracking begins", 30, "decisions",
              "where decisions and overrides are logged, if not in uptake"),
    Milestone("weekly_dashboard", "foundation", "weekly adoption dashboard reviewed", 30,
              "dashboard", "who reviews the dashboard, and when each week"),
    Milestone("managers_briefed", "shadow", "managers briefed with their team view", 40, None,
              "which managers were briefed, and when"),
    Milestone("champion_network", "shadow", "champion network selected", 45, "champions",
              "who the champions are and which teams they cover"),
    Milestone("feedback_cycle", "shadow", "first feedback cycle completed and communicated", 45,
              "feedback_1", "what was fixed and how it was communicated back"),
    Milestone("trust_explained", "shadow",
              "how suggestions are made explained to every team (transparency)", 50, None,
              "which teams were shown how suggestions are made, and how"),
    Milestone("outcomes_logged", "shadow", "outcomes logged for followed and overridden decisions",
              55, "outcomes", "where decision outcomes are recorded, if not in uptake"),
    Milestone("first_win_documented", "shadow", "first workflow win documented (before and after)",
              60, None, "the workflow, the before and after, and where the case study is"),
    Milestone("proposals_backlog", "activation", "teams propose use cases (backlog open)", 70,
              "proposals", "where teams' proposals are collected"),
    Milestone("production_workflow", "activation", "first redesigned workflow in production", 75,
              "redesign", "the workflow and its new standard procedure"),
    Milestone("second_feedback_cycle", "activation",
              "second feedback cycle completed and communicated", 75, "feedback_2",
              "what was fixed and how it was communicated back"),
    Milestone("measurement_outcomes", "activation",
              "measurement restructured around outcomes (reviewed with the sponsor)", 80, None,
              "the outcome measures agreed and who reviewed them"),
    Milestone("sprint_review", "activation", "90-day review: results shared, next sprint planned",
              90, None, "where the results were shared and the next sprint's goals"),
)  # fmt: skip
MILESTONE_IDS = tuple(m.id for m in MILESTONES)


@dataclass(frozen=True)
class Tick:
    """A milestone ticked by hand (a row of `programme_ticks`)."""

    milestone: str
    done_on: date
    who: str
    note: str | None
    recorded_at: datetime


def milestone(milestone_id: str) -> Milestone:
    """The milestone with this id.

    Args:
        milestone_id: a `Milestone.id`.

    Returns:
        The milestone.

    Raises:
        KeyError: no milestone has this id.
    """
    for m in MILESTONES:
        if m.id == milestone_id:
            return m
    raise KeyError(milestone_id)


def rollout_start(ctx: MetricContext, configured: date | None) -> tuple[date, str]:
    """Day 1 of the sprint and the rule that chose it.

    Args:
        ctx: metric context (its facts must be current).
        configured: `programme.start`, if set.

    Returns:
        (start, rule): the setting, else the first day with an action in the facts.

    Raises:
        NotAvailableError: no start is set and the data holds no AI use.
    """
    if configured is not None:
        return configured, START_SETTING
    if ctx.engine.has(PERSON_DAY):
        t = ctx.engine.table(PERSON_DAY)
        first = ctx.engine.execute(t.filter(t.actions > 0).aggregate(first=t.day.min()))
        value = first["first"].iloc[0]
        if value is not None and not pd.isna(value):
            return pd.Timestamp(value).date(), START_DATA
    raise NotAvailableError(
        "the sprint needs a start", needs=["programme.start or events (AI use)"]
    )


# -- the plan ---------------------------------------------------------------------------------


def plan(
    start: date,
    start_rule: str,
    as_of: date,
    found: Mapping[str, Evidence],
    ticks: Mapping[str, Tick],
    hand_until: date | None = None,
) -> dict[str, Any]:
    """The sprint on a day: phases, milestones with due dates, status and evidence.

    Args:
        start: day 1.
        start_rule: how the start was chosen (`START_SETTING` or `START_DATA`).
        as_of: the day the statuses are judged on.
        found: the data's evidence per check (`evidence`).
        ticks: ticks by hand per milestone id.
        hand_until: the last day a tick by hand counts (default `as_of`; today when the
            as-of is the last day with data, which lags the ticks made today).

    Returns:
        {start, start_rule, end, day, phase, counts, phases: [{…, milestones: [...]}]}.
    """
    day_no = (as_of - start).days + 1
    # Before day 1 or after day 90 the sprint has no day of its own ("day -2412 of 90").
    if day_no < 1:
        day_text = f"{1 - day_no} {'day' if day_no == 0 else 'days'} before day 1"
    elif day_no > SPRINT_DAYS:
        late = day_no - SPRINT_DAYS
        day_text = f"{late} {'day' if late == 1 else 'days'} after day {SPRINT_DAYS}"
    else:
        day_text = f"day {day_no} of {SPRINT_DAYS}"
    current = next((p.id for p in PHASES if p.first_day <= day_no <= p.last_day), None)
    if current is None:
        current = "not started" if day_no < 1 else "finished"
    phases = []
    counts = {"done": 0, "due": 0, "overdue": 0, "upcoming": 0}
    for p in PHASES:
        rows = [_row(m, start, as_of, found, ticks, hand_until or as_of)
                for m in MILESTONES if m.phase == p.id]  # fmt: skip
        for r in rows:
            counts[r["status"]] += 1
        phases.append({
            "id": p.id, "title": p.title, "purpose": p.purpose, "first_day": p.first_day,
            "last_day": p.last_day, "start": _iso(start + timedelta(days=p.first_day - 1)),
            "end": _iso(start + timedelta(days=p.last_day - 1)), "milestones": rows,
        })  # fmt: skip
    return {
        "start": start.isoformat(),
        "start_rule": start_rule,
        "end": (start + timedelta(days=SPRINT_DAYS - 1)).isoformat(),
        "day": day_no,
        "day_text": day_text,
        "phase": current,
        "counts": counts,
        "tick": TICK_COMMAND,
        "phases": phases,
    }


def _row(
    m: Milestone,
    start: date,
    as_of: date,
    found: Mapping[str, Evidence],
    ticks: Mapping[str, Tick],
    hand_until: date,
) -> dict[str, Any]:
    due = start + timedelta(days=m.day - 1)
    ev = found.get(m.check) if m.check else None
    tick = ticks.get(m.id)
    row: dict[str, Any] = {
        "id": m.id, "title": m.title, "phase": m.phase, "day": m.day, "due": due.isoformat(),
        "source": "data" if m.check else "hand", "data": ev.to_dict() if ev else None,
        "how": None, "done_on": None, "who": None, "note": None, "evidence": None, "needs": [],
    }  # fmt: skip
    by_data = ev is not None and ev.done_on is not None and ev.done_on <= as_of
    earlier = by_data and tick is not None and ev.done_on <= tick.done_on  # type: ignore[union-attr,operator]
    if tick is not None and tick.done_on <= hand_until and not earlier:
        # A tick stands unless the data shows the milestone done earlier (a tick had moved
        # a date the data knew to the day it was made).
        row.update(status="done", how="by hand", done_on=tick.done_on.isoformat(),
                   who=tick.who, note=tick.note,
                   evidence=f"ticked by hand by {tick.who}" + (f": {tick.note}" if tick.note
                                                               else ""))  # fmt: skip
        return row
    if by_data:
        assert ev is not None and ev.done_on is not None
        row.update(status="done", how="data", done_on=ev.done_on.isoformat(), evidence=ev.text)
        return row
    if due < as_of:
        status = "overdue"
    elif (due - as_of).days <= DUE_SOON_DAYS:
        status = "due"
    else:
        status = "upcoming"
    hand = f"a tick by hand: {m.record}"
    if ev is None:
        row.update(status=status, evidence="the data cannot tell", needs=[hand])
    elif ev.status == "not_available":
        row.update(status=status, evidence=ev.text, needs=[*ev.needs, hand])
    else:
        row.update(status=status, evidence=ev.text, needs=[hand])
    return row


def tick_of(row: Mapping[str, Any]) -> Tick:
    """A `programme_ticks` row (milestone, done_on, who, note, recorded_at) as a Tick.

    Args:
        row: the stored row.

    Returns:
        The tick.
    """
    done: Any = row["done_on"]
    return Tick(
        milestone=str(row["milestone"]),
        done_on=pd.Timestamp(done).date(),
        who=str(row["who"]),
        # A tick without a note is read back as NaN (pandas): "ticked by hand by uptake: nan".
        note=None if pd.isna(row.get("note")) else str(row["note"]),
        recorded_at=pd.Timestamp(row["recorded_at"]).to_pydatetime(),
    )


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None
