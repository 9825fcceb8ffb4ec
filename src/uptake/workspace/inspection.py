"""Inspecting a workspace: row counts and ingests, quarantined records, integrity checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb
import pandas as pd

from uptake.config import Settings
from uptake.schema.migrations import MIGRATIONS, current_version
from uptake.schema.tables import TABLES
from uptake.warehouse.coverage import identity_coverage
from uptake.warehouse.doctor import FINGERPRINT_PROBE
from uptake.warehouse.engine import DuckDBEngine
from uptake.workspace.access import ADMINISTER, AGGREGATE, WRITE, Actor, require
from uptake.workspace.layout import SECRET_FILE

T = TypeVar("T")


class Inspection:
    """Status (aggregates), the quarantine and doctor (admins), schema versions."""

    path: Path
    settings: Settings

    if TYPE_CHECKING:
        # Provided by Workspace: a stub at run time would shadow the real method for
        # the classes after this one.
        @property
        def con(self) -> duckdb.DuckDBPyConnection:
            raise NotImplementedError

        def pseudonymise(self, identifier: str) -> str:
            raise NotImplementedError

        def engine(self) -> DuckDBEngine:
            raise NotImplementedError

        def _date_range(self) -> tuple[date, date]:
            raise NotImplementedError

        def _memo(self, kind: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T: ...

    def status(self, *, actor: Actor | None = None) -> dict[str, Any]:
        """Rows per table, the latest ingests, quarantine counts and identity coverage.

        Args:
            actor: who asks (default: the local admin); aggregates, so analysts too.

        Returns:
            The status document (`uptake status --json`).
        """
        require(actor or Actor.local(), AGGREGATE)
        # Counting every table is most of a dashboard's coverage page: remembered per batch.
        return self._memo("status", (), self._status)

    def _status(self) -> dict[str, Any]:
        con = self.con
        tables = {
            name: int(con.execute(f"SELECT count(*) FROM {name}").fetchone()[0])  # type: ignore[index]
            for name in TABLES
        }
        last = con.execute(
            "SELECT batch_id, table_name, source, format, rows, accepted, unrostered, duplicates, "
            "quarantined, finished_at, seconds FROM ingest_log ORDER BY batch_id DESC LIMIT 10"
        ).df()
        q = con.execute(
            "SELECT table_name, reason, count(*) AS n FROM quarantine GROUP BY ALL ORDER BY ALL"
        ).df()
        spans = con.execute(
            "SELECT table_name, min(min_ts) AS first, max(max_ts) AS last, count(*) AS batches, "
            "sum(rows)::BIGINT AS rows, sum(accepted)::BIGINT AS accepted, "
            "sum(quarantined)::BIGINT AS quarantined "
            "FROM ingest_log GROUP BY ALL ORDER BY ALL"
        ).df()
        return {
            "workspace": str(self.path),
            "schema_version": current_version(con),
            "tables": tables,
            "last_ingests": _records(last),
            "quarantine": _records(q),
            "quarantined_total": int(q["n"].sum()) if len(q) else 0,
            "spans": _records(spans),
            "identity_coverage": identity_coverage(
                con, self.settings.privacy.min_group_size, self.settings.ingest.min_linked_share
            ),
        }

    def quarantine(
        self, batch: int | None = None, limit: int | None = None, *, actor: Actor | None = None
    ) -> list[dict[str, Any]]:
        """Quarantined records, newest batch first (admins: the records are raw rows).

        Args:
            batch: only this batch.
            limit: at most this many rows.
            actor: who asks (default: the local admin).

        Returns:
            One dict per quarantined record (batch, table, locator, field, reason, detail, record).
        """
        require(actor or Actor.local(), ADMINISTER)
        where = "WHERE batch_id = ?" if batch is not None else ""
        params: list[Any] = [batch] if batch is not None else []
        lim = f"LIMIT {int(limit)}" if limit else ""
        frame = self.con.execute(
            f"SELECT batch_id, table_name, source, locator, field, reason, detail, record "
            f"FROM quarantine {where} ORDER BY batch_id DESC, locator {lim}",
            params,
        ).df()
        return _records(frame)

    def rejected(self, batch: int, *, actor: Actor | None = None) -> list[dict[str, Any]]:
        """Where and why rows of one batch were quarantined, for whoever sent the batch.

        Unlike `quarantine`, the rows themselves are not returned: a writer learns what to
        fix in what it sent, not what is stored.

        Args:
            batch: the batch id an ingest returned.
            actor: who asks (default: the local admin; admin or ingest).

        Returns:
            One dict per quarantined row: locator, field, reason, detail.
        """
        require(actor or Actor.local(), WRITE)
        frame = self.con.execute(
            "SELECT locator, field, reason, detail FROM quarantine WHERE batch_id = ? "
            "ORDER BY length(locator), locator",
            [batch],
        ).df()
        return _records(frame)

    def doctor(self, *, actor: Actor | None = None) -> list[dict[str, Any]]:
        """Integrity checks; each reports ok, status (ok, warn or fail) and a message.

        Args:
            actor: who asks (default: the local admin; admins only).

        Returns:
            One dict per check.
        """
        from uptake.warehouse.doctor import run_checks

        require(actor or Actor.local(), ADMINISTER)
        return run_checks(
            self.con,
            self.path / SECRET_FILE,
            self.pseudonymise(FINGERPRINT_PROBE),
            self._date_range(),
            self.settings.ingest.min_linked_share,
            self.settings.privacy.min_group_size,
        )

    def readiness(self) -> dict[str, Any]:
        """Whether the workspace can answer: schema current and metric facts up to date.

        No permission is needed: it says nothing about anyone.

        Returns:
            {ready, schema_version, newest_schema_version, stale (facts waiting to refresh)}.
        """
        from uptake.metrics.facts import pending

        version, newest = self.schema_version(), self.newest_schema_version()
        stale = pending(self.engine(), self.settings.metrics)
        return {
            "ready": version == newest and not stale,
            "schema_version": version,
            "newest_schema_version": newest,
            "stale": stale or None,
        }

    def data_version(self) -> int | None:
        """The newest ingest batch (None before the first): what remembered documents follow.

        No permission is needed: a batch number says nothing about anyone. Every change of
        stored rows is a new batch, so a new number means every remembered document is old.
        """
        got = self.con.execute("SELECT max(batch_id) FROM ingest_log").fetchone()
        return int(got[0]) if got and got[0] is not None else None

    def schema_version(self) -> int:
        """Applied schema version."""
        return current_version(self.con)

    def newest_schema_version(self) -> int:
        """Newest schema version this uptake knows."""
        return max(m.version for m in MIGRATIONS)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict("records"):
        out.append({str(k): _plain(v) for k, v in rec.items()})
    return out


def _plain(v: Any) -> Any:
    if v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp | datetime):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    return v
