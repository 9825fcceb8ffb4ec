"""An option that takes one value, given twice, is refused in one line (click kept the last)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from uptake.cli import app


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.stderr


def test_a_breakdown_asked_twice_is_refused_before_anything_runs(tmp_path: Path) -> None:
    # No workspace there: the refusal comes first, from the command line alone.
    code, err = _run("metrics", "-w", str(tmp_path / "none"), "--by", "team", "--by=role")
    assert code == 2
    assert err.strip().splitlines() == [
        "error: --by given 2 times: it takes one value, give it once (see uptake metrics --help)"
    ]


def test_the_short_and_long_names_of_one_option_count_together(tmp_path: Path) -> None:
    code, err = _run("status", "-w", str(tmp_path / "a"), "--workspace", str(tmp_path / "b"))
    assert code == 2 and "--workspace and -w given 2 times" in err


def test_repeatable_options_and_a_value_after_double_dash_are_left_alone(tmp_path: Path) -> None:
    # --metric takes several values; the refusal here is the missing workspace, not a repeat.
    code, err = _run("metrics", "-w", str(tmp_path / "none"), "-m", "usage_rate", "-m", "nps")
    assert code == 2 and "given 2 times" not in err
    # After "--" every word is an argument (files named like options), counted by nobody.
    args = ("--", "--format", "a.csv", "--format", "b.csv")
    code, err = _run("ingest", "events", "-w", str(tmp_path), *args)
    assert code == 2 and "given 2 times" not in err


def test_commands_of_subgroups_are_covered(tmp_path: Path) -> None:
    code, err = _run("coach", "effect", "--by", "team", "--by", "role", "-w", str(tmp_path))
    assert code == 2 and "--by given 2 times" in err
