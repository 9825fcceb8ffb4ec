"""`uptake export`: write the workspace's canonical tables to a Parquet lake."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from uptake.cli.common import open_workspace, print_json


def export_command(
    parquet: Annotated[
        Path,
        typer.Option(
            "--parquet",
            help="Lake folder to write (created, or replaced if it holds an earlier export).",
        ),
    ],
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help="Workspace folder (default: $UPTAKE_WORKSPACE, else the current directory).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Export every canonical table to a Parquet lake: events partitioned by day (Hive
    layout), pseudonymous keys only. `uptake metrics --engine spark` and DuckDB read it."""
    ws = open_workspace(workspace)
    try:
        counts = ws.export(parquet)
    finally:
        ws.close()
    if as_json:
        print_json({"lake": str(parquet), "rows": counts})
        return
    t = Table(title=f"Exported to {parquet}")
    t.add_column("table")
    t.add_column("rows", justify="right")
    for name, n in counts.items():
        t.add_row(name, f"{n:,}")
    Console().print(t)
