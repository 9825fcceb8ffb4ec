"""The collector: a connector's rows, as frames of the rows' own values, whole records only."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uptake.ingest.connectors.base import LOCATOR
from uptake.ingest.connectors.collect import Collector
from uptake.ingest.connectors.fields import RecordError
from uptake.schema.tables import TABLES


def test_frames_hold_every_column_in_order_and_the_rows_own_values() -> None:
    col = Collector("people", "events")
    email = "ada@example.com"
    aliases = ["ada", "a.lovelace"]
    col.add("people", "f.json:record 1", person=email, aliases=aliases, team="core")
    col.add("people", "f.json:record 2", person="bob@example.com", manager=float("nan"))
    frames = col.result().frames
    # Events produced no row while people did: no events frame.
    assert set(frames) == {"people"}
    people = frames["people"]
    assert list(people.columns) == [*TABLES["people"].names, LOCATOR]
    assert all(people[c].dtype == object for c in people.columns)
    first, second = people.iloc[0], people.iloc[1]
    # The same objects, not copies: a file of millions of rows must not hold each twice.
    assert first["person"] is email and first["aliases"] is aliases
    assert first["team"] == "core" and first[LOCATOR] == "f.json:record 1"
    # A column a row did not give, and NaN, are None (never NaN) for the pipeline.
    assert first["manager"] is None and second["manager"] is None and second["aliases"] is None


def test_a_record_that_fails_leaves_none_of_its_rows() -> None:
    col = Collector("events")

    def handle(locator: str, record: dict[str, Any]) -> None:
        col.add("events", locator, person=record["who"], action="prompt")
        col.add("person_facts", locator, person=record["who"], fact="x", value=1.0)
        if record.get("bad"):
            raise RecordError("bad_value", "n", "a number")

    items = [("r1", {"who": "a"}), ("r2", {"who": "b", "bad": True}), ("r3", {"who": "c"})]
    col.each(items, handle)
    got = col.result()
    assert list(got.frames["events"]["person"]) == ["a", "c"]
    assert list(got.frames["person_facts"][LOCATOR]) == ["r1", "r3"]
    assert [(r.locator, r.reason, r.field) for r in got.rejects] == [("r2", "bad_value", "n")]
    assert got.source_rows == 3


def test_an_unknown_column_is_refused() -> None:
    with pytest.raises(ValueError, match="events has no columns \\['colour'\\]"):
        Collector("events").add("events", "r1", person="a", colour="red")


def test_no_rows_at_all_still_gives_each_table_an_empty_frame() -> None:
    frames = Collector("events", "person_facts").result().frames
    assert {name: len(f) for name, f in frames.items()} == {"events": 0, "person_facts": 0}
    assert list(frames["events"].columns) == [*TABLES["events"].names, LOCATOR]


cell = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.integers(),
    st.floats(allow_nan=True),
    st.lists(st.text(max_size=3), max_size=3),
)


@given(st.lists(st.tuples(cell, cell), max_size=8))
def test_any_values_come_back_one_cell_each(rows: list[tuple[Any, Any]]) -> None:
    col = Collector("people")
    for i, (team, aliases) in enumerate(rows):
        col.add("people", f"r{i}", person=f"p{i}", team=team, aliases=aliases)
    frame = col.result().frames["people"]
    assert len(frame) == len(rows)
    for (team, aliases), got_team, got_aliases in zip(
        rows, frame["team"], frame["aliases"], strict=True
    ):
        for given_value, got in ((team, got_team), (aliases, got_aliases)):
            if isinstance(given_value, float) and math.isnan(given_value):
                assert got is None
            else:
                assert got is given_value
