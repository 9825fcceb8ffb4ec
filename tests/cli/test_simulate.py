"""`uptake simulate` through the uptake app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from uptake.cli import app


def test_simulate_command_writes_files_and_prints_json(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--people",
            "60",
            "--days",
            "30",
            "--seed",
            "3",
            "--start",
            "2026-05-01",
            "--scenario",
            "stalled",
            "--dirty",
            "--format",
            "csv",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["people"] == 60 and summary["scenario"] == "stalled" and summary["dirty"]
    assert summary["start"] == "2026-05-01" and summary["fmt"] == "csv"
    assert (out / "events.csv").exists() and (out / "ground_truth_dirty.parquet").exists()
    assert set(summary["headline"]) >= {"licenses_unused", "high_stakes_ai_share", "login_active"}


def test_human_output_prints_the_headline_shares(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--people",
            "60",
            "--days",
            "30",
            "--out",
            str(tmp_path / "s"),
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "licences unused" in result.output and "high-stakes" in result.output


def test_bad_arguments_exit_with_the_input_error_code(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["simulate", "--people", "60", "--scenario", "nope", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2
    assert "scenario" in result.output
