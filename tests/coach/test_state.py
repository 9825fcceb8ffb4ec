"""The coach's state from the signals document: levels, and whether they come from activity."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from uptake.coach.state import build_state
from uptake.config.coach import CoachSettings


@pytest.mark.parametrize(("basis", "proxy"), [("proxy: activity", True), ("measured", False)])
def test_a_level_from_activity_alone_is_marked_a_proxy(basis: str, proxy: bool) -> None:
    signals = {
        "as_of": "2026-06-07",
        "people": [{"person": "p_a", "ladder": "L4", "flags": []}],
        "status": {"ladder": {"status": "available", "basis": basis}},
    }
    roster = pd.DataFrame({"person_key": ["p_a"], "role": ["analyst"], "team": ["t"],
                           "location": [None]})  # fmt: skip
    with duckdb.connect() as con:
        state = build_state(con, signals, roster, None, CoachSettings())
    me = state.people["p_a"]
    assert (me.level, me.level_proxy) == (4, proxy)
