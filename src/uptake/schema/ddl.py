"""DuckDB DDL for the canonical tables and the bookkeeping tables."""

from __future__ import annotations

from uptake.schema.tables import BATCH_COLUMN, TABLES, Table

SQL_TYPES = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "bool": "BOOLEAN",
    "int": "BIGINT",
    "float": "DOUBLE",
    "json": "VARCHAR",
    "list": "VARCHAR[]",
}

# Raw aliases never reach a canonical table: they live only in `identities` (privacy).
NOT_STORED = {("people", "aliases")}

BOOKKEEPING = {
    "schema_version": """
        version INTEGER NOT NULL,
        description VARCHAR,
        applied_at TIMESTAMP NOT NULL
    """,
    "ingest_log": """
        batch_id BIGINT NOT NULL,
        table_name VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        format VARCHAR NOT NULL,
        file_hash VARCHAR,
        rows BIGINT NOT NULL,
        accepted BIGINT NOT NULL,
        unrostered BIGINT NOT NULL,
        duplicates BIGINT NOT NULL,
        quarantined BIGINT NOT NULL,
        rekeyed BIGINT NOT NULL DEFAULT 0,
        min_ts TIMESTAMP,
        max_ts TIMESTAMP,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        seconds DOUBLE NOT NULL
    """,
    "quarantine": """
        batch_id BIGINT NOT NULL,
        table_name VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        locator VARCHAR NOT NULL,
        field VARCHAR,
        reason VARCHAR NOT NULL,
        detail VARCHAR,
        record VARCHAR
    """,
    "identities": """
        alias VARCHAR NOT NULL,
        person_key VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        first_seen TIMESTAMP NOT NULL
    """,
    "audit_log": """
        ts TIMESTAMP NOT NULL,
        actor VARCHAR NOT NULL,
        role VARCHAR,
        action VARCHAR NOT NULL,
        subject VARCHAR,
        detail VARCHAR
    """,
}


def stored_columns(t: Table) -> list[tuple[str, str]]:
    """Stored (column name, SQL type) pairs of a canonical table, batch column last.

    Args:
        t: the table spec.

    Returns:
        Column names as stored in the warehouse with their DuckDB types.
    """
    cols = [
        (c.stored_name, SQL_TYPES[c.type]) for c in t.columns if (t.name, c.name) not in NOT_STORED
    ]
    return [*cols, (BATCH_COLUMN, "BIGINT")]


def create_table_sql(t: Table) -> str:
    """CREATE TABLE statement for a canonical table."""
    cols = ",\n  ".join(f"{n} {typ}" for n, typ in stored_columns(t))
    return f"CREATE TABLE IF NOT EXISTS {t.name} (\n  {cols}\n)"


def initial_ddl() -> list[str]:
    """Every statement that creates schema version 1."""
    stmts = [create_table_sql(t) for t in TABLES.values()]
    stmts += [f"CREATE TABLE IF NOT EXISTS {n} ({body})" for n, body in BOOKKEEPING.items()]
    return stmts
