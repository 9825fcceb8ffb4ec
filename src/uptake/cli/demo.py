"""`uptake demo`: simulate an organisation, ingest it into a fresh workspace, show the results.

`--data canonical` (default) ingests the simulator's canonical tables; `--data vendor` only
what a real organisation would have (vendor exports and the HR roster, in the order the
vendor manifest lists), and the story then says what is measured, what is a proxy and what
is not available. The headlines come from `Workspace.metrics()` with its default as-of, and
are worded by the same renderer as `uptake metrics`, so both commands print the same numbers
for a workspace.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from uptake.cli import tables
from uptake.cli.common import console, progress_bar
from uptake.cli.render import headline_value, people_count
from uptake.errors import InputError, WorkspaceError
from uptake.simulate.choices import MIN_PEOPLE
from uptake.simulate.scenarios import SCENARIOS

if TYPE_CHECKING:
    from uptake.ingest.pipeline import IngestResult
    from uptake.metrics.result import MetricsReport

MARKER = ".uptake-demo"
# The story the demo tells, in order: logins, then real adoption, then what it is worth.
HEADLINES = (
    "usage_rate",
    "adoption_ladder",
    "vanity_vs_value",
    "depth_of_use",
    "time_to_proficiency",
    "outcomes",
    "roi",
    "licenses",
)

Progress = Callable[[str, int, int], None]
DATA = ("canonical", "vendor")


@dataclass
class DemoResult:
    """What the demo produced.

    Attributes:
        workspace: the demo workspace folder.
        simulation: the simulator's summary.
        ingests: one result per ingested batch.
        report: the metrics as of the workspace's default as-of.
        charts: PNG files written.
        seconds: wall time per stage.
        data: which view was ingested: canonical or vendor.
        lossy: what the vendor view loses (from its manifest; empty for canonical).
    """

    workspace: Path
    simulation: dict[str, Any]
    ingests: list[IngestResult]
    report: MetricsReport
    charts: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    data: str = "canonical"
    lossy: list[str] = field(default_factory=list)


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
    progress: Progress | None = None,
    data: str = "canonical",
) -> DemoResult:
    """Simulate, ingest, compute every metric and draw the charts.

    Args:
        folder: workspace folder (created; a previous demo there is replaced).
        people: headcount of the simulated organisation.
        days: simulated days.
        seed: random seed.
        scenario: simulator scenario (mixed, stalled, coached).
        by: segment dimension for the per-segment views.
        progress: told (stage, done, total) as the work advances.
        data: canonical (the simulator's tables) or vendor (vendor exports and HR roster).

    Returns:
        Everything the demo produced.
    """
    from uptake.report.charts import write_all
    from uptake.simulate import simulate
    from uptake.workspace import Workspace

    if data not in DATA:
        raise InputError(f"--data {data!r}: expected one of {', '.join(DATA)}")
    report_progress = progress or (lambda _stage, _done, _total: None)
    seconds: dict[str, float] = {}
    _fresh_folder(folder)
    t = time.perf_counter()
    sim = simulate(
        people=people,
        days=days,
        seed=seed,
        scenario=scenario,
        out=folder / "simulated",
        progress=progress,
        emit=data,
    )
    seconds["simulate"] = time.perf_counter() - t

    t = time.perf_counter()
    ws = Workspace.init(folder)
    try:
        # The simulation's own manifest lists what to ingest, in order, for either view.
        # Imported here: the evaluation package loads scikit-learn, which no other command needs.
        from uptake.evaluate.views import ingest_plan

        plan = ingest_plan(folder / "simulated", data)
        ingests: list[IngestResult] = []
        for i, (table, paths, fmt, options) in enumerate(plan):
            report_progress(f"ingest {paths[0].name}", i, len(plan))
            ingests.extend(ws.ingest(table, paths, fmt=fmt, options=options, refresh=False))
        report_progress("refresh facts", len(plan), len(plan))
        ws.refresh()
        seconds["ingest"] = time.perf_counter() - t

        t = time.perf_counter()
        report_progress(f"metrics by {by}", 0, 1)
        report = ws.metrics(by=by)
        seconds["metrics"] = time.perf_counter() - t
    finally:
        ws.close()

    results = folder / "results"
    results.mkdir(exist_ok=True)
    doc = report.to_dict()
    (results / "metrics.json").write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    charts = write_all(report, results, by)
    lossy = [str(x) for x in cast(list[Any], (sim.vendor or {}).get("lossy") or [])]
    return DemoResult(folder, sim.to_dict(), ingests, report, charts, seconds, data, lossy)


def headlines(report: MetricsReport) -> dict[str, str]:
    """The demo's headlines, worded exactly as `uptake metrics` words them.

    Args:
        report: the metrics report.

    Returns:
        Metric name to its headline in words, for the metrics the report has.
    """
    return {
        name: headline_value(report, report[name]) for name in HEADLINES if name in report.results
    }


def _value(report: MetricsReport, metric: str, key: str) -> str:
    """One field of a metric in its unit, or why it is missing ("n/a" never stands for zero)."""
    if metric not in report.results:
        return "not computed"
    r = report[metric]
    if not r.available:
        return "not available"
    if r.suppressed or (r.values.get("hidden") or {}).get(key):
        return "hidden"
    if r.values.get(key) is None:
        return "n/a"
    return tables.cell_value(report, metric, key, r.values)


def vanity_table(report: MetricsReport) -> Table:
    """What a login dashboard shows beside what uptake shows, for the same people and window.

    Args:
        report: the metrics report.

    Returns:
        A four-column table (vanity label, value, value label, value).
    """
    rule = "the date given" if report.as_of_rule == "given" else report.as_of_rule
    t = Table(
        title=f"Vanity vs value, as of {report.as_of.isoformat()} ({rule}), "
        f"{report.window_days}-day window",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    t.add_column("what login dashboards show")
    t.add_column("", justify="right")
    t.add_column("what uptake shows")
    t.add_column("", justify="right")
    t.add_row(
        "licences assigned",
        _value(report, "licenses", "seats"),
        "at L3+ (≥ 50 % of high-stakes work AI-assisted)",
        _value(report, "vanity_vs_value", "l3_plus_share"),
    )
    t.add_row(
        f"active in the last {report.window_days} days",
        _value(report, "vanity_vs_value", "active_rate"),
        "depth on eligible high-stakes runs",
        _value(report, "vanity_vs_value", "depth"),
    )
    t.add_row(
        "monthly active users",
        _value(report, "vanity_vs_value", "monthly_active_users"),
        "hours saved per week",
        _value(report, "outcomes", "hours_per_week"),
    )
    t.add_row("", "", "ROI against licence cost", _value(report, "roi", "roi"))
    return t


def coverage(report: MetricsReport, lossy: list[str]) -> list[str]:
    """What the headlines rest on, plainly: measured, a proxy, or not available and why.

    Args:
        report: the metrics report.
        lossy: what the ingested view loses (the vendor manifest's `lossy`).

    Returns:
        Lines to print.
    """
    measured, proxy, missing = [], [], []
    for name in HEADLINES:
        r = report.results.get(name)
        if r is None:
            continue
        # A result can be computed yet have no value for want of inputs (vanity_vs_value
        # without tasks): that is not available either, not "measured".
        needs = list(r.needs) or (list(r.values.get("needs") or []) if r.value is None else [])
        if needs:
            missing.append(f"{name} (needs {', '.join(needs)})")
        elif (r.basis or "").startswith("proxy"):
            proxy.append(f"{name} ({r.basis})")
        else:
            measured.append(name)
    lines = [
        "What this view measures: " + (", ".join(measured) or "nothing") + ".",
        "A proxy, not a measurement: " + (", ".join(proxy) or "nothing") + ".",
        "Not available from vendor exports: " + (", ".join(missing) or "nothing") + ".",
    ]
    if lossy:
        lines.append(
            f"What the vendor view loses ({len(lossy)} points): simulated/manifest.json → lossy."
        )
    return lines


def show(result: DemoResult, out: Console) -> None:
    """Print the demo's story: logins against real adoption, what it is worth, where to look.

    Args:
        result: what `run_demo` produced.
        out: where to print.
    """
    sim = result.simulation
    report = result.report
    rows = sum(r.rows for r in result.ingests)
    quarantined = sum(r.quarantined for r in result.ingests)
    # The simulation's `end` is exclusive; a reader (and `uptake simulate`) names the last day.
    last = date.fromisoformat(str(sim["end"])) - timedelta(days=1)
    out.print(
        f"\n[bold]Simulated[/] {sim['people']:,} people over {sim['days']} days "
        f"({sim['start']} → {last}, scenario {sim['scenario']}, seed {sim['seed']}); "
        f"ingested {rows:,} rows, {quarantined:,} quarantined."
    )
    if result.data == "vendor":
        out.print(
            "Vendor view only: GitHub Copilot usage reports and seats, Microsoft 365 Copilot "
            "usage reports, SCIM users and the HR roster — what a real organisation has.",
            highlight=False,
        )
    out.print(vanity_table(report))
    vv = report.results.get("vanity_vs_value")
    if vv is not None and vv.value is not None:
        out.print(
            f"[bold]Gap between logins and real adoption: {vv.value:.0f} points[/] "
            f"(n = {vv.n:,} licensed people)."
        )
    ladder = report.results.get("adoption_ladder")
    if ladder is not None and ladder.available and not ladder.suppressed:
        counts = {lv: ladder.values.get(lv) for lv in ("L1", "L2", "L3", "L4", "L5")}
        # A level the data cannot judge (L5 without help or feedback data) is not a zero.
        levels = "  ".join(f"{lv} {'n/a' if c is None else f'{c:,}'}" for lv, c in counts.items())
        out.print(f"Adoption ladder: {levels}  (n = {ladder.n:,}, {ladder.basis or 'measured'})")
        for needs in (ladder.values.get("not_available") or {}).values():
            out.print(f"  (n/a: not judged here, needs {', '.join(needs)})", highlight=False)
    t = Table(title="Headlines", title_justify="left", box=box.SIMPLE_HEAD)
    t.add_column("metric", no_wrap=True)
    t.add_column("value")
    t.add_column("n", justify="right")
    for name, text in headlines(report).items():
        t.add_row(name, text, people_count(report, report[name]))
    out.print(t)
    if result.data == "vendor":
        for line in coverage(report, result.lossy):
            out.print(line, highlight=False)
    statement = report.privacy.get("statement")
    if statement:
        out.print(f"Privacy: {statement}.", highlight=False)
    secs = result.seconds
    out.print(
        f"Timings: simulate {secs['simulate']:.1f} s · ingest {secs['ingest']:.1f} s · "
        f"metrics {secs['metrics']:.1f} s"
    )
    out.print(f"Results: {result.workspace / 'results' / 'metrics.json'}", highlight=False)
    for chart in result.charts:
        out.print(f"Chart:   {chart}", highlight=False)
    out.print(
        f"Explore: uptake metrics --workspace {result.workspace} --by role · "
        f"uptake status --workspace {result.workspace}",
        highlight=False,
    )


def demo_command(
    people: Annotated[
        int, typer.Option("--people", min=MIN_PEOPLE, max=1_000_000, help="Headcount.")
    ] = 2000,
    days: Annotated[int, typer.Option("--days", min=28, max=3 * 365, help="Simulated days.")] = 120,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 42,
    scenario: Annotated[
        str, typer.Option("--scenario", help=f"Simulator scenario: {', '.join(SCENARIOS)}.")
    ] = "mixed",
    workspace: Annotated[
        Path,
        typer.Option(
            "--workspace", "-w", help="Folder for the demo workspace (replaced on re-run)."
        ),
    ] = Path("demo-workspace"),
    data: Annotated[
        str,
        typer.Option(
            "--data",
            help="What to ingest: canonical (simulated tables) or vendor (vendor exports and "
            "the HR roster only).",
        ),
    ] = "canonical",
    no_serve: Annotated[
        bool,
        typer.Option(
            "--no-serve", help="Stop after writing results instead of serving the API (scripts)."
        ),
    ] = False,
) -> None:
    """Simulate an organisation, ingest it into a fresh workspace and show the results."""
    # Checked before the folder is touched: a typo must not cost the previous demo.
    if scenario not in SCENARIOS:
        raise InputError(f"--scenario {scenario!r}: expected one of {', '.join(SCENARIOS)}")
    if data not in DATA:
        raise InputError(f"--data {data!r}: expected one of {', '.join(DATA)}")
    with progress_bar("demo", after=0.0) as bar:
        result = run_demo(
            workspace,
            people=people,
            days=days,
            seed=seed,
            scenario=scenario,
            progress=bar.update,
            data=data,
        )
    show(result, console)
    if not no_serve:
        from uptake.cli.serve import run_server
        from uptake.workspace import Workspace

        with Workspace.open(workspace) as ws:
            token = ws.create_token("admin", expires="1d", note="uptake demo")["token"]
        run_server(workspace, None, None, token)
