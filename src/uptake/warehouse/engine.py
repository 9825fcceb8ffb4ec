"""Compute engines behind the metrics: one Ibis interface over DuckDB (default) or Spark."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import ibis
import pandas as pd

if TYPE_CHECKING:
    import duckdb
    from ibis.backends import BaseBackend


class Engine(Protocol):
    """What metric code needs from an engine; metric code never sees the backend itself."""

    name: str

    def table(self, name: str) -> ibis.Table:
        """An Ibis table expression for a canonical or materialised table."""
        ...

    def has(self, name: str) -> bool:
        """Whether the table exists and holds at least one row."""
        ...

    def materialize(self, name: str, expr: ibis.Table) -> ibis.Table:
        """Store an expression's result as a named table and return it."""
        ...

    def execute(self, expr: ibis.Expr) -> pd.DataFrame:
        """Run an expression and fetch its result as pandas."""
        ...


class DuckDBEngine:
    """The embedded default: Ibis over the workspace's own DuckDB connection."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.backend: BaseBackend = ibis.duckdb.from_connection(con)
        self._con = con

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection the engine runs on (for in-place writes)."""
        return self._con

    def table(self, name: str) -> ibis.Table:
        return self.backend.table(name)

    def has(self, name: str) -> bool:
        # The catalogue Ibis lists (tables and views of this schema, temporary ones too),
        # asked about one name in one query: listing it costs several round-trips.
        listed = self._con.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_name = ?"
            " AND table_catalog IN (current_database(), 'temp')"
            " AND table_schema = current_schema() LIMIT 1",
            [name],
        ).fetchone()
        if listed is None:
            return False
        row = self._con.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone()
        return row is not None

    def materialize(self, name: str, expr: ibis.Table) -> ibis.Table:
        return self.backend.create_table(name, expr, overwrite=True)

    def execute(self, expr: ibis.Expr) -> pd.DataFrame:
        result = expr.execute()
        return result if isinstance(result, pd.DataFrame) else pd.DataFrame({"value": [result]})
