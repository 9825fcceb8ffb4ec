"""`uptake simulate`: a synthetic organisation with ground truth, written to files."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer

from uptake.cli.common import console, progress_bar
from uptake.errors import InputError
from uptake.simulate.choices import EMITS, FORMATS
from uptake.simulate.scenarios import SCENARIOS


def simulate_command(
    out: Path = typer.Option(..., "--out", help="Directory to write the files to."),
    people: int = typer.Option(
        1000, "--people", help="Headcount of the organisation (at least 40)."
    ),
    days: int = typer.Option(120, "--days", help="Length of the period in days (28 to 1095)."),
    seed: int = typer.Option(42, "--seed", help="Random seed (same seed, same files)."),
    start: datetime | None = typer.Option(
        None,
        "--start",
        formats=["%Y-%m-%d"],
        help="First day (YYYY-MM-DD); default: today minus --days.",
    ),
    scenario: str = typer.Option("mixed", "--scenario", help=f"One of: {', '.join(SCENARIOS)}."),
    dirty: bool = typer.Option(
        False, "--dirty", help="Plant known bad rows and list them in the ground truth."
    ),
    fmt: str = typer.Option(
        "parquet", "--format", help=f"File format of the tables: {', '.join(FORMATS)}."
    ),
    emit: str = typer.Option(
        "canonical",
        "--emit",
        help=f"What to write: {', '.join(EMITS)} (vendor = only vendor exports and the HR "
        "roster; both = canonical tables plus the vendor view in OUT/vendor).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    progress: bool = typer.Option(
        True, "--progress/--no-progress", help="Show a progress bar on a terminal."
    ),
) -> None:
    """Generate a synthetic organisation adopting AI tools, with ground truth."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    from uptake.simulate.run import simulate

    with progress_bar("simulate", after=0.0) as bar:
        summary = simulate(
            people=people,
            days=days,
            seed=seed,
            start=start.date() if start else None,
            scenario=scenario,
            dirty=dirty,
            out=out,
            fmt=fmt,
            emit=emit,
            progress=bar.update if progress and not as_json else None,
        )
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2))
        return
    for line in summary.lines():
        console.print(line, highlight=False)
