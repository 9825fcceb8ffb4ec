"""The sprint page in Debian's Chromium against a real server: the timeline draws, and the
page view goes through the server's group commit into the audit log once."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from server_helpers import free_port, start
from uptake.programme.sprint import MILESTONES

CHROMIUM = "/usr/bin/chromium"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium")
def test_the_timeline_draws_in_a_browser_and_the_view_is_committed(
    org: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "serve.log").open("w") as sink:
        proc = start(org.folder, port, stdout=subprocess.DEVNULL, stderr=sink)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(f"{base}/sign-in")
                page.get_by_label("Token").fill(org.tokens["admin"])
                page.keyboard.press("Enter")
                page.wait_for_url(lambda url: not url.endswith("/sign-in"))
                page.goto(f"{base}/sprint", timeout=120_000)
                page.wait_for_selector("div.figure[data-rendered=true]", timeout=60_000)
                fig = page.locator("div.figure").first
                assert "as of 20" in (fig.get_attribute("aria-label") or "")
                # Three phase bars and one marker per milestone, and the as-of line.
                assert fig.evaluate("el => el.querySelectorAll('.barlayer .point').length") == 3
                marks = fig.evaluate("el => el.querySelectorAll('.scatterlayer .point').length")
                assert marks == len(MILESTONES)
                assert fig.evaluate("el => el.querySelectorAll('.shapelayer path').length") >= 1
                assert errors == []
                browser.close()
            log = httpx.get(f"{base}/v1/audit", params={"limit": 10_000},
                            headers=_auth(org.tokens["admin"])).json()  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    views = [e for e in log if e["action"] == "view /sprint" and e["role"] == "admin"]
    assert len(views) == 1
