"""Small simulated organisations shared by the simulator tests (generated once per session)."""

from __future__ import annotations

import pytest

from sim_helpers import run
from uptake.simulate import SimulationSummary


@pytest.fixture(scope="session")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    """200 people, 60 days, mixed scenario, Parquet, clean."""
    return run(tmp_path_factory.mktemp("mixed"))


@pytest.fixture(scope="session")
def medium(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    """1,000 people over 90 days: enough people per persona for rate checks."""
    return run(tmp_path_factory.mktemp("medium"), people=1000, days=90, seed=5)
