"""Export a workspace's canonical tables to a Parquet lake (for scale-out engines).

The lake holds pseudonymous keys only: the canonical tables as stored (person columns
are HMAC keys, free text was redacted at ingest). The `identities` table, the quarantine (raw
records) and the ingest and audit logs are never exported.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from uptake.errors import InputError
from uptake.schema.migrations import current_version
from uptake.warehouse.lake import LAKE_FORMAT, MANIFEST, PARTITIONED, lake_tables, read_manifest
from uptake.warehouse.sql import quote_literal


def _sql_path(path: Path) -> str:
    return quote_literal(str(path))


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and read_manifest(out) is None:
        raise InputError(
            f"{out}: folder is not empty and is not an uptake lake; refusing to overwrite it",
            hint="choose an empty or new folder",
        )


def _write_table(con: duckdb.DuckDBPyConnection, name: str, folder: Path) -> None:
    part = PARTITIONED.get(name)
    if part is None:
        con.execute(f'COPY "{name}" TO {_sql_path(folder / f"{name}.parquet")} (FORMAT PARQUET)')
        return
    target = folder / name
    target.mkdir()
    # One file per day; an empty table leaves an empty folder, which readers treat as no rows.
    con.execute(
        f'COPY (SELECT *, CAST(ts AS DATE) AS "{part}" FROM "{name}") TO {_sql_path(target)} '
        f"(FORMAT PARQUET, PARTITION_BY ({part}), FILENAME_PATTERN 'part-{{i}}', "
        "OVERWRITE_OR_IGNORE)"
    )


def export_lake(con: duckdb.DuckDBPyConnection, out_dir: Path | str) -> dict[str, int]:
    """Write every canonical table to a Parquet lake, replacing an earlier export there.

    The tables are read in one transaction (a consistent snapshot) and written to a sibling
    folder that replaces `out_dir` only once complete, so a failed export leaves the old lake.

    Args:
        con: the workspace's DuckDB connection.
        out_dir: lake folder to create or replace (must be new, empty or an earlier lake).

    Returns:
        Rows written per table.
    """
    out = Path(out_dir)
    _check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    counts: dict[str, int] = {}
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            for name in lake_tables():
                row = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
                counts[name] = int(row[0]) if row else 0
                _write_table(con, name, staging)
            version = current_version(con)
            last_batch = _last_batch(con)
        finally:
            con.execute("ROLLBACK")
        manifest = {
            "format": LAKE_FORMAT,
            "schema_version": version,
            "last_batch": last_batch,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "partitioning": PARTITIONED,
            "counts": counts,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return counts


def _last_batch(con: duckdb.DuckDBPyConnection) -> int | None:
    """Newest ingest batch in the warehouse (None when nothing was ingested)."""
    try:
        row = con.execute("SELECT max(batch_id) FROM ingest_log").fetchone()
    except duckdb.CatalogException:
        return None
    return None if row is None or row[0] is None else int(row[0])


def lake_is_current(con: duckdb.DuckDBPyConnection, lake: Path | str) -> bool:
    """Whether a lake was exported from this warehouse's current contents.

    Compares the manifest's schema version and newest ingest batch with the warehouse's, so a
    caller can reuse an existing lake and export again only after new ingests.

    Args:
        con: the workspace's DuckDB connection.
        lake: lake folder.

    Returns:
        True when the lake holds every batch ingested so far.
    """
    manifest = read_manifest(Path(lake))
    if manifest is None:
        return False
    return bool(
        manifest.get("schema_version") == current_version(con)
        and "last_batch" in manifest
        and manifest["last_batch"] == _last_batch(con)
    )


def _swap(staging: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
