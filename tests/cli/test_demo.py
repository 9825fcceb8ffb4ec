"""`uptake demo` end to end on a small organisation: simulate, ingest, metrics, charts."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from uptake.cli import app, common
from uptake.cli.demo import HEADLINES, MARKER, headlines, run_demo
from uptake.errors import WorkspaceError
from uptake.workspace import Workspace

WIDE = {"COLUMNS": "250"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A demo workspace made by the command, and what the command printed."""
    folder = tmp_path_factory.mktemp("demo") / "ws"
    args = ["demo", "--people", "120", "--days", "45", "--seed", "3", "-w", str(folder)]
    # The shared console fixes its width when created (pytest-xdist sets COLUMNS=80 then);
    # wide enough here that no headline wraps.
    width = common.console.width
    common.console.width = 250
    try:
        result = CliRunner().invoke(app, [*args, "--no-serve"], env=WIDE)
    finally:
        common.console.width = width
    assert result.exit_code == 0, result.output
    return folder, result.stdout


def test_demo_writes_metrics_and_charts(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    assert (folder / MARKER).exists()
    doc = json.loads((folder / "results" / "metrics.json").read_text())
    assert doc["min_group_size"] == 5
    assert doc["metrics"]["vanity_vs_value"]["n"] > 0
    names = {p.name for p in (folder / "results").glob("*.png")}
    assert {"vanity_vs_value.png", "ladder_by_function.png", "weekly_trend.png"} <= names
    for chart in (folder / "results").glob("*.png"):
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_names_the_last_simulated_day(demo: tuple[Path, str]) -> None:
    folder, printed = demo
    first, last = printed.split("over 45 days (")[1].split(",")[0].split(" → ")
    # 45 days from the first day end on the 45th (the simulation's end is exclusive), the
    # day the metrics are as of; it printed the day after.
    assert date.fromisoformat(last) - date.fromisoformat(first) == timedelta(days=44)
    doc = json.loads((folder / "results" / "metrics.json").read_text())
    assert doc["as_of"] == last


def test_demo_headlines_equal_uptake_metrics(demo: tuple[Path, str]) -> None:
    folder, printed = demo
    r = CliRunner().invoke(app, ["metrics", "-w", str(folder), "--json"], env=WIDE)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    # Same as-of rule: the demo names the day `uptake metrics` chose on its own.
    assert f"Vanity vs value, as of {doc['as_of']} ({doc['as_of_rule']})" in printed
    with Workspace.open(folder, read_only=True) as ws:
        report = ws.metrics()
    assert report.as_of.isoformat() == doc["as_of"]
    words = headlines(report)
    assert set(words) == set(HEADLINES)
    human = CliRunner().invoke(app, ["metrics", "-w", str(folder)], env=WIDE).stdout
    for name, text in words.items():
        assert f"{name}" in printed and text in printed, (name, text)
        assert text in human, (name, text)
    # The story's figures are the report's: the gap and the ladder with its n.
    vv, ladder = doc["metrics"]["vanity_vs_value"], doc["metrics"]["adoption_ladder"]
    assert f"logins and real adoption: {vv['value']:.0f} points" in printed
    assert f"n = {ladder['n']:,}" in printed and f"L1 {ladder['L1']:,}" in printed
    # The value behind each worded headline is the one `uptake metrics --json` reports.
    for name in HEADLINES:
        assert report[name].value == doc["metrics"][name].get("value")


def test_demo_bad_scenario_keeps_the_previous_demo(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    r = CliRunner().invoke(app, ["demo", "-w", str(folder), "--scenario", "nope", "--no-serve"])
    assert r.exit_code == 2
    assert "--scenario 'nope'" in r.stderr
    assert (folder / "results" / "metrics.json").exists()


def test_demo_refuses_to_overwrite_a_non_demo_folder(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("precious")
    with pytest.raises(WorkspaceError, match="not a demo workspace"):
        run_demo(tmp_path / "mine", people=40, days=28)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "precious"


@pytest.fixture(scope="module")
def vendor_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A demo of the vendor view only, and what the command printed."""
    folder = tmp_path_factory.mktemp("vendor-demo") / "ws"
    args = ["demo", "--data", "vendor", "--people", "60", "--days", "28", "--seed", "3"]
    width = common.console.width
    common.console.width = 250
    try:
        result = CliRunner().invoke(app, [*args, "-w", str(folder), "--no-serve"], env=WIDE)
    finally:
        common.console.width = width
    assert result.exit_code == 0, result.output
    return folder, result.stdout


def test_vendor_demo_ingests_the_vendor_view_and_says_what_it_can_tell(
    vendor_demo: tuple[Path, str],
) -> None:
    folder, printed = vendor_demo
    # Only vendor exports and the roster were written and ingested, with nothing quarantined.
    assert (folder / "simulated" / "github" / "copilot_seats.json").exists()
    assert not (folder / "simulated" / "events.parquet").exists()
    assert ", 0 quarantined." in printed
    with Workspace.open(folder, read_only=True) as ws:
        formats = {r["format"] for r in ws.status()["last_ingests"]}
        report = ws.metrics()
    assert "m365-copilot-usage" in formats or "github-copilot-usage" in formats
    assert report["adoption_ladder"].basis == "proxy: activity"
    # Vendor exports hold no help or feedback data: L5 is not judged, never "L5 0".
    ladder_line = printed.split("Adoption ladder: ")[1].splitlines()[0]
    assert "L5 n/a" in ladder_line and "L4 " in ladder_line
    assert "(n/a: not judged here, needs help_edges or feedback)" in printed
    assert "Vendor view only:" in printed
    assert "A proxy, not a measurement: adoption_ladder (proxy: activity)" in printed
    missing = printed.split("Not available from vendor exports: ")[1].splitlines()[0]
    assert "depth_of_use (needs tasks" in missing and "roi (needs tasks" in missing
    # vanity_vs_value is computed but has no value without tasks: not counted as measured.
    assert "vanity_vs_value (needs" in missing
    measured = printed.split("What this view measures: ")[1].splitlines()[0]
    assert "usage_rate" in measured and "adoption_ladder" not in measured
    doc = json.loads((folder / "results" / "metrics.json").read_text())
    assert doc["metrics"]["usage_rate"]["n"] > 0


def test_demo_bad_data_keeps_the_previous_demo(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    r = CliRunner().invoke(app, ["demo", "-w", str(folder), "--data", "lake", "--no-serve"])
    assert r.exit_code == 2
    assert "--data 'lake': expected one of canonical, vendor" in r.stderr
    assert (folder / "results" / "metrics.json").exists()


def test_vanity_table_says_hidden_for_a_hidden_value_not_n_a() -> None:
    from rich.console import Console

    from uptake.cli.demo import vanity_table
    from uptake.metrics.families import vanity
    from uptake.metrics.result import MetricResult, MetricsReport

    vv = MetricResult(
        vanity.SPEC,
        values={"active_rate": 0.8, "depth": None, "hidden": {"depth": "small"}},
        n=50,
    )
    report = MetricsReport(
        as_of=date(2026, 11, 24), window_days=28, min_group_size=5, results={vv.name: vv}
    )
    console = Console(width=200, record=True, color_system=None)
    console.print(vanity_table(report))
    depth = next(line for line in console.export_text().splitlines() if "depth on" in line)
    assert depth.rstrip().endswith("hidden")
