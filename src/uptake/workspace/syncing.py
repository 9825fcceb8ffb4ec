"""Workspace methods of `uptake sync`: pulling vendor APIs into the warehouse."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import duckdb

from uptake.errors import InputError
from uptake.sync import state
from uptake.sync.credentials import gather
from uptake.sync.runner import Runner, SyncReport, check_since
from uptake.sync.sources import SOURCES
from uptake.workspace.access import AGGREGATE, WRITE, Actor, require

if TYPE_CHECKING:
    from uptake.workspace.core import Workspace


def pick_sources(names: Sequence[str] | None) -> list[str]:
    """The source names to run, checked (every source when none is named).

    Args:
        names: names given with `--source`, or None.

    Returns:
        Known names, without repeats, in the order given.
    """
    if not names:
        return list(SOURCES)
    unknown = [n for n in names if n not in SOURCES]
    if unknown:
        raise InputError(f"unknown source {unknown[0]!r}; expected one of: {', '.join(SOURCES)}")
    return list(dict.fromkeys(names))


class Syncing:
    """Mixin of Workspace: vendor API sync and its status."""

    def sync(
        self,
        sources: Sequence[str] | None = None,
        *,
        since: date | None = None,
        secrets_file: Path | str | None = None,
        today: date | None = None,
        progress: Callable[[str], None] | None = None,
        env: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        refresh: bool = True,
        actor: Actor | None = None,
    ) -> SyncReport:
        """Pull new days from every configured vendor API (or the named ones) and ingest them.

        Args:
            sources: source names (None: every source that has credentials).
            since: backfill from this day (clipped to each vendor's retention).
            secrets_file: credentials file (default: setting `sync.secrets_file`).
            today: the run's day (default: today, UTC).
            progress: told one line per step.
            env: where credentials are looked up first (default: the process environment).
            sleep: how to wait between retries (tests record the waits).
            refresh: bring the metric facts up to date when rows were added.
            actor: who syncs (default: the local admin; admin or ingest).

        Returns:
            A result per source, and the facts refresh when rows were added.
        """
        ws = cast("Workspace", self)
        who = actor or Actor.local()
        require(who, WRITE)
        ws._writable("sync")
        names = pick_sources(sources)
        day = today or datetime.now(UTC).date()
        check_since(since, day)
        chosen = [SOURCES[n] for n in names]
        setting = ws.settings.sync.secrets_file
        file = secrets_file if secrets_file is not None else setting
        secrets = gather(
            chosen,
            env=env,
            secrets_file=Path(file).expanduser() if file else None,
            workspace=ws.path,
        )

        def ingest(fmt: str, path: Path, options: Mapping[str, str]) -> int:
            params: dict[str, Any] = {"params": dict(options)}
            got = ws.ingest("events", [path], fmt=fmt, options=params, refresh=False, actor=who)
            return sum(r.accepted for r in got)

        runner = Runner(
            ws.con,
            ingest,
            secrets,
            ws.settings.sync,
            day,
            progress=progress or (lambda _msg: None),
            sleep=sleep,
        )
        report = SyncReport(runner.run(chosen, since=since, named=bool(sources)))
        if refresh and report.rows_added:
            say = progress
            # The refresh names each stage once: the facts, then the live flags.
            words = {"refresh": "refreshing the metric facts",
                     "live flags": "updating the live friction flags"}  # fmt: skip
            stage = None if say is None else (lambda s: say(words.get(s) or s))
            report.refreshed = ws.refresh(progress=stage, actor=who)
        return report

    def sync_status(
        self, *, today: date | None = None, actor: Actor | None = None
    ) -> list[dict[str, Any]]:
        """Per source: last success, covered days, lag and the last error or warning.

        Args:
            today: the day lag is measured to (default: today, UTC).
            actor: who reads (default: the local admin; admin or analyst).

        Returns:
            One entry per known source, synced or not.
        """
        ws = cast("Workspace", self)
        require(actor or Actor.local(), AGGREGATE)
        day = today or datetime.now(UTC).date()
        try:
            saved = state.load(ws.con)
        except duckdb.CatalogException:
            saved = {}  # a read-only warehouse older than schema version 5
        out = []
        for name, source in SOURCES.items():
            st = saved.get(name)
            entry: dict[str, Any] = {
                "source": name,
                "title": source.title,
                "vendor_lag_days": source.lag_days,
                "retention_days": source.retention_days,
                "synced": st is not None and st.cursor_day is not None,
            }
            if st is not None:
                entry.update(st.to_dict())
                entry["lag_days"] = (day - st.cursor_day).days if st.cursor_day else None
                entry["coverage"] = (
                    [st.first_day.isoformat(), st.cursor_day.isoformat()]
                    if st.first_day and st.cursor_day
                    else None
                )
            out.append(entry)
        return out
