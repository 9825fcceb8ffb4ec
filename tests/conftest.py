"""Fixtures shared by every test: a fresh workspace and the canonical row factory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from xdist.scheduler import LoadScopeScheduling

from uptake.warehouse import sql_template
from uptake.workspace import Workspace
from xdist_files import FileScheduling

# Exact-value tests and goldens compare numbers to the unit: they run with the noise off.
# Privacy tests turn it on explicitly (monkeypatch the variable, or build a `Noise`).
os.environ.setdefault("UPTAKE__PRIVACY__NOISE", "false")
# Each test app would warm every dashboard page in the background: tests ask what they need.
os.environ.setdefault("UPTAKE__SERVE__WARM", "false")
# Speed is measured in the benchmarks, never asserted in tests: no example has a deadline
# (a loaded machine once took 323 ms over Hypothesis's default 200 ms for a 25 ms example).
settings.register_profile("uptake", deadline=None)
settings.load_profile("uptake")
# Every SQL template filled with a query's dates is compared with that query compiled afresh:
# the whole suite's queries check that their SQL never depends on a date's value.
sql_template.VERIFY = True


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """A new, empty workspace in a temporary folder."""
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    monkeypatch.delenv("UPTAKE_WORKSPACE", raising=False)
    ws = Workspace.init(tmp_path / "ws")
    yield ws
    ws.close()


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    """Group tests by file under `--dist loadgroup` (what `make test` runs); else xdist's own."""
    if config.getvalue("dist") != "loadgroup":
        return None
    return FileScheduling(config, log)
