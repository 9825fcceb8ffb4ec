"""Coded runs: the arrays agree with the runs' frame grouped the plain pandas way."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from uptake.metrics.families.outcome_runs import CodedRuns

RUNS = st.lists(
    st.tuples(
        st.sampled_from(["p1", "p2", "p3", "p4", "p5"]),
        st.sampled_from(["W3", "W1", "W2", "W10"]),
        st.booleans(),
        st.integers(0, 90),
    ),
    min_size=1,
    max_size=60,
)


def _frame(rows: list[tuple[str, str, bool, int]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["person_key", "workflow", "ai_assisted", "minutes"])
    # As the engine returns them: Arrow strings, float minutes.
    return df.astype({"person_key": "string[pyarrow]", "workflow": "string[pyarrow]"}).assign(
        minutes=df.minutes.astype(float)
    )


@given(RUNS)
def test_each_workflows_runs_and_people_are_its_rows_in_the_frame(rows) -> None:
    df = _frame(rows)
    coded = CodedRuns.of(df)
    assert list(coded.names) == sorted(set(df.workflow))
    for i, wf in enumerate(coded.names):
        mine = df[df.workflow == wf]
        idx = coded.order[coded.bounds[i] : coded.bounds[i + 1]]
        assert sorted(coded.minutes[idx]) == sorted(mine.minutes)
        assert coded.is_ai[idx].sum() == mine.ai_assisted.sum()
        ai = np.zeros(len(df), dtype=bool)
        ai[idx] = coded.is_ai[idx]
        assert coded.distinct(ai) == mine[mine.ai_assisted].person_key.nunique()
    assert coded.distinct() == df.person_key.nunique()
    assert coded.distinct(coded.is_ai) == df[df.ai_assisted].person_key.nunique()


@given(RUNS, st.sets(st.sampled_from(["W1", "W2", "W3", "W9"])))
def test_a_per_workflow_value_reaches_each_of_its_runs(rows, chosen) -> None:
    df = _frame(rows)
    coded = CodedRuns.of(df)
    flags = np.isin(coded.names, sorted(chosen))
    assert list(coded.per_run(flags, False)) == list(df.workflow.isin(chosen))
    steps = pd.Series({"W1": 3.0, "W2": 0.0}).reindex(coded.names).to_numpy(float)
    expected = df.workflow.map({"W1": 3.0, "W2": 0.0}).astype(float).to_numpy()
    np.testing.assert_array_equal(coded.per_run(steps, np.nan), expected)


def test_a_run_without_a_workflow_belongs_to_none_and_takes_the_missing_value() -> None:
    df = _frame([("p1", "W1", True, 5), ("p2", "W1", False, 7)])
    df.loc[1, "workflow"] = pd.NA
    coded = CodedRuns.of(df)
    assert list(coded.names) == ["W1"]
    assert list(coded.order[coded.bounds[0] : coded.bounds[1]]) == [0]
    assert list(coded.per_run(np.array([True]), False)) == [True, False]
