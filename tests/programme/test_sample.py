"""The audit sample: covers every stratum it can, deterministic for a seed, from the roster."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sprint_helpers import PEOPLE, START, build, ingest
from uptake.programme import sample as sm
from uptake.workspace import Workspace

KEY = b"k" * 32
DIMS = ["function", "seniority", "ladder"]

person = st.tuples(
    st.sampled_from(["sales", "finance", "legal", "ops", "hr"]),
    st.sampled_from(["IC", "M1", "M2"]),
    st.sampled_from(["L0", "L1", "L2", "L3", "L4", "L5"]),
)


def _frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {"person_key": [f"p_{i:04d}" for i in range(len(rows))],
         **{d: [r[j] for r in rows] for j, d in enumerate(DIMS)}}
    )  # fmt: skip


def _pairs(f: pd.DataFrame) -> set[tuple[str, str]]:
    return {(d, str(v)) for d in DIMS for v in f[d]}


def _most(strata: pd.DataFrame, size: int) -> int:
    """The most dimension values any `size` of the strata cover (by trying every choice)."""
    kinds = [tuple(r) for r in strata.itertuples(index=False)]
    return max(
        len({(d, v) for r in pick for d, v in zip(DIMS, r, strict=True)})
        for pick in itertools.combinations(kinds, size)
    )


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(person, min_size=3, max_size=14), size=st.integers(2, 5))
def test_no_choice_of_strata_covers_more_values(
    rows: list[tuple[str, str, str]], size: int
) -> None:
    frame = _frame(rows)
    strata = frame[DIMS].drop_duplicates()
    got = sm.draw(frame, DIMS, size, KEY, 0)
    if size < len(strata):
        assert len(_pairs(got)) == _most(strata, size)
        assert len(got[DIMS].drop_duplicates()) == size


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(person, min_size=1, max_size=60),
    size=st.integers(1, 25),
    seed=st.integers(0, 5),
)
def test_the_sample_covers_every_stratum_and_value_it_can(
    rows: list[tuple[str, str, str]], size: int, seed: int
) -> None:
    frame = _frame(rows)
    got = sm.draw(frame, DIMS, size, KEY, seed)
    assert len(got) == min(size, len(frame)) and got["person_key"].is_unique
    strata = frame[DIMS].drop_duplicates()
    covered = got[DIMS].drop_duplicates()
    # A new stratum with every pick while one is left.
    assert len(covered) == min(size, len(strata))
    if size >= len(strata):
        assert len(covered) == len(strata)
    # With more strata than people, no choice of as many strata covers more values.
    if size < len(strata) and math.comb(len(strata), size) <= 20_000:
        assert len(_pairs(got)) == _most(strata, size)
    # The same seed draws the same people in the same order.
    again = sm.draw(frame.sample(frac=1, random_state=seed), DIMS, size, KEY, seed)
    assert again["person_key"].tolist() == got["person_key"].tolist()
    cov = sm.coverage(frame, got, DIMS)
    assert (cov["strata"], cov["strata_covered"]) == (len(strata), len(covered))


def test_ten_people_cover_every_function_and_level_a_diagonal_allows() -> None:
    rows = [(f, s, "L2") for f in ("a", "b", "c", "d", "e") for s in ("IC", "M1", "M2")] * 4
    for seed in range(10):
        got = sm.draw(_frame(rows), DIMS, 5, KEY, seed)
        assert sm.coverage(_frame(rows), got, DIMS)["values"] == {
            "function": [5, 5],
            "seniority": [3, 3],
            "ladder": [1, 1],
        }


@pytest.fixture(params=["exact", "greedy"])
def how(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The exact choice of strata, or the greedy draw that stands in when the solver fails."""
    if request.param == "greedy":
        monkeypatch.setattr(sm, "_cover", lambda *_a: None)
    return str(request.param)


def test_a_first_pick_that_leaves_no_partner_is_passed_over(how: str) -> None:
    # (sales, M1) comes first in almost every order; taken first, no second pick adds both a
    # function and a level, so plain greedy covers 2 + 1 or 1 + 2 values where 2 + 2 can be.
    rows = [("sales", "M1", "L1")] * 50 + [("sales", "IC", "L1"), ("legal", "M1", "L1")]
    for seed in range(20):
        got = sm.draw(_frame(rows), DIMS, 2, KEY, seed)
        values = sm.coverage(_frame(rows), got, DIMS)["values"]
        assert (values["function"], values["seniority"]) == ([2, 2], [2, 2])


def test_every_keyed_order_of_the_sprint_roster_meets_the_goals(ws: Workspace, how: str) -> None:
    # Four functions, three grades, three ladder levels: a plain greedy draw missed a value
    # in about one draw in five of three people and one in thirty of four.
    pop = sm.population(ws._context("audit_sample", None))
    dims = pop.used
    assert dims == DIMS
    for k in range(40):
        for size in (3, 4, 6):
            got = sm.draw(pop.frame, dims, size, bytes([k]) * 32, 7)
            for d, (n, of) in sm.coverage(pop.frame, got, dims)["values"].items():
                assert n == min(size, of), (k, size, d)


def test_the_seed_and_the_key_change_the_people_not_the_coverage() -> None:
    frame = _frame([("sales", "IC", "L1")] * 30 + [("legal", "M1", "L3")] * 30)
    draws = {seed: sm.draw(frame, DIMS, 4, KEY, seed)["person_key"].tolist() for seed in range(5)}
    assert len({tuple(v) for v in draws.values()}) > 1
    other = sm.draw(frame, DIMS, 4, b"x" * 32, 0)["person_key"].tolist()
    assert other != draws[0]
    for seed in range(5):
        got = sm.draw(frame, DIMS, 4, KEY, seed)
        assert got["stratum"].value_counts().tolist() == [2, 2]  # balanced once all are in


def test_without_dimensions_it_is_a_keyed_random_sample() -> None:
    frame = _frame([("sales", "IC", "L1")] * 12)
    got = sm.draw(frame, [], 5, KEY, 0)
    assert len(got) == 5 and got["person_key"].is_unique
    assert sm.coverage(frame, got, []) == {"strata": 1, "strata_covered": 1, "values": {}}
    with pytest.raises(ValueError):
        sm.draw(frame, [], 0, KEY, 0)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    w = build(tmp_path / "ws")
    yield w
    w.close()


def test_the_population_comes_from_the_roster_seats_and_the_ladder(ws: Workspace) -> None:
    ctx = ws._context("test", None)
    pop = sm.population(ctx)
    assert pop.used == DIMS
    f = pop.frame.set_index("person_key")
    keys = {p: ws.pseudonymise(p) for p in PEOPLE}
    assert keys[PEOPLE[39]] not in f.index  # left the organisation: not invited
    assert len(f) == 39
    assert f.loc[keys[PEOPLE[4]], ["function", "seniority"]].tolist() == ["sales", "G1"]
    # No seat: L0 (non-users are part of the audit); seat holders have a ladder level.
    assert set(f.loc[[keys[p] for p in PEOPLE[30:39]], "ladder"]) == {"L0"}
    assert set(f.loc[[keys[p] for p in PEOPLE[:30]], "ladder"]) <= {f"L{i}" for i in range(1, 6)}
    basis = {d.name: d.basis for d in pop.dimensions}
    assert basis["seniority"] == "the roster attribute 'grade'"
    assert "activity proxy" in basis["ladder"]


def test_a_seat_holder_the_roster_does_not_list_is_not_invited(ws: Workspace) -> None:
    # A tool's login with a seat (GitHub's seat list names accounts, not employees).
    ingest(ws, "licenses", [{"person": "octokitten", "tool": "github-copilot",
                             "assigned_at": f"{START}T00:00:00Z"}])  # fmt: skip
    pop = sm.population(ws._context("test", None))
    assert ws.pseudonymise("octokitten") not in set(pop.frame["person_key"])
    assert len(pop.frame) == 39
    doc = ws.audit_sample(size=10)
    assert (
        "1 person known only by a tool's account, not on the roster, is not invited"
        in (doc["notes"])
    )
    assert doc["population"] == 39


def test_seniority_falls_back_to_reporting_lines_then_says_not_available(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    with build(tmp_path / "ws", attrs=False) as w:
        pop = sm.population(w._context("test", None))
        sen = next(d for d in pop.dimensions if d.name == "seniority")
        assert sen.status == "ok" and "reporting lines" in sen.basis
        levels = pop.frame.set_index("person_key")["seniority"]
        assert levels[w.pseudonymise(PEOPLE[0])] == "M2"
        assert levels[w.pseudonymise(PEOPLE[9])] == "IC"
    # Without managers either, seniority is not available and not used for strata.
    with build(tmp_path / "ws2", attrs=False, managers=False) as w:
        pop = sm.population(w._context("test", None))
        sen = next(d for d in pop.dimensions if d.name == "seniority")
        assert sen.status == "not_available" and sen.needs
        assert pop.used == ["function", "ladder"] and pop.frame["seniority"].isna().all()
