"""Export of a warehouse to a Parquet lake: layout, fidelity, privacy and safe replacement."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from uptake.errors import InputError
from uptake.schema.migrations import migrate
from uptake.schema.tables import TABLES
from uptake.warehouse.export import export_lake, lake_is_current
from uptake.warehouse.lake import MANIFEST


def test_layout_is_hive_partitioned_events_and_one_file_per_table(
    small_con: duckdb.DuckDBPyConnection, small_lake: Path
) -> None:
    days = small_con.execute(
        "SELECT DISTINCT strftime(CAST(ts AS DATE), '%Y-%m-%d') FROM events ORDER BY 1"
    ).fetchall()
    folders = sorted(p.name for p in (small_lake / "events").iterdir())
    assert folders == [f"date={d}" for (d,) in days]
    assert (small_lake / "events" / f"date={days[0][0]}" / "part-0.parquet").is_file()
    for name in TABLES:
        if name != "events":
            assert (small_lake / f"{name}.parquet").is_file()


def test_every_row_and_value_survives_the_round_trip(
    small_con: duckdb.DuckDBPyConnection, small_lake: Path
) -> None:
    manifest = json.loads((small_lake / MANIFEST).read_text())
    for name in TABLES:
        source = f"'{small_lake}/{name}.parquet'"
        if name == "events":
            source = f"read_parquet('{small_lake}/events/**/*.parquet', hive_partitioning=true)"
        exported = small_con.execute(f"SELECT count(*) FROM {source}").fetchone()
        stored = small_con.execute(f"SELECT count(*) FROM {name}").fetchone()
        assert exported == stored
        assert manifest["counts"][name] == stored[0]  # type: ignore[index]
    # Same rows, column for column: the symmetric difference is empty.
    diff = small_con.execute(
        f"""SELECT count(*) FROM (
            (SELECT * EXCLUDE (date) FROM read_parquet('{small_lake}/events/**/*.parquet',
                hive_partitioning=true) EXCEPT SELECT * FROM events)
            UNION ALL
            (SELECT * FROM events EXCEPT SELECT * EXCLUDE (date) FROM
                read_parquet('{small_lake}/events/**/*.parquet', hive_partitioning=true)))"""
    ).fetchone()
    assert diff == (0,)
    # Each partition holds only its own day.
    misplaced = small_con.execute(
        f"SELECT count(*) FROM read_parquet('{small_lake}/events/**/*.parquet', "
        "hive_partitioning=true) WHERE CAST(ts AS DATE) <> date"
    ).fetchone()
    assert misplaced == (0,)


def test_lake_carries_no_raw_identifiers(
    small_con: duckdb.DuckDBPyConnection, small_lake: Path
) -> None:
    aliases = {a for (a,) in small_con.execute("SELECT alias FROM identities").fetchall()}
    assert len(aliases) == 40
    assert not (small_lake / "identities.parquet").exists()
    leaked = []
    for path in small_lake.rglob("*.parquet"):
        frame = small_con.execute(f"SELECT * FROM '{path}'").df()
        for col in frame.columns:
            values = {str(v) for v in frame[col].dropna()}
            leaked += sorted(values & aliases)
    assert leaked == []
    files = {p.name for p in small_lake.iterdir()}
    assert files == {MANIFEST, "events"} | {f"{n}.parquet" for n in TABLES if n != "events"}


def test_reexport_replaces_the_old_lake(
    tmp_path: Path, make_small_warehouse: Callable[..., duckdb.DuckDBPyConnection]
) -> None:
    con = make_small_warehouse(seed=1)
    out = tmp_path / "lake"
    first = export_lake(con, out)
    con.execute("DELETE FROM events WHERE ts >= TIMESTAMP '2026-02-01'")
    second = export_lake(con, out)
    assert second["events"] < first["events"]
    n = con.execute(f"SELECT count(*) FROM read_parquet('{out}/events/**/*.parquet')").fetchone()
    assert n == (second["events"],)
    assert not any((out / "events").glob("date=2026-02-*"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake"]  # no staging left behind


def test_refuses_to_overwrite_a_folder_that_is_not_a_lake(
    tmp_path: Path, make_small_warehouse: Callable[..., duckdb.DuckDBPyConnection]
) -> None:
    con = make_small_warehouse(seed=1)
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not an uptake lake"):
        export_lake(con, tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_empty_warehouse_exports_empty_tables(tmp_path: Path) -> None:
    con = duckdb.connect()
    migrate(con)
    counts = export_lake(con, tmp_path / "lake")
    assert set(counts) == set(TABLES)
    assert set(counts.values()) == {0}
    assert (tmp_path / "lake" / "events").is_dir()


def test_lake_is_current_until_the_next_ingest(tmp_path: Path) -> None:
    con = duckdb.connect()
    migrate(con)
    assert not lake_is_current(con, tmp_path / "lake")
    export_lake(con, tmp_path / "lake")
    assert lake_is_current(con, tmp_path / "lake")
    con.execute(
        "INSERT INTO ingest_log VALUES (7, 'events', 'x.csv', 'csv', NULL, 1, 1, 0, 0, 0, 0, "
        "NULL, NULL, TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-01', 0.1)"
    )
    assert not lake_is_current(con, tmp_path / "lake")
    export_lake(con, tmp_path / "lake")
    assert json.loads((tmp_path / "lake" / MANIFEST).read_text())["last_batch"] == 7
    assert lake_is_current(con, tmp_path / "lake")
