"""Fact expressions on a hand-built week: every count worked out by hand below."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from uptake.config import MetricsSettings
from uptake.metrics.facts import (
    PERSON_DAY,
    PERSON_TOOL_DAY,
    PERSON_WEEK,
    SEGMENT_WEEK,
    refresh,
)


def _week(wh: Any) -> None:
    """Week of Monday 2024-03-04: analyst `a`, ops `b`; see the tests for the sums."""
    wh.person("a", role="analyst", team="t1")
    wh.person("b", role="ops", team="t2", manager="a")
    wh.workflow("w_hi", stakes="high", roles=["analyst"])
    wh.workflow("w_open", stakes="high", roles=None)
    wh.workflow("w_lo", stakes="low")
    # a, Mon 03-04: 4 events, 2 actions (prompt, accept), 1 meaningful (accept).
    for t, action in (
        ("09:00", "session_start"),
        ("09:01", "prompt"),
        ("09:02", "accept"),
        ("09:10", "session_end"),
    ):
        wh.event("a", f"2024-03-04T{t}", action)
    # a, Tue 03-05: one feedback event (an action, not meaningful).
    wh.event("a", "2024-03-05T10:00", "feedback")
    # a's runs. 03-04: w_hi AI completed, w_hi manual completed.
    wh.task("a", "w_hi", "2024-03-04T11:00", ai_assisted=True)
    wh.task("a", "w_hi", "2024-03-04T12:00", ai_assisted=False)
    # 03-05: w_open AI abandoned (eligible: no roles), w_lo AI completed (low stakes).
    wh.task("a", "w_open", "2024-03-05T11:00", ai_assisted=True, status="abandoned")
    wh.task("a", "w_lo", "2024-03-05T12:00", ai_assisted=True)
    # b is ops: w_hi is not eligible for b; w_open is.
    wh.task("b", "w_hi", "2024-03-04T11:00", ai_assisted=True)
    wh.task("b", "w_open", "2024-03-06T11:00", ai_assisted=False)
    wh.decision("a", "2024-03-06T10:00", followed=True)
    wh.decision("a", "2024-03-06T11:00", followed=False)
    wh.feedback("2024-03-07T10:00", person="a")
    wh.feedback("2024-03-07T11:00", person=None)  # anonymous: nobody's count
    wh.help("2024-03-08T10:00", asker="b", helper="a")
    # b on Sunday late and Monday early: ISO weeks 03-04 and 03-11.
    wh.event("b", "2024-03-10T23:30", "prompt")
    wh.event("b", "2024-03-11T00:10", "prompt", tool="chatgpt")


def _rows(wh: Any, table: str, **where: Any) -> pd.DataFrame:
    df = wh.engine.execute(wh.engine.table(table))
    for c in ("day", "week"):
        if c in df:
            df[c] = pd.to_datetime(df[c]).dt.date
    for k, v in where.items():
        df = df[df[k] == v]
    return df.drop(columns="refresh_id").reset_index(drop=True)


def test_person_day_counts(wh: Any) -> None:
    _week(wh)
    refresh(wh.engine, MetricsSettings())
    a4 = _rows(wh, PERSON_DAY, person_key="a", day=date(2024, 3, 4)).iloc[0]
    assert (a4.events, a4.actions, a4.meaningful, a4.feedback_events) == (4, 2, 1, 0)
    # Runs on 03-04: both w_hi runs eligible, one AI-assisted and completed, both completed.
    assert (a4.runs, a4.elig, a4.ai_elig, a4.ai_elig_done, a4.elig_done) == (2, 2, 1, 1, 2)
    assert (a4.low, a4.ai_low, a4.ai_runs) == (0, 0, 1)
    a5 = _rows(wh, PERSON_DAY, person_key="a", day=date(2024, 3, 5)).iloc[0]
    assert (a5.events, a5.actions, a5.meaningful, a5.feedback_events) == (1, 1, 0, 1)
    # w_open abandoned: eligible and AI-assisted, not done; w_lo: low stakes AI.
    assert (a5.runs, a5.elig, a5.ai_elig, a5.ai_elig_done, a5.elig_done) == (2, 1, 1, 0, 0)
    assert (a5.low, a5.ai_low, a5.ai_runs) == (1, 1, 2)
    b4 = _rows(wh, PERSON_DAY, person_key="b", day=date(2024, 3, 4)).iloc[0]
    assert (b4.runs, b4.elig, b4.ai_runs) == (1, 0, 1)  # w_hi is for analysts only
    b6 = _rows(wh, PERSON_DAY, person_key="b", day=date(2024, 3, 6)).iloc[0]
    assert (b6.elig, b6.ai_elig, b6.elig_done) == (1, 0, 1)
    a6 = _rows(wh, PERSON_DAY, person_key="a", day=date(2024, 3, 6)).iloc[0]
    assert (a6.decisions, a6.overrides, a6.events) == (2, 1, 0)
    assert _rows(wh, PERSON_DAY, person_key="a", day=date(2024, 3, 7)).feedback_given.item() == 1
    assert _rows(wh, PERSON_DAY, person_key="a", day=date(2024, 3, 8)).help_given.item() == 1
    # Anonymous feedback has no person row.
    assert _rows(wh, PERSON_DAY).person_key.notna().all()


def test_person_week_rolls_up_days(wh: Any) -> None:
    _week(wh)
    refresh(wh.engine, MetricsSettings())
    a = _rows(wh, PERSON_WEEK, person_key="a").iloc[0]
    assert a.week == date(2024, 3, 4)
    # events 4+1, actions 2+1, runs 2+2, eligible 2+1, AI eligible 1+1, AI eligible done 1.
    assert (a.events, a.actions, a.meaningful, a.runs) == (5, 3, 1, 4)
    assert (a.elig, a.ai_elig, a.ai_elig_done, a.elig_done) == (3, 2, 1, 2)
    assert (a.decisions, a.overrides, a.feedback_given, a.help_given) == (2, 1, 1, 1)
    # Days with events: 03-04 and 03-05 (03-06..03-08 have other facts only).
    assert (a.active_days, a.action_days) == (2, 2)
    b = _rows(wh, PERSON_WEEK, person_key="b")
    assert sorted(zip(b.week, b.events, strict=True)) == [
        (date(2024, 3, 4), 1),
        (date(2024, 3, 11), 1),
    ]


def test_week_start_setting_moves_weeks(wh: Any) -> None:
    _week(wh)
    refresh(wh.engine, MetricsSettings(week_start="sunday"))
    b = _rows(wh, PERSON_WEEK, person_key="b").sort_values("week")
    # b's runs (Mon 03-04, Wed 03-06) fall in the week starting Sunday 03-03; Sunday 03-10
    # 23:30 and Monday 03-11 00:10 share the week starting Sunday 03-10.
    assert list(zip(b.week, b.events, b.runs, strict=True)) == [
        (date(2024, 3, 3), 0, 2),
        (date(2024, 3, 10), 2, 0),
    ]
    a = _rows(wh, PERSON_WEEK, person_key="a")
    assert a.week.tolist() == [date(2024, 3, 3)]


def test_person_tool_day(wh: Any) -> None:
    _week(wh)
    refresh(wh.engine, MetricsSettings())
    t = _rows(wh, PERSON_TOOL_DAY, person_key="b").sort_values("day")
    assert list(zip(t.tool, t.day, t.events, strict=True)) == [
        ("copilot", date(2024, 3, 10), 1),
        ("chatgpt", date(2024, 3, 11), 1),
    ]


def test_segment_week_counts_licensed_people(wh: Any) -> None:
    _week(wh)
    wh.license("a", "2024-03-01")
    wh.license("b", "2024-03-06")
    wh.license("c", "2024-03-11")  # after the week's end: not licensed in week 03-04
    wh.license("d", "2024-02-01", removed_at="2024-03-08")  # removed before the end
    refresh(wh.engine, MetricsSettings())
    sw = _rows(wh, SEGMENT_WEEK, week=date(2024, 3, 4))
    all_ = sw[sw.dimension == "all"].iloc[0]
    # Licensed at Sunday 03-10's end: a, b. Both have events; both have eligible runs.
    assert (all_.licensed, all_.active, all_.elig_people) == (2, 2, 2)
    assert (all_.events, all_.elig, all_.ai_elig) == (5 + 1, 3 + 1, 2)
    teams = sw[sw.dimension == "team"].set_index("segment")
    assert teams.loc["t1", "licensed"] == 1 and teams.loc["t2", "licensed"] == 1
    levels = sw[sw.dimension == "level"].set_index("segment")
    assert levels.loc["M1", "licensed"] == 1 and levels.loc["IC", "licensed"] == 1
    # Every dimension's segments add up to the total.
    for _, dim in sw[sw.dimension != "all"].groupby("dimension"):
        assert dim.licensed.sum() == all_.licensed
    later = _rows(wh, SEGMENT_WEEK, week=date(2024, 3, 11), dimension="all").iloc[0]
    assert later.licensed == 3  # a, b, c


@pytest.mark.parametrize("missing", ["workflows", "people"])
def test_runs_without_catalogue_or_roster(wh: Any, missing: str) -> None:
    _week(wh)
    wh.con.execute(f"DELETE FROM {missing}")
    refresh(wh.engine, MetricsSettings())
    a4 = _rows(wh, PERSON_DAY, person_key="a", day=date(2024, 3, 4)).iloc[0]
    if missing == "workflows":
        # No stakes known: nothing is eligible, runs still count.
        assert (a4.runs, a4.elig, a4.ai_runs) == (2, 0, 1)
    else:
        # No roles known: only workflows open to every role are eligible (none on 03-04).
        assert (a4.runs, a4.elig) == (2, 0)


def test_a_vendor_daily_total_counts_its_quantity_not_one_row(wh):
    wh.person("a")
    wh.license("a", "2024-01-01")
    # One GitHub report row: 147 suggestions that day; one canonical event without quantity.
    wh.event("a", "2024-03-05", "suggestion", quantity=147)
    wh.event("a", "2024-03-05", "accept", quantity=12)
    wh.event("a", "2024-03-05T10:00", "prompt")
    wh.event("a", "2024-03-05T10:00", "session_start")
    ctx = wh.facts_ctx("2024-03-31")
    day = ctx.engine.execute(ctx.engine.table(PERSON_DAY)).iloc[0]
    assert (day["events"], day["actions"], day["meaningful"]) == (161, 160, 12)
