"""The Parquet lake layout (scale-out) and a DuckDB engine that reads it.

Layout of a lake folder, written by `uptake.warehouse.export.export_lake`:

    events/date=2026-01-05/part-0.parquet    events, Hive-partitioned by UTC day
    <table>.parquet  or  <table>/...         every other canonical table
    _uptake_lake.json                        manifest: format, schema version, row counts

Only the canonical tables live in a lake; they carry pseudonymous keys only.
Bookkeeping tables (identities, quarantine, ingest and audit logs) never do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from uptake.errors import InputError
from uptake.schema.ddl import create_table_sql, stored_columns
from uptake.schema.tables import TABLES
from uptake.warehouse.engine import DuckDBEngine
from uptake.warehouse.sql import quote_literal

MANIFEST = "_uptake_lake.json"
LAKE_FORMAT = 1
PARTITIONED = {"events": "date"}


def lake_tables() -> list[str]:
    """Names of the tables a lake holds: the canonical tables, in spec order."""
    return list(TABLES)


def table_files(lake: Path, name: str) -> tuple[Path, bool] | None:
    """Where a table's data lives in a lake.

    Args:
        lake: lake folder.
        name: canonical table name.

    Returns:
        (path, is_folder) for a `<name>/` folder holding Parquet files or a `<name>.parquet`
        file; None when the lake has no data for the table.
    """
    folder = lake / name
    if folder.is_dir() and any(folder.rglob("*.parquet")):
        return folder, True
    single = lake / f"{name}.parquet"
    if single.is_file():
        return single, False
    return None


def read_manifest(lake: Path) -> dict[str, Any] | None:
    """The lake's manifest, or None for a folder that is not an uptake lake."""
    path = lake / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: unreadable lake manifest: {exc}") from None
    return data if isinstance(data, dict) else None


def check_lake(lake: Path | str) -> Path:
    """Make sure a folder can be read as a lake.

    Args:
        lake: lake folder.

    Returns:
        The folder as a Path.
    """
    folder = Path(lake)
    if not folder.is_dir():
        raise InputError(
            f"{folder}: no Parquet lake here",
            hint="write one with `uptake export --parquet DIR`",
        )
    manifest = read_manifest(folder)
    if manifest is not None and manifest.get("format", LAKE_FORMAT) > LAKE_FORMAT:
        raise InputError(f"{folder}: lake format {manifest['format']} is newer than this uptake")
    return folder


def missing_required(name: str, present: set[str]) -> list[str]:
    """Required stored columns of a table that a lake file lacks.

    Args:
        name: canonical table name.
        present: column names found in the lake's files.

    Returns:
        The missing required columns, in spec order.
    """
    spec = TABLES[name]
    return [c.stored_name for c in spec.columns if c.required and c.stored_name not in present]


def _duckdb_source(path: Path, is_folder: bool) -> str:
    literal = str(path / "**" / "*.parquet") if is_folder else str(path)
    return f"read_parquet({quote_literal(literal)}, hive_partitioning = {str(is_folder).lower()})"


def attach_lake(con: duckdb.DuckDBPyConnection, lake: Path | str) -> dict[str, bool]:
    """Create one view per canonical table over a lake's files in a DuckDB connection.

    Each view has exactly the warehouse's stored columns and types (partition columns are
    dropped; columns a lake lacks are NULL). Tables without data become empty tables.

    Args:
        con: DuckDB connection (typically in-memory).
        lake: lake folder.

    Returns:
        Table name -> whether the lake holds files for it.
    """
    folder = check_lake(lake)
    found: dict[str, bool] = {}
    for name in lake_tables():
        spec = TABLES[name]
        con.execute(f'DROP VIEW IF EXISTS "{name}"')
        con.execute(f'DROP TABLE IF EXISTS "{name}"')
        where = table_files(folder, name)
        found[name] = where is not None
        if where is None:
            con.execute(create_table_sql(spec))
            continue
        source = _duckdb_source(*where)
        present = {str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        lacking = missing_required(name, present)
        if lacking:
            raise InputError(f"{where[0]}: lake table {name} lacks required columns {lacking}")
        cols = ", ".join(
            f'CAST("{c}" AS {typ}) AS "{c}"' if c in present else f'CAST(NULL AS {typ}) AS "{c}"'
            for c, typ in stored_columns(spec)
        )
        con.execute(f'CREATE VIEW "{name}" AS SELECT {cols} FROM {source}')
    return found


def lake_duckdb_engine(
    lake: Path | str, con: duckdb.DuckDBPyConnection | None = None
) -> DuckDBEngine:
    """A DuckDB engine over a Parquet lake, reading the same files the Spark engine reads.

    Args:
        lake: lake folder.
        con: connection to create the views in (default: a new in-memory database).

    Returns:
        A `DuckDBEngine` whose canonical tables are views on the lake; materialised tables
        live in the connection.
    """
    con = con if con is not None else duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    attach_lake(con, lake)
    return DuckDBEngine(con)
