"""Workspace methods of ingestion: files, vendor exports and frames in, the facts refreshed."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from uptake.errors import InputError, WorkspaceError
from uptake.ingest.pipeline import BatchIngest, IngestResult, Quarantined, file_hash
from uptake.ingest.read_ahead import read_ahead
from uptake.ingest.readers import FORMATS, detect_format
from uptake.ingest.spill import SpillTo, prepare, spilling
from uptake.schema.tables import table
from uptake.warehouse.database import transaction
from uptake.warehouse.doctor import FINGERPRINT_PROBE
from uptake.workspace.access import WRITE, Actor, require
from uptake.workspace.layout import SECRET_ENV, SPILL_DIR

if TYPE_CHECKING:
    import duckdb

    from uptake.config import Settings
    from uptake.ingest.connectors.base import ConnectorResult
    from uptake.metrics.facts import RefreshReport
    from uptake.signals.live import LiveUpdate
    from uptake.warehouse.engine import DuckDBEngine


class Ingesting:
    """Mixin of Workspace: `ingest`, `ingest_frame(s)`, `refresh` and what they share."""

    settings: Settings
    path: Path

    if TYPE_CHECKING:

        @property
        def con(self) -> duckdb.DuckDBPyConnection:
            raise NotImplementedError

        @property
        def secret(self) -> bytes:
            raise NotImplementedError

        def engine(self) -> DuckDBEngine:
            raise NotImplementedError

        def pseudonymise(self, identifier: str) -> str:
            raise NotImplementedError

        def _writable(self, action: str) -> None:
            raise NotImplementedError

        def _proxy_options(self, options: dict[str, Any]) -> dict[str, Any]:
            raise NotImplementedError

        def update_live(self, *, full: bool = False, actor: Actor | None = None) -> LiveUpdate:
            raise NotImplementedError

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
