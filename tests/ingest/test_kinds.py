"""Cells of the wrong JSON kind in a frame handed in as canonical input."""

from __future__ import annotations

import pandas as pd

from uptake.ingest.kinds import wrong_kinds
from uptake.schema.tables import table


def test_only_cells_of_a_kind_their_column_cannot_hold_are_taken_out() -> None:
    frame = pd.DataFrame(
        [
            {"event_id": "e1", "person": 42, "tool": "t", "value": 1.5, "attrs": {"a": [1]}},
            {"event_id": "e2", "person": "p", "tool": ["t"], "value": 2.0, "attrs": None},
            {"event_id": "e3", "person": "p", "tool": "t", "value": True, "attrs": None},
            {"event_id": "e4", "person": "p", "tool": {"n": 1}, "value": None, "attrs": [1]},
        ]
    )
    kept, out = wrong_kinds(table("events"), frame, "api:x", lambda s: f"k_{s}")
    assert kept["event_id"].tolist() == ["e1"]
    assert [(q.locator, q.reason, q.field) for q in out] == [
        ("api:x:record 2", "bad_type", "tool"),
        ("api:x:record 3", "bad_type", "value"),
        ("api:x:record 4", "bad_type", "tool"),
    ]
    assert "got a JSON object" in out[2].detail
    # The quarantined record holds no raw identifier.
    assert all('"p"' not in q.record and "k_p" in q.record for q in out)


def test_a_frame_without_such_cells_is_handed_back_as_it_is() -> None:
    frame = pd.DataFrame([{"event_id": "e1", "person": "p", "tool": "t", "value": 1.0}])
    kept, out = wrong_kinds(table("events"), frame, "api:x", str)
    assert kept is frame and out == []
