"""What every command module shares: the common options, consoles, JSON output, progress."""

from __future__ import annotations

import errno
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from uptake.errors import InputError

if TYPE_CHECKING:
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
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Last day included, YYYY-MM-DD (default: last active day)."),
]


def open_workspace(
    path: Path | None,
    overrides: dict[str, Any] | None = None,
    *,
    read_only: bool = False,
    as_of: date | None = None,
) -> Workspace:
    """Open the workspace a command names.

    Args:
        path: the `--workspace` value (None: $UPTAKE_WORKSPACE, else the current directory).
        overrides: settings that replace the workspace's own for this run.
        read_only: open for reading only, safe beside another reader.
        as_of: the command's `--as-of`, if given: a note on stderr says when its window lies
            after the last day with activity (a mistyped year reads as a page of "not
            available").

    Returns:
        The open workspace; the caller closes it.
    """
    # Imported here: the Workspace brings the warehouse, Ibis and pandas, which a command's
    # help and its checks of the options do without.
    from uptake.workspace import Workspace

    ws = (
        Workspace.open(path, overrides, read_only=True)
        if read_only
        else Workspace.open(path, overrides)
    )
    if as_of is not None:
        try:
            note_as_of(ws, as_of)
        except BaseException:
            ws.close()
            raise
    return ws


def note_as_of(ws: Workspace, day: date) -> None:
    """Say on stderr when the window ending on `day` lies wholly after the last activity.

    Args:
        ws: the open workspace.
        day: the `--as-of` given.
    """
    from uptake.metrics.runner import AS_OF_LAST_ACTIVE

    last, rule = ws.default_as_of()
    window = ws.settings.metrics.window_days
    if rule == AS_OF_LAST_ACTIVE and day - timedelta(days=window - 1) > last:
        err_console.print("note:", style="yellow", end=" ")
        err_console.print(
            f"--as-of {day.isoformat()} is after the last day with activity "
            f"({last.isoformat()}): its {window}-day window holds none, so what needs "
            "activity there is not available",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def parse_day(text: str | None) -> date | None:
    """An `--as-of` value as a date (None stays None).

    Args:
        text: the option's text, YYYY-MM-DD.

    Returns:
        The day, or None.
    """
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of {text!r}: expected a date as YYYY-MM-DD") from None


def check_out_folder(out: Path, *, create: bool) -> None:
    """Refuse an output file whose folder cannot hold it, before any work is done.

    A report is computed in full before it is written: at scale that is minutes, which a
    path that could never be written would waste before saying so.

    Args:
        out: the file to be written.
        create: whether the command makes missing folders (else the folder must exist).
    """
    folder = out.parent
    if not create and not folder.is_dir():
        raise InputError(f"--out {out}: cannot write: the folder {folder} does not exist")
    # The nearest part of the path that exists must be a folder: what `mkdir` would meet.
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    if not folder.is_dir():
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))


def parse_segment(by: str | None) -> str | None:
    """A `--by` value checked against the segment dimensions (None stays None).

    Args:
        by: the option's text.

    Returns:
        The dimension, or None.
    """
    from uptake.metrics.dimensions import SEGMENTS

    if by is not None and by not in SEGMENTS:
        raise InputError(f"--by {by!r}: expected one of {', '.join(SEGMENTS)}")
    return by


def read_document(
    workspace: Path | None, read: Callable[[Workspace], dict[str, Any]]
) -> dict[str, Any]:
    """A document read from a workspace opened read-only (closed again at once).

    Args:
        workspace: the `--workspace` option.
        read: what to read, e.g. `lambda ws: ws.shadow_ai(as_of=day)`.

    Returns:
        The document.
    """
    ws = open_workspace(workspace, read_only=True)
    try:
        return read(ws)
    finally:
        ws.close()


def print_document(
    doc: dict[str, Any], as_json: bool, render: Callable[[dict[str, Any], Console], None]
) -> None:
    """Print a document as JSON (`--json`) or through its command's renderer.

    Args:
        doc: the document.
        as_json: the `--json` flag.
        render: the command's renderer, given the document and a console.
    """
    if as_json:
        print_json(doc)
    else:
        render(doc, Console())


def print_json(data: Any) -> None:
    """Print JSON to stdout without rich markup.

    Args:
        data: anything `json.dumps` can write (other values are written with `str`).
    """
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


class ProgressBar:
    """A progress bar on stderr that appears only once work has run a while, on a terminal.

    Its methods fit the engine's progress callbacks: `stage` for `Callable[[str], None]`,
    `update` for `Callable[[str, int, int], None]`.
    """

    def __init__(self, description: str, total: int | None, after: float) -> None:
        self._description = description
        self._after = after
        self._started = time.perf_counter()
        self._shown = False
        self._bar = Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
        self._task = self._bar.add_task(description, total=total)

    def stage(self, name: str) -> None:
        """Say which stage the work is in.

        Args:
            name: the stage ("read", "validate", "refresh" …).
        """
        self._bar.update(self._task, description=f"{self._description}: {name}")
        self._show()

    def advance(self, steps: int = 1) -> None:
        """Count finished steps.

        Args:
            steps: how many steps just finished.
        """
        self._bar.advance(self._task, steps)
        self._show()

    def update(self, stage: str, done: int, total: int) -> None:
        """Set the stage and how far it is.

        Args:
            stage: what is being done.
            done: steps finished.
            total: steps in all.
        """
        self._bar.update(
            self._task, description=f"{self._description}: {stage}", completed=done, total=total
        )
        self._show()

    def _show(self) -> None:
        if self._shown or not err_console.is_terminal:
            return
        if time.perf_counter() - self._started >= self._after:
            self._bar.start()
            self._shown = True

    def close(self) -> None:
        """Remove the bar if it was drawn."""
        if self._shown:
            self._bar.stop()
            self._shown = False


@contextmanager
def progress_bar(
    description: str, total: int | None = None, *, after: float = 1.0
) -> Iterator[ProgressBar]:
    """A progress bar for long work, drawn only on a terminal and only after `after` seconds.

    Args:
        description: what the work is ("ingest", "simulate").
        total: number of steps, if known.
        after: seconds of work before the bar appears (quick commands stay quiet).

    Yields:
        The bar; pass its `stage` or `update` method as the engine's progress callback.
    """
    bar = ProgressBar(description, total, after)
    try:
        yield bar
    finally:
        bar.close()


@contextmanager
def spinner(description: str) -> Iterator[None]:
    """A spinner with the elapsed time for one long call, on a terminal only.

    Args:
        description: what is being done ("Backing up").

    Yields:
        Nothing; the spinner turns until the block ends.
    """
    if not err_console.is_terminal:
        yield
        return
    with err_console.status(f"{description}…"):
        yield
