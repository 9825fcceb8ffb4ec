"""The hosted forms in a real browser (Debian's Chromium via Playwright) against a real server.

A person follows an invitation link, signs in, answers the pulse with the keyboard only and
submits; the programme lead fills the audit interview in about an interviewee. Both land in
the warehouse. The forms run no script, so the browser has JavaScript switched off.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from factories import person_id
from server_helpers import free_port
from uptake.web import create_app
from uptake.web.state import Served

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="needs Debian's chromium (apt install chromium)"
)


class Site:
    """A served copy of the small workspace on a loopback port."""

    def __init__(self, folder: Path) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        app = create_app(folder)
        self.served: Served = app.state.served
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="forms-server", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "no server"
            time.sleep(0.05)

    def rows(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        """Rows of a query, read in the server's own queue."""
        return self.served.run(lambda ws: ws.con.execute(sql, params).fetchall())

    def key(self, person: str) -> str:
        return self.served.run(lambda ws: ws.pseudonymise(person))

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the server did not stop"


@pytest.fixture(scope="module")
def site(
    served: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("forms-browser") / "ws"
    shutil.copytree(served[0], folder)
    s = Site(folder)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _page(browser: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return context, page, errors


def test_a_person_answers_the_pulse_with_the_keyboard_only(
    site: Site, browser: Any, tokens: dict[str, str]
) -> None:
    context, page, errors = _page(browser)
    page.goto(f"{site.base}/forms/pulse")
    # The invitation: sign in once with the person token, then the form opens.
    page.get_by_label("Token").fill(tokens["person"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", name="Pulse survey").is_visible()
    # Confidence 8: focus the group's first choice, then arrow keys move within the group.
    page.get_by_role("group", name="How confident are you using AI in your work?").get_by_label(
        "0", exact=True
    ).focus()
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    nps = page.get_by_role(
        "group", name="How likely are you to recommend the AI tools to a colleague?"
    )
    nps.get_by_label("9", exact=True).focus()
    page.keyboard.press("Space")
    safe = page.get_by_role("group", name="I can say when AI is not helping my work.")
    safe.get_by_label("4 Agree", exact=True).focus()
    page.keyboard.press("Space")
    page.get_by_label("What did you use AI for last week?").focus()
    page.keyboard.type("Summaries of long e-mail threads")
    page.get_by_role("button", name="Submit answers").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("status").inner_text().startswith("Your answers to the pulse survey")
    got = dict(
        site.rows(
            "SELECT item, score FROM responses WHERE person_key = ?", [site.key(person_id(3))]
        )
    )
    assert got == {"confidence": 8.0, "nps": 9.0, "safe_to_say": 4.0, "used_last_week": None}
    context.close()
    assert errors == []


def test_an_anonymous_group_below_k_is_refused_then_a_wider_one_stored(
    site: Site, browser: Any, tokens: dict[str, str]
) -> None:
    context, page, errors = _page(browser)
    page.goto(f"{site.base}/forms/pulse?anonymous=1")
    page.get_by_label("Token").fill(tokens["person"])
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Function").select_option("finance")
    page.get_by_label("Team").select_option("team1")  # 2 people in finance and team1
    page.get_by_role("group", name="How confident are you using AI in your work?").get_by_label(
        "3", exact=True
    ).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Submit answers").click()
    alert = page.get_by_role("alert")
    assert "fewer than 5 people on the roster share" in alert.inner_text()
    assert page.get_by_label("Team").input_value() == "team1"  # the answers are kept
    before = site.rows("SELECT count(*) FROM responses WHERE person_key IS NULL", [])
    page.get_by_label("Team").select_option("")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit answers").click()
    assert "anonymously" in page.get_by_role("status").inner_text()
    after = site.rows("SELECT segment FROM responses WHERE person_key IS NULL AND score = 3", [])
    assert before == [(0,)] and after == [('{"function": "finance"}',)]
    context.close()
    # The refusal itself is the one failed load (its 403).
    assert [e for e in errors if "status of 403" not in e] == []


def test_the_programme_lead_fills_the_audit_interview_in(
    site: Site, browser: Any, tokens: dict[str, str]
) -> None:
    context, page, errors = _page(browser)
    page.goto(f"{site.base}/forms/audit")
    page.get_by_label("Token").fill(tokens["admin"])
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Interviewee").fill(person_id(8))
    page.get_by_label("What did you actually use AI for last week?").fill("Checking invoices")
    page.get_by_role(
        "group", name="How confident are you using AI in your daily work?"
    ).get_by_label("7", exact=True).check()
    page.get_by_role("button", name="Submit answers").click()
    assert "stored" in page.get_by_role("status").inner_text()
    key = site.key(person_id(8))
    got = site.rows(
        "SELECT instrument, item, score FROM responses WHERE person_key = ? ORDER BY item", [key]
    )
    assert got == [("audit", "audit_confidence", 7.0), ("audit", "audit_used_for", None)]
    assert site.rows("SELECT channel FROM feedback WHERE person_key = ?", [key]) == [("interview",)]
    context.close()
    assert errors == []
