"""A small served workspace with one token per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from factories import FROZEN_NOW, person_id, rows
from shared_build import shared_build
from uptake.web import create_app
from uptake.workspace import Workspace


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """(workspace folder, {role: token}) with people, licences and a month of events."""
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    folder = tmp_path_factory.mktemp("web") / "ws"
    with Workspace.init(folder) as ws:
        ws.ingest_frame("people", pd.DataFrame(rows("people", 30)), source="p", now=FROZEN_NOW)
        ws.ingest_frame("licenses", pd.DataFrame(rows("licenses", 30)), source="l", now=FROZEN_NOW)
        ws.ingest_frame("events", pd.DataFrame(rows("events", 300)), source="e", now=FROZEN_NOW)
        tokens = {
            role: ws.create_token(role, scope)["token"]
            for role, scope in [
                ("admin", []),
                ("analyst", []),
                ("manager", ["team:team1"]),
                ("coach", ["team:team2"]),
                ("person", [f"person:{person_id(3)}"]),
                ("ingest", []),
            ]
        }
        revoked = ws.create_token("analyst")
        ws.revoke_token(revoked["token_id"])
        tokens["revoked"] = revoked["token"]
    yield folder, tokens
    mp.undo()


@pytest.fixture
def client(served: tuple[Path, dict[str, str]]) -> Iterator[TestClient]:
    with TestClient(create_app(served[0]), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def tokens(served: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return served[1]


@dataclass(frozen=True)
class Org:
    """A simulated organisation served by the web tests: folder, tokens per role, who is who."""

    folder: Path
    tokens: dict[str, str]
    team: str  # the manager's team (reaches k with and without the manager)
    person: str  # the person token's roster e-mail
    person_key: str  # and their pseudonymous key


def _simulated(tmp_path_factory: pytest.TempPathFactory, emit: str) -> Org:
    """Simulate 300 people for 70 days, ingest one view of it, make a token per role.

    Built once per test run and view (see `shared_build`); each caller gets its own copy,
    with the simulation beside the workspace (`folder.parent / "simulated"`).
    """
    root, about = shared_build(tmp_path_factory, f"org-{emit}", lambda r: _build(r, emit))
    return Org(root / "ws", **about)


def _build(root: Path, emit: str) -> dict[str, Any]:
    from uptake.evaluate.views import ingest_plan
    from uptake.simulate import simulate

    sim = root / "simulated"
    simulate(people=300, days=70, seed=7, start=date(2026, 6, 1), out=sim, emit=emit)
    people = pd.read_parquet(sim / "people.parquet") if emit == "canonical" else None
    with Workspace.init(root / "ws") as ws:
        for table, paths, fmt, options in ingest_plan(sim, emit):
            ws.ingest(table, paths, fmt=fmt, options=options, refresh=False)
        ws.refresh()
        roster = ws.con.execute(
            "SELECT team, count(*) n FROM dim_person WHERE team IS NOT NULL "
            "GROUP BY team ORDER BY n DESC, team LIMIT 1"
        ).fetchone()
        assert roster is not None
        team = str(roster[0])
        if people is None:
            people = _roster_people(sim)
        mates = people[people["team"] == team].sort_values("person")
        manager = str(mates["manager"].iloc[0])
        person = str(mates["person"].iloc[-1])
        tokens = {
            role: ws.create_token(role, scope)["token"]
            for role, scope in [
                ("admin", []),
                ("analyst", []),
                ("manager", [f"team:{team}", f"person:{manager}"]),
                ("coach", [f"team:{team}"]),
                ("person", [f"person:{person}"]),
                ("ingest", []),
            ]
        }
        key = ws.pseudonymise(person)
    return {"tokens": tokens, "team": team, "person": person, "person_key": key}


def _roster_people(sim: Path) -> pd.DataFrame:
    """The vendor view's HR roster (the same person/team/manager columns)."""
    return pd.read_csv(sim / "roster" / "roster.csv")


@pytest.fixture(scope="session")
def org(tmp_path_factory: pytest.TempPathFactory) -> Org:
    """The simulated organisation's canonical view, served (shared by the page tests)."""
    return _simulated(tmp_path_factory, "canonical")


@pytest.fixture(scope="session")
def vendor_org(tmp_path_factory: pytest.TempPathFactory) -> Org:
    """The same organisation's vendor view: vendor exports and the HR roster only."""
    return _simulated(tmp_path_factory, "vendor")
