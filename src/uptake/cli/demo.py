"""`uptake demo`: simulate an organisation, ingest it into a fresh workspace, show the results."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from uptake.errors import WorkspaceError
from uptake.ingest.pipeline import IngestResult
from uptake.workspace import Workspace

MARKER = ".uptake-demo"


@dataclass
class DemoResult:
    """What the demo produced."""

    workspace: Path
    simulation: dict[str, Any]
    ingests: list[IngestResult]
    metrics: dict[str, Any]
    charts: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _fresh_folder(folder: Path) -> None:
    """Start from an empty folder; only a previous demo workspace may be replaced."""
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise WorkspaceError(
                f"{folder}: exists and is not a demo workspace; refusing to overwrite it",
                hint="pass --workspace with a new or empty folder",
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("created by `uptake demo`; the folder is replaced on re-run\n")


def run_demo(
    folder: Path,
    *,
    people: int = 2000,
    days: int = 120,
    seed: int = 42,
    scenario: str = "mixed",
    by: str = "function",
    console: Console | None = None,
) -> DemoResult:
    """Simulate, ingest, compute every metric and draw the charts.

    Args:
        folder: workspace folder (created; a previous demo there is replaced).
        people: headcount of the simulated organisation.
        days: simulated days.
        seed: random seed.
        scenario: simulator scenario (mixed, stalled, coached).
        by: segment dimension for the per-segment views.
        console: where progress goes (None: quiet).

    Returns:
        Everything the demo produced.
    """
    from uptake.report.charts import write_all
    from uptake.simulate import simulate

    seconds: dict[str, float] = {}
    _fresh_folder(folder)
    t = time.perf_counter()
    sim = simulate(
        people=people,
        days=days,
        seed=seed,
        scenario=scenario,
        out=folder / "simulated",
        progress=console is not None,
    )
    seconds["simulate"] = time.perf_counter() - t

    t = time.perf_counter()
    ws = Workspace.init(folder)
    files = [(table, folder / "simulated" / f) for table, names in sim.files.items() for f in names]
    ingests: list[IngestResult] = []
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} files"),
        TimeElapsedColumn(),
        console=console,
        disable=console is None,
        transient=True,
    ) as bar:
        task = bar.add_task("ingest", total=len(files))
        for table, path in files:
            bar.update(task, description=f"ingest {path.name}")
            ingests.extend(ws.ingest(table, [path]))
            bar.advance(task)
    seconds["ingest"] = time.perf_counter() - t

    t = time.perf_counter()
    if console is not None:
        console.print(f"computing metrics by {by} …")
    doc = ws.metrics(as_of=sim.end, by=by)
    seconds["metrics"] = time.perf_counter() - t
    ws.close()

    results = folder / "results"
    results.mkdir(exist_ok=True)
    (results / "metrics.json").write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    charts = write_all(doc, results, by)
    return DemoResult(folder, sim.to_dict(), ingests, doc, charts, seconds)


def _pct(v: Any) -> str:
    return "n/a" if v is None else f"{100 * float(v):.0f} %"


def show(result: DemoResult, console: Console) -> None:
    """Print the demo's story: vanity against value, the ladder, time saved, and where to look.

    Args:
        result: what `run_demo` produced.
        console: where to print.
    """
    sim = result.simulation
    rows = sum(r.rows for r in result.ingests)
    quarantined = sum(r.quarantined for r in result.ingests)
    console.print(
        f"\n[bold]Simulated[/] {sim['people']:,} people over {sim['days']} days "
        f"({sim['start']} → {sim['end']}, scenario {sim['scenario']}, seed {sim['seed']}); "
        f"ingested {rows:,} rows, {quarantined:,} quarantined."
    )
    m = result.metrics.get("metrics", {})
    vv = m.get("vanity_vs_value", {})
    t = Table(title=f"Vanity vs value, as of {result.metrics.get('as_of')}", show_header=True)
    t.add_column("what login dashboards show")
    t.add_column("", justify="right")
    t.add_column("what uptake shows")
    t.add_column("", justify="right")
    lic = m.get("licences", {})
    outcomes = m.get("outcomes", {})
    roi = m.get("roi", {})
    t.add_row(
        "licences assigned",
        f"{lic.get('seats', 'n/a'):,}" if lic.get("seats") else "n/a",
        "at L3+ (≥ 50 % of high-stakes work AI-assisted)",
        _pct(vv.get("l3_plus_share")),
    )
    t.add_row(
        "active in the last 28 days",
        _pct(vv.get("active_rate")),
        "depth on eligible high-stakes runs",
        _pct(vv.get("depth")),
    )
    hours = outcomes.get("hours_per_week")
    t.add_row(
        "monthly active users",
        f"{vv.get('monthly_active_users', 'n/a'):,}",
        "hours saved per week",
        "n/a" if hours is None else f"{hours:,.0f}",
    )
    t.add_row(
        "",
        "",
        "ROI against licence cost",
        "n/a" if roi.get("roi") is None else f"{roi['roi']:.1f}×",
    )
    console.print(t)
    gap = vv.get("gap_points")
    if gap is not None:
        console.print(f"[bold]Gap between logins and real adoption: {gap:.0f} points.[/]")
    ladder = m.get("adoption_ladder", {})
    if "L1" in ladder:
        parts = "  ".join(f"{lv} {ladder.get(lv, 0):,}" for lv in ("L1", "L2", "L3", "L4", "L5"))
        console.print(f"Adoption ladder: {parts}  (n = {ladder.get('n', 0):,})")
    km = m.get("time_to_proficiency", {})
    if km.get("reached") is not None and km.get("median_days") is None:
        console.print(
            f"Time to proficiency: {km['reached']:,} reached L3, {km.get('censored', 0):,} not "
            "yet — fewer than half, so the median is not reached yet"
        )
    elif km.get("median_days") is not None:
        console.print(
            f"Median time to proficiency: {km['median_days']:.0f} days "
            f"({km.get('reached', 0):,} reached L3, {km.get('censored', 0):,} not yet)"
        )
    lic_saving = lic.get("monthly_saving")
    if lic_saving is not None:
        console.print(
            f"Licences to reclaim: {lic.get('reclaim_seats', 0):,} seats, "
            f"{lic_saving:,.0f} a month (new starters and people on leave kept)"
        )
    console.print(
        f"\nTimings: simulate {result.seconds['simulate']:.1f} s · ingest "
        f"{result.seconds['ingest']:.1f} s · metrics {result.seconds['metrics']:.1f} s"
    )
    console.print(f"Results: {result.workspace / 'results' / 'metrics.json'}")
    for chart in result.charts:
        console.print(f"Chart:   {chart}")
    console.print(
        f"Explore: uptake metrics --workspace {result.workspace} --by role · "
        f"uptake status --workspace {result.workspace}"
    )


def demo_command(
    people: Annotated[int, typer.Option("--people", min=10, help="Headcount.")] = 2000,
    days: Annotated[int, typer.Option("--days", min=14, help="Simulated days.")] = 120,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 42,
    scenario: Annotated[
        str, typer.Option("--scenario", help="Simulator scenario: mixed, stalled, coached.")
    ] = "mixed",
    workspace: Annotated[
        Path, typer.Option("--workspace", "-w", help="Folder for the demo workspace.")
    ] = Path("demo-workspace"),
    no_serve: Annotated[
        bool,
        typer.Option("--no-serve", help="Stop after writing results (for scripts)."),
    ] = False,
) -> None:
    """Simulate an organisation, ingest it into a fresh workspace and show the results."""
    console = Console()
    result = run_demo(
        workspace, people=people, days=days, seed=seed, scenario=scenario, console=console
    )
    show(result, console)
    if not no_serve:
        console.print(
            "[yellow]The dashboard server is not part of this release yet; the results "
            "above and the charts are the demo's output.[/]"
        )
