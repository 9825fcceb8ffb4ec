"""Help screens name what a parameter takes in words, never Python's types."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer.main
from typer.testing import CliRunner

from uptake.cli import app

# Typer's own notation: a Python type in angle brackets, a required argument in braces.
_PYTHON_TYPE = re.compile(r"<(str|int|float|bool|path|Path|date|list\[[^\]]*\])>")
_BRACED = re.compile(r"\{[A-Za-z_]+\}")


def _commands(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def _help(*path: str) -> str:
    res = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert res.exit_code == 0, res.output
    return res.output


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_every_command_is_walked() -> None:
    assert len(COMMANDS) > 40 and ("ingest",) in COMMANDS and ("token", "revoke") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "uptake")
def test_no_help_screen_shows_a_python_type(path: tuple[str, ...]) -> None:
    out = _help(*path)
    assert not _PYTHON_TYPE.search(out), out
    assert not _BRACED.search(out), out


def test_ingest_names_its_arguments_and_flags_take_no_value() -> None:
    out = _help("ingest")
    assert "Usage: uptake ingest [OPTIONS] TABLE [FILES]..." in out
    # The required first argument is a table, or with a vendor format the first file.
    assert re.search(r"\*\s+TABLE\s+TEXT\s+Canonical table", out)
    assert "the first file" in out and "omit it" not in out
    assert re.search(r"--json\s+Print machine-readable JSON", out)
    assert re.search(r"--map\s+TEXT\s+Column rename", out)


def test_a_missing_argument_is_named_as_in_the_usage() -> None:
    res = CliRunner().invoke(app, ["restore"], env={"COLUMNS": "80"})
    assert res.exit_code == 2
    assert "missing argument 'ARCHIVE'" in res.output


def test_a_ranged_number_reads_as_a_word_with_its_bounds() -> None:
    assert re.search(r"--port\s+INTEGER \[1<=x<=65535\]", _help("serve"))


def _command(path: tuple[str, ...]) -> object:
    command: object = typer.main.get_command(app)
    for name in path:
        command = getattr(command, "commands", {})[name]
    return command


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "uptake")
def test_a_command_s_summary_is_one_line(path: tuple[str, ...]) -> None:
    # The list of commands shows a docstring's first paragraph as written: a line break in it
    # broke `uptake --help`'s audit-sample entry mid-sentence ("levels and the" / "ladder").
    summary = (getattr(_command(path), "help", None) or "").strip().split("\n\n")[0]
    assert "\n" not in summary, summary
