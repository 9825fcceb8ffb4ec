"""Seats: licence data wins over seats inferred from usage reports; inferred seats merge and end."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from uptake.metrics.seats import seats

M365 = "m365-copilot"
EVIDENCE = "m365 user detail"


def _listed(wh: Any, person: str, day: str) -> None:
    """A user-detail report of `day` lists `person`: its fact and its inferred seat."""
    wh.insert(
        "person_facts",
        person_key=person,
        source="m365-copilot-usage",
        tool=M365,
        report_date=date.fromisoformat(day),
        fact="licensed",
        value=1.0,
    )
    wh.license(person, day, tool=M365, monthly_cost=None, evidence=EVIDENCE)


def _seats(wh: Any) -> pd.DataFrame:
    df = wh.engine.execute(seats(wh.engine))
    return df.sort_values(["person_key", "tool"]).set_index(["person_key", "tool"])


def test_daily_reports_merge_into_one_seat_that_ends_when_the_person_is_no_longer_listed(wh):
    for day in ("2024-03-01", "2024-03-02", "2024-03-03"):
        _listed(wh, "a", day)
    for day in ("2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05"):
        _listed(wh, "b", day)
    got = _seats(wh)
    assert len(got) == 2
    # a: first listed 03-01, last 03-03, while reports run to 03-05 → seat ends 03-04.
    assert got.loc[("a", M365), "assigned_at"] == pd.Timestamp("2024-03-01")
    assert got.loc[("a", M365), "removed_at"] == pd.Timestamp("2024-03-04")
    # b is in the latest report: the seat is open; its price is unknown, not 0.
    assert got.loc[("b", M365), "assigned_at"] == pd.Timestamp("2024-03-02")
    assert pd.isna(got.loc[("b", M365), "removed_at"])
    assert pd.isna(got.loc[("b", M365), "monthly_cost"])
    assert got.loc[("b", M365), "evidence"] == EVIDENCE


def test_licence_data_wins_over_an_inferred_seat(wh):
    _listed(wh, "a", "2024-03-01")
    _listed(wh, "a", "2024-03-05")
    wh.license("a", "2023-11-20", tool=M365, monthly_cost=30.0)
    wh.license("a", "2024-01-01", tool="github-copilot", monthly_cost=19.0)
    got = _seats(wh)
    assert len(got) == 2
    assert got.loc[("a", M365), "assigned_at"] == pd.Timestamp("2023-11-20")
    assert got.loc[("a", M365), "monthly_cost"] == 30.0
    assert pd.isna(got.loc[("a", M365), "evidence"])


def test_usage_rate_counts_m365_people_from_the_report_alone(wh):
    from metrics.results import entries
    from uptake.metrics.families import usage

    people = [f"p{i}" for i in range(6)]
    for p in people:
        wh.person(p)
        _listed(wh, p, "2024-03-31")
    # Active app-days as the connector stores them (one event of quantity 1 per app-day).
    for p in people[:4]:
        wh.event(p, "2024-03-20", tool=M365, surface="word", quantity=1)
    entry = entries(usage.compute(wh.facts_ctx("2024-03-31")))["usage_rate"]
    assert (entry["n"], entry["active"]) == (6, 4)


def test_seats_are_built_once_per_engine_until_the_tables_change(wh):
    wh.license("a", "2024-03-01", tool=M365)
    engine = wh.engine
    first = seats(engine)
    assert seats(engine) is first
    assert seats(wh.engine) is not first  # another engine, another connection's tables
    # Usage reports arrive: the seats now end where the reports stop, so they are rebuilt.
    _listed(wh, "b", "2024-03-02")
    again = seats(engine)
    assert again is not first
    assert set(engine.execute(again).person_key) == {"a", "b"}


def test_the_seats_kept_do_not_keep_the_engine() -> None:
    import gc
    import weakref

    import duckdb

    from uptake.metrics import seats as module
    from uptake.warehouse.engine import DuckDBEngine

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE licenses (person_key VARCHAR, tool VARCHAR, assigned_at TIMESTAMP, "
        "removed_at TIMESTAMP, monthly_cost DOUBLE, evidence VARCHAR)"
    )
    engine = DuckDBEngine(con)
    seats(engine)
    assert engine in module._BUILT
    gone = weakref.ref(engine)
    del engine
    gc.collect()
    assert gone() is None
