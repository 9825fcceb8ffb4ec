"""The sync runner: windows, cursors, idempotent ingestion and status, source by source.

For each configured source the window is (cursor + 1 day, or today − lookback) … today − the
vendor's lag, clipped to what the vendor still keeps; `since` backfills from an earlier day.
Each download is written to a temporary file and handed to the `ingest` callable with its
format; a file whose bytes were already ingested is skipped (and the connectors' event ids are
deterministic, so a re-fetch adds nothing either way). The cursor moves to the last day fully
fetched, even when a later day fails.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from uptake.config.sync import SyncSettings
from uptake.errors import InputError, SyncError, UptakeError
from uptake.sync import state
from uptake.sync.base import Download, Source, SyncContext, Window
from uptake.sync.credentials import Secrets
from uptake.sync.http import HttpClient

# `ingest(fmt, path, options) -> rows added`, supplied by the Workspace.
IngestFn = Callable[[str, Path, Mapping[str, str]], int]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class SourceResult:
    """What one sync did for one source."""

    source: str
    status: str  # synced | up to date | failed | not configured
    window: Window | None = None
    files: int = 0
    unchanged: int = 0
    rows_added: int = 0
    message: str | None = None
    hint: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        w = self.window
        return {
            "source": self.source,
            "status": self.status,
            "window": None if w is None else [w.start.isoformat(), w.end.isoformat()],
            "files": self.files,
            "unchanged": self.unchanged,
            "rows_added": self.rows_added,
            "message": self.message,
            "notes": self.notes,
        }


def plan(
    source: type[Source],
    st: state.SyncState | None,
    today: date,
    *,
    since: date | None = None,
    lookback_days: int = 28,
) -> tuple[Window | None, list[str]]:
    """The days to fetch for a source, and notes about clipping.

    Args:
        source: the source class (lag, retention, earliest day).
        st: its saved state (None: never synced).
        today: the run's day (UTC).
        since: first day to (re)fetch, for a backfill.
        lookback_days: days a first sync fetches.

    Returns:
        The window (None when there is nothing new yet) and notes for the admin.
    """
    end = today - timedelta(days=source.lag_days)
    floor = today - timedelta(days=source.retention_days)
    if source.earliest is not None:
        floor = max(floor, source.earliest)
    keeps = f"{source.name} keeps data from {floor.isoformat()} on"
    notes: list[str] = []
    if since is not None:
        start = since
        if since < floor:
            start = floor
            notes.append(
                f"--since {since.isoformat()} is beyond retention: {keeps}; fetching from there"
            )
    elif st is not None and st.cursor_day is not None:
        start = st.cursor_day + timedelta(days=1)
        if start < floor:
            notes.append(
                f"the last sync reached {st.cursor_day.isoformat()}; days up to "
                f"{(floor - timedelta(days=1)).isoformat()} are beyond retention and are missing "
                f"({keeps})"
            )
            start = floor
    else:
        start = max(end - timedelta(days=lookback_days - 1), floor)
    if start > end:
        return None, notes
    return Window(start, end), notes


def file_name(download: Download) -> str:
    """A safe temporary file name for a download, keeping its extension.

    Args:
        download: the download.

    Returns:
        e.g. `github-orgs-acme-users-1-day-2026-11-02.ndjson`.
    """
    stem = _UNSAFE.sub("-", download.name.replace("/", "-")).strip("-.") or "download"
    return stem[-120:]


@dataclass
class Runner:
    """Runs sources against one warehouse; one instance per `uptake sync` run."""

    con: duckdb.DuckDBPyConnection
    ingest: IngestFn
    secrets: Secrets
    settings: SyncSettings
    today: date
    progress: Callable[[str], None] = lambda _msg: None
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = lambda: datetime.now(UTC).replace(tzinfo=None)

    def run(
        self, sources: Iterable[type[Source]], *, since: date | None = None, named: bool = False
    ) -> list[SourceResult]:
        """Sync each source in turn; a failing source does not stop the others.

        Args:
            sources: source classes to run.
            since: backfill from this day.
            named: the user named these sources (an unconfigured one is then a failure).

        Returns:
            One result per source.
        """
        saved = state.load(self.con)
        results = []
        for source in sources:
            got = self.secrets.for_source(source)
            missing = source.missing(got)
            if missing:
                if not got and not named:
                    results.append(SourceResult(source.name, "not configured"))
                    continue
                result = SourceResult(
                    source.name,
                    "failed",
                    message=f"{source.name}: not configured: set {', '.join(missing)}",
                    hint="in the environment or the secrets file (see docs/sync.md)",
                )
                st = saved.get(source.name) or state.SyncState(source.name)
                st.last_attempt_at, st.last_error = self.now(), result.message
                state.save(self.con, st)
                results.append(result)
                continue
            results.append(self._one(source, got, saved.get(source.name), since))
        return results

    def _one(
        self,
        source: type[Source],
        creds: Mapping[str, str],
        saved: state.SyncState | None,
        since: date | None,
    ) -> SourceResult:
        st = saved or state.SyncState(source.name)
        window, notes = plan(
            source, saved, self.today, since=since, lookback_days=self.settings.lookback_days
        )
        result = SourceResult(source.name, "up to date", window, notes=notes)
        for n in notes:
            self.progress(f"note: {source.name}: {n}")
        if window is None:
            self.progress(f"{source.name}: up to date (data lags {source.lag_days} days)")
            return result
        days = (window.end - window.start).days + 1
        self.progress(
            f"{source.name}: fetching {window.start.isoformat()} … {window.end.isoformat()} "
            f"({days} day{'s' if days != 1 else ''})"
        )
        st.last_attempt_at = self.now()
        st.runs += 1
        warnings: list[str] = []
        done_through = window.start - timedelta(days=1)
        renew = [c.env for c in source.credentials if c.secret]
        with (
            HttpClient(
                source.name,
                renew=renew,
                scopes=source.scopes,
                not_found=source.not_found,
                timeout=self.settings.timeout_seconds,
                retries=self.settings.retries,
                backoff=self.settings.backoff_seconds,
                max_retry_after=self.settings.max_retry_after_seconds,
                sleep=self.sleep,
            ) as http,
            tempfile.TemporaryDirectory(prefix="uptake-sync-") as tmp,
        ):
            ctx = SyncContext(
                http=http,
                base_url=self.settings.base_urls.get(source.name) or source.base_url,
                credentials=creds,
                settings=self._source_settings(),
                progress=self.progress,
                warn=lambda msg: self._warn(source.name, msg, warnings),
                today=self.today,
            )
            try:
                for d in source().fetch(ctx, window):
                    # Downloads come oldest first: every day before this one is complete.
                    done_through = max(done_through, d.first_day - timedelta(days=1))
                    self._take(d, Path(tmp), result)
                    if d.complete:
                        done_through = max(done_through, d.last_day)
                done_through = window.end
                result.status = "synced"
            except UptakeError as exc:
                result.status = "failed"
                msg = exc.message if isinstance(exc, SyncError) else f"{source.name}: {exc.message}"
                result.message = self.secrets.scrub(msg)
                result.hint = self.secrets.scrub(exc.hint) if exc.hint else None
        st.cover(window.start, min(done_through, window.end))
        st.rows_added = result.rows_added
        st.rows_total += result.rows_added
        st.last_warning = "; ".join(warnings) or None
        if result.status == "failed":
            st.last_error = result.message
        else:
            st.last_error = None
            st.last_success_at = self.now()
        state.save(self.con, st)
        return result

    def _take(self, d: Download, tmp: Path, result: SourceResult) -> None:
        """Ingest one download unless its bytes were ingested before."""
        result.files += 1
        digest = hashlib.sha256(d.content).hexdigest()
        label = progress_label(result.source, d)
        if state.already_ingested(self.con, digest, d.fmt):
            result.unchanged += 1
            self.progress(f"{label}: unchanged since the last sync")
            return
        path = tmp / file_name(d)
        path.write_bytes(d.content)
        try:
            rows = self.ingest(d.fmt, path, d.options)
        finally:
            path.unlink(missing_ok=True)
        result.rows_added += rows
        self.progress(f"{label}: {rows:,} row{'s' if rows != 1 else ''} added")

    def _warn(self, source: str, message: str, into: list[str]) -> None:
        text = self.secrets.scrub(message)
        if text not in into:
            into.append(text)
            self.progress(f"warning: {source}: {text}")

    def _source_settings(self) -> dict[str, str]:
        s = self.settings
        out = {
            "github_seats": "true" if s.github_seats else "false",
            "github_teams": "true" if s.github_teams else "false",
            "anthropic_analytics": "true" if s.anthropic_analytics else "false",
            "cursor_events": "true" if s.cursor_events else "false",
        }
        login = s.base_urls.get("m365_login")
        if login:
            out["m365_login"] = login
        return out


def check_since(since: date | None, today: date) -> None:
    """Refuse a backfill start in the future.

    Args:
        since: the `--since` day.
        today: the run's day.
    """
    if since is not None and since > today:
        raise InputError(f"--since {since.isoformat()} is in the future (today is {today})")


def every(
    interval: float,
    run_once: Callable[[int], None],
    *,
    runs: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Run `run_once` every `interval` seconds (a slow run delays the next, never doubles it).

    Args:
        interval: seconds from one run's start to the next.
        run_once: the work; told the run number (1, 2, …).
        runs: stop after this many runs (None: until interrupted).
        sleep: how to wait.
        clock: a monotonic clock.

    Returns:
        How many runs were made.
    """
    n = 0
    while runs is None or n < runs:
        started = clock()
        n += 1
        run_once(n)
        if runs is not None and n >= runs:
            break
        sleep(max(0.0, started + interval - clock()))
    return n


@dataclass
class SyncReport:
    """One `uptake sync` run: a result per source and the facts refresh, if rows came in."""

    results: list[SourceResult]
    refreshed: Any = None

    @property
    def rows_added(self) -> int:
        """Rows added by every source."""
        return sum(r.rows_added for r in self.results)

    @property
    def failures(self) -> list[SourceResult]:
        """The sources that failed."""
        return [r for r in self.results if r.status == "failed"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"rows_added": self.rows_added, "sources": [r.to_dict() for r in self.results]}


def progress_label(source: str, d: Download) -> str:
    """How a progress line names one download: source, format, what it is and its days.

    Args:
        source: the sync source's name.
        d: the download.

    Returns:
        E.g. `cursor: cursor usage events 2026-11-09`.
    """
    label = f"{source}: {d.fmt}{f' {d.what}' if d.what else ''} {d.first_day.isoformat()}"
    if d.last_day != d.first_day:
        label += f" … {d.last_day.isoformat()}"
    return label
