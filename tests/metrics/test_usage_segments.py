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
    # First seat 2024-01-01, 90 days before as_of ≥ 84: the 12-week variant applies.
    assert e["recommended"] is True


def test_four_week_segments(wh: Any) -> None:
    _org(wh)
    e = entries(usage_segments.compute(wh.facts_ctx(AS_OF)))["usage_segments_4w"]
    # power: 4 of 4, avg 20 → power. habit: 4 of 4, avg 2 → habitual. novice: 12/4 = 3 a
    # week but one block → novice. low: nothing in the last 4 blocks → non-user, like none.
    assert [e[x] for x in ("power", "habitual", "novice", "low", "non_user")] == [1, 1, 1, 0, 2]
    assert e["recommended"] is False
