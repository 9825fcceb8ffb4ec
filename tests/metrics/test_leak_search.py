"""The exact leak search: every leak found, the same however it is organised, and fast."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uptake.metrics import leak_search
from uptake.metrics.atoms import Atoms
from uptake.metrics.disclosure import plan

K = 5


@settings(max_examples=80, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 9),
    st.lists(st.sampled_from([0.0, 0.125, 0.25, 0.5, 0.3333, 0.9]), min_size=54, max_size=54),
    st.lists(st.integers(1, 12), min_size=6, max_size=6),
)
def test_top_sums_add_each_row_s_largest_values(
    n_rows: int, n_cols: int, values: list[float], rooms: list[int]
) -> None:
    """The chunk-wide test sums each row's `room` largest values (ties and rooms past the
    row's length included), as the test of one row at a time does."""
    rows = np.array(values[: n_rows * n_cols]).reshape(n_rows, n_cols)
    room = np.array(rooms[:n_rows])
    got = leak_search._top_sums(rows, room)
    for r in range(n_rows):
        best = sorted(rows[r], reverse=True)[: room[r]]
        assert got[r] == pytest.approx(sum(best), abs=1e-12)


def _roster(tmp_path: Path, people: int) -> pd.DataFrame:
    """The simulated organisation's roster: segments whose release needs the exact search."""
    from uptake.simulate import simulate

    simulate(people=people, days=28, seed=7, start=date(2026, 6, 1), out=tmp_path / "sim")
    dims = ["function", "team", "role", "location", "manager"]
    return pd.read_parquet(tmp_path / "sim" / "people.parquet")[dims].astype(str)


@pytest.mark.parametrize("people", [400, 1000])
def test_the_search_does_not_depend_on_chunks_or_the_chunk_wide_test(
    tmp_path: Path, people: int
) -> None:
    """Anchors are searched in growing chunks, most ruled out for the whole chunk at once;
    one at a time or all at once, and without the chunk-wide test, every search finds the
    same leak (the same atoms, from the same anchor) and the plan is the same."""
    m = _roster(tmp_path, people)
    dims = list(m.columns)
    search = leak_search.find_leak
    runs = []
    for first, most, chunk_wide in [
        (16, 256, True),
        (1, 1, True),
        (10**6, 10**6, True),
        (16, 256, False),
    ]:
        found: list[list[int] | None] = []

        def spy(at, k, cleared=None):  # type: ignore[no-untyped-def]
            leak = search(at, k, cleared)
            found.append(leak)  # noqa: B023 (each run reads its own list, during the run)
            return leak

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(leak_search, "find_leak", spy)
            mp.setattr(leak_search, "_FIRST_CHUNK", first)
            mp.setattr(leak_search, "_CHUNK", most)
            if not chunk_wide:
                mp.setattr(leak_search, "_top_sums", lambda rows, rooms: np.full(len(rows), np.inf))
            p = plan(m, dims, K, block="function")
        runs.append((found, p.hidden, p.rounds))
    # Not vacuous: the search found leaks of several atoms, not only single ones.
    assert any(leak is not None and len(leak) > 1 for leak in runs[0][0])
    assert runs[0] == runs[1] == runs[2] == runs[3]


def _roster_with_levels(tmp_path: Path, people: int) -> pd.DataFrame:
    """The simulated roster with management levels and tenure bands: more atoms per group."""
    from uptake.simulate import simulate

    simulate(people=people, days=28, seed=7, start=date(2026, 6, 1), out=tmp_path / "sim")
    m = pd.read_parquet(tmp_path / "sim" / "people.parquet")
    m["level"] = [json.loads(a).get("management_level", "?") for a in m["attrs"]]
    days = (pd.Timestamp("2026-06-29") - pd.to_datetime(m["hire_date"])).dt.days
    m["tenure"] = np.select(
        [days < 90, days < 365, days < 1095], ["<90d", "90-365d", "1-3y"], "3y+"
    )
    dims = ["function", "team", "role", "level", "location", "tenure", "manager"]
    return m[dims].astype(str)


def test_anchors_proved_clean_are_not_searched_again_and_the_plan_is_the_same(
    tmp_path: Path,
) -> None:
    """An atom a round's search proved no leak can peak on is not an anchor in later rounds
    (hiding only merges atoms and removes combinations): every leak found, the plan and its
    rounds are the same as searching from every atom each round, with fewer searches."""
    m = _roster_with_levels(tmp_path, 400)
    dims, k = list(m.columns), 6
    search, grow = leak_search.find_leak, leak_search._grow
    runs = []
    for remember in (True, False):
        found: list[list[int] | None] = []
        anchors = [0]

        def spy(at, k, cleared=None):  # type: ignore[no-untyped-def]
            leak = search(at, k, cleared if remember else None)  # noqa: B023
            found.append(leak)  # noqa: B023
            return leak

        def counted(chosen, *args):  # type: ignore[no-untyped-def]
            if len(chosen) == 1:  # a search from an anchor (deeper calls add atoms)
                anchors[0] += 1  # noqa: B023
            return grow(chosen, *args)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(leak_search, "find_leak", spy)
            mp.setattr(leak_search, "_grow", counted)
            p = plan(m, dims, k, block="function")
        runs.append((found, p.hidden, p.rounds, anchors[0]))
    (found, hidden, rounds, fewer), (found_all, hidden_all, rounds_all, every) = runs
    assert (found, hidden, rounds) == (found_all, hidden_all, rounds_all)
    assert sum(leak is not None and len(leak) > 1 for leak in found) >= 2
    assert fewer < every


def _atoms_of(m: pd.DataFrame) -> Atoms:
    """The atoms of a roster's whole population, every group published (one block)."""
    from uptake.metrics.disclosure import _atoms, _Block, _Coded

    dims = list(m.columns)
    hidden: dict[str, dict[str, str]] = {d: {} for d in dims}
    block = _Block.of(_Coded.of(m, dims), np.arange(len(m)))
    return _atoms(block, dims, hidden)[0]  # type: ignore[arg-type]


def test_the_bound_never_exceeds_the_smallest_eigenvalue(tmp_path: Path) -> None:
    """Along any path of small atoms, 1 / ‖L⁻¹‖²_F is at most the smallest eigenvalue of
    I − P over the path, and the bound gives up only where I − P is (nearly) singular."""
    m = _roster_with_levels(tmp_path, 400)
    at = _atoms_of(m[m["function"] == m["function"].iloc[0]])
    small = np.flatnonzero(at.sizes < 9)
    assert len(small) > 20
    couplings = leak_search._Couplings(
        at.basis[small], at.part[small], at.within()[small], at.leverage()[small]
    )
    rng = np.random.default_rng(3)
    checked = gave_up = 0
    for _ in range(1000):
        path = [int(a) for a in rng.choice(len(small), size=8, replace=False)]
        bound = leak_search._Bound(couplings, path[0], len(path))
        if not bound.usable:
            continue
        for t in range(1, len(path)):
            holds = bound.add(path[t], path[:t])
            g = np.eye(t + 1) - at.block(small[path[: t + 1]])
            smallest = float(np.linalg.eigvalsh(g).min())
            if not holds:
                gave_up += 1
                assert smallest < 1e-9
                break
            checked += 1
            assert 1 / bound.frob[t] <= smallest + 1e-12
    assert checked > 500 and gave_up > 50, (checked, gave_up)


def test_the_bound_skips_exact_tests_and_the_plan_is_the_same(tmp_path: Path) -> None:
    """With k = 7 a search examines thousands of sets; the bound spares the eigenvalue test
    on almost all of them, and every leak found, hidden group and round is the same."""
    m = _roster_with_levels(tmp_path, 400)
    dims, k = list(m.columns), 7
    eig = np.linalg.eigvalsh
    runs = []
    for use in (True, False):
        found: list[list[int] | None] = []
        tests = [0]
        search = leak_search.find_leak

        def spy(at, k, cleared=None):  # type: ignore[no-untyped-def]
            leak = search(at, k, cleared)  # noqa: B023
            found.append(leak)  # noqa: B023
            return leak

        def counted(x):  # type: ignore[no-untyped-def]
            tests[0] += 1  # noqa: B023
            return eig(x)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(leak_search, "find_leak", spy)
            mp.setattr(leak_search.np.linalg, "eigvalsh", counted)
            if not use:
                mp.setattr(leak_search._Bound, "clears", lambda self, t: False)
            p = plan(m, dims, k, block="function")
        runs.append((found, p.hidden, p.rounds, tests[0]))
    (found, hidden, rounds, few), (found_all, hidden_all, rounds_all, many) = runs
    assert (found, hidden, rounds) == (found_all, hidden_all, rounds_all)
    assert sum(leak is not None and len(leak) > 1 for leak in found) >= 2
    assert many > 1000 and few * 100 < many


@pytest.mark.parametrize(("after", "floats"), [(1, 10**9), (8, 0), (1, 2_000)])
def test_rows_of_p_kept_or_not_the_search_is_the_same(
    tmp_path: Path, after: int, floats: int
) -> None:
    """Couplings read from kept rows of P or computed each time give the same leaks and
    plan, and the rows kept never hold more values than allowed."""
    m = _roster_with_levels(tmp_path, 400)
    dims, k = list(m.columns), 7
    runs = []
    made: list[leak_search._Couplings] = []
    init = leak_search._Couplings.__init__

    def spy(self, *args):  # type: ignore[no-untyped-def]
        init(self, *args)
        made.append(self)

    for patched in (False, True):
        found: list[list[int] | None] = []
        search = leak_search.find_leak

        def record(at, k, cleared=None):  # type: ignore[no-untyped-def]
            leak = search(at, k, cleared)  # noqa: B023
            found.append(leak)  # noqa: B023
            return leak

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(leak_search, "find_leak", record)
            if patched:
                mp.setattr(leak_search, "_ROW_AFTER", after)
                mp.setattr(leak_search, "_ROW_FLOATS", floats)
                mp.setattr(leak_search._Couplings, "__init__", spy)
            p = plan(m, dims, k, block="function")
        runs.append((found, p.hidden, p.rounds))
    assert runs[0] == runs[1]
    assert made
    assert all(len(c._rows) * len(c.part) <= floats for c in made)
    if floats == 10**9:
        assert any(c._rows for c in made)
    if floats == 2_000:  # the cap was reached: an atom used often enough kept no row
        assert any(u >= after and a not in c._rows for c in made for a, u in c._uses.items())
