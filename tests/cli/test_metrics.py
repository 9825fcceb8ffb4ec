"""`uptake metrics` through the CLI: JSON contract and "< k" in the human tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from uptake.cli import app
from uptake.workspace import Workspace


@pytest.fixture
def filled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace with 7 licensed people: team big (5) and team tiny (2); k = 5 by default."""
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    monkeypatch.delenv("UPTAKE_WORKSPACE", raising=False)
    ws = Workspace.init(tmp_path / "ws")
    people = [f"u{i}@example.com" for i in range(7)]
    teams = ["big"] * 5 + ["tiny"] * 2
    now = pd.Timestamp("2024-04-01T00:00:00Z").to_pydatetime()
    roster = pd.DataFrame(
        {"person": people, "aliases": [[] for _ in people], "team": teams, "role": "analyst"}
    )
    ws.ingest_frame("people", roster, source="p", now=now)
    ws.ingest_frame(
        "licenses",
        pd.DataFrame({"person": people, "tool": "copilot", "assigned_at": "2024-01-02T00:00:00Z"}),
        source="l",
        now=now,
    )
    ev = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(5)],
            "ts": "2024-03-20T10:00:00Z",
            "person": people[:4] + people[5:6],
            "tool": "copilot",
            "action": "prompt",
        }
    )
    ws.ingest_frame("events", ev, source="e", now=now)
    ws.close()
    return tmp_path / "ws"


def _run(args: list[str]) -> Any:
    result = CliRunner().invoke(app, ["metrics", *args])
    assert result.exit_code == 0, result.output
    return result


def test_json_contract(filled: Path) -> None:
    out = json.loads(_run(["-w", str(filled), "--as-of", "2024-03-31", "--json"]).stdout)
    assert list(out) == [
        "as_of",
        "as_of_rule",
        "window_days",
        "min_group_size",
        "by",
        "currency",
        "privacy",
        "metrics",
    ]
    assert out["privacy"]["noise"] is False  # tests run with privacy.noise off
    assert (out["as_of"], out["window_days"], out["min_group_size"]) == ("2024-03-31", 28, 5)
    usage = out["metrics"]["usage_rate"]
    # 7 licensed, 5 with an event on 03-20.
    assert (usage["n"], usage["active"]) == (7, 5)
    depth = out["metrics"]["depth_of_use"]
    assert (depth["status"], depth["needs"]) == ("not_available", ["tasks", "workflows.stakes"])


def test_json_segments_below_k_carry_only_the_flag(filled: Path) -> None:
    out = json.loads(
        _run(["-w", str(filled), "--as-of", "2024-03-31", "--by", "team", "--json"]).stdout
    )
    rows = {r["segment"]: r for r in out["metrics"]["usage_rate"]["segments"]}
    # tiny (2 < 5) is hidden; big (5) is its complement: 7 − 5 would give tiny away.
    assert rows["tiny"] == {"segment": "tiny", "suppressed": "small"}
    assert rows["big"] == {"segment": "big", "suppressed": "complementary"}


def test_human_output_shows_less_than_k(filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    text = _run(["-w", str(filled), "--as-of", "2024-03-31", "--by", "team"]).stdout
    assert "usage_rate —" in text and "By team" in text and " tiny " in text
    assert "< 5 people" in text
    assert "not available" in text


def test_bad_arguments_are_input_errors(filled: Path) -> None:
    result = CliRunner().invoke(app, ["metrics", "-w", str(filled), "--by", "shoe size"])
    assert result.exit_code != 0
    result = CliRunner().invoke(app, ["metrics", "-w", str(filled), "--as-of", "31/03/2024"])
    assert result.exit_code != 0


def test_an_as_of_whose_window_follows_the_last_activity_is_noted_on_stderr(filled: Path) -> None:
    later = _run(["-w", str(filled), "--as-of", "2062-03-31", "--json"])
    assert json.loads(later.stdout)["as_of"] == "2062-03-31"  # the JSON stays JSON
    assert "--as-of 2062-03-31 is after the last day with activity (2024-03-20): its 28-day" in (
        later.stderr
    )
    # A window that still reaches the last activity is an ordinary as-of (month ends, say).
    for day in ("2024-03-20", "2024-03-01", "2024-04-16"):
        assert "after the last day" not in _run(["-w", str(filled), "--as-of", day]).stderr
