"""Schema migrations: an ordered list applied exactly once each, recorded in schema_version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from uptake.errors import MigrationError
from uptake.schema.ddl import initial_ddl


@dataclass(frozen=True)
class Migration:
    """One schema step: a version number, what it does, and the function that does it."""

    version: int
    description: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


def _v1(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in initial_ddl():
        con.execute(stmt)


def _v2(con: duckdb.DuckDBPyConnection) -> None:
    # Holds a fingerprint of the secret (never the secret) so doctor can detect a changed key.
    con.execute("CREATE TABLE IF NOT EXISTS workspace_meta (key VARCHAR, value VARCHAR)")


def _v3(con: duckdb.DuckDBPyConnection) -> None:
    # Vendor daily totals (7 prompts in one row) and seats inferred from usage reports.
    con.execute("ALTER TABLE events ADD COLUMN IF NOT EXISTS quantity BIGINT")
    con.execute("ALTER TABLE licenses ADD COLUMN IF NOT EXISTS evidence VARCHAR")


def _v4(con: duckdb.DuckDBPyConnection) -> None:
    # API tokens: only a hash of each token is kept; a person token names its key, never a name.
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS tokens (
            token_id VARCHAR PRIMARY KEY,
            token_hash VARCHAR NOT NULL,
            role VARCHAR NOT NULL,
            teams VARCHAR[],
            person_key VARCHAR,
            note VARCHAR,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL,
            expires_at TIMESTAMP,
            revoked_at TIMESTAMP
        )
        """
    )


def _v5(con: duckdb.DuckDBPyConnection) -> None:
    # `uptake sync` bookkeeping, one row per vendor source: dates, counts and uptake's own
    # messages only; never a credential, a person or a vendor's raw answer.
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS sync_state (
            source VARCHAR PRIMARY KEY,
            cursor_day DATE,
            first_day DATE,
            last_attempt_at TIMESTAMP,
            last_success_at TIMESTAMP,
            last_error VARCHAR,
            last_warning VARCHAR,
            rows_added BIGINT NOT NULL DEFAULT 0,
            rows_total BIGINT NOT NULL DEFAULT 0,
            runs BIGINT NOT NULL DEFAULT 0
        )
        """
    )


def _v6(con: duckdb.DuckDBPyConnection) -> None:
    # The coach's state per person (pseudonymous keys only): the arm drawn once, and the
    # person's own choices (opt-out, snooze), which every surface honours.
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS coach_arms (
            person_key VARCHAR PRIMARY KEY,
            arm VARCHAR NOT NULL,
            stratum VARCHAR,
            assigned_at TIMESTAMP NOT NULL
        )
        """
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS coach_prefs (
            person_key VARCHAR PRIMARY KEY,
            opted_out_at TIMESTAMP,
            snoozed_until TIMESTAMP,
            updated_at TIMESTAMP NOT NULL
        )
        """
    )


def _v7(con: duckdb.DuckDBPyConnection) -> None:
    # The adoption programme's own records (pseudonymous keys only): sprint milestones ticked
    # by hand, teams' use-case proposals and their votes, and workflows' redesigns.
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS programme_ticks (
            milestone VARCHAR PRIMARY KEY,
            done_on DATE NOT NULL,
            who VARCHAR NOT NULL,
            note VARCHAR,
            recorded_at TIMESTAMP NOT NULL
        )
        """
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS proposals (
            proposal_id VARCHAR PRIMARY KEY,
            ts TIMESTAMP NOT NULL,
            team VARCHAR,
            title VARCHAR NOT NULL,
            description VARCHAR,
            workflow VARCHAR,
            priority INTEGER,
            proposer_key VARCHAR,
            status VARCHAR NOT NULL DEFAULT 'proposed',
            catalogued_workflow VARCHAR
        )
        """
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS proposal_votes (
            proposal_id VARCHAR NOT NULL,
            voter_key VARCHAR NOT NULL,
            ts TIMESTAMP NOT NULL,
            PRIMARY KEY (proposal_id, voter_key)
        )
        """
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS workflow_redesigns (
            workflow VARCHAR PRIMARY KEY,
            redesigned_on DATE NOT NULL,
            steps JSON NOT NULL,
            note VARCHAR,
            who VARCHAR NOT NULL,
            recorded_at TIMESTAMP NOT NULL
        )
        """
    )


def _v8(con: duckdb.DuckDBPyConnection) -> None:
    # Shadow AI: visits to AI tool domains from web-proxy logs (AI domains only). Spelled out
    # rather than derived from the table spec, so this step means the same thing forever.
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS ai_web_visits (
            ts TIMESTAMP,
            person_key VARCHAR,
            domain VARCHAR,
            tool VARCHAR,
            sanctioned BOOLEAN,
            batch_id BIGINT
        )
        """
    )


def _v9(con: duckdb.DuckDBPyConnection) -> None:
    # The live path: friction flags of the recent window, kept current batch by batch, and
    # what the last update covered (as of, last batch, the settings it ran with).
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS friction_flags (
            person_key VARCHAR NOT NULL,
            signal VARCHAR NOT NULL,
            since DATE NOT NULL,
            evidence JSON NOT NULL,
            raised_at TIMESTAMP NOT NULL,
            batch_id BIGINT
        )
        """
    )
    con.execute("CREATE TABLE IF NOT EXISTS friction_state (key VARCHAR, value VARCHAR)")


MIGRATIONS: list[Migration] = [
    Migration(1, "canonical tables and bookkeeping", _v1),
    Migration(2, "workspace metadata (secret fingerprint)", _v2),
    Migration(3, "events.quantity and licenses.evidence", _v3),
    Migration(4, "API tokens (hashed)", _v4),
    Migration(5, "sync_state (vendor API sync cursors)", _v5),
    Migration(6, "coach_arms and coach_prefs (holdout arm, opt-out, snooze)", _v6),
    Migration(7, "programme: sprint ticks, proposals and votes, workflow redesigns", _v7),
    Migration(8, "ai_web_visits (shadow AI: visits to AI tool domains from proxy logs)", _v8),
    Migration(9, "friction_flags and friction_state (the live path)", _v9),
]


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """Highest applied schema version, 0 for an empty database."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection, migrations: list[Migration] | None = None) -> list[int]:
    """Apply every pending migration, each in its own transaction.

    Args:
        con: open DuckDB connection to the workspace database.
        migrations: the ordered list to apply (defaults to the package's list).

    Returns:
        The versions applied by this call.
    """
    steps = sorted(migrations if migrations is not None else MIGRATIONS, key=lambda m: m.version)
    versions = [m.version for m in steps]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration versions in {versions}")
    have = current_version(con)
    done: list[int] = []
    for m in steps:
        if m.version <= have:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            m.apply(con)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [m.version, m.description, datetime.now(UTC).replace(tzinfo=None)],
            )
            con.execute("COMMIT")
        except Exception as exc:
            con.execute("ROLLBACK")
            raise MigrationError(f"migration {m.version} ({m.description}) failed: {exc}") from exc
        done.append(m.version)
    return done
