"""`uptake serve`'s help: what it listens on by default, as the settings say."""

from __future__ import annotations

from typer.testing import CliRunner

from uptake.cli import app
from uptake.cli.serve import HOST, PORT
from uptake.config import ServeSettings


def test_the_help_names_the_defaults_the_settings_have() -> None:
    assert (ServeSettings().host, ServeSettings().port) == (HOST, PORT)
    out = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output
    assert f"(default: serve.host, {HOST})" in out
    assert f"(default: serve.port, {PORT})" in out
