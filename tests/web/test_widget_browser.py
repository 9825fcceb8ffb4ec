"""The coach widget in a real browser (Debian's Chromium via Playwright) against a real server.

The demo host page shows a person's card, Act records it; a host page on another origin gets
its card through CORS and Escape dismisses it; card text is text, never markup; no card or a
broken API shows nothing and breaks nothing. Runs on a copy of the simulated organisation
(cards are written), quiet hours off so cards may show at any hour.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
import uvicorn

from server_helpers import free_port
from uptake.web import create_app
from uptake.web.state import Served
from uptake.workspace import Actor, Workspace

CHROMIUM = "/usr/bin/chromium"
WORKFLOW = "fin.variance_analysis"
ARTEFACTS = Path(os.environ.get("UPTAKE_ARTEFACTS", "test-artefacts"))

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="needs Debian's chromium (apt install chromium)"
)


@dataclass
class Site:
    """A served copy of the organisation with two people who have a card waiting."""

    base: str
    host: str  # the origin of a host app (another loopback port), listed in coach.origins
    host_port: int
    folder: Path
    tokens: list[str]  # person tokens of people with a card
    server: uvicorn.Server
    thread: threading.Thread
    served: Served

    def status(self, card_id: str) -> str | None:
        """A card's status in the interventions table (read in the server's own queue)."""
        row = self.served.run(
            lambda ws: ws.con.execute(
                "SELECT status FROM interventions WHERE intervention_id = ?", [card_id]
            ).fetchone()
        )
        return None if row is None else str(row[0])

    def stop(self) -> None:
        """Stop the server (its shutdown closes the workspace: then it is readable here)."""
        self.server.should_exit = True
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the server did not stop"


def _serve(folder: Path, port: int) -> tuple[uvicorn.Server, threading.Thread, Served]:
    """uvicorn on loopback in a thread, serving the app with the widget installed."""
    app = create_app(folder)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="widget-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    return server, thread, app.state.served


def _with_cards(ws: Workspace, roster: list[str], n: int) -> list[str]:
    """The roster identifiers of the first `n` people the coach has a card for."""
    found: list[str] = []
    for person in roster:
        if ws.coach_next(person, surface="excel", workflow=WORKFLOW, actor=Actor.local()):
            found.append(person)
            if len(found) == n:
                break
    return found


@pytest.fixture(scope="module")
def site(org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("widget")
    folder = root / "ws"
    shutil.copytree(org.folder, folder)
    port, host_port = free_port(), free_port()
    host = f"http://127.0.0.1:{host_port}"
    mp = pytest.MonkeyPatch()
    mp.setenv("UPTAKE__COACH__QUIET_START", "00:00")
    mp.setenv("UPTAKE__COACH__QUIET_END", "00:00")
    mp.setenv("UPTAKE__COACH__ORIGINS", json.dumps([host]))
    roster = pd.read_parquet(org.folder.parent / "simulated" / "people.parquet")["person"]
    base = f"http://127.0.0.1:{port}"
    server, thread, served = _serve(folder, port)
    s = Site(base, host, host_port, folder, [], server, thread, served)
    # Asked in the server's own workspace: a card delivered now is shown again to the person
    # when their page asks (an open card), and the coach's state is built once.
    people = served.run(lambda ws: _with_cards(ws, sorted(roster.astype(str)), 2))
    assert len(people) == 2, "two people in the organisation get a card"
    s.tokens = served.run(
        lambda ws: [ws.create_token("person", [f"person:{p}"])["token"] for p in people]
    )
    yield s
    s.stop()
    mp.undo()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _page(browser: Any) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    errors: list[str] = []
    warnings: list[str] = []
    page.on("console", lambda m: (errors if m.type == "error" else warnings).append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors, warnings


def _fake_api(page: Any, base: str, status: int, card: dict[str, Any] | None = None) -> list[str]:
    """Answer the widget's API calls in the browser; returns the interactions it reported."""
    posted: list[str] = []

    def handle(route: Any) -> None:
        if route.request.method == "POST":
            posted.append(json.loads(route.request.post_data)["action"])
            route.fulfill(status=200, json={"status": "ok"})
        elif card is None:
            route.fulfill(status=status, body="" if status == 204 else "boom")
        else:
            route.fulfill(status=200, json=card)

    page.route(f"{base}/v1/coach/**", handle)
    return posted


def _host_app(port: int, base: str, token: str) -> ThreadingHTTPServer:
    """A host web app on another origin (another loopback port) that includes the widget."""
    html = (
        "<!doctype html><html lang=en><title>Intranet</title><h1>Intranet</h1>"
        "<a href='#'>first link</a>"
        f"<script src='{base}/coach.js' data-token='{token}' "
        f"data-surface='excel' data-workflow='{WORKFLOW}' async></script>"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        # The browser may hold an idle connection open: closing must not wait for it.
        daemon_threads = True
        block_on_close = False

    server = Server(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_host_on_another_origin_shows_the_card_and_escape_dismisses(
    site: Site, browser: Any
) -> None:
    page, errors, _ = _page(browser)
    app = _host_app(site.host_port, site.base, site.tokens[0])
    try:
        with page.expect_response(lambda r: r.url.endswith("/v1/coach/interactions")) as opened:
            page.goto(f"{site.host}/intranet")
    finally:
        app.shutdown()
        app.server_close()
    assert opened.value.status == 200
    card_id = json.loads(opened.value.request.post_data)["card_id"]
    assert site.status(card_id) == "opened"
    panel = page.get_by_role("dialog")
    assert panel.get_attribute("aria-label").startswith("Coaching tip: ")
    assert panel.locator(".uptake-coach-title").inner_text()
    # Keyboard: Tab from the host's own link reaches the card's buttons.
    page.get_by_text("first link").focus()
    page.keyboard.press("Tab")
    active = "document.activeElement.shadowRoot && document.activeElement.shadowRoot.activeElement"
    assert page.evaluate(f"({active}).getAttribute('aria-label')") == "Dismiss"
    with page.expect_response(lambda r: r.request.method == "POST") as dismissed:
        page.keyboard.press("Escape")
    assert dismissed.value.status == 200 and site.status(card_id) == "dismissed"
    assert page.get_by_role("dialog").count() == 0
    page.close()
    assert errors == [], errors


def test_card_text_is_text_never_markup(site: Site, browser: Any) -> None:
    page, errors, _ = _page(browser)
    evil = '<img src=x onerror="window.pwned=1">Variance'
    card = {"card_id": "coach_x", "kind": "use_case", "title": evil, "body": evil,
            "steps": [evil, "two"], "prompt": evil, "use_case": None,
            "reason": {"signal": evil, "evidence": {"since": evil}}, "expires": ""}  # fmt: skip
    posted = _fake_api(page, site.base, 200, card)
    page.goto(f"{site.base}/demo/host#token=upt_fake")
    title = page.get_by_role("dialog").locator(".uptake-coach-title")
    title.wait_for()
    assert title.inner_text() == evil
    assert page.evaluate("document.querySelector('#uptake-coach').shadowRoot"
                         ".querySelectorAll('img').length") == 0  # fmt: skip
    assert page.evaluate("window.pwned") is None
    # The token left the address bar.
    assert "#" not in page.url
    page.get_by_role("button", name="Snooze 7 days").click()
    page.wait_for_function("!document.querySelector('#uptake-coach')")
    assert posted == ["opened", "snoozed"]
    page.close()
    assert errors == [], errors


@pytest.mark.parametrize("status", [204, 500])
def test_no_card_or_a_broken_api_shows_nothing(site: Site, browser: Any, status: int) -> None:
    page, errors, warnings = _page(browser)
    _fake_api(page, site.base, status)
    with page.expect_response(lambda r: "/v1/coach/next" in r.url):
        page.goto(f"{site.base}/demo/host#token=upt_fake")
    page.wait_for_load_state("load")
    assert page.locator("#uptake-coach").count() == 0
    assert page.get_by_role("heading", level=1).inner_text().startswith("Variance analysis")
    # The browser itself logs a failed fetch as an error; the widget only warns.
    assert [e for e in errors if "500" not in e] == []
    if status == 500:
        for _ in range(40):
            if warnings:
                break
            page.wait_for_timeout(50)
        assert any("uptake coach: no card (HTTP 500)" in w for w in warnings), warnings
    page.close()


def test_the_demo_host_shows_a_card_and_act_is_stored(site: Site, browser: Any) -> None:
    page, errors, _ = _page(browser)
    page.goto(f"{site.base}/demo/host#token={site.tokens[1]}")
    panel = page.get_by_role("dialog")
    panel.wait_for()
    title = panel.locator(".uptake-coach-title").inner_text()
    assert title and "Why this: " in panel.inner_text()
    assert page.get_by_role("button", name="Dismiss").is_visible()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "demo-host.png"))
    with page.expect_response(lambda r: r.request.method == "POST" and "acted" in
                              (r.request.post_data or "")) as acted:  # fmt: skip
        panel.get_by_role("button").filter(has_text="Try it").or_(
            panel.get_by_role("button", name="Introduce me")
        ).or_(panel.get_by_role("button", name="I'm interested")).click()
    assert acted.value.status == 200
    card_id = json.loads(acted.value.request.post_data)["card_id"]
    assert page.locator("#uptake-coach").count() == 0
    page.close()
    assert errors == [], errors
    # Stored: the acted card is not shown again (and the daily cap holds back a new one) …
    again = httpx.get(f"{site.base}/v1/coach/next", params={"workflow": WORKFLOW},
                      headers={"Authorization": f"Bearer {site.tokens[1]}"})  # fmt: skip
    assert again.status_code == 204
    # … and the interventions table says so.
    assert site.status(card_id) == "acted"
