"""Segments: management level from the manager chain, tenure bands, cohorts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from uptake.metrics.segments import (
    LEVELS,
    build_dim_person,
    management_levels,
    manager_labels,
    person_segments,
)


def test_management_level_is_height_in_reporting_tree() -> None:
    # ceo ← d1 ← m1 ← {ic1, ic2}; d1 ← ic3; lone has no reports and no manager.
    people = ["ceo", "d1", "m1", "ic1", "ic2", "ic3", "lone"]
    managers = [None, "ceo", "d1", "m1", "m1", "d1", None]
    levels = dict(
        zip(people, management_levels(pd.Series(people), pd.Series(managers)), strict=True)
    )
    assert levels == {
        "ceo": "M3+",  # manages d1 (M2)
        "d1": "M2",  # manages m1 (M1)
        "m1": "M1",  # manages ICs only
        "ic1": "IC",
        "ic2": "IC",
        "ic3": "IC",
        "lone": "IC",
    }


def test_management_level_survives_cycles_and_deep_chains() -> None:
    people = ["x", "y", *[f"c{i}" for i in range(5000)]]
    managers = ["y", "x", "x", *[f"c{i}" for i in range(4999)]]
    levels = management_levels(pd.Series(people), pd.Series(managers))
    assert set(levels) <= set(LEVELS)
    assert levels[-1] == "IC" and levels[2] == "M3+"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-2, max_value=40), min_size=1, max_size=40))
def test_management_level_equals_the_height_of_each_person(links: list[int]) -> None:
    # Person i reports to an earlier person (a forest), to nobody (-1) or to themself (-2);
    # keys arrive as Arrow strings, as the roster's do.
    people = [f"p{i}" for i in range(len(links))]
    managers = [
        None if m == -1 or (m >= i and m != -2) else (f"p{i}" if m == -2 else f"p{m}")
        for i, m in enumerate(links)
    ]

    def height(p: str) -> int:
        kids = [q for q, m in zip(people, managers, strict=True) if m == p and q != p]
        return 1 + max((height(q) for q in kids), default=-1)

    got = management_levels(
        pd.Series(people, dtype="string[pyarrow]"), pd.Series(managers, dtype="string[pyarrow]")
    )
    assert got == [LEVELS[min(height(p), len(LEVELS) - 1)] for p in people]


def test_tenure_cohort_and_level_segments(wh: Any) -> None:
    wh.person("a", hire_date="2024-01-15", manager=None)  # 76 days on 03-31
    wh.person("b", hire_date="2023-06-01", manager="a")  # 304 days
    wh.person("c", hire_date="2022-01-01", manager="a")  # 820 days
    wh.person("d", hire_date="2019-05-01", manager="b")
    wh.person("e", hire_date=None, location=None)
    wh.license("a", "2024-02-10")
    wh.license("a", "2024-03-05", tool="chatgpt")  # later seat: cohort stays February
    wh.license("z", "2024-03-01")  # licensed but not in the roster
    build_dim_person(wh.engine)
    at = date(2024, 3, 31)

    def seg(by: str) -> dict[str, str]:
        df = wh.engine.execute(person_segments(wh.engine, by, at))
        return dict(zip(df.person_key, df.segment, strict=True))

    assert seg("tenure") == {
        "a": "<90d",
        "b": "90-365d",
        "c": "1-3y",
        "d": "3y+",
        "e": "(none)",
        "z": "(none)",
    }
    assert seg("cohort")["a"] == "2024-02" and seg("cohort")["z"] == "2024-03"
    assert seg("cohort")["b"] == "(none)"
    assert seg("level") == {"a": "M2", "b": "M1", "c": "IC", "d": "IC", "e": "IC", "z": "IC"}
    assert seg("location")["e"] == "(none)"
    # b leads d in team t1; a manages a manager (b), so a is named by role.
    assert seg("manager")["d"] == "t1 (manager)"
    assert seg("manager")["b"] == seg("manager")["c"] == "analyst"


def test_managers_are_named_by_their_team_or_role_not_their_key() -> None:
    frame = pd.DataFrame(
        {
            "person_key": ["d", "m1", "r1", "r2", "r3", "m2", "r4", "r5", "x", "r6", "r7"],
            "manager_key": [None, "d", "m1", "m1", "m1", "d", "m2", "m2", None, "x", "nobody"],
            "team": ["hq", "pay", "pay", "pay", "ops", "ops", "ops", "ops", None, None, None],
            "role": [
                "director",
                "lead",
                "eng",
                "eng",
                "eng",
                "lead",
                "eng",
                "eng",
                None,
                "eng",
                "eng",
            ],
        }
    )
    labels = dict(zip(frame.person_key, manager_labels(frame), strict=True))
    # First-line managers: the team most of their reports are in.
    assert labels["r1"] == labels["r3"] == "pay (manager)"
    assert labels["r4"] == "ops (manager)"
    # A manager of managers is named by role, not by one of the teams below them.
    assert labels["m1"] == labels["m2"] == "director"
    # Nothing known about the manager but the key: a short key.
    assert labels["r6"] == "manager x"
    assert labels["r7"] == "manager nobody"
    assert pd.isna(labels["d"])


def test_manager_labels_stay_unique() -> None:
    frame = pd.DataFrame(
        {
            "person_key": ["a", "b", "ra", "rb", "c", "rc"],
            "manager_key": [None, None, "a", "b", None, "c"],
            "team": ["north", "south", None, None, "south", None],
            "role": ["lead", "lead", "eng", "eng", "lead", "eng"],
        }
    )
    labels = dict(zip(frame.person_key, manager_labels(frame), strict=True))
    # Three leads whose reports name no team: their role, then their own team, then a key.
    assert labels["ra"] == "lead, north"
    assert {labels["rb"], labels["rc"]} == {"lead, south [b]", "lead, south [c]"}


def test_manager_named_after_a_team_only_when_most_reports_are_in_it() -> None:
    reports = {
        "m1": ["y", "z", "y", "z", "y"],  # 3 of 5: a majority
        "m2": ["p", "q", "q", "p"],  # 2 of 4: half is not most
        "m3": ["r", "r", None, "(none)"],  # reports without a team still count
    }
    rows = [(m, None, "hq", f"role {m}") for m in reports]
    rows += [
        (f"{m}-{i}", m, team, "eng") for m, teams in reports.items() for i, team in enumerate(teams)
    ]
    frame = pd.DataFrame(rows, columns=["person_key", "manager_key", "team", "role"])
    labels = dict(zip(frame.person_key, manager_labels(frame), strict=True))
    assert labels["m1-0"] == "y (manager)"
    assert labels["m2-0"] == "role m2"
    assert labels["m3-0"] == "role m3"
