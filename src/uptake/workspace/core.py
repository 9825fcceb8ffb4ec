"""The Workspace class: open, identity, metrics and export; one per folder (mixins do the rest)."""

from __future__ import annotations

import math
import os
import secrets
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from uptake.config import CONFIG_FILE, Settings, default_toml, load_settings
from uptake.errors import WorkspaceError
from uptake.ingest import identity
from uptake.warehouse.database import DB_FILE, connect
from uptake.warehouse.doctor import FINGERPRINT_PROBE
from uptake.warehouse.engine import DuckDBEngine
from uptake.warehouse.journal import Journal
from uptake.warehouse.sql_store import SqlStore
from uptake.workspace.access import ADMINISTER, AGGREGATE, Actor, require
from uptake.workspace.backups import Backups
from uptake.workspace.coach import Coach
from uptake.workspace.coach_digest import CoachDigest
from uptake.workspace.coach_effect import CoachEffect
from uptake.workspace.forms import Forms
from uptake.workspace.ingesting import Ingesting
from uptake.workspace.inspection import Inspection
from uptake.workspace.layout import (
    LAKE_DIR,
    SECRET_ENV,
    SECRET_FILE,
    SQL_CACHE_DIR,
    find_workspace,
)
from uptake.workspace.live import Live
from uptake.workspace.proposals import Proposals
from uptake.workspace.readiness import Readiness
from uptake.workspace.shadow import Shadow
from uptake.workspace.signals import Signals
from uptake.workspace.snapshots import Snapshots
from uptake.workspace.sprint import Sprint
from uptake.workspace.syncing import Syncing
from uptake.workspace.tokens import Tokens
from uptake.workspace.tools import ToolMix
from uptake.workspace.usecases import UseCases
from uptake.workspace.views import Views
from uptake.workspace.wins import Wins

if TYPE_CHECKING:
    from uptake.metrics.result import MetricsReport


class Workspace(
    Ingesting,
    Signals,
    Views,
    Live,
    Tokens,
    Inspection,
    Syncing,
    ToolMix,
    Coach,
    CoachDigest,
    CoachEffect,
    UseCases,
    Forms,
    Proposals,
    Readiness,
    Sprint,
    Wins,
    Shadow,
    Backups,
    Snapshots,
):
    """An uptake workspace: settings, secret and the warehouse in one folder."""

    def __init__(self, path: Path, settings: Settings, *, read_only: bool = False) -> None:
        self.path = path
        self.settings = settings
        self.read_only = read_only
        self._con: duckdb.DuckDBPyConnection | None = None
        self._engine: DuckDBEngine | None = None
        self._secret: bytes | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    def init(cls, path: Path | str, overrides: dict[str, Any] | None = None) -> Workspace:
        """Create a workspace folder with config, secret and an empty warehouse.

        Args:
            path: folder to create (may exist but must not hold a workspace).
            overrides: settings as {"section.key": value}.

        Returns:
            The open workspace.
        """
        folder = Path(path)
        if (folder / DB_FILE).exists():
            raise WorkspaceError(f"{folder}: already an uptake workspace")
        if os.environ.get(SECRET_ENV):
            _check_strength(os.environ[SECRET_ENV])
        # Settings are checked before anything is written: a refused value leaves no
        # half-made workspace behind (the default config written below changes none of them).
        settings = load_settings(folder, overrides)
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / CONFIG_FILE).exists():
            (folder / CONFIG_FILE).write_text(default_toml(), encoding="utf-8")
        secret_path = folder / SECRET_FILE
        if not secret_path.exists() and not os.environ.get(SECRET_ENV):
            fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        ws = cls(folder, settings)
        ws.con.execute(
            "INSERT INTO workspace_meta VALUES ('secret_fingerprint', ?)",
            [ws.pseudonymise(FINGERPRINT_PROBE)],
        )
        return ws

    @classmethod
    def open(
        cls,
        path: Path | str | None = None,
        overrides: dict[str, Any] | None = None,
        *,
        read_only: bool = False,
    ) -> Workspace:
        """Open an existing workspace (see `find_workspace` for how it is located).

        Args:
            path: workspace folder, or None to use $UPTAKE_WORKSPACE or the current directory.
            overrides: settings as {"section.key": value} (CLI flags).
            read_only: open the warehouse without write access.

        Returns:
            The open workspace.
        """
        folder = find_workspace(path)
        return cls(folder, load_settings(folder, overrides), read_only=read_only)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The warehouse connection (package-internal; surfaces call methods instead)."""
        if self._con is None:
            self._con = connect(self.path, self.settings, read_only=self.read_only)
        return self._con

    def engine(self) -> DuckDBEngine:
        """The default Ibis engine over this workspace's warehouse (one per connection).

        One engine for the connection's life keeps its compiled SQL: a server's later reads
        reuse the queries its earlier reads compiled.
        """
        # `close` drops it with the connection, so it always wraps the current one.
        if self._engine is None:
            store = None
            if self.settings.engine.sql_cache:
                store = SqlStore(self.path / SQL_CACHE_DIR, "duckdb")
            self._engine = DuckDBEngine(self.con, store=store)
        return self._engine

    def close(self) -> None:
        """Commit queued writes and close the warehouse connection."""
        journal = self.__dict__.pop("_journal", None)
        # A reader's journal is its writer's, which goes on committing (see `reader`).
        if journal is not None and not self.__dict__.get("_shares_journal"):
            journal.stop()
        self._engine = None
        if self._con is not None:
            self._con.close()
            self._con = None

    @property
    def journal(self) -> Journal:
        """Where small writes go: direct, or group-committed while a server runs."""
        journal: Journal | None = self.__dict__.get("_journal")
        if journal is None:
            journal = Journal(self.con)
            # A failed group commit may have lost cards the coach's books count: rebuild them.
            journal.on_failure(lambda: self.__dict__.pop("_coach_state", None))
            self.__dict__["_journal"] = journal
        return journal

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _writable(self, action: str) -> None:
        if self.read_only:
            raise WorkspaceError(
                f"cannot {action}: the workspace {self.path} was opened read-only",
                hint="open it without read_only to change it",
            )

    # -- identity --------------------------------------------------------------------------

    @property
    def secret(self) -> bytes:
        """The pseudonymisation secret: $UPTAKE_SECRET, else the workspace's secret file."""
        if self._secret is None:
            env = os.environ.get(SECRET_ENV)
            if env:
                _check_strength(env)
                self._secret = env.encode()
            else:
                p = self.path / SECRET_FILE
                if not p.exists():
                    raise WorkspaceError(
                        f"{p}: the workspace secret is missing",
                        hint=f"restore it from backup or set {SECRET_ENV}",
                    )
                self._secret = p.read_text(encoding="utf-8").strip().encode()
        return self._secret

    def pseudonymise(self, identifier: str) -> str:
        """Pseudonymous person key of a raw identifier (as ingestion would compute it)."""
        return identity.pseudonymise(self.secret, identifier)

    # -- metrics ---------------------------------------------------------------------------

    def metrics(
        self,
        as_of: date | None = None,
        by: str | None = None,
        engine: str | None = None,
        *,
        metrics: Sequence[str] | None = None,
        actor: Actor | None = None,
    ) -> MetricsReport:
        """Every adoption metric as of a date; reads only, so it is safe beside other readers.

        Args:
            as_of: last day included (default: the last day with activity, at most today).
            by: segment dimension (role, function, team, manager, level, location, cohort,
                tenure), or None.
            engine: duckdb (default) or spark.
            metrics: only these metrics (and those they are computed from), each with the
                numbers the whole report gives; None or empty for every metric.
            actor: who reads (default: the local admin; organisation aggregates: admin or
                analyst).

        Returns:
            The typed report; `report.to_dict()` is the `--json` document.
        """
        from uptake.metrics.families import families_for
        from uptake.metrics.noise import noise_key
        from uptake.metrics.runner import run

        require(actor or Actor.local(), AGGREGATE)
        # The key lives only in memory: derived from the secret for each call, never stored.
        key = noise_key(self.secret) if self.settings.privacy.noise else None
        # A few metrics need only their families: a read by team of one metric at 2,000 people
        # took as long as every metric (about 12 s) when all were computed and most thrown away.
        families = families_for(metrics) if metrics else None
        return self._memo(
            "metrics",
            (as_of, by, engine, families),
            lambda: run(
                self.con,
                self.settings,
                as_of=as_of,
                by=by,
                engine=engine,
                noise_key=key,
                lake=self.path / LAKE_DIR,
                duck=self.engine(),
                families=families,
                plans=self._plan_store(),
            ),
        )

    def default_as_of(self) -> tuple[date, str]:
        """The date metrics use when none is given, and the rule that chose it, in words."""
        from uptake.metrics.runner import default_as_of

        return default_as_of(self.engine())

    def export(self, out_dir: Path | str, *, actor: Actor | None = None) -> dict[str, int]:
        """Write every canonical table to a Parquet lake (events partitioned by date, Hive layout).

        The lake carries pseudonymous keys only; the identities table is never exported. It
        holds everyone's rows: admins only.

        Args:
            out_dir: lake folder (created, or replaced if it holds an earlier export).
            actor: who exports (default: the local admin).

        Returns:
            Rows written per table.
        """
        from uptake.warehouse.export import export_lake

        require(actor or Actor.local(), ADMINISTER)
        return export_lake(self.con, out_dir)


MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS_PER_CHAR = 3.0


def _check_strength(secret: str) -> None:
    """Refuse a secret that is short or repetitive: weak keys can be brute-forced back."""
    counts = Counter(secret)
    bits = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    if len(secret) < MIN_SECRET_LENGTH or bits < MIN_SECRET_BITS_PER_CHAR:
        raise WorkspaceError(
            f"{SECRET_ENV} is too weak: it needs at least {MIN_SECRET_LENGTH} characters and "
            f"{MIN_SECRET_BITS_PER_CHAR:.0f} bits of entropy per character (it has "
            f"{len(secret)} and {bits:.1f}); person keys made with it could be guessed back",
            hint="generate one with `python -c 'import secrets; print(secrets.token_hex(32))'`",
        )
