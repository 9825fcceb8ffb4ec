"""The coach widget's server side: the script, the demo host page, CORS for the coach API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from uptake.config.coach import CoachSettings
from uptake.web import create_app, widget

HOST = "https://intranet.example.com"
OTHER = "https://evil.example.net"


@pytest.fixture
def site(
    served: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setenv("UPTAKE__COACH__ORIGINS", f'["{HOST}", "http://localhost:8080"]')
    app = _app(served[0])
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _app(folder: Path) -> FastAPI:
    """The app, which installs the widget and the coach API's CORS itself."""
    app = create_app(folder)
    assert any(m.cls is widget.CoachCORS for m in app.user_middleware)
    return app


def _preflight(c: TestClient, origin: str, method: str = "GET", path: str = "/v1/coach/next",
               headers: str = "authorization") -> httpx.Response:  # fmt: skip
    return c.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                    "Access-Control-Request-Headers": headers})  # fmt: skip


def test_the_script_is_served_small_cacheable_and_safe(site: TestClient) -> None:
    r = site.get("/coach.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == widget.SCRIPT_CACHE
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers.get("etag")
    assert len(r.content) < 12_000
    # Card text is set as text only, and nothing is evaluated.
    assert "innerHTML" not in r.text and "eval(" not in r.text
    assert "new Function" not in r.text and "insertAdjacentHTML" not in r.text
    # Dependency-free: it loads nothing from anywhere.
    assert "import " not in r.text and "http://" not in r.text and "https://UPTAKE" in r.text


def test_the_demo_host_page_embeds_the_widget_under_the_csp(site: TestClient) -> None:
    r = site.get("/demo/host")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src and script_src.group(1) == "'self'", csp
    scripts = re.findall(r"<script\b[^>]*>", r.text)
    assert scripts and all('src="/' in s for s in scripts), scripts  # no inline script
    assert 'data-token-from="hash"' in r.text and 'data-workflow="fin.variance_analysis"' in r.text
    assert "What this page demonstrates" in r.text
    assert "access-control-allow-origin" not in r.headers


def test_a_listed_origin_passes_the_preflight_with_its_own_origin(site: TestClient) -> None:
    for method, path in (("GET", "/v1/coach/next"), ("POST", "/v1/coach/interactions")):
        r = _preflight(site, HOST, method, path, "authorization, content-type")
        assert r.status_code == 204, r.text
        assert r.headers["access-control-allow-origin"] == HOST
        assert r.headers["access-control-allow-headers"] == "authorization, content-type"
        assert r.headers["access-control-allow-methods"] == "GET, POST"
        assert "access-control-allow-credentials" not in r.headers
        assert "Origin" in r.headers["vary"]


@pytest.mark.parametrize(
    ("origin", "method", "headers"),
    [(OTHER, "GET", "authorization"), (HOST + ":8443", "GET", "authorization"),
     ("null", "GET", "authorization"), (HOST, "DELETE", "authorization"),
     (HOST, "GET", "authorization, x-api-key")],
)  # fmt: skip
def test_other_origins_methods_and_headers_are_refused(
    site: TestClient, origin: str, method: str, headers: str
) -> None:
    r = _preflight(site, origin, method, headers=headers)
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers
    assert r.json()["error"] == "CORSError"


def test_replies_to_a_listed_origin_carry_its_origin_even_errors(
    site: TestClient, tokens: dict[str, str]
) -> None:
    auth = {"Authorization": f"Bearer {tokens['person']}"}
    # Preferences: a cheap coach call (the next card is the browser test's).
    got = site.get("/v1/coach/preferences", headers={"Origin": HOST, **auth})
    assert got.status_code == 200, got.text
    assert got.headers["access-control-allow-origin"] == HOST
    assert "content-security-policy" in got.headers  # the app's own headers stay
    refused = site.get("/v1/coach/next", headers={"Origin": HOST})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == HOST
    other = site.get("/v1/coach/preferences", headers={"Origin": OTHER, **auth})
    assert "access-control-allow-origin" not in other.headers


def test_cors_is_for_the_coach_api_only(site: TestClient, tokens: dict[str, str]) -> None:
    auth = {"Authorization": f"Bearer {tokens['analyst']}"}
    for path in ("/v1/audit", "/healthz", "/coach.js", "/v1/coachx"):
        r = site.get(path, headers={"Origin": HOST, **auth})
        assert "access-control-allow-origin" not in r.headers, path
    pre = _preflight(site, HOST, path="/v1/metrics")
    assert "access-control-allow-origin" not in pre.headers


def test_no_origin_is_allowed_by_default(served: tuple[Path, dict[str, str]],
                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.delenv("UPTAKE__COACH__ORIGINS", raising=False)
    app = _app(served[0])
    with TestClient(app) as c:
        r = _preflight(c, HOST)
        assert r.status_code == 403 and "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize(
    "origin", ["https://host.example/app", "ftp://host.example", "host.example", "https://"]
)
def test_an_origin_setting_must_be_an_origin(origin: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin"):
        CoachSettings(origins=[origin])
    assert CoachSettings(origins=["https://a.example:8443/"]).origins == ["https://a.example:8443"]
