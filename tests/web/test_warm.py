"""The pages' warmer: at start-up, and again once new data has settled."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from factories import FROZEN_NOW, rows
from uptake.web import create_app
from uptake.web.state import Served
from uptake.web.views import offered
from uptake.web.warm import READER, Warmer


@pytest.fixture
def folder(served: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    """A copy of the served workspace: these tests add batches to it."""
    copy = tmp_path / "ws"
    shutil.copytree(served[0], copy)
    return copy


def _remembered(served: Served) -> set[tuple[str, int]]:
    """(kind, batch) of every document the server's workspace remembers."""
    return served.read(lambda ws: {(k[0], k[1]) for k in ws.__dict__.get("_memo_cache", {})})


@contextmanager
def _warming(folder: Path, quiet_s: float) -> Iterator[tuple[Served, Warmer]]:
    """A served workspace and its warmer, looking for new batches every 20 ms."""
    served = Served(folder)
    warmer = Warmer(served, quiet_s=quiet_s, poll_s=0.02)
    try:
        yield served, warmer
    finally:
        warmer.stop()
        served.close()


def _until(done: object, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_pages_are_computed_again_once_new_data_settles(
    folder: Path, served: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPTAKE__SERVE__WARM", "true")
    monkeypatch.setenv("UPTAKE__SERVE__WARM_QUIET_S", "0.2")
    tokens = served[1]
    app = create_app(folder)
    with TestClient(app) as c:
        srv: Served = app.state.served
        assert srv.warmed.wait(timeout=300)
        warmer: Warmer = app.state.warmer
        first = warmer.warmed_batch
        assert first is not None and c.get("/readyz").json()["warmed_batch"] == first
        post = c.post(
            "/v1/events",
            json=rows("events", 5, start=2000),
            headers={"Authorization": f"Bearer {tokens['ingest']}"},
        )
        assert post.status_code == 200 and post.json()["accepted"] == 5, post.text
        latest = srv.read(lambda ws: ws.data_version())
        assert latest is not None and latest > first
        _until(lambda: warmer.warmed_batch == latest)
        ready = c.get("/readyz").json()
        assert ready["warmed_batch"] == latest and ready["warm_up"] == "done"
        assert warmer.runs == 2
        # The organisation pages' documents for the new data are remembered, none computed
        # by a visitor: a first view after the batch reads them.
        now = _remembered(srv)
        assert {("metrics", latest), ("teams", latest), ("status", latest)} <= now
        c.cookies.set("uptake_session", tokens["analyst"])
        for view in offered(READER):
            assert c.get(f"/{view.slug}").status_code == 200, view.slug
        # A manager's team page reads the metrics by team the segments page remembered.
        c.cookies.set("uptake_session", tokens["manager"])
        assert c.get("/my-team").status_code == 200
        assert _remembered(srv) == now


def test_batches_arriving_sooner_than_the_quiet_time_wait(folder: Path) -> None:
    """No new warm-up while the data has not settled, one as soon as it has."""
    with _warming(folder, quiet_s=3600) as (served, warmer):
        warmer.start()
        assert served.warmed.wait(timeout=300)
        first = warmer.warmed_batch
        frame = pd.DataFrame(rows("events", 3, start=2100))
        served.run(lambda ws: ws.ingest_frame("events", frame, source="s", now=FROZEN_NOW))
        latest = served.read(lambda ws: ws.data_version())
        assert latest != first
        # Several looks at the new batch, each too soon after it to warm.
        time.sleep(0.5)
        assert warmer.runs == 1 and warmer.warmed_batch == first
        warmer.quiet_s = 0
        _until(lambda: warmer.warmed_batch == latest)
        assert warmer.runs == 2


def test_a_stopped_warmer_starts_no_further_page(folder: Path) -> None:
    with _warming(folder, quiet_s=0) as (served, warmer):
        warmer._stop.set()
        warmer.start()
        assert served.warmed.wait(timeout=60)
        # Stopped before its first page: nothing computed, nothing claimed as warmed.
        assert warmer.runs == 0 and warmer.warmed_batch is None
        assert _remembered(served) == set()


def test_the_warmer_never_reopens_a_closed_workspace(folder: Path) -> None:
    with _warming(folder, quiet_s=0) as (served, warmer):
        warmer.start()
        assert served.warmed.wait(timeout=300)
        served.close()
        time.sleep(0.2)
        # Looked several times meanwhile, left the workspace closed and claimed no warm-up.
        assert served._ws is None and served._reader is None
        assert warmer.runs == 1
