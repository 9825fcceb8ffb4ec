"""Property: every row read is accepted, a duplicate, or quarantined — and good rows are kept."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from factories import FROZEN_NOW, rows, write
from uptake.workspace import Workspace

BREAKERS = {
    "missing_required": lambda r: dict(r, person=None),
    "bad_timestamp": lambda r: dict(r, ts="31/02/2026 25:61"),
    "future_timestamp": lambda r: dict(r, ts="2031-01-01T00:00:00Z"),
    "bad_enum": lambda r: dict(r, action="teleport"),
    "bad_type": lambda r: dict(r, duration_ms="twelve"),
    "bad_json": lambda r: dict(r, attrs="{not json"),
}

row_plan = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=30),  # which event
        st.sampled_from(["good", "dup", *BREAKERS]),
    ),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=row_plan, fmt=st.sampled_from(["csv", "jsonl", "parquet"]))
def test_every_row_is_accounted_for(
    tmp_path_factory: pytest.TempPathFactory, plan: list, fmt: str
) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    ws = Workspace.init(tmp / "ws")
    good = {r["event_id"]: r for r in rows("events", 31)}
    records, expect_good, expect_bad = [], set(), 0
    used = set()
    for i, kind in plan:
        base = good[f"ev{i}"]
        if kind == "good" or kind == "dup":
            records.append(base)
            expect_good.add(base["event_id"])
            used.add(base["event_id"])
        else:
            broken = BREAKERS[kind](base)
            broken["event_id"] = f"bad{len(records)}"
            records.append(broken)
            expect_bad += 1
    if fmt == "parquet":
        # Parquet columns are typed: keep broken values as strings throughout.
        records = [
            {k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in r.items()}
            for r in records
        ]
        for r in records:
            r["duration_ms"] = None if r["duration_ms"] is None else str(r["duration_ms"])
    path = write(records, tmp / f"events.{fmt}")
    [r] = ws.ingest("events", [path], now=FROZEN_NOW)
    assert r.rows == len(records)
    assert r.accepted + r.duplicates + r.quarantined == r.rows
    assert r.quarantined == expect_bad
    assert r.accepted == len(expect_good)
    stored = {x[0] for x in ws.con.execute("SELECT event_id FROM events").fetchall()}
    assert stored == expect_good
    assert sum(r.by_reason.values()) == r.quarantined
    ws.close()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.one_of(
            st.just("good"), st.text(max_size=40).filter(lambda s: "\n" not in s and "\r" not in s)
        ),
        min_size=1,
        max_size=25,
    )
)
# Found in CI: no line an object, the first starting with "[" (taken for a JSON array).
@example(lines=["[", "0"])
def test_garbage_lines_are_quarantined_not_fatal(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    tmp = tmp_path_factory.mktemp("garbage")
    ws = Workspace.init(tmp / "ws")
    out, goods = [], 0
    for i, line in enumerate(lines):
        if line == "good":
            out.append(json.dumps(rows("events", 1, start=i)[0]))
            goods += 1
        else:
            out.append(line)
    path = tmp / "events.jsonl"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    [r] = ws.ingest("events", [path], now=FROZEN_NOW)
    assert r.accepted + r.duplicates + r.quarantined == r.rows
    assert r.accepted == goods
    ws.close()
