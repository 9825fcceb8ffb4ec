"""`uptake serve`: its help names the settings' defaults; its log lines carry their time."""

from __future__ import annotations

import logging
import re

import pytest
from typer.testing import CliRunner

from uptake.cli import app
from uptake.cli.serve import HOST, PORT, _log_to_stderr
from uptake.config import ServeSettings


def test_the_help_names_the_defaults_the_settings_have() -> None:
    assert (ServeSettings().host, ServeSettings().port) == (HOST, PORT)
    out = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output
    assert f"(default: serve.host, {HOST})" in out
    assert f"(default: serve.port, {PORT})" in out


def test_the_servers_errors_reach_stderr_with_their_time(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    logger = logging.getLogger("uptake")
    # The handler is the server's for its whole life; here it is undone after the test.
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logger.level)
    monkeypatch.setattr(logger, "propagate", False)
    _log_to_stderr()
    _log_to_stderr()  # once only, however often the server starts
    logging.getLogger("uptake.web").error("GET /v1/signals: WorkspaceError: too late")
    logging.getLogger("uptake.web").info("not for the log")
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ERROR uptake\.web: "
        r"GET /v1/signals: WorkspaceError: too late",
        err[0],
    ), err
