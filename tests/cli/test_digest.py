"""`uptake coach digest`: a file per team (HTML e-mail body and JSON), or JSON on stdout."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories import simulated_workspace
from uptake.cli import app
from uptake.workspace import Workspace

KEY = re.compile(r"p_[0-9a-f]{20}")
# A simulated organisation of its own (a minute or more): the slow tier; the digest itself
# is covered in the default tier by tests/coach/test_digest.py and the API tests.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A small simulated organisation, ingested."""
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    yield simulated_workspace(tmp_path_factory.mktemp("digest"), people=120, days=45, seed=3)
    mp.undo()


def test_one_file_pair_per_team_that_reaches_k(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "digests"
    r = CliRunner().invoke(app, ["coach", "digest", "-w", str(folder), "--out", str(out)])
    assert r.exit_code == 0, r.output
    html = sorted(out.glob("*.html"))
    assert html and len(html) == len(list(out.glob("*.json")))
    assert re.match(r"^\d+ digests written to .*", r.output)
    for page in html:
        text = page.read_text()
        assert "This week's one action" in text and "<script" not in text.lower()
        assert not KEY.search(text)
        doc = json.loads(page.with_suffix(".json").read_text())
        assert all(x["n"] is None or x["n"] >= doc["k"] for x in doc["numbers"])
        assert all(f["people"] >= doc["k"] for f in doc["friction"])


def test_one_team_as_json(folder: Path) -> None:
    with Workspace.open(folder, read_only=True) as ws:
        team = ws.con.execute(
            "SELECT team FROM dim_person GROUP BY team ORDER BY count(*) DESC, team LIMIT 1"
        ).fetchone()[0]
    r = CliRunner().invoke(app, ["coach", "digest", "-w", str(folder), "--team", team, "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["team"] == team and doc["action"]["text"] and doc["html"].startswith("<div")
    missing = CliRunner().invoke(app, ["coach", "digest", "-w", str(folder), "--team", "nope"])
    assert missing.exit_code == 2 and "no team 'nope'" in missing.output
