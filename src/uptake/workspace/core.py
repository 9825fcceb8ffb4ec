"""The Workspace class: open, ingest, refresh, metrics, status, doctor; one per folder."""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from uptake.config import CONFIG_FILE, Settings, default_toml, load_settings
from uptake.errors import InputError, WorkspaceError
from uptake.ingest import identity
from uptake.ingest.pipeline import BatchIngest, IngestResult, Quarantined, file_hash
from uptake.ingest.read_ahead import read_ahead
from uptake.ingest.readers import FORMATS, detect_format
from uptake.ingest.spill import SpillTo, prepare, spilling
from uptake.schema.tables import table
from uptake.warehouse.database import DB_FILE, connect, transaction
from uptake.warehouse.doctor import FINGERPRINT_PROBE
from uptake.warehouse.engine import DuckDBEngine
from uptake.warehouse.journal import Journal
from uptake.warehouse.sql_store import SqlStore
from uptake.workspace.access import ADMINISTER, AGGREGATE, WRITE, Actor, require
from uptake.workspace.backups import Backups
from uptake.workspace.coach import Coach
from uptake.workspace.coach_digest import CoachDigest
from uptake.workspace.coach_effect import CoachEffect
from uptake.workspace.forms import Forms
from uptake.workspace.inspection import Inspection
from uptake.workspace.layout import (
    LAKE_DIR,
    SECRET_ENV,
    SECRET_FILE,
    SPILL_DIR,
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
    from uptake.ingest.connectors.base import ConnectorResult
    from uptake.metrics.facts import RefreshReport
    from uptake.metrics.result import MetricsReport


class Workspace(
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
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / CONFIG_FILE).exists():
            (folder / CONFIG_FILE).write_text(default_toml(), encoding="utf-8")
        secret_path = folder / SECRET_FILE
        if not secret_path.exists() and not os.environ.get(SECRET_ENV):
            fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        ws = cls(folder, load_settings(folder, overrides))
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

    # -- ingestion -------------------------------------------------------------------------

    def ingest(
        self,
        table_name: str,
        files: Iterable[Path | str],
        *,
        fmt: str | None = None,
        mapping: dict[str, str] | None = None,
        options: dict[str, Any] | None = None,
        now: datetime | None = None,
        progress: Callable[[str], None] | None = None,
        refresh: bool = True,
        live: bool = True,
        actor: Actor | None = None,
        on_file: Callable[[list[IngestResult]], None] | None = None,
    ) -> list[IngestResult]:
        """Ingest files into a canonical table, each file as one atomic batch.

        Args:
            table_name: canonical table (ignored by vendor formats, which know their tables).
            files: input paths.
            fmt: csv, jsonl, parquet or a vendor format; None to infer from the extension.
            mapping: canonical column -> source column renames.
            options: vendor connector options (such as a mapping file).
            now: current time for the clock-skew check (tests freeze it).
            progress: callback told the stage of work as it goes.
            refresh: bring the metric facts up to date afterwards (pass False when ingesting
                several files in a row, then call `refresh` once).
            live: with `refresh`, update the live friction flags too.
            actor: who writes (default: the local admin; admin or ingest).
            on_file: told each file's results as soon as its batch is committed (a
                progress bar; what was committed before a later file fails).

        Returns:
            One result per file (and per table for vendor files feeding several).
        """
        require(actor or Actor.local(), WRITE)
        self._writable("ingest")
        self._same_secret()
        paths = [Path(f) for f in files]
        if not paths:
            raise InputError("no input files given")
        vendor = self._connector(fmt)
        if fmt == "proxy":
            # Proxy logs are matched against the workspace's own AI tool catalogue.
            options = self._proxy_options(options or {})
        results: list[IngestResult] = []
        if vendor is not None:
            spill = self._spill_folder()
            # A folder of daily exports: the next file is parsed meanwhile in another process.
            ahead = read_ahead(
                fmt or "",
                paths,
                options or {},
                ahead=self.settings.ingest.read_ahead_files,
                spill=SpillTo(spill, self.settings.ingest.spill_rows),
            )
            # Closed at once when a file fails, which ends the helper; the spilled rows go
            # however the ingest ends.
            try:
                with contextlib.closing(ahead):
                    for p, to, parsed in ahead:
                        got = self._ingest_vendor(
                            vendor, fmt or "", p, options or {}, now, progress, parsed, to
                        )
                        results.extend(got)
                        if on_file is not None:
                            on_file(got)
            finally:
                shutil.rmtree(spill, ignore_errors=True)
        else:
            for p in paths:
                spec = table(table_name)
                kind = detect_format(p, fmt)
                batch = self._batch(spec, now, progress)
                results.append(batch.run_file(p, kind, dict(mapping or {})))
                if on_file is not None:
                    on_file(results[-1:])
        if refresh:
            self.refresh(progress=progress, live=live, actor=actor)
        return results

    def ingest_frame(
        self,
        table_name: str,
        frame: pd.DataFrame,
        *,
        source: str,
        now: datetime | None = None,
        refresh: bool = True,
        live: bool = True,
        actor: Actor | None = None,
    ) -> IngestResult:
        """Ingest an in-memory frame of canonical input columns (plus optional `__locator`).

        Args:
            table_name: canonical table.
            frame: rows with canonical input column names and raw identifiers.
            source: name recorded in ingest_log and used in locators.
            now: current time for the clock-skew check.
            refresh: bring the metric facts up to date afterwards, committed with the batch.
            live: with `refresh`, update the live friction flags too (a server passes False
                and updates them in the background, several batches at once).
            actor: who writes (default: the local admin; admin or ingest).

        Returns:
            The batch result.
        """
        return self.ingest_frames(
            [(table_name, frame, source, actor)], now=now, refresh=refresh, live=live
        )[0]

    def ingest_frames(
        self,
        batches: Sequence[tuple[str, pd.DataFrame, str, Actor | None]],
        *,
        now: datetime | None = None,
        refresh: bool = True,
        live: bool = True,
    ) -> list[IngestResult]:
        """Ingest several frames, each its own batch, in one commit with one refresh.

        A server posts the batches that queued up while another write held the warehouse
        this way: one transaction and one refresh of the facts for all of them, instead of
        one each. Every batch stays its own in the ingest log, with its own counts and
        quarantine. Either all are committed or none.

        Args:
            batches: (table, frame, source, actor) per batch, as for `ingest_frame`.
            now: current time for the clock-skew check.
            refresh: bring the metric facts up to date, committed with the batches.
            live: with `refresh`, update the live friction flags too.

        Returns:
            One result per batch, in order.
        """
        for *_, actor in batches:
            require(actor or Actor.local(), WRITE)
        self._writable("ingest")
        self._same_secret()
        # The batches and the facts refreshed for them are committed together (see `reader`).
        with transaction(self.con):
            results = [
                self._batch(table(name), now, None, manage_tx=False).run_frame(
                    frame, source, "frame", None, []
                )
                for name, frame, source, _ in batches
            ]
            if refresh and batches:
                self.refresh(live=live, actor=batches[0][3])
        return results

    def refresh(
        self,
        *,
        full: bool = False,
        progress: Callable[[str], None] | None = None,
        live: bool = True,
        actor: Actor | None = None,
    ) -> RefreshReport:
        """Bring the materialised metric facts up to date with what was ingested.

        Incremental where it can be: only the reporting weeks new batches touch are rebuilt;
        then the live friction flags are updated for the days the batches touched.

        Args:
            full: rebuild every fact table (and the whole window of live flags) regardless of
                what changed.
            progress: callback told the stage of work ("refresh", "live flags").
            live: update the live friction flags too (`[signals] live` must be on).
            actor: who asks (default: the local admin; admin or ingest).

        Returns:
            What was rebuilt (mode, weeks, reason).
        """
        from uptake.metrics.facts import refresh

        require(actor or Actor.local(), WRITE)
        self._writable("refresh")
        if progress is not None:
            progress("refresh")
        report = refresh(self.engine(), self.settings.metrics, full=full)
        if live and self.settings.signals.live:
            if progress is not None:
                progress("live flags")
            report.live = self.update_live(full=full, actor=actor).to_dict()
        return report

    def _batch(
        self,
        spec: Any,
        now: datetime | None,
        progress: Callable[[str], None] | None,
        *,
        manage_tx: bool = True,
    ) -> BatchIngest:
        return BatchIngest(
            self.con,
            self.secret,
            spec,
            now=now or datetime.now(UTC),
            skew_minutes=self.settings.ingest.clock_skew_minutes,
            naive_timezone=self.settings.ingest.naive_timezone,
            progress=progress,
            manage_tx=manage_tx,
            date_range=self._date_range(),
        )

    def _spill_folder(self) -> Path:
        """A new folder this ingest's vendor rows may spill to; those of dead ingests removed.

        Each holds rows with identifiers, so one left by an ingest that was killed (its
        process gone) is removed here, by the next ingest of the workspace.
        """
        root = self.path / SPILL_DIR
        root.mkdir(parents=True, exist_ok=True)
        # Owner only, like the secret: whatever is written inside is out of others' reach.
        root.chmod(0o700)
        for left in root.iterdir():
            if not _alive(left.name.split("-", 1)[0]):
                shutil.rmtree(left, ignore_errors=True)
        folder = root / f"{os.getpid()}-{secrets.token_hex(4)}"
        folder.mkdir(mode=0o700)
        return folder

    def _date_range(self) -> tuple[date, date]:
        ingest = self.settings.ingest
        return date.fromisoformat(ingest.earliest_date), date.fromisoformat(ingest.latest_date)

    def _same_secret(self) -> None:
        """Refuse to write under a secret other than the one the warehouse was keyed with."""
        row = self.con.execute(
            "SELECT value FROM workspace_meta WHERE key = 'secret_fingerprint'"
        ).fetchone()
        if row is not None and row[0] != self.pseudonymise(FINGERPRINT_PROBE):
            raise WorkspaceError(
                f"{self.path}: the secret in use differs from the one this workspace was "
                "keyed with; ingesting would give the same people other keys",
                hint=f"restore the workspace's secret file or set {SECRET_ENV} to its secret",
            )

    @staticmethod
    def _connector(fmt: str | None) -> Any:
        if fmt is None or fmt in FORMATS:
            return None
        try:
            from uptake.ingest.connectors import CONNECTORS
        except ImportError:
            CONNECTORS = {}
        if fmt not in CONNECTORS:
            known = ", ".join([*FORMATS, *sorted(CONNECTORS)])
            raise InputError(f"unknown format {fmt!r}; expected one of: {known}")
        return CONNECTORS[fmt]

    def _ingest_vendor(
        self,
        connector: Any,
        fmt: str,
        path: Path,
        options: dict[str, Any],
        now: datetime | None,
        progress: Callable[[str], None] | None,
        parsed: ConnectorResult | None = None,
        spill: SpillTo | None = None,
    ) -> list[IngestResult]:
        if parsed is None:
            reader = getattr(connector, "read", connector)
            prepare(spill)
            with spilling(spill):
                parsed = reader(path, options)
        digest = file_hash(path)
        from uptake.ingest.connectors.privacy import scrub_reject

        ids: frozenset[str] = getattr(connector, "identifiers", frozenset())
        rejects = []
        for r in parsed.rejects:
            record, detail = scrub_reject(self.pseudonymise, ids, r.record, r.detail or r.reason)
            rejects.append(Quarantined(r.locator, r.reason, r.field, detail, record))
        spilled = parsed.spilled
        frames = [
            (name, f)
            for name, f in parsed.frames.items()
            if len(f) or name in spilled or not rejects
        ]
        if not frames:
            frames = [(next(iter(parsed.frames), "events"), pd.DataFrame())]
        results = []
        with transaction(self.con):
            for i, (name, frame) in enumerate(frames):
                batch = self._batch(table(name), now, progress, manage_tx=False)
                results.append(
                    batch.run_frame(
                        frame,
                        str(path),
                        fmt,
                        digest,
                        rejects if i == 0 else [],
                        spilled.get(name),
                    )
                )
        if spill is not None:
            # This file's chunks are staged and committed: their disk goes back now.
            shutil.rmtree(spill.folder, ignore_errors=True)
        if results:
            results[0].notes = list(getattr(parsed, "notes", []) or [])
        return results

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


def _alive(pid: str) -> bool:
    """Whether the process a spill folder is named after still runs (never for a bad name)."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


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
