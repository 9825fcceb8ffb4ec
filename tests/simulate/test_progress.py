"""simulate() reports progress through a callback and draws nothing itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim_helpers import run


def test_progress_callback_counts_every_chunk(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[str, int, int]] = []
    run(tmp_path / "sim", people=60, days=30, progress=lambda *a: calls.append(a))
    # 60 people fit one chunk: the start (0 of 1) and its end (1 of 1).
    assert calls == [("simulate", 0, 1), ("simulate", 1, 1)]
    out, err = capfd.readouterr()
    assert out == "" and err == ""
