"""Reading a Parquet lake with DuckDB: same schema and rows as the warehouse it came from."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from uptake.errors import InputError
from uptake.schema.tables import TABLES
from uptake.warehouse.engine import DuckDBEngine
from uptake.warehouse.lake import lake_duckdb_engine


def test_lake_engine_matches_the_warehouse(
    small_con: duckdb.DuckDBPyConnection, small_lake: Path
) -> None:
    lake = lake_duckdb_engine(small_lake)
    wh = DuckDBEngine(small_con)
    for name in TABLES:
        assert lake.table(name).schema() == wh.table(name).schema(), name
        assert lake.has(name) == wh.has(name), name
        got = lake.execute(lake.table(name).count())
        want = wh.execute(wh.table(name).count())
        assert got.to_numpy().tolist() == want.to_numpy().tolist(), name
    assert lake.has("events") and not lake.has("feedback")


def test_lake_engine_materializes(small_lake: Path) -> None:
    lake = lake_duckdb_engine(small_lake)
    ev = lake.table("events")
    per = lake.materialize("per_person", ev.group_by("person_key").aggregate(n=ev.count()))
    total = lake.execute(per.n.sum().name("total").as_table())
    assert total["total"].iloc[0] == 3000


def test_missing_optional_columns_read_as_null(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 'w1' AS workflow, 'One' AS name, 'high' AS stakes) "
        f"TO '{tmp_path}/workflows.parquet' (FORMAT PARQUET)"
    )
    lake = lake_duckdb_engine(tmp_path)
    frame = lake.execute(lake.table("workflows"))
    assert frame["workflow"].tolist() == ["w1"]
    assert frame["baseline_minutes"].isna().all()
    assert not lake.has("events")


def test_missing_required_column_is_an_input_error(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 'w1' AS workflow) TO '{tmp_path}/workflows.parquet' (FORMAT PARQUET)"
    )
    with pytest.raises(InputError, match=r"lacks required columns \['name', 'stakes'\]"):
        lake_duckdb_engine(tmp_path)


def test_no_lake_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no Parquet lake"):
        lake_duckdb_engine(tmp_path / "missing")
