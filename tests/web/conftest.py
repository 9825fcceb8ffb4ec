"""A small served workspace with one token per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from factories import FROZEN_NOW, person_id, rows
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
