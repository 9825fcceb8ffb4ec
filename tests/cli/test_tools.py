"""`uptake tools` through the CLI: the JSON document and the human tables."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from uptake.cli import app
from uptake.workspace import Workspace


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """12 people with Copilot, 6 of them also with Cursor (one priced in EUR)."""
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    folder = tmp_path_factory.mktemp("tools") / "ws"
    ws = Workspace.init(folder)
    now = pd.Timestamp("2024-04-01T00:00:00Z").to_pydatetime()
    people = [f"u{i}@example.com" for i in range(12)]
    seats = [(p, "copilot", 19.0) for p in people] + [(p, "cursor", 40.0) for p in people[:6]]
    ws.ingest_frame(
        "licenses",
        pd.DataFrame([{"person": p, "tool": t, "assigned_at": "2024-01-02T00:00:00Z",
                       "monthly_cost": c} for p, t, c in seats]),
        source="l", now=now, refresh=False,
    )  # fmt: skip
    ws.ingest_frame(
        "events",
        pd.DataFrame([{"event_id": f"e{i}", "ts": "2024-03-20T10:00:00Z", "person": p,
                       "tool": t, "action": "prompt"} for i, (p, t, _) in enumerate(seats)]),
        source="e", now=now, refresh=False,
    )  # fmt: skip
    ws.ingest_frame(
        "person_facts",
        pd.DataFrame([{"person": people[0], "source": "cursor-spend", "tool": "cursor",
                       "report_date": "2024-03-20", "fact": "cost", "value": 5.0,
                       "attrs": {"currency": "EUR"}}]),
        source="f", now=now,
    )  # fmt: skip
    ws.close()
    yield folder
    mp.undo()


def test_json_document(filled: Path) -> None:
    out = CliRunner().invoke(app, ["tools", "-w", str(filled), "--as-of", "2024-03-31", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["as_of"] == "2024-03-31"
    rows = {r["segment"]: r for r in doc["tool_usage"]["segments"]}
    assert rows["copilot"]["n"] == 12 and rows["cursor"]["n"] == 6
    cost = {r["segment"]: r for r in doc["tool_cost"]["segments"]}
    assert cost["cursor"]["missing"] == "not available: needs a rate for EUR in costs.rates"
    assert cost["copilot"]["seat_cost_month"] == 228.0


def test_tables(filled: Path) -> None:
    out = CliRunner().invoke(
        app, ["tools", "-w", str(filled), "--as-of", "2024-03-31"], env={"COLUMNS": "200"}
    )
    assert out.exit_code == 0, out.output
    assert "Usage per tool" in out.output and "Combinations of tools" in out.output
    assert "needs a rate for EUR in costs.rates" in out.output
    assert "copilot + cursor" in out.output
    assert "Usage segments per tool" in out.output
    # Which variant is shown and why, in words ("recommended: 12 weeks of history" had not
    # said what was recommended).
    assert re.search(r"why (4|12) weeks: \d+ weeks of history", out.output), out.output


@pytest.mark.parametrize("width", [60, 80, 120])
def test_tables_fit_the_console_and_cut_no_word(filled: Path, width: int) -> None:
    out = CliRunner().invoke(
        app, ["tools", "-w", str(filled), "--as-of", "2024-03-31"], env={"COLUMNS": str(width)}
    )
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    # Rich narrows a table too wide for the console by cutting words ("licen…"); the tables
    # split into parts instead, each with the tool column, so every value is shown whole.
    assert "…" not in out.output
    cells = [c.strip() for line in lines if line.startswith("│") for c in line.split("│")]
    for tool in ("copilot", "cursor"):
        assert tool in cells
    assert "228.00" in cells and "12" in cells
    # Narrow, the cost table goes on in a second part; a long reason's first words stand in
    # the table ("as above" where a later part's column is too narrow for them), and the
    # whole reason under it.
    assert ("(continued)" in out.output) == (width < 120)
    assert "not available" in cells
    joined = " ".join(line.strip() for line in lines)
    assert "cursor: not available: needs a rate for EUR in costs.rates" in joined


def test_a_long_reason_stands_whole_below_the_table_and_short_in_it() -> None:
    from rich.console import Console

    from uptake.cli.tools import _print_fitted

    console = Console(width=80, record=True, color_system=None)
    note = "the tool reports a monthly total only, so days of use cannot be told apart"
    rows = [("copilot", ["12", "3"], None), ("chatgpt", ["9"], note)]
    _print_fitted(console, "T", ["tool", "seat holders", "power", "habitual"], rows)
    out = console.export_text()
    lines = [line for line in out.splitlines() if line.startswith("│")]
    cells = [c.strip() for line in lines for c in line.split("│")]
    assert "see below" in cells  # no colon to cut at: the cell points below
    assert f"chatgpt: {note}" in " ".join(line.strip() for line in out.splitlines())
    assert max(cell_len(line) for line in out.splitlines()) <= 80


def test_a_hidden_mix_total_hides_the_shares_and_the_merged_row(filled: Path) -> None:
    from rich.console import Console

    from uptake.cli.tools import render

    out = CliRunner().invoke(app, ["tools", "-w", str(filled), "--as-of", "2024-03-31", "--json"])
    doc = json.loads(out.output)
    # As the metric gives it when the plan hides the total (the 300-person dashboard
    # organisation's case): the total gone, one combination shown with no share.
    doc["tool_mix"].update(
        people=None, people_suppressed="complementary",
        combinations=[{"segment": "copilot + cursor", "n": 6, "suppressed": False}],
    )  # fmt: skip
    console = Console(record=True, width=120)
    render(doc, console)
    text = console.export_text()
    flat = " ".join(text.split())  # a title wraps to its table's width
    assert "Combinations of tools (people active in any: hidden)" in flat
    rows = {
        cells[0]: cells[1:]
        for line in text.splitlines()
        if line.startswith("│") and (cells := [c.strip() for c in line.strip("│").split("│")])
    }
    assert rows["copilot + cursor"] == ["6", "hidden"]
    assert rows["other combinations"] == ["hidden", "hidden"]
    assert "the total is hidden so a smaller group cannot be worked out" in flat
    assert "every combination is in" not in flat


def test_every_combination_merged_says_so(filled: Path) -> None:
    from rich.console import Console

    from uptake.cli.tools import render

    out = CliRunner().invoke(app, ["tools", "-w", str(filled), "--as-of", "2024-03-31", "--json"])
    doc = json.loads(out.output)
    # The 2,000-person vendor demo's only row: "other combinations 1,450 100.0 %".
    doc["tool_mix"].update(
        people=1450, pairs=[],
        combinations=[{"segment": "other combinations", "n": 1450, "share": 1.0}],
    )  # fmt: skip
    console = Console(record=True, width=200)
    render(doc, console)
    flat = " ".join(console.export_text().split())
    assert (
        "every combination is in other combinations: none can be shown without letting a "
        f"group of fewer than {doc['min_group_size']} be worked out"
    ) in flat


def test_a_cell_hidden_by_subtraction_says_so_not_only_hidden(filled: Path) -> None:
    from rich.console import Console

    from uptake.cli.tools import render

    out = CliRunner().invoke(app, ["tools", "-w", str(filled), "--as-of", "2024-03-31", "--json"])
    doc = json.loads(out.output)
    rows = doc["tool_usage"]["segments"]
    # As the plan gives it on the 400-person vendor view: one tool hidden whole, one value of
    # the other hidden, each because it would give a smaller group away by subtraction.
    rows[0].update(licensed=None, licensed_suppressed="complementary")
    doc["tool_usage"]["segments"] = [rows[0], {"segment": "cursor", "suppressed": "complementary"}]
    console = Console(record=True, width=160)
    render(doc, console)
    text = console.export_text()
    cells = {
        cells[0]: cells[1:]
        for line in text.split("Combinations")[0].splitlines()
        if line.startswith("│") and (cells := [c.strip() for c in line.strip("│").split("│")])
    }
    assert cells["cursor"][0] == "hidden ‡" and cells["copilot"][2] == "hidden ‡", cells
    # The header's "groups below k hidden" would otherwise read as fewer than k people.
    legend = "‡ hidden so a smaller group cannot be worked out"
    assert legend in text.split("Combinations")[0]
    # A table with nothing hidden by subtraction carries no legend.
    doc["tool_usage"]["segments"] = [dict(rows[0], licensed=12, licensed_suppressed=None)]
    doc["tool_cost"]["segments"] = []
    doc["usage_segments"]["segments"] = []
    console = Console(record=True, width=160)
    render(doc, console)
    assert legend not in console.export_text()


def test_a_tool_without_seats_reads_not_available(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Twelve Copilot seat holders; six also use Claude, of which no seat is known.
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    monkeypatch.delenv("UPTAKE_WORKSPACE", raising=False)
    now = pd.Timestamp("2024-04-01T00:00:00Z").to_pydatetime()
    people = [f"u{i}@example.com" for i in range(12)]
    uses = [(p, "copilot") for p in people] + [(p, "claude") for p in people[:6]]
    with Workspace.init(tmp_path / "ws") as ws:
        ws.ingest_frame(
            "licenses",
            pd.DataFrame([{"person": p, "tool": "copilot", "assigned_at": "2024-01-02T00:00:00Z"}
                          for p in people]),
            source="l", now=now, refresh=False,
        )  # fmt: skip
        ws.ingest_frame(
            "events",
            pd.DataFrame([{"event_id": f"e{i}", "ts": "2024-03-20T10:00:00Z", "person": p,
                           "tool": t, "action": "prompt"} for i, (p, t) in enumerate(uses)]),
            source="e", now=now,
        )  # fmt: skip
    out = CliRunner().invoke(
        app,
        ["tools", "-w", str(tmp_path / "ws"), "--as-of", "2024-03-31"],
        env={"COLUMNS": "200", "UPTAKE__PRIVACY__MIN_GROUP_SIZE": "3"},
    )
    assert out.exit_code == 0, out.output
    row = next(line for line in out.output.splitlines() if line.startswith("│ claude "))
    # Its licensed people and its rate: not available (they had read 0 and 100.0 %).
    assert row.count("not available") == 2 and "100.0 %" not in row, row
    assert "no seat of claude is known" in out.output
