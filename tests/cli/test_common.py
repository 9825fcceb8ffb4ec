"""Shared CLI parts: the progress bar (on a terminal once work runs long), the output check."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from uptake.cli import common
from uptake.errors import InputError
from uptake.workspace import Workspace


def _terminal(monkeypatch: pytest.MonkeyPatch, is_terminal: bool) -> io.StringIO:
    out = io.StringIO()
    console = Console(file=out, force_terminal=is_terminal, width=100)
    monkeypatch.setattr(common, "err_console", console)
    return out


def test_a_bar_is_drawn_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _terminal(monkeypatch, True)
    with common.progress_bar("simulate", after=0.0) as bar:
        bar.update("simulate", 1, 4)
    assert "simulate" in out.getvalue() and "1/4" in out.getvalue()


@pytest.mark.parametrize(("is_terminal", "after"), [(False, 0.0), (True, 60.0)])
def test_no_bar_off_a_terminal_or_for_quick_work(
    monkeypatch: pytest.MonkeyPatch, is_terminal: bool, after: float
) -> None:
    out = _terminal(monkeypatch, is_terminal)
    with common.progress_bar("ingest", total=2, after=after) as bar:
        bar.stage("read")
        bar.advance()
    assert out.getvalue() == ""


def test_an_output_folder_is_checked_before_any_work(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    # Missing folders are fine where the command makes them, not where it does not.
    common.check_out_folder(tmp_path / "new" / "deeper" / "r.html", create=True)
    with pytest.raises(InputError, match=r"the folder .*new does not exist"):
        common.check_out_folder(tmp_path / "new" / "c.html", create=False)
    # A file where a folder must be: refused as `mkdir` would refuse it, naming the file.
    for out in (blocker / "r.html", blocker / "sub" / "r.html"):
        with pytest.raises(FileExistsError) as caught:
            common.check_out_folder(out, create=True)
        assert caught.value.filename == str(blocker)


def test_a_report_to_an_unwritable_path_is_refused_before_it_is_computed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from uptake.cli import app
    from uptake.web import report

    def computed(*_: Any, **__: Any) -> Path:
        raise AssertionError("the report was computed before its path was checked")

    monkeypatch.setattr(report, "write_report", computed)
    Workspace.init(tmp_path / "ws").close()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    args = ["report", "--out", str(blocker / "r.html"), "-w", str(tmp_path / "ws")]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.output
    assert f"{blocker}: cannot read or write it: already exists and is not a folder" in r.output
