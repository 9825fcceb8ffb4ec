"""Per-source sync bookkeeping in the warehouse table `sync_state` (schema migration 5).

One row per source: the cursor (last day fully fetched), the covered range, when it last
ran and succeeded, the last error or warning (uptake's own words, never a credential or a
vendor's raw answer) and how many rows it added.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from uptake.warehouse.database import transaction

COLUMNS = (
    "source",
    "cursor_day",
    "first_day",
    "last_attempt_at",
    "last_success_at",
    "last_error",
    "last_warning",
    "rows_added",
    "rows_total",
    "runs",
)


@dataclass
class SyncState:
    """What uptake remembers about one source between syncs."""

    source: str
    cursor_day: date | None = None
    first_day: date | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_warning: str | None = None
    rows_added: int = 0
    rows_total: int = 0
    runs: int = 0

    def cover(self, start: date, through: date) -> None:
        """Record that the days `start`…`through` were fetched completely.

        The covered range stays one contiguous span: a run that touches it extends it; a run
        beyond a gap (the old cursor fell out of the vendor's retention) starts a new span.

        Args:
            start: first day fetched.
            through: last day fetched (before `start`: nothing was).
        """
        if through < start:
            return
        first, cursor = self.first_day, self.cursor_day
        if first is None or cursor is None:
            self.first_day, self.cursor_day = start, through
        elif start <= cursor + timedelta(days=1) and through >= first - timedelta(days=1):
            self.first_day, self.cursor_day = min(first, start), max(cursor, through)
        elif start > cursor:
            self.first_day, self.cursor_day = start, through
        # An older span apart from the covered one (a backfill that stopped early) is kept
        # out: coverage must never claim the days in between.

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO text)."""
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items()}


def load(con: duckdb.DuckDBPyConnection) -> dict[str, SyncState]:
    """Every source's state.

    Args:
        con: the warehouse connection.

    Returns:
        State by source name.
    """
    rows = con.execute(f"SELECT {', '.join(COLUMNS)} FROM sync_state ORDER BY source").fetchall()
    return {r[0]: SyncState(*r) for r in rows}


def save(con: duckdb.DuckDBPyConnection, state: SyncState) -> None:
    """Write one source's state (replacing the previous row).

    Args:
        con: the warehouse connection.
        state: the state to keep.
    """
    values = [getattr(state, c) for c in COLUMNS]
    with transaction(con):
        con.execute("DELETE FROM sync_state WHERE source = ?", [state.source])
        con.execute(f"INSERT INTO sync_state VALUES ({', '.join('?' * len(COLUMNS))})", values)


def already_ingested(con: duckdb.DuckDBPyConnection, digest: str, fmt: str) -> bool:
    """Whether a file with these bytes was already ingested in this format.

    Args:
        con: the warehouse connection.
        digest: SHA-256 of the file's bytes (as `ingest_log.file_hash`).
        fmt: the format name.

    Returns:
        True when `ingest_log` records it.
    """
    row = con.execute(
        "SELECT count(*) FROM ingest_log WHERE file_hash = ? AND format = ?", [digest, fmt]
    ).fetchone()
    return bool(row and row[0])
