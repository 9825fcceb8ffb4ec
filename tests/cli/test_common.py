"""The shared progress bar: drawn on a terminal once work runs long enough, never otherwise."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from uptake.cli import common


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
