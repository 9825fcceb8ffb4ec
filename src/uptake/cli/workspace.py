"""Workspace commands: init, status, quarantine, doctor, refresh."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table as RichTable

from uptake.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    open_workspace,
    print_json,
    progress_bar,
)
from uptake.errors import InputError

if TYPE_CHECKING:
    from uptake.metrics.facts import RefreshReport


def init(
    path: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")] = Path("."),
) -> None:
    """Create a workspace: config, secret and an empty warehouse."""
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: exists and is not a folder")
    from uptake.workspace import Workspace

    ws = Workspace.init(path)
    console.print(
        f"[green]Created workspace[/] {ws.path.resolve()} (schema version {ws.schema_version()})"
    )
    console.print("Settings: uptake.toml · secret: ./secret (keep it safe, never commit it)")
    ws.close()


def status(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Rows per table, the latest ingests and quarantine counts."""
    ws = open_workspace(workspace, read_only=True)
    s = ws.status()
    ws.close()
    if as_json:
        print_json(s)
        return
    console.print(f"Workspace {s['workspace']} · schema version {s['schema_version']}")
    t = RichTable(title="Tables")
    t.add_column("table")
    t.add_column("rows", justify="right")
    for name, n in s["tables"].items():
        t.add_row(name, f"{n:,}")
    console.print(t)
    if s["last_ingests"]:
        li = RichTable(
            title="Latest ingests: every row accepted, a duplicate or quarantined",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        # Only the file name wraps (folded at any character: names rarely have spaces); rich
        # had otherwise narrowed the table by cutting the time ("12-07 04:…") at 80 columns.
        li.add_column("#", justify="right", no_wrap=True)
        li.add_column("table", no_wrap=True)
        # The other columns take about 66 characters: a wider terminal gives the name room.
        li.add_column("file", overflow="fold", max_width=max(24, console.width - 66))
        for col in ("accepted", "dupl.", "quarant."):
            li.add_column(col, justify="right", no_wrap=True)
        li.add_column("UTC", no_wrap=True)
        for r in s["last_ingests"]:
            li.add_row(
                str(r["batch_id"]),
                r["table_name"],
                Path(r["source"]).name,
                f"{r['accepted']:,}",
                f"{r['duplicates']:,}",
                f"[red]{r['quarantined']:,}[/]" if r["quarantined"] else "0",
                str(r["finished_at"])[5:16].replace("T", " "),
            )
        console.print(li)
    console.print(f"Quarantined rows in total: {s['quarantined_total']:,}")
    for q in s["quarantine"]:
        console.print(f"  {q['table_name']}: {q['reason']} {q['n']:,}")
    _print_coverage(s["identity_coverage"])


def _print_coverage(cov: dict[str, Any]) -> None:
    """The identity coverage table, at most 80 columns wide (the hint wraps)."""
    formats = {k: v for k, v in cov["formats"].items() if v["seen"]}
    if not formats:
        return
    t = RichTable(
        title="Identity coverage: people of each source the roster links",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        width=min(80, console.width),
    )
    t.add_column("format", overflow="fold", max_width=22)
    for col in ("seen", "linked", "unlinked", "share"):
        t.add_column(col, justify="right", no_wrap=True)
    # Numbers never wrap; on a narrow terminal the hint keeps a readable width, the format folds.
    t.add_column("hint", overflow="fold", ratio=1, min_width=16)
    for label, f in formats.items():
        share = f["linked_share"]
        low = f["below_threshold"]
        # Rounded down: 89.6 % linked is below a 90 % threshold and must not read "90 %".
        shown = "–" if share is None else f"{int(share * 100)} %"
        t.add_row(
            label,
            f"{f['seen']:,}",
            f"{f['linked']:,}",
            f"[red]{f['unlinked']:,}[/]" if f["unlinked"] and low else f"{f['unlinked']:,}",
            f"[red]{shown}[/]" if low else shown,
            f["hint"] or "",
        )
    console.print(t)
    if cov["note"]:
        console.print(f"[yellow]{cov['note']}[/]", highlight=False)


def quarantine(
    batch: Annotated[int | None, typer.Option("--batch", help="Only this batch.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many rows.")] = 50,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Quarantined records with their reason and locator."""
    ws = open_workspace(workspace, read_only=True)
    rows = ws.quarantine(batch=batch, limit=None if as_json else limit)
    ws.close()
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("[green]Nothing in quarantine.[/]")
        return
    t = RichTable(title="Quarantine")
    for col in ("batch", "table", "where", "reason", "detail"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(str(r["batch_id"]), r["table_name"], r["locator"], r["reason"], r["detail"] or "")
    console.print(t)


def doctor(
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Exit 4 on warnings too (such as a source whose people the roster "
            "does not link), not only on failed checks.",
        ),
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the workspace's integrity (exit 4 when a check fails; warnings too with --strict)."""
    ws = open_workspace(workspace)
    checks = ws.doctor()
    ws.close()
    if as_json:
        print_json(checks)
    else:
        marks = {"ok": "[green]ok[/]", "warn": "[yellow]WARN[/]", "fail": "[red]FAIL[/]"}
        for c in checks:
            console.print(f"{marks[c['status']]}  {c['check']}: {c['message']}", highlight=False)
    if any(c["status"] == "fail" or (strict and c["status"] == "warn") for c in checks):
        raise typer.Exit(4)


def refresh(
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild every fact table, not only what changed.")
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Bring the metric facts up to date with what was ingested (ingest does this itself)."""
    ws = open_workspace(workspace)
    try:
        with progress_bar("refresh", after=ws.settings.ingest.progress_after_seconds) as bar:
            report = ws.refresh(full=full, progress=bar.stage)
    finally:
        ws.close()
    if as_json:
        print_json(report.to_dict())
        return
    console.print(refresh_line(report), highlight=False)


def refresh_line(report: RefreshReport) -> str:
    """One line saying what a refresh rebuilt.

    Args:
        report: what `Workspace.refresh` returned.

    Returns:
        E.g. "Facts refreshed (incremental): 2 weeks rebuilt, from 2026-10-05".
    """
    live = _live_line(report.live)
    if report.mode == "none":
        return "Facts already up to date." + live
    weeks = sorted(report.weeks)
    if weeks:
        what = f"{len(weeks)} week{'s' if len(weeks) != 1 else ''} rebuilt"
    elif report.segment_weeks == "all":
        # Licences changed: who counts in every week's segments, not the activity facts.
        what = "licensed people per segment and week rebuilt"
    else:
        what = "rebuilt"
    span = f", {weeks[0]} to {weeks[-1]}" if len(weeks) > 1 else f", {weeks[0]}" if weeks else ""
    why = f" ({report.reason})" if report.reason else ""
    return f"Facts refreshed, {report.mode}: {what}{span}{why}." + live


def _live_line(live: dict[str, Any] | None) -> str:
    """What the live friction flags' update did, as a sentence ("" when it did nothing)."""
    if not live or live.get("mode") == "none":
        return ""
    # The reason in brackets: after a comma it had read as one more thing looked at ("from
    # the whole window, roster, licences, workflow catalogue or identities changed").
    where = "over the whole window" if live["mode"] == "window" else f"from {live['since']} on"
    why = f" ({live['reason']})" if live.get("reason") else ""
    return (
        f" Live friction flags looked at {where}{why}: {live['raised']} raised, "
        f"{live['cleared']} cleared ({live['seconds']:.1f} s)."
    )
