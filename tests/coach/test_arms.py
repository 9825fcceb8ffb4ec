"""Holdout assignment: once, deterministic, random to outsiders, stratified by team and level."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from uptake.coach.arms import HOLDOUT, assign_arms, assigned_arms, draw, plan_arms
from uptake.schema.migrations import migrate

SECRET = b"s" * 32
NOW = datetime(2026, 6, 1, 9)


def _people(n: int, teams: int = 4, levels: int = 3) -> pd.DataFrame:
    return pd.DataFrame({
        "person_key": [f"p_{i:020x}" for i in range(n)],
        "team": [f"t{i % teams}" for i in range(n)],
        "level": [i % levels for i in range(n)],
    })  # fmt: skip


def test_draw_is_fixed_by_secret_and_person() -> None:
    assert draw(SECRET, "p_1") == draw(SECRET, "p_1")
    assert draw(SECRET, "p_1") != draw(b"t" * 32, "p_1")
    assert 0 <= draw(SECRET, "p_2") < 1


@settings(max_examples=30, derandomize=True, deadline=None)
@given(n=st.integers(1, 400), teams=st.integers(1, 30), share=st.sampled_from([0.05, 0.1, 0.25]))
def test_every_stratum_gets_its_share_within_one_person(n: int, teams: int, share: float) -> None:
    arms = plan_arms(_people(n, teams), share, SECRET)
    assert len(arms) == n and set(arms["person_key"]) == set(_people(n, teams)["person_key"])
    total = int((arms["arm"] == HOLDOUT).sum())
    # A systematic sample over the whole order: the total is within one of n × share.
    assert abs(total - n * share) <= 1
    for _, group in arms.groupby("stratum"):
        held = int((group["arm"] == HOLDOUT).sum())
        assert abs(held - len(group) * share) < 1 + 1e-9


def test_assigned_once_and_never_redrawn() -> None:
    con = duckdb.connect(":memory:")
    migrate(con)
    people = _people(100)
    assert assign_arms(con, people, 0.1, SECRET, NOW) == 100
    first = assigned_arms(con).set_index("person_key")["arm"]
    # Moving everyone to another team and level, and adding people, changes no earlier arm.
    moved = people.assign(team="elsewhere", level=5)
    more = pd.concat([moved, _people(130).iloc[100:]], ignore_index=True)
    assert assign_arms(con, more, 0.5, SECRET, NOW) == 30
    again = assigned_arms(con).set_index("person_key")["arm"]
    assert again.loc[first.index].equals(first)
    assert len(again) == 130


def test_imported_arms_fill_in_for_people_without_one() -> None:
    con = duckdb.connect(":memory:")
    migrate(con)
    assign_arms(con, _people(2), 0.5, SECRET, NOW)
    con.execute(
        "INSERT INTO interventions VALUES ('i1', '2026-05-01', 'p_x', 'training', NULL, "
        "'holdout', NULL, 1), ('i2', '2026-05-02', 'p_x', 'training', NULL, 'treatment', "
        "'acted', 1), ('i3', '2026-05-01', ?, 'training', NULL, 'holdout', NULL, 1)",
        [f"p_{0:020x}"],
    )
    got = assigned_arms(con).set_index("person_key")
    assert got.loc["p_x", "arm"] == HOLDOUT and got.loc["p_x", "source"] == "imported"
    # An arm assigned here wins over an imported one.
    assert got.loc[f"p_{0:020x}", "source"] == "coach"


def test_someone_in_an_imported_experiment_keeps_that_arm_when_the_coach_meets_them() -> None:
    con = duckdb.connect(":memory:")
    migrate(con)
    people = _people(40)
    keys = list(people["person_key"])
    # An imported experiment (the tour's interventions file) put everyone in an arm in May.
    con.executemany(
        "INSERT INTO interventions VALUES (?, ?, ?, 'training', NULL, ?, NULL, 1)",
        [(f"i{i}", f"2026-05-{1 + i % 20:02d}", k, "holdout" if i % 4 == 0 else "treatment")
         for i, k in enumerate(keys[:30])],
    )  # fmt: skip
    before = assigned_arms(con).set_index("person_key")
    # The coach's first card (June) had drawn everyone afresh: the imported holdout could get
    # cards and the effect was measured from June (none left with a post-period).
    assert assign_arms(con, people, 0.5, SECRET, NOW) == 40
    after = assigned_arms(con).set_index("person_key")
    assert (after.loc[keys[:30], "arm"] == before.loc[keys[:30], "arm"]).all()
    assert (after.loc[keys[:30], "assigned_at"] == before.loc[keys[:30], "assigned_at"]).all()
    assert (after.loc[keys[30:], "assigned_at"] == pd.Timestamp(NOW)).all()
    own = dict(con.execute("SELECT person_key, arm FROM coach_arms").fetchall())
    # The coach's own book (which decides who gets cards) holds the imported holdout.
    assert {k for k, a in own.items() if a == HOLDOUT} >= set(keys[:30:4])
