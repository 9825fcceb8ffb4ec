"""`uptake sync`: pull vendor APIs into the warehouse (once or on a schedule); `sync status`."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table as RichTable

from uptake.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    err_console,
    open_workspace,
    print_json,
)
from uptake.cli.edge import translate
from uptake.cli.workspace import refresh_line
from uptake.errors import InputError, SyncError, UptakeError
from uptake.sync.sources import SOURCES

if TYPE_CHECKING:
    from uptake.sync.runner import SyncReport

sync_app = typer.Typer(
    help="Pull usage data from vendor APIs (GitHub, Microsoft 365, Anthropic, Cursor, OpenAI, "
    "Google) into the warehouse, incrementally; `uptake sync status` shows how far each got.",
)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_every(text: str | None) -> float | None:
    """Seconds of an `--every` duration such as 30m, 6h or 1d.

    Args:
        text: the option's value.

    Returns:
        Seconds, or None when the option is not given.
    """
    if text is None:
        return None
    m = _DURATION.match(text)
    seconds = float(m.group(1)) * _UNITS[m.group(2)] if m else 0.0
    if seconds <= 0:
        raise InputError(f"--every {text!r}: expected a duration such as 30m, 6h or 1d")
    return seconds


def _parse_since(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--since {text!r}: expected a date as YYYY-MM-DD") from None


def _say(line: str) -> None:
    # Progress goes to stderr: stdout keeps the summary (or --json) for scripts.
    style = "yellow" if line.startswith(("warning:", "note:")) else None
    err_console.print(line, style=style, markup=False, highlight=False, soft_wrap=True)


@sync_app.callback(invoke_without_command=True)
def sync_command(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            metavar="NAME",
            help=f"Only this source ({', '.join(SOURCES)}); repeatable. Default: every source "
            "whose credentials are set.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="DATE",
            help="Backfill from this day (YYYY-MM-DD), clipped to what each vendor keeps.",
        ),
    ] = None,
    every_: Annotated[
        str | None,
        typer.Option(
            "--every",
            metavar="DURATION",
            help="Keep running: sync again every DURATION (30m, 6h, 1d) until stopped (Ctrl-C).",
        ),
    ] = None,
    runs: Annotated[
        int | None,
        typer.Option("--runs", min=1, metavar="N", help="With --every: stop after this many runs."),
    ] = None,
    secrets: Annotated[
        Path | None,
        typer.Option(
            "--secrets",
            metavar="FILE",
            help="Credentials file (KEY=VALUE lines or TOML), private to you and outside the "
            "workspace; environment variables win over it.",
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fetch the days each configured vendor API has added since the last sync, and ingest them."""
    if ctx.invoked_subcommand is not None:
        return
    # Imported here: the runner brings the HTTP client and the redaction detectors.
    from uptake.sync.runner import every
    from uptake.workspace.syncing import pick_sources

    interval = parse_every(every_)
    day = _parse_since(since)
    names = pick_sources(source)
    if runs is not None and interval is None:
        raise InputError("--runs counts the runs of --every; give --every too")
    if secrets is not None and not secrets.is_file():
        raise InputError(f"--secrets {secrets}: no such file")
    explicit = names if source else None

    def once(n: int) -> None:
        with open_workspace(workspace) as ws:
            report = ws.sync(
                explicit, since=day if n == 1 else None, secrets_file=secrets, progress=_say
            )
        _show(report, as_json)
        if not any(r.status != "not configured" for r in report.results):
            raise _no_source()
        if interval is None:
            _raise_failures(report)
            return
        for r in report.failures:
            translate(SyncError(r.source, _bare(r), hint=r.hint))
        if runs is None or n < runs:
            nxt = datetime.now(UTC) + timedelta(seconds=interval)
            _say(f"next sync at {nxt:%Y-%m-%d %H:%M:%S} UTC (every {every_}; Ctrl-C stops)")

    if interval is None:
        once(1)
        return
    done = 0
    try:
        done = every(interval, once, runs=runs)
    except KeyboardInterrupt:
        _say("sync stopped")
        return
    _say(f"sync stopped after {done} run{'s' if done != 1 else ''}")


def _bare(r: Any) -> str:
    return str(r.message or "failed").removeprefix(f"{r.source}: ")


def _raise_failures(report: SyncReport) -> None:
    failed = report.failures
    for r in failed[:-1]:
        translate(SyncError(r.source, _bare(r), hint=r.hint))
    if failed:
        last = failed[-1]
        raise SyncError(last.source, _bare(last), hint=last.hint)


def _no_source() -> UptakeError:
    """The error of a sync with no source configured (a cron job must not pass silently)."""
    envs = ", ".join(
        f"{name} {next(c.env for c in s.credentials if c.secret)}" for name, s in SOURCES.items()
    )
    return SyncError(
        "sync",
        "no vendor source is configured: set a source's credentials in the environment or "
        "a --secrets file",
        hint=f"for example {envs}; see docs/sync.md",
    )


def _show(report: SyncReport, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict()) + "\n")
        return
    ran = [r for r in report.results if r.status != "not configured"]
    if not ran:
        return
    t = RichTable(title="Sync", box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("source", no_wrap=True)
    t.add_column("status", no_wrap=True)
    t.add_column("days", no_wrap=True)
    for col in ("files", "unchanged", "rows added"):
        t.add_column(col, justify="right", no_wrap=True)
    for r in ran:
        w = r.window
        days = f"{w.start.isoformat()} … {w.end.isoformat()}" if w else "–"
        status = f"[red]{r.status}[/]" if r.status == "failed" else r.status
        t.add_row(r.source, status, days, str(r.files), str(r.unchanged), f"{r.rows_added:,}")
    console.print(t)
    if report.refreshed is not None:
        console.print(refresh_line(report.refreshed), highlight=False)


@sync_app.command("status")
def status_command(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Per source: last success, days covered, how far behind it is, and the last error."""
    with open_workspace(workspace, read_only=True) as ws:
        rows = ws.sync_status()
    if as_json:
        print_json(rows)
        return
    t = RichTable(title="Sync status (UTC)", box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("source", no_wrap=True)
    # The times and the span wrap at their spaces on a narrow terminal (a date to a line):
    # kept on one line, they had pushed the last column past 80 characters, where it was cut.
    t.add_column("last success", min_width=10)
    t.add_column("coverage", min_width=12)
    t.add_column("lag", justify="right", no_wrap=True)
    t.add_column("rows", justify="right", no_wrap=True)
    t.add_column("last error or warning", overflow="fold", ratio=1, min_width=20)
    for r in rows:
        if "runs" not in r:
            t.add_row(r["source"], "never synced", "–", "–", "–", "")
            continue
        success = str(r["last_success_at"] or "never")[:16].replace("T", " ")
        cov = " … ".join(r["coverage"]) if r.get("coverage") else "–"
        lag = f"{r['lag_days']} d" if r.get("lag_days") is not None else "–"
        problem = ""
        prefix = f"{r['source']}: "
        if r.get("last_error"):
            problem = f"[red]{_escape(r['last_error'].removeprefix(prefix))}[/]"
        elif r.get("last_warning"):
            problem = f"[yellow]{_escape(r['last_warning'])}[/]"
        t.add_row(r["source"], success, cov, lag, f"{r['rows_total']:,}", problem)
    console.print(t)
    vendors = ", ".join(f"{r['source']} {r['vendor_lag_days']}" for r in rows)
    console.print(
        "lag: days from the last day fetched to today; vendors publish days late "
        f"(days: {vendors}).",
        highlight=False,
    )


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
