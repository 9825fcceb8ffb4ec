"""`uptake doctor`: integrity checks of a workspace."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from uptake.ingest.identity import person_columns
from uptake.ingest.validate import EARLIEST_DATE, LATEST_DATE
from uptake.schema.ddl import NOT_STORED
from uptake.schema.migrations import MIGRATIONS, current_version
from uptake.schema.tables import TABLES
from uptake.warehouse.coverage import coverage_checks, identity_coverage
from uptake.warehouse.sql import quote_ident

FINGERPRINT_PROBE = "uptake:secret-fingerprint"

# Days every reader of the warehouse can represent (pandas' nanosecond timestamps span
# 1677-09-21 … 2262-04-11; Python dates start in year 1): the metric refresh refuses stored
# values outside them whatever plausible range the ingest settings allow.
READABLE_DATES = (date(1678, 1, 1), date(2261, 12, 31))


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    return row[0] if row else None


def implausible_dates(
    con: duckdb.DuckDBPyConnection,
    date_range: tuple[date, date] = (EARLIEST_DATE, LATEST_DATE),
) -> list[str]:
    """Stored dates and timestamps outside a range, counted per column.

    Args:
        con: the warehouse connection.
        date_range: first and last plausible day.

    Returns:
        One entry per column holding such values, e.g. `3 in events.ts`; empty when none.
    """
    low, high = (f"DATE '{d.isoformat()}'" for d in date_range)
    found: list[str] = []
    for t in TABLES.values():
        names = [
            c.stored_name
            for c in t.columns
            if c.type in ("date", "timestamp") and (t.name, c.name) not in NOT_STORED
        ]
        if not names:
            continue
        for n in names:
            # One query per column with the range in WHERE: DuckDB skips every row group
            # whose stored minimum and maximum lie inside it, so a clean warehouse is checked
            # without reading its rows (one counting scan per table read them all; this runs
            # before every metric read and refresh).
            col = quote_ident(n)
            k = _one(
                con,
                f"SELECT count(*) FROM {quote_ident(t.name)} "
                f"WHERE {col} < {low} OR {col} >= {high} + INTERVAL 1 DAY",
            )
            if k:
                found.append(f"{int(k)} in {t.name}.{n}")
    return found


def run_checks(
    con: duckdb.DuckDBPyConnection,
    secret_file: Path,
    fingerprint_now: str,
    date_range: tuple[date, date] = (EARLIEST_DATE, LATEST_DATE),
    min_linked_share: float = 0.9,
    min_group: int = 5,
) -> list[dict[str, Any]]:
    """Run every integrity check of a workspace's warehouse.

    Args:
        con: the warehouse connection (written to only by the final CHECKPOINT).
        secret_file: where the workspace keeps its secret (checked for permissions if present).
        fingerprint_now: `FINGERPRINT_PROBE` pseudonymised with the secret in use now.
        date_range: plausible first and last day of stored dates and timestamps.
        min_linked_share: a source format linking fewer of its people to the roster is
            warned about.
        min_group: smallest group of identities whose shared e-mail domain a hint may name.

    Returns:
        One entry per check: {"check", "ok", "status", "message"}; status "fail" (not ok)
        means the warehouse is unsound, "warn" (still ok) that its numbers may mislead.
    """
    out: list[dict[str, Any]] = []

    def add(name: str, ok: bool, message: str) -> None:
        out.append(
            {"check": name, "ok": bool(ok), "status": "ok" if ok else "fail", "message": message}
        )

    have, newest = current_version(con), max(m.version for m in MIGRATIONS)
    add("schema", have == newest, f"schema version {have} (newest {newest})")

    if secret_file.exists():
        mode = stat.S_IMODE(secret_file.stat().st_mode)
        add("secret_permissions", mode & 0o077 == 0, f"secret file mode {oct(mode)}")
    fingerprint = _one(con, "SELECT value FROM workspace_meta WHERE key = 'secret_fingerprint'")
    if fingerprint is not None:
        same = fingerprint_now == fingerprint
        add(
            "secret_matches",
            same,
            "secret matches the one the warehouse was keyed with"
            if same
            else "the secret differs from the one used at init: new rows would get other keys",
        )

    bad_totals = _one(
        con, "SELECT count(*) FROM ingest_log WHERE rows <> accepted + duplicates + quarantined"
    )
    add(
        "batch_totals",
        bad_totals == 0,
        f"{bad_totals} batch(es) where rows ≠ accepted + duplicates + quarantined",
    )

    mismatch = _one(
        con,
        "SELECT count(*) FROM ingest_log l LEFT JOIN (SELECT batch_id, count(*) n FROM quarantine "
        "GROUP BY 1) q USING (batch_id) WHERE l.quarantined <> coalesce(q.n, 0)",
    )
    add(
        "quarantine_log",
        mismatch == 0,
        f"{mismatch} batch(es) whose quarantine rows disagree with the log",
    )

    for t in TABLES.values():
        if t.merge in ("immutable", "upsert_fields") and t.fact:
            key = ", ".join(quote_ident(c) for c in t.stored_key)
            dupes = _one(
                con,
                f"SELECT count(*) FROM (SELECT {key} FROM {quote_ident(t.name)} "
                "GROUP BY ALL HAVING count(*) > 1)",
            )
            if dupes:
                add(f"unique_{t.name}", False, f"{dupes} duplicated key(s) in {t.name}")
    if not any(c["check"].startswith("unique_") for c in out):
        add("unique_keys", True, "no duplicated ids in fact tables")

    orphans = 0
    for tname, col in person_columns():
        tab, key = quote_ident(tname), quote_ident(col)
        orphans += int(
            _one(
                con,
                f"SELECT count(*) FROM {tab} t WHERE t.{key} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM identities i WHERE i.person_key = t.{key})",
            )
            or 0
        )
    add("identities", orphans == 0, f"{orphans} row(s) whose person key has no identity")

    # Rows stored before the plausible-range rule existed can hold year 0, which breaks
    # every metric run; doctor names them instead of reporting all well.
    implausible = implausible_dates(con, date_range)
    add(
        "plausible_dates",
        not implausible,
        f"dates outside {date_range[0]} … {date_range[1]}: {', '.join(implausible) or 'none'}",
    )

    # Activity the roster cannot link lands in a "(none)" group without a word; say so here.
    out += coverage_checks(identity_coverage(con, min_group, min_linked_share))

    try:
        con.execute("CHECKPOINT")
        add("checkpoint", True, "database checkpointed cleanly")
    except Exception as exc:  # any storage failure is the finding itself
        add("checkpoint", False, f"checkpoint failed: {exc}")
    return out
