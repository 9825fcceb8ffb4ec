"""Each seat held on the as-of date, read once per computation by the licences and the plan."""

from __future__ import annotations

from typing import Any

from uptake.metrics.seat_use import seat_frame

AS_OF = "2024-03-31"


def test_one_read_per_computation_and_a_tool_without_data_is_unknown(wh: Any) -> None:
    for p in ("a", "b"):
        wh.person(p)
        wh.license(p, "2024-01-01")
    wh.license("a", "2024-01-01", tool="dark")
    wh.event("a", "2024-03-20T10:00")
    ctx = wh.facts_ctx(AS_OF)
    frame = seat_frame(ctx)
    assert seat_frame(ctx) is frame
    got = {(r.person_key, r.tool): (r.used, r.known) for r in frame.itertuples()}
    assert got == {
        ("a", "copilot"): (True, True),
        ("b", "copilot"): (False, True),
        ("a", "dark"): (False, False),
    }
