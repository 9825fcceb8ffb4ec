"""What every command module shares: the common options, consoles, JSON output, progress."""

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

from uptake.workspace import Workspace

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


def open_workspace(
    path: Path | None, overrides: dict[str, Any] | None = None, *, read_only: bool = False
) -> Workspace:
    """Open the workspace a command names.

    Args:
        path: the `--workspace` value (None: $UPTAKE_WORKSPACE, else the current directory).
        overrides: settings that replace the workspace's own for this run.
        read_only: open for reading only, safe beside another reader.

    Returns:
        The open workspace; the caller closes it.
    """
    if read_only:
        return Workspace.open(path, overrides, read_only=True)
    return Workspace.open(path, overrides)


def print_json(data: Any) -> None:
    """Print JSON to stdout without rich markup.

    Args:
        data: anything `json.dumps` can write (other values are written with `str`).
    """
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
