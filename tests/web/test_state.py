"""The served workspace: writes queued one at a time, aggregate reads beside them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from factories import FROZEN_NOW, rows
from queue_helpers import WAIT, hold_queues, small_workspace
from uptake.errors import StaleFactsError
from uptake.web import create_app
from uptake.web.state import Served
from uptake.workspace import Actor, Workspace


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    return small_workspace(tmp_path / "ws")


@pytest.fixture
def served(folder: Path) -> Iterator[Served]:
    s = Served(folder)
    yield s
    s.close()


def _events(ws: Workspace) -> int:
    got = ws.con.execute("SELECT count(*) FROM events").fetchone()
    assert got is not None
    return int(got[0])


def test_a_read_runs_while_a_writer_holds_the_queue(served: Served) -> None:
    with hold_queues(served):
        assert served.read(_events) == 100
        # Answered while the writers' queue was still held, not after the holder gave up.
        assert served.busy()


def test_a_read_sees_every_committed_write_and_one_snapshot_throughout(served: Served) -> None:
    new = pd.DataFrame(rows("events", 7, start=1000))
    served.run(lambda ws: ws.ingest_frame("events", new, source="e2", now=FROZEN_NOW))
    # A write whose call returned is seen by the next read.
    assert served.read(_events) == 107
    more = pd.DataFrame(rows("events", 5, start=2000))
    seen: list[int] = []

    def read_around_a_write(ws: Workspace) -> int:
        seen.append(_events(ws))
        # A batch commits in the writers' queue while this read is under way.
        w = threading.Thread(
            target=served.run,
            args=(lambda wws: wws.ingest_frame("events", more, source="e3", now=FROZEN_NOW),),
        )
        w.start()
        w.join(WAIT)
        assert not w.is_alive()
        seen.append(_events(ws))
        return len(seen)

    assert served.read(read_around_a_write) == 2
    # The read saw the data as it began, not half of it before and half after the batch.
    assert seen == [107, 107]
    assert served.read(_events) == 112


def test_a_read_that_finds_the_facts_behind_waits_for_the_writers(served: Served) -> None:
    calls: list[bool] = []

    def read(ws: Workspace) -> str:
        is_writer = ws is served._ws
        calls.append(is_writer)
        if not is_writer:
            # What a read of metrics meets between a batch's commit and its facts' refresh.
            raise StaleFactsError("the metric facts are out of date")
        return "from the writers' queue"

    assert served.read(read) == "from the writers' queue"
    assert calls == [False, True]


def test_other_errors_of_a_read_reach_the_caller_and_the_reader_goes_on(served: Served) -> None:
    def fail(ws: Workspace) -> int:
        ws.con.execute("SELECT * FROM no_such_table")
        return 0

    with pytest.raises(Exception, match="no_such_table"):
        served.read(fail)
    # The failed transaction was rolled back: the reader's next read works.
    assert served.read(_events) == 100


def test_what_a_read_records_is_committed_before_it_returns(served: Served) -> None:
    admin = Actor(name="ana", role="admin")
    assert served.read(lambda ws: ws.record_page_view("overview", actor=admin))
    # The writer sees the page view, and the reader knows it is recorded for today.
    got = served.run(
        lambda ws: ws.con.execute(
            "SELECT count(*) FROM audit_log WHERE actor = 'ana' AND action = 'view /overview'"
        ).fetchone()
    )
    assert got == (1,)
    assert not served.read(lambda ws: ws.record_page_view("overview", actor=admin))
    assert not served.run(lambda ws: ws.record_page_view("overview", actor=admin))


def test_closing_the_server_closes_the_reader_and_keeps_what_was_written(folder: Path) -> None:
    s = Served(folder)
    assert s.read(_events) == 100
    s.close()
    assert s.read_if_open(_events) is None
    with Workspace.open(folder) as ws:
        assert _events(ws) == 100


def test_a_read_if_open_waiting_while_the_server_closes_does_not_reopen(folder: Path) -> None:
    s = Served(folder)
    assert s.read(_events) == 100
    got: list[int | None] = []
    waiting = threading.Thread(target=lambda: got.append(s.read_if_open(_events)))
    with s._read_lock:
        # The read starts while the workspace is open and waits for the queue...
        waiting.start()
        time.sleep(0.2)
        # ...which a close holds meanwhile (what `close` does under both locks).
        with s._lock:
            assert s._reader is not None and s._ws is not None
            s._reader.close()
            s._ws.close()
            s._reader = s._ws = None
    waiting.join(timeout=60)
    assert got == [None]
    assert s._ws is None and s._reader is None
    s.close()


def test_metrics_and_team_metrics_over_the_api_do_not_wait_for_a_writer(folder: Path) -> None:
    with Workspace.open(folder) as ws:
        token = ws.create_token("analyst")["token"]
    with TestClient(create_app(folder), raise_server_exceptions=False) as client:
        auth = {"Authorization": f"Bearer {token}"}
        paths = ("/v1/metrics", "/v1/teams/team1/metrics")
        before = {p: client.get(p, headers=auth) for p in paths}
        assert before["/v1/metrics"].status_code == 200
        served: Served = client.app.state.served  # type: ignore[attr-defined]
        with hold_queues(served):
            during = {p: client.get(p, headers=auth) for p in paths}
            assert served.busy()
    for p in paths:
        assert during[p].status_code == before[p].status_code and "age" not in during[p].headers
        assert during[p].json() == before[p].json()
