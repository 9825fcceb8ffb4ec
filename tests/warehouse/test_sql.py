"""Quoting helpers: whatever a name or value holds, DuckDB reads back exactly it."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from uptake.warehouse.sql import quote_ident, quote_literal


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\0")))
def test_literal_round_trips(text: str) -> None:
    assert duckdb.sql(f"SELECT {quote_literal(text)}").fetchone() == (text,)


@given(
    st.text(
        min_size=1, alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\0")
    )
)
def test_identifier_round_trips(name: str) -> None:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({quote_ident(name)} INTEGER)")
    assert [c[0] for c in con.execute("SELECT * FROM t").description] == [name]


def test_other_literals() -> None:
    values = [None, True, 3, 2.5, date(2026, 1, 2), datetime(2026, 1, 2, 3, 4, 5)]
    sql = ", ".join(quote_literal(v) for v in values)
    assert duckdb.sql(f"SELECT {sql}").fetchone() == tuple(values)
