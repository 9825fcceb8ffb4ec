"""The wins page in Chromium: the chart draws, tables have headers, nothing asked elsewhere."""

from __future__ import annotations

from typing import Any

from web.test_browser import ARTEFACTS, _check_page, _sign_in, _watched, browser, server  # noqa: F401


def test_the_wins_page_renders_offline(server: str, browser: Any, org: Any) -> None:  # noqa: F811
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page, errors, elsewhere = _watched(browser, server)
    _sign_in(page, server, org.tokens["analyst"])
    page.goto(f"{server}/wins")
    _check_page(page, "analyst", "wins")
    assert page.locator("div.figure[data-rendered=true]").count() == 1
    label = page.locator("div.figure").get_attribute("aria-label") or ""
    assert "-day window" in label and "n = " in label
    assert page.locator("table.wins tbody tr").count() >= 1
    assert page.locator("table.roles tbody tr").count() >= 1
    assert errors == [] and elsewhere == []
    page.close()
