"""The `uptake metrics` command: every metric in words and units, or as JSON, via Workspace."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from uptake.cli.common import AsOfOpt, JsonOpt, WorkspaceOpt, open_workspace, parse_day, print_json
from uptake.cli.render import RenderOptions, render, selected
from uptake.errors import InputError
from uptake.metrics.dimensions import BY_CHOICES


def metrics_command(
    workspace: WorkspaceOpt = None,
    as_of: AsOfOpt = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help=f"Segment by one of: {', '.join(BY_CHOICES)}."),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric", "-m", help="Show only this metric (repeat for more), e.g. depth_of_use."
        ),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort",
            help="Sort group rows by this field, largest first (a field name as in --json).",
        ),
    ] = None,
    top: Annotated[
        int | None,
        typer.Option("--top", min=1, help="Show the first N rows of each group table."),
    ] = None,
    engine: Annotated[
        str | None, typer.Option("--engine", help="Compute engine: duckdb or spark.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Every adoption metric with its unit, population and basis; small groups are hidden."""
    from uptake.metrics import SPECS

    day = parse_day(as_of)
    if by is not None and by not in BY_CHOICES:
        raise InputError(f"--by {by!r}: expected one of {', '.join(BY_CHOICES)}")
    unknown = [m for m in metric or () if m not in SPECS]
    if unknown:
        # Checked before computing anything, so a typo fails at once.
        raise InputError(
            f"--metric {', '.join(unknown)}: unknown; known metrics: {', '.join(SPECS)}"
        )
    options = RenderOptions(metrics=tuple(metric or ()), sort=sort, top=top)
    ws = open_workspace(workspace, read_only=True, as_of=day)
    try:
        # Only the families of the metrics asked for are computed (each with the numbers the
        # whole report gives).
        report = ws.metrics(as_of=day, by=by, engine=engine, metrics=metric)
    finally:
        ws.close()
    try:
        if as_json:
            doc = report.to_dict()
            names = [r.name for r in selected(report, options)]
            doc["metrics"] = {name: doc["metrics"][name] for name in names}
            print_json(doc)
            return
        render(report, Console(), options)
    except ValueError as exc:
        raise InputError(str(exc)) from None
