"""`uptake shadow-ai` through the CLI: the JSON document, the tables, and what is missing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from uptake.cli import app
from uptake.workspace import Workspace

NOW = pd.Timestamp("2026-06-01T00:00:00Z").to_pydatetime()
PERSON_KEY = re.compile(r"p_[0-9a-f]{20}")


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Two teams of 12; 6 people in team a on claude.ai, 7 in b on perplexity.ai."""
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    root = tmp_path_factory.mktemp("shadow-cli")
    folder = root / "ws"
    people = [f"u{i}@example.com" for i in range(24)]
    lines = ["timestamp,user,domain"]
    lines += [f"2026-05-20T10:00:00Z,{p},claude.ai" for p in people[:6]]
    lines += [f"2026-05-20T10:00:00Z,{p},perplexity.ai" for p in people[12:19]]
    lines += [f"2026-05-20T10:00:00Z,{p},www.example.com" for p in people]
    (root / "proxy.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Workspace.init(folder) as ws:
        ws.ingest_frame("people", pd.DataFrame({"person": people, "team": ["a"] * 12 + ["b"] * 12}),
                        source="p", now=NOW, refresh=False)  # fmt: skip
    # Through the command line, as a user would: the note counts the rows left out.
    out = CliRunner().invoke(
        app, ["ingest", "--format", "proxy", str(root / "proxy.csv"), "-w", str(folder)],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "24 rows ignored: not an AI tool domain" in out.output
    yield folder
    mp.undo()


def _run(*args: str) -> object:
    return CliRunner().invoke(app, ["shadow-ai", *args], env={"COLUMNS": "200"})


def test_json_document(filled: Path) -> None:
    out = _run("-w", str(filled), "--as-of", "2026-05-31", "--by", "team", "--json")
    assert out.exit_code == 0, out.output  # type: ignore[attr-defined]
    doc = json.loads(out.output)  # type: ignore[attr-defined]
    rows = {r["segment"]: r for r in doc["proxy"]["segments"]}
    assert (rows["a"]["people"], rows["b"]["people"]) == (6, 7)
    assert rows["b"]["tools"] == [{"tool": "Perplexity", "people": 7, "share": 0.5833}]
    assert doc["survey"]["status"] == "not_available"
    assert not PERSON_KEY.search(out.output)  # type: ignore[attr-defined]


def test_tables_say_what_is_missing(filled: Path) -> None:
    out = _run("-w", str(filled), "--as-of", "2026-05-31", "--by", "team")
    text = out.output  # type: ignore[attr-defined]
    assert out.exit_code == 0, text  # type: ignore[attr-defined]
    assert "Proxy logs: people on unsanctioned AI tools, 2026-05-04 to 2026-05-31" in text
    assert "Perplexity (7)" in text
    assert "pulse survey: not available: needs responses: pulse survey item shadow_ai" in text


def test_nothing_to_show_is_not_available(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    with Workspace.init(tmp_path / "ws") as ws:
        ws.ingest_frame("people", pd.DataFrame({"person": ["a@example.com"]}), source="p", now=NOW)
    out = _run("-w", str(tmp_path / "ws"))
    assert out.exit_code == 0  # type: ignore[attr-defined]
    assert (
        "not available: needs ai_web_visits (proxy logs) or pulse survey item shadow_ai"
        in out.output  # type: ignore[attr-defined]
    )
