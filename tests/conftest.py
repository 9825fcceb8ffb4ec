"""Fixtures shared by every test: a fresh workspace and the canonical row factory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from uptake.workspace import Workspace


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """A new, empty workspace in a temporary folder."""
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    monkeypatch.delenv("UPTAKE_WORKSPACE", raising=False)
    ws = Workspace.init(tmp_path / "ws")
    yield ws
    ws.close()
