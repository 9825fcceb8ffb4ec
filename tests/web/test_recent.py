"""Dashboard pages shown from their recent copy while the server is busy."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from queue_helpers import hold_queues
from uptake.web import create_app
from uptake.web.pages import SESSION
from uptake.web.recent import RecentPages
from uptake.web.state import Served

BANNER = "Shown at once because the server was busy"
WAIT = 120.0  # generous bounds for a loaded machine; nothing below is timed


def _page(client: TestClient, token: str, path: str) -> Any:
    return client.get(path, headers={"Cookie": f"{SESSION}={token}"}, follow_redirects=False)


class _Call:
    """A request made on its own thread, to see whether it waits."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.result: Any = None
        self._t = threading.Thread(target=self._run, args=(fn,))
        self._t.start()

    def _run(self, fn: Callable[[], Any]) -> None:
        self.result = fn()

    def finished_within(self, seconds: float) -> bool:
        self._t.join(seconds)
        return not self._t.is_alive()


def test_a_page_is_shown_from_its_copy_while_the_queue_is_busy_and_says_so(
    client: TestClient, tokens: dict[str, str]
) -> None:
    fresh = _page(client, tokens["analyst"], "/overview")
    assert fresh.status_code == 200
    assert BANNER not in fresh.text and "age" not in fresh.headers
    served: Served = client.app.state.served  # type: ignore[attr-defined]
    with hold_queues(served):
        # Answered while the queue is still held: neither signing in nor the page waited.
        shown = _page(client, tokens["analyst"], "/overview")
        assert served.busy()
    assert shown.status_code == 200
    assert BANNER in shown.text and "UTC" in shown.text
    # Seconds old: no fresh copy is asked for yet, and the page does not claim one is.
    assert "Reload in a moment for current data" in shown.text
    assert "being computed" not in shown.text
    assert int(shown.headers["age"]) >= 0
    # The same page otherwise: every chart and table of the copy is there.
    assert shown.text.count('class="figure"') == fresh.text.count('class="figure"')
    after = _page(client, tokens["analyst"], "/overview")
    assert BANNER not in after.text


def test_a_copy_goes_only_to_the_reader_it_was_computed_for(
    client: TestClient, tokens: dict[str, str]
) -> None:
    assert _page(client, tokens["analyst"], "/overview").status_code == 200
    # The admin is signed in already (known without a turn), but has not seen the overview.
    assert _page(client, tokens["admin"], "/coverage").status_code == 200
    served: Served = client.app.state.served  # type: ignore[attr-defined]
    with hold_queues(served, reads=True):
        admin = _Call(lambda: _page(client, tokens["admin"], "/overview"))
        # Another reader has no copy of their own: they wait their turn.
        assert not admin.finished_within(1.0)
    assert admin.finished_within(WAIT)
    assert admin.result.status_code == 200 and BANNER not in admin.result.text
    with hold_queues(served):
        # The readers' queue is free: a page without a copy is computed beside the writer.
        other = _page(client, tokens["analyst"], "/trust")
        assert served.busy()
    assert other.status_code == 200 and BANNER not in other.text


def test_views_that_must_be_current_and_the_json_are_never_copies(
    client: TestClient, tokens: dict[str, str]
) -> None:
    auth = {"Authorization": f"Bearer {tokens['analyst']}"}
    assert _page(client, tokens["admin"], "/coverage").status_code == 200
    first = client.get("/v1/overview", headers=auth)
    assert first.status_code == 200
    assert _page(client, tokens["analyst"], "/overview").status_code == 200
    served: Served = client.app.state.served  # type: ignore[attr-defined]
    with hold_queues(served):
        coverage = _Call(lambda: _page(client, tokens["admin"], "/coverage"))
        # The JSON of a view of ingested data is computed beside the writer, not copied.
        doc = client.get("/v1/overview", headers=auth)
        assert served.busy()
        # A view with forms or people's own data waits for the writers' queue.
        assert not coverage.finished_within(1.0)
    assert doc.status_code == 200 and "age" not in doc.headers
    assert doc.json() == first.json()
    assert coverage.finished_within(WAIT)
    assert coverage.result.status_code == 200 and BANNER not in coverage.result.text
    with hold_queues(served, reads=True):
        waiting = _Call(lambda: client.get("/v1/overview", headers=auth))
        assert not waiting.finished_within(0.5)
    assert waiting.finished_within(WAIT)
    assert waiting.result.status_code == 200 and "age" not in waiting.result.headers


def test_an_old_copy_is_not_shown_and_a_recent_one_is_renewed_behind_the_queue(
    client: TestClient, tokens: dict[str, str]
) -> None:
    recent: RecentPages = client.app.state.recent  # type: ignore[attr-defined]
    served: Served = client.app.state.served  # type: ignore[attr-defined]
    # Seconds, not fractions: the busy view below must come before the copy is too old.
    recent.max_age_s = 4.0
    assert _page(client, tokens["analyst"], "/overview").status_code == 200
    time.sleep(2.1)  # past half the allowed age: showing the copy schedules a new one
    renewed = recent.renewed
    with hold_queues(served, reads=True):
        shown = _page(client, tokens["analyst"], "/overview")
        assert BANNER in shown.text and "A fresh copy is being computed" in shown.text
        # Scheduled, but waiting its turn like any read.
        time.sleep(0.2)
        assert recent.renewed == renewed
    deadline = time.monotonic() + WAIT
    while recent.renewed == renewed and time.monotonic() < deadline:
        time.sleep(0.05)
    assert recent.renewed == renewed + 1
    time.sleep(4.1)  # the renewed copy is now too old to show
    with hold_queues(served, reads=True):
        late = _Call(lambda: _page(client, tokens["analyst"], "/overview"))
        assert not late.finished_within(1.0)
    assert late.finished_within(WAIT)
    assert BANNER not in late.result.text


def test_no_copy_is_shown_when_the_setting_is_0(
    served: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPTAKE__SERVE__PAGE_LAG_S", "0")
    folder, tokens = served
    with TestClient(create_app(folder), raise_server_exceptions=False) as client:
        assert _page(client, tokens["analyst"], "/overview").status_code == 200
        with hold_queues(client.app.state.served, reads=True):  # type: ignore[attr-defined]
            page = _Call(lambda: _page(client, tokens["analyst"], "/overview"))
            assert not page.finished_within(1.0)
        assert page.finished_within(WAIT)
        assert BANNER not in page.result.text


def test_an_unsafe_setting_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from uptake.config import load_settings
    from uptake.errors import ConfigError

    monkeypatch.setenv("UPTAKE__SERVE__PAGE_LAG_S", "-1")
    with pytest.raises(ConfigError):
        load_settings(tmp_path)


def test_an_api_call_gets_its_recent_copy_only_when_it_asks_with_max_stale(
    client: TestClient, tokens: dict[str, str]
) -> None:
    auth = {"Authorization": f"Bearer {tokens['analyst']}"}
    stale = {**auth, "Cache-Control": "max-stale=600"}
    first = {p: client.get(p, headers=stale) for p in ("/v1/overview", "/v1/metrics")}
    assert all(r.status_code == 200 and "age" not in r.headers for r in first.values())
    admin = {"Authorization": f"Bearer {tokens['admin']}", "Cache-Control": "max-stale"}
    assert client.get("/v1/signals", headers=admin).status_code == 200
    served: Served = client.app.state.served  # type: ignore[attr-defined]
    with hold_queues(served, reads=True):
        copies = {p: client.get(p, headers=stale) for p in first}
        waiting = [
            # No max-stale, max-stale=0, or an audited read of people: they wait their turn.
            _Call(lambda: client.get("/v1/overview", headers=auth)),
            _Call(
                lambda: client.get("/v1/metrics", headers={**auth, "Cache-Control": "max-stale=0"})
            ),
            _Call(lambda: client.get("/v1/signals", headers=admin)),
        ]
        assert not any(w.finished_within(0.5) for w in waiting)
    for path, r in copies.items():
        assert r.status_code == 200 and int(r.headers["age"]) >= 0
        assert r.json() == first[path].json()
    assert all(w.finished_within(WAIT) for w in waiting)
    assert all(w.result.status_code == 200 and "age" not in w.result.headers for w in waiting)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("no-cache", None),
        ("max-stale", float("inf")),
        ("max-stale=30", 30.0),
        ('no-cache, Max-Stale="45"', 45.0),
        ("max-stale=soon", None),
        ("max-stale=-5", None),
        ("max-stale=²", None),
        ("max-age=10", None),
    ],
)
def test_max_stale_is_read_as_http_says(header: str | None, seconds: float | None) -> None:
    from uptake.web.recent import max_stale

    assert max_stale(header) == seconds
