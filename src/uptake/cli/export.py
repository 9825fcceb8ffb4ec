"""`uptake export`: write the workspace's canonical tables to a Parquet lake."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from uptake.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json


def export_command(
    parquet: Annotated[
        Path,
        typer.Option(
            "--parquet",
            help="Lake folder to write (created, or replaced if it holds an earlier export).",
        ),
    ],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export every canonical table to a Parquet lake (pseudonymous keys only).

    Events are partitioned by day in Hive layout; `uptake metrics --engine spark` and
    DuckDB read the lake.
    """
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
    console.print(t)
