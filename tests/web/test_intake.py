"""Posted batches waiting for the writers' queue are committed together, one refresh for all."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from factories import rows
from queue_helpers import WAIT, hold_queues, small_workspace
from uptake.errors import InputError
from uptake.web.state import Served
from uptake.workspace import Actor, Workspace


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    s = Served(small_workspace(tmp_path / "ws"))
    yield s
    s.close()


def _one(ws: Workspace, sql: str) -> Any:
    got = ws.con.execute(sql).fetchone()
    assert got is not None
    return got[0]


def _refresh_id(ws: Workspace) -> int:
    return int(_one(ws, "SELECT value FROM fact_state WHERE key = 'refresh_id'"))


def _post_while_held(
    served: Served, frames: list[pd.DataFrame], lives: list[bool] | None = None
) -> list[Any]:
    """Post every frame from its own thread while the writers' queue is held, then release."""
    live = lives or [True] * len(frames)
    out: list[Any] = [None] * len(frames)

    def post(i: int) -> None:
        try:
            out[i] = served.intake.post(
                "events", frames[i], source=f"api:{i}", actor=Actor.local(), live=live[i]
            )
        except Exception as exc:  # the test looks at each post's error
            out[i] = exc

    posters = [threading.Thread(target=post, args=(i,)) for i in range(len(frames))]
    with hold_queues(served):
        for t in posters:
            t.start()
        deadline = time.monotonic() + WAIT
        while served.intake.waiting() < len(frames) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert served.intake.waiting() == len(frames)
    for t in posters:
        t.join(WAIT)
    return out


def test_batches_waiting_together_are_committed_in_one_turn_with_one_refresh(
    served: Served,
) -> None:
    before = served.run(_refresh_id)
    frames = [pd.DataFrame(rows("events", 10, start=1000 * (i + 1))) for i in range(3)]
    # The second batch has a row no one can date: quarantined in that batch, by its position.
    frames[1].loc[2, "ts"] = "yesterday"
    for f in frames:
        f["__locator"] = [f"row {i}" for i in range(1, len(f) + 1)]
    replies = _post_while_held(served, frames)
    assert [r["accepted"] for r in replies] == [10, 9, 10]
    assert [[q["locator"] for q in r["rows_quarantined"]] for r in replies] == [[], ["row 3"], []]
    # Each is its own batch in the ingest log, and the facts were refreshed once for all three.
    assert len({r["batch"] for r in replies}) == 3
    assert (served.intake.groups, served.intake.grouped) == (1, 3)
    assert served.run(_refresh_id) == before + 1
    assert served.run(lambda ws: _one(ws, "SELECT count(*) FROM events")) == 129
    # The facts refreshed once for the group are those a full rebuild gives.
    days = "SELECT * EXCLUDE (refresh_id) FROM fact_person_day ORDER BY ALL"
    grouped = served.run(lambda ws: ws.con.execute(days).fetchall())
    served.run(lambda ws: ws.refresh(full=True))
    assert served.run(lambda ws: ws.con.execute(days).fetchall()) == grouped


def test_a_bad_batch_in_a_group_fails_alone(served: Served) -> None:
    good = [pd.DataFrame(rows("events", 5, start=1000 * (i + 1))) for i in range(2)]
    bad = pd.DataFrame(rows("events", 5, start=5000)).drop(columns=["ts"])
    replies = _post_while_held(served, [good[0], bad, good[1]])
    assert isinstance(replies[1], InputError)
    assert "missing required column(s) ts" in str(replies[1])
    assert [replies[0]["accepted"], replies[2]["accepted"]] == [5, 5]
    assert served.run(lambda ws: _one(ws, "SELECT count(*) FROM events")) == 110
    # The group's transaction was undone and each batch committed alone: no group counted.
    assert served.intake.groups == 0


def test_a_lone_post_is_committed_in_its_own_turn(served: Served) -> None:
    reply = served.intake.post(
        "events",
        pd.DataFrame(rows("events", 4, start=4000)),
        source="api:solo",
        actor=Actor.local(),
        live=True,
    )
    assert reply["accepted"] == 4
    assert reply["rows_quarantined"] == []
    assert served.intake.waiting() == 0
    assert served.intake.groups == 0


def test_posts_with_another_live_setting_are_committed_in_the_same_turn_apart(
    served: Served,
) -> None:
    before = served.run(_refresh_id)
    frames = [pd.DataFrame(rows("events", 3, start=1000 * (i + 1))) for i in range(3)]
    replies = _post_while_held(served, frames, lives=[True, False, True])
    assert [r["accepted"] for r in replies] == [3, 3, 3]
    # The two with the live flags updated inline went together, the other alone.
    assert (served.intake.groups, served.intake.grouped) == (1, 2)
    assert served.run(_refresh_id) == before + 2
    assert served.intake.waiting() == 0


def test_one_turn_commits_every_waiting_post_whatever_its_live_setting(served: Served) -> None:
    # Turns of the queue are not first come, first served: a post's own turn may come before
    # that of a post waiting longer, with another live setting. It must still be committed.
    from uptake.web.intake import _Post

    posts = [
        _Post(
            "events",
            pd.DataFrame(rows("events", 2, start=1000 * (i + 1))),
            f"api:{i}",
            Actor.local(),
            live,
        )
        for i, live in enumerate([True, False])
    ]
    served.intake._waiting.extend(posts)
    served.run(served.intake._commit_waiting)
    assert [p.error for p in posts] == [None, None]
    assert [p.reply["accepted"] for p in posts if p.reply is not None] == [2, 2]
    assert served.intake.waiting() == 0
