"""The dashboard in a real browser (Debian's Chromium via Playwright) against a real server.

Every page the navigation offers each role is opened on the simulated organisation: it
renders without a console error, asks nothing of another host, draws every chart with data,
and shows suppressed cells as suppressed. A screenshot of each page is kept in
`test-artefacts/` (look at them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server_helpers import free_port, start

CHROMIUM = "/usr/bin/chromium"
ARTEFACTS = Path(os.environ.get("UPTAKE_ARTEFACTS", "test-artefacts"))
# Plotly draws bars and lines as paths inside each trace, heatmaps as an image.
# Axis labels drawn outside their chart's drawing area (cut off on screen).
CLIPPED = """(fig) => {
  const box = fig.querySelector('svg.main-svg').getBoundingClientRect();
  return Array.from(fig.querySelectorAll('g.xtick text, g.ytick text'))
    .filter(t => { const r = t.getBoundingClientRect();
      return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1); })
    .map(t => t.textContent);
}"""
DRAWN = "el => el.querySelectorAll('.trace path, .trace image, .hm image').length"

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="needs Debian's chromium (apt install chromium)"
)


@pytest.fixture(scope="module")
def server(org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("w") as sink:
        proc = start(org.folder, port, stdout=subprocess.DEVNULL, stderr=sink)
        base = f"http://127.0.0.1:{port}"
        # The pages are looked at once the start-up warm-up is over: on a busy machine a page
        # queued behind it can outlast the browser's 30 s navigation limit (which measures the
        # machine, not the page).
        deadline = time.monotonic() + 600
        while httpx.get(f"{base}/readyz", timeout=60).json()["warm_up"] == "running":
            assert time.monotonic() < deadline, "the warm-up did not finish in 10 minutes"
            time.sleep(0.5)
        yield base
        proc.terminate()
        proc.wait(timeout=30)
    assert "Traceback" not in log.read_text()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _watched(browser: Any, base: str) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(base) else elsewhere.append(r.url))
    return page, errors, elsewhere


def _sign_in(page: Any, base: str, token: str) -> None:
    page.goto(f"{base}/")
    assert page.url.endswith("/sign-in")
    page.get_by_label("Token").fill(token)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: not url.endswith("/sign-in"))


def _check_page(page: Any, role: str, slug: str) -> None:
    """One page: a heading, every chart drawn with data, suppressed cells said in words."""
    assert page.get_by_role("heading", level=1).count() == 1, slug
    figures = page.locator("div.figure")
    if figures.count():
        page.wait_for_selector("div.figure[data-rendered=true]")
    for i in range(figures.count()):
        fig = figures.nth(i)
        assert fig.get_attribute("data-rendered") == "true", (slug, i)
        assert fig.locator("svg.main-svg").count() >= 1, (slug, i)
        assert fig.evaluate(DRAWN) > 0, f"{slug}: chart {i} drew nothing"
        # Every axis label is inside its chart: a margin too narrow cuts labels off.
        assert fig.evaluate(CLIPPED) == [], (slug, i, fig.evaluate(CLIPPED))
        # Labelled for screen readers with its title and caption: as-of, window, n.
        label = fig.get_attribute("aria-label") or ""
        assert "as of 20" in label, (slug, i, label)
    # Every form control has a label a screen reader reads out.
    unlabelled = page.evaluate(
        "() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))"
        ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))"
        ".map(e => e.name || e.id)"
    )
    assert unlabelled == [], (slug, unlabelled)
    assert page.locator("table:not(:has(th))").count() == 0, f"{slug}: a table without headers"
    for kind in ("small", "complementary"):
        for cell in page.locator(f".suppressed-{kind}").all()[:5]:
            # Suppressed is said in words, not by colour alone, and no number is drawn.
            text = cell.inner_text().strip()
            assert text and not text.replace(".", "").replace("%", "").strip().isdigit(), text
    page.screenshot(path=str(ARTEFACTS / f"{role}-{slug}.png"), full_page=True)


@pytest.mark.parametrize("role", ["analyst", "manager", "person", "coach"])
def test_every_page_renders_offline_for_each_role(
    server: str, browser: Any, org: Any, role: str
) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page, errors, elsewhere = _watched(browser, server)
    if role == "analyst":
        page.goto(f"{server}/")
        page.screenshot(path=str(ARTEFACTS / "sign-in.png"))
    _sign_in(page, server, org.tokens[role])
    slugs = [
        str(a.get_attribute("href")).lstrip("/")
        for a in page.locator("header nav a:not(.skip)").all()
    ]
    assert slugs, f"{role}: no page offered"
    for slug in slugs:
        page.goto(f"{server}/{slug}")
        assert page.url.endswith(f"/{slug}"), page.url
        _check_page(page, role, slug)
    # Keyboard: the skip link is the first stop, and every nav link is reachable by Tab.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server}/sign-in")
    page.close()
    assert errors == [], "\n".join(errors)
    assert elsewhere == [], elsewhere


# Where the brand, the account and the navigation's first link sit, and whether the page
# is wider than the window (scrolls sideways).
LAYOUT = """() => {
  const top = sel => document.querySelector(sel).getBoundingClientRect();
  const button = top('header form[action="/sign-out"] button');
  return {brand: top('header .brand').top, button_top: button.top, button_right: button.right,
          first_link: top('header nav a').top, width: window.innerWidth,
          scrolls: document.documentElement.scrollWidth > window.innerWidth};
}"""


@pytest.mark.parametrize("width", [1600, 1300, 1024, 600, 380])
def test_the_account_stays_at_the_top_however_the_navigation_wraps(
    server: str, browser: Any, org: Any, width: int
) -> None:
    page, errors, _ = _watched(browser, server)
    _sign_in(page, server, org.tokens["analyst"])
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{server}/overview")
    box = page.evaluate(LAYOUT)
    # The sign-out button is above the links (at 1,300 px it once wrapped onto a line of its
    # own below them) and inside the window; on the brand's line, except in a phone-width
    # window, where the account wraps under the brand (at 380 px, 24 px lower).
    assert box["button_top"] < box["first_link"], box
    assert abs(box["button_top"] - box["brand"]) < 12 or width < 500, box
    assert box["button_right"] <= box["width"], box
    assert not box["scrolls"], box
    page.close()
    assert errors == [], errors
