"""`release_members`: a population's segments, as the segment metrics file the same people."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from uptake.metrics.dimensions import SEGMENTS
from uptake.metrics.release import release_members
from uptake.metrics.segments import NO_SEGMENT, build_dim_person, person_segments

AT = date(2024, 3, 31)
# Days since hire on either side of every tenure band's edge, and a hire after the date.
DAYS = [0, 1, 89, 90, 91, 364, 365, 366, 1094, 1095, 1096, -3]


@pytest.fixture
def roster(wh: Any) -> Any:
    for i, d in enumerate(DAYS):
        wh.person(
            f"p{i}",
            hire_date=AT - timedelta(days=d),
            team=None if i == 2 else f"t{i % 3}",
            manager="p0" if i else None,
            location=None if i == 3 else "Porto",
        )
    wh.person("nohire", hire_date=None)
    wh.license("p1", "2024-02-10")
    wh.license("seat-only", "2024-03-01")  # licensed, not in the roster
    build_dim_person(wh.engine)
    return wh


@pytest.mark.parametrize("shift", [0, 1, -1, 30])
def test_every_dimension_matches_the_segment_metrics(roster: Any, shift: int) -> None:
    on = AT + timedelta(days=shift)
    keys = [f"p{i}" for i in range(len(DAYS))] + ["nohire", "seat-only"]
    got = release_members(roster.ctx(AT), keys, on).set_index("person_key")
    assert list(got.index) == keys
    for dim in SEGMENTS:
        seg = roster.engine.execute(person_segments(roster.engine, dim, on))
        expected = dict(zip(seg.person_key, seg.segment, strict=True))
        assert got[dim].to_dict() == {k: expected[k] for k in keys}, dim


def test_tenure_bands_are_left_closed(roster: Any) -> None:
    got = release_members(roster.ctx(AT), [f"p{i}" for i in range(len(DAYS))])
    bands = dict(zip(DAYS, got["tenure"], strict=True))
    assert [bands[d] for d in (0, 89, 90, 364, 365, 1094, 1095, -3)] == [
        "<90d",
        "<90d",
        "90-365d",
        "90-365d",
        "1-3y",
        "1-3y",
        "3y+",
        "<90d",
    ]


def test_outsiders_are_none_everywhere_and_repeats_count_once(roster: Any) -> None:
    got = release_members(roster.ctx(AT), ["ghost", "p1", "ghost", "p1"])
    assert list(got["person_key"]) == ["ghost", "p1"]
    ghost = got.iloc[0]
    assert all(ghost[d] == NO_SEGMENT for d in SEGMENTS)
    assert got.iloc[1]["team"] == "t1" and got.iloc[1]["tenure"] == "<90d"
    assert all(str(got[c].dtype) == "str" for c in got.columns)


def test_an_empty_population_has_every_column(roster: Any) -> None:
    got = release_members(roster.ctx(AT), [])
    assert got.empty and list(got.columns) == ["person_key", *SEGMENTS]
