"""Microsoft's usage segments, 12-week and 4-week variants, by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from metrics.results import entries
from uptake.metrics.families import usage_segments

AS_OF = date(2024, 3, 31)  # blocks: 0 = 03-25..03-31, 1 = 03-18..03-24, … 11 = 01-08..01-14


def _in_block(b: int, i: int = 0) -> datetime:
    d = AS_OF - timedelta(days=7 * b + 1)
    return datetime(d.year, d.month, d.day, 9, i % 60)


def _org(wh: Any) -> None:
    for p in ("power", "habit", "novice", "low", "none"):
        wh.person(p)
        wh.license(p, "2024-01-01")
    for b in range(12):  # 20 actions in every block
        wh.events("power", [_in_block(b, i) for i in range(20)])
    for b in range(10):  # 2 actions in each of the 10 latest blocks
        wh.events("habit", [_in_block(b, i) for i in range(2)])
    wh.events("novice", [_in_block(0, i) for i in range(12)])  # 12 in one block
    wh.events("low", [_in_block(7), _in_block(8)])  # 2 actions, both outside the last 4
    wh.events("none", [_in_block(0), _in_block(1)], "session_start")  # not actions
    # A session start on 01-08, the first day of block 11: 12 whole weeks of history.
    wh.event("none", "2024-01-08T09:00", "session_start")


def test_twelve_week_segments(wh: Any) -> None:
    _org(wh)
    e = entries(usage_segments.compute(wh.facts_ctx(AS_OF)))["usage_segments_12w"]
    # power: 12 blocks, avg 20 → power. habit: 10 ≥ 9 blocks, avg 20/12 < 15 → habitual.
    # novice: avg 12/12 = 1 → novice. low: 2/12 → low. none: no actions → non-user.
    assert [e[x] for x in ("n", "power", "habitual", "novice", "low", "non_user")] == [
        5,
        1,
        1,
        1,
        1,
        1,
    ]
    # First seat 2024-01-01, 90 days before as_of ≥ 84, and first event 01-08: 84 days,
    # 12 whole weeks of history. The 12-week variant applies.
    assert (e["history_start"], e["history_weeks"]) == ("2024-01-08", 12)
    assert e["recommended"] is True
    assert e["recommended_reason"] == "12 weeks of history"


def test_four_week_segments(wh: Any) -> None:
    _org(wh)
    e = entries(usage_segments.compute(wh.facts_ctx(AS_OF)))["usage_segments_4w"]
    # power: 4 of 4, avg 20 → power. habit: 4 of 4, avg 2 → habitual. novice: 12/4 = 3 a
    # week but one block → novice. low: nothing in the last 4 blocks → non-user, like none.
    assert [e[x] for x in ("power", "habitual", "novice", "low", "non_user")] == [1, 1, 1, 0, 2]
    assert e["recommended"] is False
    assert e["recommended_reason"] == "12 weeks of history: read the 12-week segments"


def _vendor_export(wh: Any) -> None:
    """Seats held since 2023, but the export starts on 2024-02-05: 8 weeks to 03-31."""
    for p in ("a", "b", "c", "d"):
        wh.person(p)
        wh.license(p, "2023-06-01")
    for b in range(8):  # a and b used every week of the export, 2 actions a week
        wh.events("a", [_in_block(b, i) for i in range(2)])
        wh.events("b", [_in_block(b, i) for i in range(2)])
    wh.event("c", "2024-02-05T09:00")  # the export's first day
    wh.events("c", [_in_block(0, i) for i in range(4)])


def test_under_twelve_weeks_of_history_recommends_the_four_week_variant(wh: Any) -> None:
    _vendor_export(wh)
    e = entries(usage_segments.compute(wh.facts_ctx(AS_OF)))
    long, short = e["usage_segments_12w"], e["usage_segments_4w"]
    # 02-05 to 03-31 is 56 days: 8 weeks, although the seats are ten months old.
    assert (long["history_start"], long["history_weeks"]) == ("2024-02-05", 8)
    assert long["recommended"] is False and short["recommended"] is True
    assert long["recommended_reason"] == "8 weeks of history: use the 4-week segments"
    # Over 12 weeks a and b (8 weeks used) miss habitual (9) and are novices (16/12 ≥ 1):
    # the 4 weeks before the export count as weeks of non-use; c (5 actions) is low, d none.
    # Over 4 weeks a and b are habitual and c (4 actions, one a week) a novice.
    assert [long[x] for x in ("habitual", "novice", "low", "non_user")] == [0, 2, 1, 1]
    assert [short[x] for x in ("habitual", "novice", "low", "non_user")] == [2, 1, 0, 1]


def test_young_deployment_recommends_the_four_week_variant(wh: Any) -> None:
    _org(wh)
    wh.con.execute("UPDATE licenses SET assigned_at = TIMESTAMP '2024-02-01'")
    e = entries(usage_segments.compute(wh.facts_ctx(AS_OF)))["usage_segments_12w"]
    # 12 weeks of events, but the first seat is 59 days old (events before it are odd but
    # kept): the deployment is young.
    assert e["history_weeks"] == 12 and e["recommended"] is False
    assert e["recommended_reason"] == "deployment 59 days old (under 84): use the 4-week segments"
