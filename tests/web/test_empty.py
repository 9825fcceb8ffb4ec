"""A workspace with nothing in it yet (or a roster only): every page answers, none breaks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from factories import FROZEN_NOW, rows
from server_helpers import sign_in
from uptake.cli import app
from uptake.web import create_app
from uptake.web.views import pages
from uptake.workspace import Workspace
from uptake.workspace.access import Actor


@pytest.fixture(params=["nothing", "a roster"])
def early(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, str]]:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    monkeypatch.delenv("UPTAKE_WORKSPACE", raising=False)
    folder = tmp_path / "ws"
    with Workspace.init(folder) as ws:
        if request.param == "a roster":
            people = pd.DataFrame(rows("people", 12))
            ws.ingest_frame("people", people, source="p", now=FROZEN_NOW)
        token = str(ws.create_token("admin")["token"])
    yield folder, token


def test_every_page_and_its_json_answer_before_any_activity(early: tuple[Path, str]) -> None:
    folder, token = early
    offered = [p for p in pages() if p.offered_to(Actor(name="t", role="admin"))]
    assert len(offered) >= 10
    with TestClient(create_app(folder), raise_server_exceptions=False) as client:
        sign_in(client, token)
        for p in offered:
            page = client.get(f"/{p.slug}")
            assert page.status_code == 200, (p.slug, page.text[:300])
            doc = client.get(f"/v1/{p.slug}", headers={"Authorization": f"Bearer {token}"})
            assert doc.status_code == 200, (p.slug, doc.text[:300])


def test_the_report_is_written_before_any_activity(early: tuple[Path, str]) -> None:
    folder, _ = early
    out = folder.parent / "report.html"
    r = CliRunner().invoke(app, ["report", "--out", str(out), "-w", str(folder)])
    assert r.exit_code == 0, r.stderr
    assert "not available" in out.read_text()


def test_every_read_of_the_api_answers_before_any_activity(early: tuple[Path, str]) -> None:
    # Every GET the API documents, a path parameter filled with a name no roster holds: an
    # answer or a refusal in words, never a server error.
    folder, token = early
    with TestClient(create_app(folder), raise_server_exceptions=False) as client:
        spec = client.get("/openapi.json").json()
        routes = sorted(p for p, ops in spec["paths"].items() if "get" in ops)
        assert len(routes) >= 15
        headers = {"Authorization": f"Bearer {token}"}
        for path in routes:
            url = re.sub(r"\{[^}]+\}", "nobody", path)
            r = client.get(url, headers=headers, params={"person": "nobody@example.org"})
            assert r.status_code < 500, (url, r.text[:300])
