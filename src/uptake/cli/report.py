"""`uptake report`: the dashboard as one self-contained HTML file a sponsor can open anywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from uptake.cli.common import (
    WorkspaceOpt,
    check_out_folder,
    console,
    open_workspace,
    parse_day,
    progress_bar,
)
from uptake.errors import InputError


def report_command(
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Day to report, YYYY-MM-DD (default: last active day)."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="Render what this token's holder would see on the dashboard (default: admin).",
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Write the dashboard's numbers and charts to one HTML file (offline, printable)."""
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--out {out}: the report is an .html file")
    if out.is_dir():
        raise InputError(f"--out {out}: is a folder")
    check_out_folder(out, create=True)
    day = parse_day(as_of)
    from uptake.web.report import write_report

    with open_workspace(workspace, read_only=True, as_of=day) as ws:
        actor = ws.authenticate(token) if token else None
        with progress_bar("report") as bar:
            path = write_report(ws, out, actor, day, progress=bar.update)
    size = path.stat().st_size / 1_000_000
    console.print(f"[green]Wrote[/] {path} ({size:.1f} MB, every asset inside: opens offline)")
