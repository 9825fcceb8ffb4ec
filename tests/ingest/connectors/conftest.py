"""Shared fixtures for the connector tests: the published samples and file writers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent


@pytest.fixture
def samples() -> Path:
    """Folder of the vendors' published samples (verbatim copies)."""
    return HERE / "samples"


@pytest.fixture
def fixtures() -> Path:
    """Folder of example exports written for these tests."""
    return HERE / "fixtures"


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, Any], Path]:
    """Write text, bytes or a JSON value to a file under tmp_path and return its path."""

    def _write(name: str, content: Any) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(json.dumps(content), encoding="utf-8")
        return path

    return _write
