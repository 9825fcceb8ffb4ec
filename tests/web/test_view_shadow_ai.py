"""The shadow-AI page: k-safe aggregates per segment, labelled charts, CSV, roles, and what is
missing on both views of the simulated org."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from server_helpers import sign_in
from uptake.web import create_app
from uptake.workspace import Workspace

PERSON_KEY = re.compile(r"p_[0-9a-f]{20}")
NOW = pd.Timestamp("2026-06-01T00:00:00Z").to_pydatetime()


def _get(c: TestClient, token: str, path: str) -> Any:
    return c.get(path, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Three teams of 12 (6, 7 and 2 people on unsanctioned tools) and a pulse survey."""
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    root = tmp_path_factory.mktemp("shadow-web")
    folder = root / "ws"
    people = [f"u{i}@example.com" for i in range(36)]
    teams = ["a"] * 12 + ["b"] * 12 + ["c"] * 12
    on = people[:6] + people[12:19] + people[24:26]
    lines = ["timestamp,user,url"]
    lines += [f"2026-05-20T10:00:00Z,{p},https://claude.ai/chat/x" for p in on]
    (root / "proxy.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    answers = [{"response_id": f"s{i}:shadow_ai", "ts": "2026-05-25T09:00:00Z",
                "instrument": "pulse", "item": "shadow_ai", "person": p,
                "score": float(i % 2)} for i, p in enumerate(people)]  # fmt: skip
    with Workspace.init(folder) as ws:
        ws.ingest_frame("people", pd.DataFrame({"person": people, "team": teams}),
                        source="p", now=NOW, refresh=False)  # fmt: skip
        ws.ingest("ai_web_visits", [root / "proxy.csv"], fmt="proxy", now=NOW, refresh=False)
        ws.ingest_frame("responses", pd.DataFrame(answers), source="r", now=NOW)
        tokens = {role: ws.create_token(role, scope)["token"]
                  for role, scope in [("admin", []), ("analyst", []),
                                      ("manager", ["team:a"]), ("coach", ["team:a"])]}  # fmt: skip
    with TestClient(create_app(folder), raise_server_exceptions=False) as c:
        view = _get(c, tokens["analyst"], "/v1/shadow-ai?by=team&as_of=2026-05-31")
        assert view.status_code == 200, view.text
        sign_in(c, tokens["analyst"])
        page = c.get("/shadow-ai?by=team&as_of=2026-05-31")
        assert page.status_code == 200, page.text
        yield {"client": c, "tokens": tokens, "view": view.json(), "page": page.text}
    mp.undo()


def test_page_shows_segments_at_or_above_k_with_labelled_charts(site: dict[str, Any]) -> None:
    view, page = site["view"], html.unescape(site["page"])
    assert view["status"] == "ok"
    rows = {r["group"]: r for r in view["proxy_rows"]}
    assert (rows["(organisation)"]["of"], rows["(organisation)"]["count"]) == (36, 15)
    assert rows["b"]["count"] == 7
    # c's 2 people are hidden, and so is a (it would give c away by subtraction).
    assert rows["c"]["count"] is None and rows["c"]["hidden"] == "hidden: fewer than k people"
    assert rows["a"]["count"] is None and "subtraction" in rows["a"]["hidden"]
    assert len(view["charts"]) == 2
    for ch in view["charts"]:
        assert ch["title"] in page
        assert ch["caption"].startswith("as of 2026-05-31") and "n = " in ch["caption"]
    assert "28-day window" in view["charts"][0]["caption"]
    assert "hidden: fewer than k people" in page
    assert "Web-proxy logs" in page and "Pulse survey" in page
    assert not PERSON_KEY.search(site["page"] + json.dumps(view))


def test_csv_exports(site: dict[str, Any]) -> None:
    c = site["client"]
    for table in ("proxy", "survey"):
        page_csv = c.get(f"/shadow-ai/{table}.csv?by=team&as_of=2026-05-31")
        api_csv = _get(
            c, site["tokens"]["admin"], f"/v1/shadow-ai/{table}.csv?by=team&as_of=2026-05-31"
        )
        assert page_csv.status_code == api_csv.status_code == 200, table
        assert page_csv.text == api_csv.text
        rows = list(csv.DictReader(io.StringIO(page_csv.text)))
        assert rows and rows[0]["group"] == "(organisation)"
        assert not PERSON_KEY.search(page_csv.text)


def test_roles_and_bad_input(site: dict[str, Any]) -> None:
    c, tokens = site["client"], site["tokens"]
    assert _get(c, tokens["analyst"], "/v1/shadow-ai?by=shoe").status_code == 400
    for role in ("manager", "coach"):
        assert _get(c, tokens[role], "/v1/shadow-ai").status_code == 403, role


def test_the_simulated_org_shows_its_planted_shadow_ai(org: Any) -> None:
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        doc = _get(c, org.tokens["analyst"], "/v1/shadow-ai?by=function").json()
    assert doc["status"] == "ok"
    # The simulator's provided Copilot is sanctioned by its licences, not counted.
    assert doc["catalogue"]["sanctioned"] == ["Microsoft Copilot"]
    proxy = doc["proxy"]["organisation"]
    assert proxy["people"] >= doc["k"]
    assert "Microsoft Copilot" not in {t["tool"] for t in proxy["tools"]}
    assert doc["survey"]["status"] == "ok"
    assert not PERSON_KEY.search(json.dumps(doc))


def test_the_vendor_view_has_no_shadow_ai_inputs(vendor_org: Any) -> None:
    with TestClient(create_app(vendor_org.folder), raise_server_exceptions=False) as c:
        doc = _get(c, vendor_org.tokens["analyst"], "/v1/shadow-ai").json()
        sign_in(c, vendor_org.tokens["analyst"])
        page = html.unescape(c.get("/shadow-ai").text)
    # Vendor exports carry neither proxy logs nor survey answers.
    assert doc["status"] == "not_available"
    assert doc["needs"] == ["ai_web_visits (proxy logs) or pulse survey item shadow_ai"]
    assert doc["charts"] == [] and doc["proxy_rows"] == []
    assert "not available: needs ai_web_visits (proxy logs)" in page
    # No link to a file that would hold only a header; the JSON link stays.
    assert "This page as JSON" in page
    assert "proxy (CSV)" not in page and "survey (CSV)" not in page


def test_a_page_links_the_csv_files_that_have_rows(site: dict[str, Any]) -> None:
    c = site["client"]
    sign_in(c, site["tokens"]["analyst"])
    page = html.unescape(c.get("/shadow-ai?as_of=2026-05-31").text)
    assert "proxy (CSV)" in page and "survey (CSV)" in page
