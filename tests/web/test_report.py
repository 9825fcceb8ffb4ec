"""`uptake report`: one HTML file, every asset inside, the dashboard's numbers for the actor."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from uptake.cli import app


def test_report_is_self_contained_and_matches_the_dashboard(
    tmp_path: Path, served: tuple[Path, dict[str, str]], client: TestClient
) -> None:
    folder, tokens = served
    page = client.get(
        "/v1/overview", headers={"Authorization": f"Bearer {tokens['analyst']}"}
    ).json()
    client.app.state.served.close()  # type: ignore[attr-defined]  # the CLI opens it read-only
    out = tmp_path / "report.html"
    r = CliRunner().invoke(
        app, ["report", "--out", str(out), "--token", tokens["analyst"], "-w", str(folder)]
    )
    assert r.exit_code == 0, r.stderr
    html = out.read_text()
    # Nothing is fetched: outside the inlined scripts, no src= or href= to anything.
    markup = re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    assert html.count("<script>") == 2 and "<script src" not in html
    assert not re.search(r"""(src|href)=["'](?!#)""", markup)
    assert "report for analyst" in html and html.count('class="figure"') >= 2
    for row in page["headline"]:
        assert (row["text"] or row["missing"]) in html
    r = CliRunner().invoke(
        app, ["report", "--out", str(out), "--token", tokens["person"], "-w", str(folder)]
    )
    # A person's report is their own "my adoption" page, and names no one (not even them).
    assert r.exit_code == 0, r.stderr
    mine = out.read_text()
    assert "report for person" in mine and 'id="view-me"' in mine and "You are at L" in mine
    assert 'id="view-overview"' not in mine
    assert not re.search(r"p_[0-9a-f]{20}", re.sub(r"<script>.*?</script>", "", mine, flags=re.S))


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_the_report_renders_offline_in_a_browser(
    tmp_path: Path, served: tuple[Path, dict[str, str]]
) -> None:
    from playwright.sync_api import sync_playwright

    out = tmp_path / "report.html"
    r = CliRunner().invoke(app, ["report", "--out", str(out), "-w", str(served[0])])
    assert r.exit_code == 0, r.stderr
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context(offline=True)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(out.as_uri())
        page.wait_for_selector("div.figure[data-rendered=true]")
        assert page.locator("div.figure svg.main-svg").count() >= 2
        page.pdf(path=str(tmp_path / "report.pdf"))
        browser.close()
    assert errors == [], errors
    assert (tmp_path / "report.pdf").stat().st_size > 10_000
