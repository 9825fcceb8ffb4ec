"""The release-wide plan: no group below k can be derived by combining published groups."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uptake.errors import PrivacyError
from uptake.metrics.dimensions import SEGMENTS
from uptake.metrics.disclosure import plan
from uptake.metrics.privacy import suppress, table_hidden
from uptake.metrics.release import KEEP_FIRST

K = 5


def _org(spec: list[tuple[dict[str, str], int]]) -> pd.DataFrame:
    rows: list[dict[str, str]] = []
    for seg, n in spec:
        rows += [dict(seg)] * n
    return pd.DataFrame(rows)


def _published(members: pd.DataFrame, dims: list[str], hidden: dict[str, dict[str, str]]):
    """Indicator vectors (over people) of every published group, total first."""
    groups = [np.ones(len(members))]
    for d in dims:
        for seg in sorted(members[d].unique()):
            if seg not in hidden[d]:
                groups.append((members[d] == seg).to_numpy(dtype=float))
    return np.vstack(groups)


def _derivable(g: np.ndarray, people: tuple[int, ...]) -> bool:
    """Whether some combination supported on exactly these people lies in the row space."""
    rest = [i for i in range(g.shape[1]) if i not in people]
    full = np.linalg.matrix_rank(g)
    return bool(np.linalg.matrix_rank(g[:, rest]) < full) if rest else full > 0


def _brute_leaks(members: pd.DataFrame, dims: list[str], hidden, k: int) -> list[tuple[int, ...]]:
    """Every set of 1 … k−1 people an analyst can single out: exhaustive, for small orgs."""
    g = _published(members, dims, hidden)
    found = []
    for size in range(1, k):
        for people in itertools.combinations(range(len(members)), size):
            if _derivable(g, people):
                found.append(people)
        if found:
            break
    return found


def test_a_small_team_is_not_its_function_minus_the_other_team() -> None:
    m = _org(
        [
            ({"team": "A", "function": "F"}, 7),
            ({"team": "B", "function": "F"}, 3),
            ({"team": "C", "function": "G"}, 8),
            ({"team": "D", "function": "G"}, 6),
        ]
    )
    p = plan(m, ["team", "function"], K)
    assert p.hidden["team"]["B"] == "small"
    # F − A = B: the function and its other team are never both shown.
    assert "F" in p.hidden["function"] or "A" in p.hidden["team"]
    assert p.rounds >= 1
    assert _brute_leaks(m, ["team", "function"], p.hidden, K) == []


def test_a_team_lead_is_not_their_team_minus_their_reports() -> None:
    # A team of 6: the lead (reports to "boss") and 5 reports ("T (manager)").
    m = _org(
        [
            ({"team": "T", "manager": "boss"}, 1),
            ({"team": "T", "manager": "T (manager)"}, 5),
            ({"team": "U", "manager": "boss"}, 6),
            ({"team": "U", "manager": "U (manager)"}, 6),
        ]
    )
    p = plan(m, ["team", "manager"], K)
    shown_team = "T" not in p.hidden["team"]
    shown_reports = "T (manager)" not in p.hidden["manager"]
    # The manager rule: team and team-minus-manager are never both published exactly.
    assert not (shown_team and shown_reports)
    assert _brute_leaks(m, ["team", "manager"], p.hidden, K) == []


def test_before_the_plan_the_same_orgs_leak() -> None:
    """The brute-force oracle is not vacuous: within-table suppression alone leaks."""
    m = _org(
        [
            ({"team": "T", "manager": "boss"}, 1),
            ({"team": "T", "manager": "T (manager)"}, 5),
            ({"team": "U", "manager": "boss"}, 6),
            ({"team": "U", "manager": "U (manager)"}, 6),
        ]
    )
    only_tables = {d: {} for d in ["team", "manager"]}
    assert _brute_leaks(m, ["team", "manager"], only_tables, K)


def test_crossing_dimensions_without_structure_publish_everything() -> None:
    # Margins of a cross-tab do not determine its cells: nothing needs hiding.
    rng = np.random.default_rng(3)
    m = pd.DataFrame(
        {
            "function": rng.integers(0, 4, 200).astype(str),
            "location": rng.integers(0, 3, 200).astype(str),
            "tenure": rng.integers(0, 4, 200).astype(str),
        }
    )
    p = plan(m, ["function", "location", "tenure"], K)
    assert all(not v for v in p.hidden.values())


def test_a_population_below_k_hides_everything() -> None:
    m = _org([({"team": "A"}, 2), ({"team": "B"}, 2)])
    p = plan(m, ["team"], K)
    assert p.total_hidden
    assert p.hidden["team"] == {"A": "small", "B": "small"}


def test_the_plan_refuses_an_unsafe_k() -> None:
    with pytest.raises(PrivacyError):
        plan(_org([({"team": "A"}, 9)]), ["team"], 2)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(0, 2)),
        min_size=5,
        max_size=13,
    ),
    st.sampled_from([3, 4]),
)
def test_no_small_set_is_derivable_after_the_plan(
    people: list[tuple[int, int, int]], k: int
) -> None:
    """Exhaustive check on small random organisations: no 1 … k−1 people can be singled out.

    `function` nests `team` (team t belongs to function t % 3 here), `manager` crosses both:
    the three shapes of differencing (nested, crossing, reports-in-team).
    """
    m = pd.DataFrame(
        {
            "team": [f"t{t}" for _, t, _ in people],
            "function": [f"f{t % 3}" for _, t, _ in people],
            "manager": [f"m{g}" for g, _, _ in people],
            "location": [f"l{loc}" for _, _, loc in people],
        }
    )
    dims = ["team", "function", "manager", "location"]
    p = plan(m, dims, k)
    if p.total_hidden:
        return
    assert _brute_leaks(m, dims, p.hidden, k) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 5), st.integers(0, 2)),
        min_size=8,
        max_size=14,
    ),
)
def test_large_population_mode_is_safe_too(people: list[tuple[int, int, int]]) -> None:
    """The mode for large populations (cheap pair and nesting pass, then one exact check
    per function with groups spanning functions counted in pieces) leaves no leak either."""
    k = 3
    m = pd.DataFrame(
        {
            "team": [f"t{t}" for _, t, _ in people],
            "function": [f"f{t % 2}" for _, t, _ in people],
            "manager": [f"m{g}" for g, _, _ in people],
            "location": [f"l{loc}" for _, _, loc in people],
        }
    )
    dims = ["team", "function", "manager", "location"]
    p = plan(m, dims, k, block="function", exact_limit=0)
    if p.total_hidden:
        return
    assert _brute_leaks(m, dims, p.hidden, k) == []


def test_suppress_honours_rows_to_hide() -> None:
    frame = pd.DataFrame({"g": ["(all)", "a", "b", "c"], "n": [30, 10, 10, 10]})
    out = suppress(frame, ["g"], k=K, hide=np.array([False, True, False, False]))
    hidden = dict(zip(out["g"], out["suppressed"], strict=True))
    # A forced cell never stands alone against the total: a partner goes with it.
    assert hidden["a"] and sum(hidden[x] for x in "abc") == 2
    assert set(out.loc[out["suppressed"], "suppressed_reason"]) == {"complementary"}
    with pytest.raises(PrivacyError):
        suppress(frame, ["g"], k=K, hide=np.array([True]))


def test_table_hidden_keeps_forced_cells_and_adds_a_partner() -> None:
    flags = table_hidden(np.array([2.0, 9.0, 8.0]), K)
    assert flags.tolist() == [True, False, True]
    forced = table_hidden(np.array([6.0, 9.0, 8.0]), K, np.array([True, False, False]))
    assert forced.tolist() == [True, False, True]


def test_teams_are_kept_before_their_function() -> None:
    # Each function is a small leadership team plus one team: function − team = leadership.
    m = _org(
        [
            ({"team": "f-lead", "function": "F"}, 2),
            ({"team": "f-1", "function": "F"}, 9),
            ({"team": "g-lead", "function": "G"}, 3),
            ({"team": "g-1", "function": "G"}, 8),
        ]
    )
    p = plan(m, ["team", "function"], K)
    assert "f-1" not in p.hidden["team"] and "g-1" not in p.hidden["team"]
    assert set(p.hidden["function"]) == {"F", "G"}
    assert _brute_leaks(m, ["team", "function"], p.hidden, K) == []


def test_the_release_order_names_every_dimension_once() -> None:
    assert sorted(KEEP_FIRST) == sorted(SEGMENTS)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 1)), min_size=1,
             max_size=20),
    st.sampled_from([3, 5]),
)  # fmt: skip
def test_nested_rests_are_what_the_groups_inside_leave(
    people: list[tuple[int, int, int]], k: int
) -> None:
    """Every group B and other dimension D whose groups inside B leave 1 … k−1 people of B,
    with D's smallest group inside B (the first of equals), found by brute force."""
    from scipy import sparse

    from uptake.metrics.disclosure import _nested_rests

    m = pd.DataFrame(
        {d: [f"{d}{p[i]}" for p in people] for i, d in enumerate(["team", "site", "shift"])}
    )
    dims = ["team", "site", "shift"]
    rows = [(d, s) for d in dims for s in sorted(m[d].unique())]
    member = np.array([(m[d] == s).to_numpy() for d, s in rows], dtype=float)
    size = member.sum(axis=1).astype(np.int64)
    inter = sparse.csr_matrix(member @ member.T).tocoo()
    a, b, both = inter.row, inter.col, inter.data.astype(np.int64)
    expected = set()
    for bb in range(len(rows)):
        for d in dims:
            if d == rows[bb][0]:
                continue
            # Groups of D wholly inside B, in the order the pairs come.
            inner = [
                int(x) for x, y, n in zip(a, b, both, strict=True)
                if y == bb and rows[x][0] == d and n == size[x] and x != y
            ]  # fmt: skip
            rest = size[bb] - sum(size[x] for x in inner)
            if inner and 0 < rest < k:
                expected.add((bb, min(inner, key=lambda x: (size[x], inner.index(x)))))
    got = _nested_rests(a, b, both, size, rows, dims, k)
    assert sorted(got) == sorted(expected)
    assert len(got) == len(set(got))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", None]),
            st.sampled_from(["x", "y", None]),
            st.sampled_from(["p", "q", "r", "s"]),
        ),
        min_size=1,
        max_size=40,
    ),
    st.data(),
)
@settings(max_examples=60, deadline=None)
def test_coded_blocks_and_groups_are_what_pandas_gives(rows: list, data: st.DataObject) -> None:
    """Segments coded once per plan give each block the segments, codes and groups that
    categorising and grouping the block's strings gives, people with no segment in none."""
    from uptake.metrics.atoms import unique_rows
    from uptake.metrics.disclosure import _Block, _Coded

    dims = ["d0", "d1", "d2"]
    frame = pd.DataFrame(rows, columns=dims).astype("string")
    coded = _Coded.of(frame, dims)
    for j, d in enumerate(dims):
        expected = frame.groupby(d, sort=True).indices
        got = dict(coded.groups(j))
        assert list(got) == [str(s) for s in expected]
        for seg, ix in expected.items():
            assert got[str(seg)].tolist() == np.asarray(ix).tolist()
    people = np.array(
        sorted(data.draw(st.sets(st.integers(0, len(frame) - 1), min_size=1))), dtype=np.int64
    )
    block = _Block.of(coded, people)
    sub = frame.iloc[people]
    codes = np.zeros((len(sub), len(dims)), dtype=np.int64)
    for j, d in enumerate(dims):
        cat = pd.Categorical(sub[d])
        assert block.names[j] == [str(c) for c in cat.categories.tolist()]
        codes[:, j] = np.asarray(cat.codes, dtype=np.int64)
    rows_, _, counts = unique_rows(codes)
    assert block.rows.tolist() == rows_.tolist()
    assert block.counts.tolist() == counts.tolist()
