"""Usage segments per AI tool: each tool's seat holders classed by their use of that tool."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from metrics.results import entries
from metrics.test_tools import chatgpt_period
from metrics.test_usage_segments import _org
from uptake.metrics.families import usage, usage_segments
from uptake.metrics.families.usage_segments import person_segments
from uptake.metrics.tool_mix import shared_plan, shared_presence
from uptake.metrics.tool_segments import SEGMENT_NAMES, classify, tool_segments

AS_OF = date(2024, 3, 31)  # blocks: 0 = 03-25..03-31, … 11 = 01-08..01-14


def _in_block(b: int, i: int = 0) -> datetime:
    d = AS_OF - timedelta(days=7 * b + 1)
    return datetime(d.year, d.month, d.day, 9, i % 60)


def test_classify_first_match_wins_at_each_boundary() -> None:
    weeks = np.array([9, 9, 8, 8, 0, 12, 0])
    avg = np.array([15.0, 14.99, 15.0, 1.0, 0.99, 0.5, 0.0])
    assert classify(weeks, avg, 9, 15) == [
        "power", "habitual", "novice", "novice", "low", "habitual", "non_user",
    ]  # fmt: skip


@given(st.lists(st.tuples(st.integers(0, 12), st.floats(0, 100, allow_nan=False)), max_size=30))
def test_classify_gives_every_person_exactly_one_segment(people: list[tuple[int, float]]) -> None:
    weeks = np.array([w for w, _ in people], dtype=float)
    avg = np.array([a for _, a in people], dtype=float)
    out = classify(weeks, avg, 9, 15.0)
    assert len(out) == len(people) and set(out) <= set(SEGMENT_NAMES)
    for (w, a), name in zip(people, out, strict=True):
        # The defining inequalities, read independently of the implementation's order.
        assert (name in ("power", "habitual")) == (w >= 9)
        assert (name == "non_user") == (w < 9 and a == 0)


def test_one_tool_agrees_with_the_usage_segments(wh: Any) -> None:
    """With every seat and event on one tool, its classes are the people's classes."""
    _org(wh)
    ctx = wh.facts_ctx(AS_OF)
    segs = tool_segments(ctx, shared_presence(ctx))
    for variant, weeks, habitual in (("12w", 12, 9), ("4w", 4, 4)):
        people = ctx.engine.execute(person_segments(ctx, weeks, habitual))
        expected = {
            str(r.person_key): SEGMENT_NAMES[int(r.segment_id) - 1] for r in people.itertuples()
        }
        (tool,) = segs.tools(variant)
        got = {p: name for name, who in segs.members[variant][tool].items() for p in who}
        assert got == expected


def _two_tools(wh: Any) -> None:
    """p1..p4 hold A and B: power users of A, non-users of B; q1..q4 hold B: novices of B."""
    for p in ("p1", "p2", "p3", "p4"):
        wh.person(p)
        wh.license(p, "2024-01-01", tool="A")
        wh.license(p, "2024-01-01", tool="B")
        for b in range(12):
            wh.events(p, [_in_block(b, i) for i in range(20)], tool="A")
    for q in ("q1", "q2", "q3", "q4"):
        wh.person(q)
        wh.license(q, "2024-01-01", tool="B")
        wh.events(q, [_in_block(0, i) for i in range(12)], tool="B")  # 12 in one block


def test_a_person_is_classed_per_tool(wh: Any) -> None:
    _two_tools(wh)
    ctx = wh.facts_ctx(AS_OF)
    segs = tool_segments(ctx, shared_presence(ctx))
    a, b = segs.members["12w"]["A"], segs.members["12w"]["B"]
    assert a["power"] == ["p1", "p2", "p3", "p4"]
    assert b["non_user"] == ["p1", "p2", "p3", "p4"]
    assert b["novice"] == ["q1", "q2", "q3", "q4"]
    # The people's own class (any tool): p1..p4 are power users, whatever B says.
    people = ctx.engine.execute(person_segments(ctx, 12, 9))
    assert set(people.loc[people["segment_id"] == 1, "person_key"]) == {"p1", "p2", "p3", "p4"}


def test_published_by_tool_rows(wh: Any) -> None:
    _two_tools(wh)
    ctx = wh.facts_ctx(AS_OF, by="tool")
    e = entries(usage_segments.compute(ctx))["usage_segments_12w"]
    assert e["by"] == "tool"
    # The total row is still about people: 8 licensed, 4 power users.
    assert (e["n"], e["power"], e["novice"]) == (8, 4, 4)
    rows = {r["segment"]: r for r in e["segments"]}
    a, b = rows["A"], rows["B"]
    assert (a["n"], a["power"], a["non_user"], a["power_share"]) == (4, 4, 0, 1.0)
    assert (b["n"], b["non_user"], b["novice"], b["habitual_plus_share"]) == (8, 4, 4, 0.0)
    # A's first use is on 01-13 (11 whole weeks to 03-31), B's on 03-30.
    assert (a["history_weeks"], b["history_weeks"]) == (11, 0)
    assert (
        "B: under a week of use in the data; in the 12-week segments the weeks before it"
        " count as unused" in e["notes"]
    )
    assert any(n.startswith("A: 11 whole weeks of use") for n in e["notes"])
    # Every shown count is a group the tool plan checked and let through.
    plan = shared_plan(ctx)
    assert plan is not None
    for tool, row in rows.items():
        for name in SEGMENT_NAMES:
            group = f"useg:12w:{tool}:{name}"
            assert plan.size(group) == row[name] and plan.shown(group)


def test_a_hidden_class_says_why_and_hides_its_share(wh: Any) -> None:
    _two_tools(wh)
    wh.person("odd")  # one low user of A: below k, and the table rule hides another cell
    wh.license("odd", "2024-01-01", tool="A")
    # Holding B too: with A alone, A's holders less those holding two seats (the licences'
    # seat total less the licensed people) would be this one person, and A's row would go.
    wh.license("odd", "2024-01-01", tool="B")
    wh.event("odd", _in_block(3), tool="A")
    ctx = wh.facts_ctx(AS_OF, by="tool")
    e = entries(usage_segments.compute(ctx))["usage_segments_12w"]
    a = {r["segment"]: r for r in e["segments"]}["A"]
    assert a["low"] is None and a["low_suppressed"] == "small"
    assert a["low_share"] is None
    hidden = [c for c in SEGMENT_NAMES if a[f"{c}_suppressed"] is not None]
    # No hidden cell stands alone in its table (5 people: power 4, low 1).
    assert len(hidden) >= 2 or a["suppressed"]


def test_a_tool_without_daily_counts_is_not_classed(wh: Any) -> None:
    _two_tools(wh)
    for i in range(4):
        p = f"p{i + 1}"
        wh.license(p, "2024-01-01", tool="chatgpt-enterprise")
        chatgpt_period(wh, p, "2024-03-18", "2024-03-24", "week", 5.0)
    ctx = wh.facts_ctx(AS_OF, by="tool")
    e = entries(usage_segments.compute(ctx))["usage_segments_4w"]
    row = {r["segment"]: r for r in e["segments"]}["chatgpt-enterprise"]
    assert row["n"] == 4
    assert row["daily_note"] == "not available at daily grain: chatgpt-enterprise reports weekly"
    # Never a row of non-users: no class is counted at all.
    assert all(row[c] is None and row[f"{c}_suppressed"] is None for c in SEGMENT_NAMES)
    # usage_rate by tool counts them from the weekly report, and says how.
    u = {r["segment"]: r for r in entries(usage.compute(ctx))["usage_rate"]["segments"]}
    chat = u["chatgpt-enterprise"]
    assert (chat["n"], chat["active"]) == (4, 4)
    assert "reports weekly: a period overlapping the window counts whole" in chat["grain_note"]
    assert u["A"]["grain_note"] is None


def test_the_plan_is_one_with_or_without_by_tool(wh: Any) -> None:
    """The segment groups are planned whatever the breakdown: one release, one plan."""
    _two_tools(wh)
    plans = [shared_plan(wh.facts_ctx(AS_OF, by=by)) for by in (None, "tool")]
    assert plans[0] is not None and plans[1] is not None
    assert set(plans[0].groups) == set(plans[1].groups)
    assert plans[0].hidden == plans[1].hidden
    assert "useg:4w:B:novice" in plans[0].groups


def test_habitual_or_power_hidden_with_a_part_says_why_of_its_own(wh: Any) -> None:
    # One power user and four habitual users of A: power is under k, and the sum of the two
    # would give it away, so the sum is hidden as complementary. It had taken the power
    # users' reason, "< k", beside four (1,121 on a vendor workspace) habitual users.
    wh.person("p1")
    wh.license("p1", "2024-01-01", tool="A")
    for b in range(12):
        wh.events("p1", [_in_block(b, i) for i in range(20)], tool="A")
    for h in ("h1", "h2", "h3", "h4"):
        wh.person(h)
        wh.license(h, "2024-01-01", tool="A")
        wh.events(h, [_in_block(b) for b in range(12)], tool="A")
    ctx = wh.facts_ctx(AS_OF, by="tool")
    e = entries(usage_segments.compute(ctx))["usage_segments_12w"]
    a = {r["segment"]: r for r in e["segments"]}["A"]
    assert a["power_suppressed"] == "small"
    assert a["habitual_plus_suppressed"] == "complementary"
    assert a["habitual_plus_share"] is None
