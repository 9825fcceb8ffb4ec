"""Export a workspace's canonical tables to a Parquet lake (for scale-out engines).

The lake holds pseudonymous keys only: the canonical tables as stored (person columns
are HMAC keys, free text was redacted at ingest). The `identities` table, the quarantine (raw
records) and the ingest and audit logs are never exported.

Every manifest records the warehouse state it was written from (`warehouse_state`): schema
version, newest ingest batch, a digest of the ingest log and a fingerprint of every table
but events. A lake whose state equals the warehouse's holds exactly its rows; one whose
ingest log is a prefix of the warehouse's can be brought up to date by appending the new
batches' events (`write_lake` with a base lake).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from uptake.errors import InputError
from uptake.schema.migrations import current_version
from uptake.warehouse.database import transaction
from uptake.warehouse.lake import LAKE_FORMAT, MANIFEST, PARTITIONED, lake_tables, read_manifest
from uptake.warehouse.sql import quote_literal

# Events are insert-only: their rows change only through ingest batches (new rows) and
# identity merges (flagged as `rekeyed` in the ingest log), so the log stands for them.
# Every other table is fingerprinted by content (the coach, for one, writes interventions
# outside any batch); they are small next to the events.
LOGGED = "events"
EXPORTED = "exported"
APPENDED = "appended"


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


def _write_table(
    con: duckdb.DuckDBPyConnection, name: str, folder: Path, where: str = "", pattern: str = "part"
) -> None:
    part = PARTITIONED.get(name)
    if part is None:
        con.execute(f'COPY "{name}" TO {_sql_path(folder / f"{name}.parquet")} (FORMAT PARQUET)')
        return
    target = folder / name
    target.mkdir(exist_ok=True)
    # One file per day; an empty table leaves an empty folder, which readers treat as no rows.
    con.execute(
        f'COPY (SELECT *, CAST(ts AS DATE) AS "{part}" FROM "{name}" {where}) TO '
        f"{_sql_path(target)} (FORMAT PARQUET, PARTITION_BY ({part}), "
        f"FILENAME_PATTERN '{pattern}-{{i}}', OVERWRITE_OR_IGNORE)"
    )


def _last_batch(con: duckdb.DuckDBPyConnection) -> int | None:
    """Newest ingest batch in the warehouse (None when nothing was ingested)."""
    try:
        row = con.execute("SELECT max(batch_id) FROM ingest_log").fetchone()
    except duckdb.CatalogException:
        return None
    return None if row is None or row[0] is None else int(row[0])


def _log_digest(con: duckdb.DuckDBPyConnection, upto: int | None) -> str:
    """A digest of the ingest log's rows up to a batch (what each batch wrote, and when)."""
    if upto is None:
        return hashlib.sha256(b"").hexdigest()
    rows = con.execute(
        "SELECT batch_id, table_name, source, accepted, rekeyed, min_ts, max_ts, finished_at "
        "FROM ingest_log WHERE batch_id <= ? ORDER BY ALL",
        [upto],
    ).fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _fingerprint(con: duckdb.DuckDBPyConnection, name: str, where: str = "") -> list[Any]:
    # hash(t) hashes the whole row; the sum is order-free and keeps duplicate rows apart.
    row = con.execute(f'SELECT count(*), sum(hash(t))::HUGEINT FROM "{name}" t {where}').fetchone()
    count, total = (row[0], row[1]) if row else (0, None)
    return [int(count), str(total or 0)]


def warehouse_state(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What a lake must match to hold exactly the warehouse's canonical rows.

    Call it inside the transaction that reads the rows, so state and rows agree.

    Args:
        con: the workspace's DuckDB connection.

    Returns:
        Schema version, newest batch, ingest-log digest, event count and the other tables'
        fingerprints (row count and an order-free content hash).
    """
    last = _last_batch(con)
    row = con.execute(f'SELECT count(*) FROM "{LOGGED}"').fetchone()
    return {
        "schema_version": current_version(con),
        "last_batch": last,
        "log_digest": _log_digest(con, last),
        "events": int(row[0]) if row else 0,
        "tables": {n: _fingerprint(con, n) for n in lake_tables() if n != LOGGED},
    }


def _appendable(
    con: duckdb.DuckDBPyConnection, base: dict[str, Any], state: dict[str, Any]
) -> bool:
    """Whether the base lake's events are exactly the warehouse's rows of its batches."""
    if base.get("schema_version") != state["schema_version"] or "log_digest" not in base:
        return False
    last = base.get("last_batch")
    if _log_digest(con, last) != base["log_digest"]:
        return False  # an earlier batch changed (a restore, a rewritten log)
    newer = -1 if last is None else last
    row = con.execute(
        "SELECT count(*) FROM ingest_log WHERE batch_id > ? AND rekeyed > 0", [newer]
    ).fetchone()
    if row and row[0]:
        return False  # an identity merge rewrote person keys in old events
    old = con.execute(f'SELECT count(*) FROM "{LOGGED}" WHERE batch_id <= ?', [newer]).fetchone()
    # Rows of old batches that are gone (deleted by hand) rule out an append as well.
    return bool(old and int(old[0]) == base.get("events"))


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link a lake folder's files into another (a copy when links are not possible)."""
    for path in source.rglob("*"):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        _link(path, dest)


def _link(source: Path, dest: Path) -> None:
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)


def write_lake(
    con: duckdb.DuckDBPyConnection, folder: Path, base: Path | None = None
) -> dict[str, Any]:
    """Write every canonical table into a new, empty folder, reusing a base lake when it can.

    With a base lake whose events are a prefix of the warehouse's (same schema, same ingest
    log up to its newest batch, no identity merge since), its files are hard-linked and only
    the new batches' events are written; tables whose fingerprint did not change are linked
    too. Otherwise everything is exported. Reads in one transaction (a consistent snapshot).

    Args:
        con: the workspace's DuckDB connection.
        folder: the new lake folder (must exist and be empty).
        base: an earlier lake of the same warehouse, or None.

    Returns:
        The manifest written, with `written` = `exported` or `appended`.
    """
    prior = read_manifest(base) if base is not None else None
    # One snapshot for the state and every table written (read only: nothing to commit).
    with transaction(con):
        state = warehouse_state(con)
        base_state = prior.get("state") if prior else None
        append = isinstance(base_state, dict) and _appendable(con, base_state, state)
        counts: dict[str, int] = {}
        for name in lake_tables():
            if name == LOGGED:
                counts[name] = state["events"]
            else:
                counts[name] = state["tables"][name][0]
            if append and base is not None and base_state is not None:
                if name == LOGGED:
                    if (base / name).is_dir():
                        _link_tree(base / name, folder / name)
                    last = base_state["last_batch"]
                    after = -1 if last is None else last
                    # Distinct file names per append: never clash with the linked files.
                    _write_table(
                        con,
                        name,
                        folder,
                        where=f"WHERE batch_id > {int(after)}",
                        pattern=f"b{state['last_batch']}",
                    )
                    continue
                single = base / f"{name}.parquet"
                if base_state["tables"].get(name) == state["tables"][name] and single.is_file():
                    _link(single, folder / f"{name}.parquet")
                    continue
            _write_table(con, name, folder)
    manifest = {
        "format": LAKE_FORMAT,
        "schema_version": state["schema_version"],
        "last_batch": state["last_batch"],
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "written": APPENDED if append else EXPORTED,
        "partitioning": PARTITIONED,
        "counts": counts,
        "state": state,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


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
    staging = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
    except OSError as exc:
        # The lake is written beside its place first: name the place the user gave.
        raise InputError(f"{out}: cannot write a lake there ({exc.strerror or exc})") from None
    try:
        manifest = write_lake(con, staging)
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    counts: dict[str, int] = manifest["counts"]
    return counts


def lake_is_current(con: duckdb.DuckDBPyConnection, lake: Path | str) -> bool:
    """Whether a lake was written from this warehouse's current contents.

    Compares the manifest's recorded state (schema version, ingest log, table fingerprints)
    with the warehouse's, so a caller can reuse a lake and write again only after changes.

    Args:
        con: the workspace's DuckDB connection.
        lake: lake folder.

    Returns:
        True when the lake holds every batch ingested so far and every table as stored.
    """
    manifest = read_manifest(Path(lake))
    if manifest is None or not isinstance(manifest.get("state"), dict):
        return False
    with transaction(con):
        state = warehouse_state(con)
    return bool(manifest["state"] == state)


def _swap(staging: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
