"""The dashboard in a real browser (Debian's Chromium via Playwright) against a real server."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from server_helpers import free_port, start

CHROMIUM = "/usr/bin/chromium"
ARTEFACTS = Path(os.environ.get("UPTAKE_ARTEFACTS", "test-artefacts"))

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="needs Debian's chromium (apt install chromium)"
)


@pytest.fixture(scope="module")
def server(served: tuple[Path, dict[str, str]]) -> Iterator[tuple[str, dict[str, str]]]:
    folder, tokens = served
    port = free_port()
    proc = start(folder, port, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    yield base, tokens
    proc.terminate()
    _out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err


def test_sign_in_and_every_chart_renders_offline(server: tuple[str, dict[str, str]]) -> None:
    from playwright.sync_api import sync_playwright

    base, tokens = server
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    elsewhere: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "request",
            lambda r: None if r.url.startswith(base) else elsewhere.append(r.url),
        )
        page.goto(f"{base}/")
        assert page.url.endswith("/sign-in")
        page.screenshot(path=str(ARTEFACTS / "sign-in.png"))
        page.get_by_label("Token").fill(tokens["analyst"])
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/overview")
        page.wait_for_selector("div.figure[data-rendered=true]")
        figures = page.locator("div.figure")
        assert figures.count() >= 2
        for i in range(figures.count()):
            # Rendered by plotly.js: an SVG with drawn bars or lines inside.
            assert figures.nth(i).get_attribute("data-rendered") == "true"
            assert figures.nth(i).locator("svg.main-svg").count() >= 1
        assert page.get_by_role("heading", level=1).inner_text().startswith("Is AI changing")
        page.screenshot(path=str(ARTEFACTS / "overview.png"), full_page=True)
        page.get_by_role("link", name="Data coverage").click()
        page.wait_for_url(f"{base}/coverage")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Data coverage")
        page.screenshot(path=str(ARTEFACTS / "coverage.png"), full_page=True)
        page.get_by_role("link", name="Teams that need help").click()
        page.wait_for_url(f"{base}/teams")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Teams that need")
        page.screenshot(path=str(ARTEFACTS / "teams.png"), full_page=True)
        # Keyboard: the skip link is the first stop.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{base}/sign-in")
        browser.close()
    assert errors == [], "\n".join(errors)
    assert elsewhere == [], elsewhere
