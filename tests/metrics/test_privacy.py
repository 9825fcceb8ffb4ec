"""Minimum group size with complementary suppression: no group below k is ever recoverable."""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uptake.errors import PrivacyError
from uptake.metrics.privacy import TOTAL, population_rows, public_rows, reason, suppress
from uptake.metrics.result import MetricResult, MetricSpec, PublicRows, check_public


def _one_way(ns: list[int], k: int, total: bool) -> pd.DataFrame:
    rows = [{"seg": f"s{i}", "n": n, "active": n // 2} for i, n in enumerate(ns)]
    if total:
        rows.append({"seg": TOTAL, "n": sum(ns), "active": sum(n // 2 for n in ns)})
    return suppress(pd.DataFrame(rows), ["seg"], k=k)


def _check_one_way(
    ns: list[int], is_total: np.ndarray, sup: np.ndarray, shown: np.ndarray, k: int
) -> None:
    hidden = sup[~is_total]
    true_n = np.array(ns)
    # Every group of 1..k-1 people is hidden.
    assert hidden[(true_n > 0) & (true_n < k)].all(), (ns, k)
    # Attacker knows the total (public margin) and the visible cells; the hidden cells then
    # sum to `rest`. Any hidden cell could be as large as `rest`, so no hidden group is
    # pinned below k unless the whole dimension is below k (then the total is hidden too).
    positive = hidden & (true_n > 0)
    rest = int(true_n[hidden].sum())
    whole_small = true_n.sum() < k
    if positive.any():
        assert (positive.sum() >= 2 and rest >= k) or whole_small, (ns, k)
    if whole_small and is_total.any() and true_n.sum() > 0:
        # The total itself is a group below k: it and every cell are hidden.
        assert sup.all(), (ns, k)
    # Visible rows keep their exact values; hidden rows show nothing.
    cell_shown = shown[~is_total]
    assert np.isnan(cell_shown[hidden]).all()
    assert cell_shown[~hidden].tolist() == true_n[~hidden].tolist()


@pytest.mark.parametrize("k", [3, 5])
@pytest.mark.parametrize("total", [False, True])
def test_one_way_exhaustive(k: int, total: bool) -> None:
    # Every table of 1-4 groups with 0..7 people each (4680 tables), each an independent
    # partition of one frame so a single call suppresses them all.
    cases = [list(ns) for size in range(1, 5) for ns in itertools.product(range(8), repeat=size)]
    rows = []
    for c, ns in enumerate(cases):
        rows += [{"case": c, "seg": f"s{i}", "n": n, "active": n // 2} for i, n in enumerate(ns)]
        if total:
            rows.append({"case": c, "seg": TOTAL, "n": sum(ns), "active": 0})
    out = suppress(pd.DataFrame(rows), ["seg"], k=k, partition_cols=["case"])
    sup = out["suppressed"].to_numpy()
    assert out.loc[sup, ["n", "active"]].isna().all().all()
    is_total = (out["seg"] == TOTAL).to_numpy()
    shown = out["n"].astype("float64").to_numpy()
    for c, ix in out.groupby("case", sort=True).indices.items():
        _check_one_way(cases[int(c)], is_total[ix], sup[ix], shown[ix], k)


def test_one_way_worked_example() -> None:
    # k=5; groups 2, 9, 6, 30. The 2 is hidden; alone it equals total(47) − 45, so the next
    # smallest (6) is hidden too: the hidden sum 8 ≥ 5, and 2 could be anything in 0..8.
    out = _one_way([2, 9, 6, 30], 5, total=True)
    assert out["suppressed"].tolist() == [True, False, True, False, False]
    assert out.loc[4, "n"] == 47


def test_partitions_are_independent() -> None:
    frame = pd.DataFrame(
        {
            "week": ["w1", "w1", "w1", "w2", "w2", "w2"],
            "seg": list("abcabc"),
            "n": [1, 6, 9, 6, 6, 9],
        }
    )
    out = suppress(frame, ["seg"], k=5, partition_cols=["week"])
    # week 1: a (1) primary, b (6) complementary; week 2 all visible.
    assert out["suppressed"].tolist() == [True, True, False, False, False, False]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=30),
    st.sampled_from([3, 5, 10]),
    st.booleans(),
)
def test_one_way_random_tables(ns: list[int], k: int, total: bool) -> None:
    out = _one_way(ns, k, total)
    is_total = (out["seg"] == TOTAL).to_numpy()
    shown = out["n"].astype("float64").to_numpy()
    _check_one_way(ns, is_total, out["suppressed"].to_numpy(), shown, k)


def test_small_total_hides_everything() -> None:
    # k=5, groups 1 and 3: the total (4) is itself a group below k.
    out = _one_way([1, 3], 5, total=True)
    assert out["suppressed"].all()
    assert out["n"].isna().all()


def test_zero_groups_are_neither_hidden_nor_cover() -> None:
    # k=3; groups 0, 2, 0, 4. The 2 is hidden; zeros give no cover, so the 4 is hidden too.
    out = _one_way([0, 2, 0, 4], 3, total=True)
    assert out["suppressed"].tolist() == [False, True, False, True, False]


def test_composite_key_is_one_dimension() -> None:
    frame = pd.DataFrame(
        {
            "function": ["ops", "ops", "sales", TOTAL],
            "team": ["a", "b", "c", TOTAL],
            "n": [2, 7, 8, 17],
        }
    )
    out = suppress(frame, ["function", "team"], k=5)
    # (ops, a)=2 is primary; smallest cover is (ops, b)=7; total row stays.
    assert out["suppressed"].tolist() == [True, True, False, False]


def test_k_below_three_is_refused() -> None:
    with pytest.raises(PrivacyError):
        suppress(pd.DataFrame({"seg": ["a"], "n": [1]}), ["seg"], k=2)


def test_public_rows_refuse_unsuppressed_frames() -> None:
    frame = pd.DataFrame({"seg": ["a", "b"], "n": [1, 9]})
    with pytest.raises(PrivacyError):
        public_rows(frame, ["seg"])
    rows = public_rows(suppress(frame, ["seg"], k=3), ["seg"])
    # b (9) is the only complementary candidate: a lone hidden cell is never allowed.
    assert rows == [
        {"seg": "a", "suppressed": "small"},
        {"seg": "b", "suppressed": "complementary"},
    ]
    assert isinstance(rows, PublicRows)


def test_a_large_group_hidden_as_cover_says_complementary() -> None:
    # k=5: team "tiny" (2 people) is hidden for being small; "big" (85 people) is the only
    # other team, hidden so that tiny = total − big cannot be worked out.
    frame = pd.DataFrame({"team": [TOTAL, "big", "tiny"], "n": [87, 85, 2], "active": [60, 59, 1]})
    out = suppress(frame, ["team"], k=5)
    rows = {r["team"]: r for r in public_rows(out, ["team"])}
    assert rows["big"] == {"team": "big", "suppressed": "complementary"}
    assert rows["tiny"] == {"team": "tiny", "suppressed": "small"}
    assert rows[TOTAL]["suppressed"] is False and rows[TOTAL]["n"] == 87
    assert [reason(out, i) for i in range(3)] == [None, "complementary", "small"]


def test_whole_table_below_k_is_small_everywhere() -> None:
    out = _one_way([1, 3], 5, total=True)
    assert {r["suppressed"] for r in public_rows(out, ["seg"])} == {"small"}


def test_results_refuse_rows_that_skipped_suppression() -> None:
    spec = MetricSpec("m", "f", "people", "people", "n", ("t",), "counts people")
    raw = [{"segment": "a", "n": 1, "suppressed": False}]
    with pytest.raises(PrivacyError, match="public_rows"):
        PublicRows(raw, k=3)
    with pytest.raises(PrivacyError, match=r"values\.rows"):
        check_public(MetricResult(spec, {"rows": raw}, n=9))
    shown = public_rows(suppress(pd.DataFrame({"seg": ["a"], "n": [4]}), ["seg"], k=3), ["seg"])
    check_public(MetricResult(spec, {"rows": shown}, n=4))


def test_population_rows_need_a_population_of_k() -> None:
    assert population_rows([{"day": 1.0, "p": 0.5}], n=5, k=5) == [{"day": 1.0, "p": 0.5}]
    with pytest.raises(PrivacyError):
        population_rows([{"day": 1.0, "p": 0.5}], n=4, k=5)


def test_jsonable_keeps_nested_objects_as_objects() -> None:
    from uptake.metrics.privacy import jsonable

    got = jsonable({"window": {"start": date(2026, 12, 1)}, "sessions": [{"n": np.int64(3)}]})
    assert got == {"window": {"start": "2026-12-01"}, "sessions": [{"n": 3}]}
