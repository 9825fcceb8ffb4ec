"""The `uptake` command line: a thin Typer layer over Workspace."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from uptake.errors import InputError, UptakeError
from uptake.ingest.readers import FORMATS
from uptake.schema.tables import TABLES
from uptake.workspace import Workspace

app = typer.Typer(
    name="uptake",
    help="AI adoption intelligence: value, not logins.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: $UPTAKE_WORKSPACE, else the current directory).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def open_workspace(path: Path | None, overrides: dict[str, Any] | None = None) -> Workspace:
    """Open the workspace a command names (used by every command module)."""
    return Workspace.open(path, overrides)


def print_json(data: Any) -> None:
    """Print JSON to stdout without rich markup."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@contextmanager
def staged_progress(
    total: int, description: str, after: float = 1.0
) -> Iterator[Callable[[str], None]]:
    """A progress bar over `total` steps that appears only once work has run `after` seconds."""
    started = time.perf_counter()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    task = progress.add_task(description, total=total)
    shown = False

    def step(stage: str) -> None:
        nonlocal shown
        progress.update(task, description=f"{description}: {stage}")
        if not shown and time.perf_counter() - started > after and err_console.is_terminal:
            progress.start()
            shown = True

    def report(stage: str) -> None:
        step(stage)
        if stage == "write":
            progress.advance(task)

    try:
        yield report
    finally:
        if shown:
            progress.stop()


@app.command()
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


def _parse_pairs(items: list[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            expected = "canonical=source" if flag == "--map" else "KEY=VALUE"
            raise InputError(f"{flag} {item!r}: expected {expected}")
        out[key.strip()] = value.strip()
    return out


@app.command()
def ingest(
    table: Annotated[
        str,
        typer.Argument(
            help="Canonical table (people, events, tasks, …); omit it for a vendor --format."
        ),
    ],
    files: Annotated[list[Path] | None, typer.Argument(help="Input files.")] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv, jsonl, parquet or a vendor format (default: from the file extension).",
        ),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="Column rename canonical=source; repeatable."),
    ] = None,
    mapping_file: Annotated[
        Path | None,
        typer.Option("--mapping", help="Saved mapping file for survey/ticket exports."),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            help="Vendor connector setting KEY=VALUE (such as scope or monthly_cost); repeatable.",
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest files into the warehouse; each file commits atomically."""
    files = list(files or [])
    if fmt and fmt not in FORMATS and table not in TABLES:
        # Vendor formats know their tables: `uptake ingest --format scim users.json`.
        files.insert(0, Path(table))
    if not files:
        raise InputError("no input files given")
    ws = open_workspace(workspace)
    options: dict[str, Any] = {"params": _parse_pairs(option or [], "--option")}
    if mapping_file:
        options["mapping"] = mapping_file
    results = []
    with staged_progress(
        len(files), f"ingest {table}", ws.settings.ingest.progress_after_seconds
    ) as step:
        for f in files:
            results.extend(
                ws.ingest(
                    table,
                    [f],
                    fmt=fmt,
                    mapping=_parse_pairs(mapping or [], "--map"),
                    options=options,
                    progress=step,
                )
            )
    ws.close()
    if as_json:
        for r in results:
            sys.stdout.write(json.dumps(r.to_dict()) + "\n")
        return
    first, last = results[0].batch, results[-1].batch
    batches = f"{first}–{last}" if last != first else str(first)
    seconds = sum(r.seconds for r in results)
    one_file = len({r.source for r in results}) == 1
    title = f"Ingested {Path(results[0].source).name}" if one_file else "Ingest summary"
    t = RichTable(title=f"{title} · batch {batches} · {seconds:.1f} s")
    if not one_file:
        t.add_column("file", overflow="fold", ratio=2)
    t.add_column("table", no_wrap=True)
    for col in ("rows", "accepted", "unrostered", "duplicates", "quarantined"):
        t.add_column(col, no_wrap=True, min_width=len(col), justify="right")
    for r in results:
        t.add_row(
            *([] if one_file else [Path(r.source).name]),
            r.table,
            f"{r.rows:,}",
            f"{r.accepted:,}",
            f"{r.unrostered:,}",
            f"{r.duplicates:,}",
            f"[red]{r.quarantined:,}[/]" if r.quarantined else "0",
        )
    console.print(t)
    for r in results:
        for note in r.notes:
            console.print(f"[yellow]note:[/] {Path(r.source).name}: {note}")
    reasons: dict[str, int] = {}
    for r in results:
        for k, v in r.by_reason.items():
            reasons[k] = reasons.get(k, 0) + v
    if reasons:
        console.print(
            "Quarantined by reason: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(reasons.items()))
            + " — see `uptake quarantine`"
        )


@app.command()
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


@app.command()
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


@app.command()
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


def _register_optional() -> None:
    """Commands that live with their concept's package."""
    import importlib

    for module in (
        "uptake.simulate.cli",
        "uptake.metrics.cli",
        "uptake.warehouse.cli",
        "uptake.demo",
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue
            raise
        mod.register(app)


_register_optional()


def main() -> None:
    """Entry point: run the app, translating uptake errors into a red message and exit code."""
    try:
        app(standalone_mode=False)
    except UptakeError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}")
        if exc.hint:
            err_console.print(f"[yellow]hint:[/] {exc.hint}")
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("[red]aborted[/]")
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in standalone_mode=False
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
