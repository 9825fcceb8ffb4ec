"""Shared fixtures for the connector tests: the published samples and file writers."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from uptake.ingest.spill import SpillTo, spilling

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


@pytest.fixture
def reading_peak(tmp_path: Path) -> Callable[[Callable[[Path], Any], Path, Path], tuple[int, int]]:
    """Measure a connector's read of an NDJSON file against the file's rows parsed.

    The callable takes the read, the file and a small file read first (so what writing a
    chunk imports the first time is not counted), and returns (the read's peak traced bytes,
    spilling in chunks of 1,000 rows; the bytes the file's rows take as parsed JSON).
    """

    def measure(read: Callable[[Path], Any], path: Path, warm: Path) -> tuple[int, int]:
        spill = tmp_path / "reading-peak-spill"
        spill.mkdir(exist_ok=True)
        with spilling(SpillTo(spill, 1_000)):
            read(warm)
        tracemalloc.start()
        try:
            with spilling(SpillTo(spill, 1_000)):
                read(path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        tracemalloc.start()
        try:
            rows = [json.loads(line) for line in path.read_text().splitlines()]
            parsed = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert rows
        return peak, parsed

    return measure
