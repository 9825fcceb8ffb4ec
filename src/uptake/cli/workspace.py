"""Workspace commands: init, status, quarantine, doctor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from uptake.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json
from uptake.workspace import Workspace


def init(
    path: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")] = Path("."),
) -> None:
    """Create a workspace: config, secret and an empty warehouse."""
    ws = Workspace.init(path)
    console.print(
        f"[green]Created workspace[/] {ws.path.resolve()} (schema version {ws.schema_version()})"
    )
    console.print("Settings: uptake.toml · secret: ./secret (keep it safe, never commit it)")
    ws.close()


def status(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Rows per table, the latest ingests and quarantine counts."""
    ws = open_workspace(workspace)
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
        li = RichTable(title="Latest ingests")
        for col in (
            "batch",
            "table",
            "file",
            "rows",
            "accepted",
            "duplicates",
            "quarantined",
            "finished",
        ):
            li.add_column(col)
        for r in s["last_ingests"]:
            li.add_row(
                str(r["batch_id"]),
                r["table_name"],
                Path(r["source"]).name,
                f"{r['rows']:,}",
                f"{r['accepted']:,}",
                f"{r['duplicates']:,}",
                f"{r['quarantined']:,}",
                str(r["finished_at"])[:19],
            )
        console.print(li)
    console.print(f"Quarantined rows in total: {s['quarantined_total']:,}")
    for q in s["quarantine"]:
        console.print(f"  {q['table_name']}: {q['reason']} {q['n']:,}")


def quarantine(
    batch: Annotated[int | None, typer.Option("--batch", help="Only this batch.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Show at most this many rows.")] = 50,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Quarantined records with their reason and locator."""
    ws = open_workspace(workspace)
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


def doctor(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Check the workspace's integrity."""
    ws = open_workspace(workspace)
    checks = ws.doctor()
    ws.close()
    if as_json:
        print_json(checks)
    else:
        for c in checks:
            mark = "[green]ok[/]" if c["ok"] else "[red]FAIL[/]"
            console.print(f"{mark}  {c['check']}: {c['message']}")
    if not all(c["ok"] for c in checks):
        raise typer.Exit(4)
