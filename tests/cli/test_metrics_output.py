"""`uptake metrics` for whole organisations: golden human output, labels, options, JSON.

The golden files under tests/cli/golden/ are the exact text a 100-column colourless terminal
shows. After an intended change to the output, regenerate them with
`UPTAKE_UPDATE_GOLDEN=1 pytest tests/cli/test_metrics_output.py` and review the diff.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from sim_helpers import run as simulate
from uptake.cli import app
from uptake.cli.render import RenderOptions, render
from uptake.metrics import SEGMENTS, labels
from uptake.metrics.result import MetricsReport
from uptake.workspace import Workspace

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPTAKE_UPDATE_GOLDEN") == "1"
WIDTH = 100
SAMPLES = Path(__file__).resolve().parents[1] / "ingest" / "connectors" / "samples"


@pytest.fixture(scope="module", autouse=True)
def fixed_secret() -> Iterator[None]:
    """One pseudonymisation secret, so person keys (and what is ordered by them) never vary."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UPTAKE_SECRET", "golden-output-secret-7f3a9c1e5b2d8046af1c")
        mp.delenv("UPTAKE_WORKSPACE", raising=False)
        yield


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A workspace holding the small simulated organisation (fixed seed, start and length)."""
    root = tmp_path_factory.mktemp("org")
    summary = simulate(root / "sim", people=120, days=45)
    ws = Workspace.init(root / "ws")
    try:
        for table, names in summary.files.items():
            ws.ingest(table, [summary.out / n for n in names], refresh=False)
        ws.refresh()
    finally:
        ws.close()
    yield root / "ws"


@pytest.fixture(scope="module")
def vendor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A workspace fed only by vendor exports (GitHub Copilot usage and seats, M365)."""
    root = tmp_path_factory.mktemp("vendor")
    ws = Workspace.init(root / "ws")
    try:
        for fmt, name in (
            ("github-copilot-seats", "github_copilot_billing_seats_org.json"),
            ("github-copilot-usage", "github_copilot_usage_metrics_user_level_example.json"),
            ("m365-copilot-usage", "m365_copilot_usage_user_detail_v1.0.csv"),
        ):
            ws.ingest("events", [SAMPLES / name], fmt=fmt)
    finally:
        ws.close()
    yield root / "ws"


def _report(folder: Path, by: str | None = None, as_of: Any = None) -> MetricsReport:
    ws = Workspace.open(folder, read_only=True)
    try:
        return ws.metrics(as_of=as_of, by=by)
    finally:
        ws.close()


def _render(report: MetricsReport, **options: Any) -> str:
    out = io.StringIO()
    console = Console(file=out, width=WIDTH, color_system=None, force_terminal=False)
    render(report, console, RenderOptions(**options))
    # Rich pads table lines to their width; trailing spaces only make diffs noisy.
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPTAKE_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), (
        f"the output differs from {path}; if the change is intended, regenerate with "
        "UPTAKE_UPDATE_GOLDEN=1 and review the diff"
    )


def test_golden_whole_organisation(org: Path) -> None:
    _golden("metrics.txt", _render(_report(org)))


def test_golden_by_team_top_5(org: Path) -> None:
    _golden("metrics_by_team_top5.txt", _render(_report(org, by="team"), top=5))


def test_golden_vendor_only(vendor: Path) -> None:
    _golden("metrics_vendor_only.txt", _render(_report(vendor)))


def _fields(metric: str, value: Any, into: set[tuple[str, str]]) -> None:
    """Every key of every mapping inside `value`, with the metric it belongs to."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            into.add((metric, str(k)))
            _fields(metric, v, into)
    elif isinstance(value, list):
        for v in value:
            _fields(metric, v, into)


def test_every_field_the_organisation_produces_has_a_label(org: Path) -> None:
    found: set[tuple[str, str]] = set()
    for by in (None, "team"):
        for r in _report(org, by=by):
            _fields(r.name, r.values, found)
            for rows in (r.segments, r.weeks):
                _fields(r.name, list(rows or []), found)
    assert len(found) > 100
    missing = sorted(f"{m}.{f}" for m, f in found if f != "suppressed" and not labels.known(f, m))
    assert missing == []


def test_by_team_is_one_row_per_segment_per_metric(org: Path) -> None:
    report = _report(org, by="team")
    teams = {row["segment"] for r in report for row in (r.segments or []) if "segment" in row}
    text = _render(report)
    per_team = [sum(line.split()[:1] == [t] for line in text.splitlines()) for t in teams]
    with_segments = sum(1 for r in report if r.segments)
    assert max(per_team) <= with_segments
    assert len(text.splitlines()) < 40 * len(report.results)


def _cli(*args: str) -> Any:
    return CliRunner().invoke(app, ["metrics", *args], env={"COLUMNS": str(WIDTH)})


def test_cli_json_is_the_report_document(org: Path) -> None:
    result = _cli("-w", str(org), "--json")
    assert result.exit_code == 0, result.output
    whole = json.loads(result.stdout)
    assert whole == json.loads(json.dumps(_report(org).to_dict()))
    # One metric asked for: only its family is computed, and it gives the whole report's numbers.
    only = json.loads(_cli("-w", str(org), "--json", "-m", "roi").stdout)
    assert list(only["metrics"]) == ["roi"]
    assert only == {**whole, "metrics": {"roi": whole["metrics"]["roi"]}}


def test_cli_metric_option_and_unknown_names_exit_2(org: Path) -> None:
    result = _cli("-w", str(org), "--metric", "depth_of_use", "-m", "roi")
    assert result.exit_code == 0, result.output
    assert "depth_of_use —" in result.stdout and "roi —" in result.stdout
    assert "usage_rate" not in result.stdout
    bad = _cli("-w", str(org), "--metric", "dept_of_use")
    assert bad.exit_code == 2
    assert "known metrics:" in bad.output and "depth_of_use" in bad.output
    assert "Traceback" not in bad.output


def test_cli_sort_and_top(org: Path) -> None:
    result = _cli(
        "-w", str(org), "--by", "team", "-m", "usage_rate", "--sort", "rate", "--top", "3"
    )
    assert result.exit_code == 0, result.output
    shown = [
        row for row in _report(org, by="team")["usage_rate"].segments or [] if not row["suppressed"]
    ]
    best = sorted(shown, key=lambda r: -r["rate"])[:3]
    lines = result.stdout.splitlines()
    start = lines.index("By team")
    rule = next(i for i in range(start, len(lines)) if lines[i].startswith("─"))
    table = lines[rule + 1 : rule + 5]
    assert [line.split()[0] for line in table[:3]] == [r["segment"] for r in best]
    assert "more rows with --top" in table[3]
    assert _cli("-w", str(org), "--sort", "shoe_size").exit_code == 2
    assert _cli("-w", str(org), "--top", "0").exit_code == 2


def test_help_segment_list_is_the_engine_list() -> None:
    # The --by help lists exactly the engine's segment dimensions, in its order, then tool.
    out = CliRunner().invoke(app, ["metrics", "--help"], env={"COLUMNS": "400"}).stdout
    assert f"Segment by one of: {', '.join(SEGMENTS)}, tool." in " ".join(out.split())
