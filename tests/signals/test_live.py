"""The live path: friction flags kept current batch by batch equal a batch detection."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from uptake.metrics.context import MetricContext
from uptake.signals.friction import detect
from uptake.signals.live import FLAGS, WINDOW_RULES
from uptake.workspace import Workspace

START = date(2026, 6, 1)
DAYS = 56
# Time columns a table's rows are split on, to arrive in several batches.
TIME = {"events": "ts", "tasks": "started_at", "decisions": "ts", "feedback": "ts"}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from uptake.simulate import simulate

    out = tmp_path_factory.mktemp("live-sim")
    simulate(people=120, days=DAYS, seed=5, start=START, out=out)
    return out


def batch_flags(ws: Workspace) -> Counter[tuple[str, str, date, str]]:
    """What a batch detection over the recent window reports, as comparable tuples.

    Counted, not a set: one person can have two episodes of a rule on one day (two
    rejection streaks), and the live table must hold each once.
    """
    as_of = ws.default_as_of()[0]
    s = ws.settings
    ctx = MetricContext(ws.engine(), as_of, s.metrics, s.privacy.min_group_size, costs=s.costs)
    since = as_of - timedelta(days=s.signals.recent_days - 1)
    found = detect(ctx, s.signals.friction, since=since)
    return Counter(
        (f.person_key, f.signal, f.since, json.dumps(f.evidence, sort_keys=True, default=str))
        for f in found.flags
    )


def live_flags(ws: Workspace) -> Counter[tuple[str, str, date, str]]:
    rows = ws.con.execute(f"SELECT person_key, signal, since, evidence FROM {FLAGS}").fetchall()
    return Counter((k, s, d, json.dumps(json.loads(e), sort_keys=True)) for k, s, d, e in rows)


def chunk(sim: Path, table: str, lo: date, hi: date, out: Path) -> Path:
    """The table's rows whose time falls in [lo, hi), written as their own file."""
    df = pd.read_parquet(sim / f"{table}.parquet")
    day = pd.to_datetime(df[TIME[table]]).dt.date
    part = df[(day >= lo) & (day < hi)]
    path = out / f"{table}-{lo}-{hi}.parquet"
    part.to_parquet(path, index=False)
    return path


@pytest.fixture
def ws(tmp_path: Path, sim: Path) -> Iterator[Workspace]:
    with Workspace.init(tmp_path / "ws") as w:
        for table in ("workflows", "people", "licenses"):
            w.ingest(table, [sim / f"{table}.parquet"], refresh=False)
        yield w


def ingest_days(ws: Workspace, sim: Path, out: Path, lo: int, hi: int) -> dict[str, Any]:
    """Ingest every timed table's rows of days [lo, hi) as one batch each, then refresh."""
    for table in TIME:
        path = chunk(sim, table, START + timedelta(days=lo), START + timedelta(days=hi), out)
        ws.ingest(table, [path], refresh=False)
    report = ws.refresh().to_dict()
    return report["live"]  # type: ignore[no-any-return]


def test_live_flags_equal_a_batch_detection_after_every_batch(
    ws: Workspace, sim: Path, tmp_path: Path
) -> None:
    # Four weeks at once, then day by day, one day held back and sent late, a licence batch.
    spans = [(0, 28), *[(d, d + 1) for d in range(28, 33)], (34, 40), (33, 34), (40, 45)]
    modes, firsts = [], []
    for lo, hi in spans:
        live = ingest_days(ws, sim, tmp_path, lo, hi)
        modes.append(live["mode"])
        firsts.append(live["since"])
        assert live_flags(ws) == batch_flags(ws), (lo, hi, live)
    assert modes[0] == "window" and "days" in modes, modes
    # The late day was looked at from its own day, not only from the new days.
    assert firsts[-2] == (START + timedelta(days=33)).isoformat(), firsts
    assert len(live_flags(ws)) > 10
    # Licences change every day of the window: the whole window is looked at again.
    seats = pd.read_parquet(sim / "licenses.parquet")
    ended = seats.assign(removed_at=pd.Timestamp(START + timedelta(days=30))).head(5)
    changed = tmp_path / "seats_removed.parquet"
    ended.to_parquet(changed)
    ws.ingest("licenses", [changed], refresh=False)
    live = ws.refresh().to_dict()["live"]
    assert live["mode"] == "window" and "licences" in live["reason"]
    assert live_flags(ws) == batch_flags(ws)
    # Nothing new: nothing done. The same licences again store nothing, so change nothing.
    assert ws.update_live().mode == "none"
    ws.ingest("licenses", [changed], refresh=False)
    again = ws.refresh().to_dict()
    assert again["mode"] == "none" and again["live"]["mode"] == "none", again
    assert live_flags(ws) == batch_flags(ws)


def test_a_batch_without_feedback_leaves_the_distress_flags_as_they_are(
    ws: Workspace, sim: Path, tmp_path: Path
) -> None:
    # Feedback for five weeks arrives with the first four weeks of everything else, with
    # distressed items of one person on days after the fourth week (ahead of the activity).
    ingest_days(ws, sim, tmp_path, 0, 28)
    ahead = pd.read_parquet(
        chunk(sim, "feedback", START + timedelta(days=28), START + timedelta(days=35), tmp_path)
    )
    template = pd.read_parquet(sim / "feedback.parquet").dropna(subset=["person"]).head(2)
    said = template.assign(
        person=template["person"].iloc[0],
        feedback_id=["distressed-1", "distressed-2"],
        ts=[pd.Timestamp(START + timedelta(days=d)) + pd.Timedelta(hours=10) for d in (29, 33)],
        text=[
            "I am so frustrated with this tool and I have no idea what I am doing, I am lost",
            "This is infuriating, I do not understand why it fails, what am I supposed to do?",
        ],
    )
    ws.ingest_frame("feedback", pd.concat([ahead, said]), source="ahead")
    assert ws.refresh().to_dict()["live"]["kept"] == []
    distress = [f for f in live_flags(ws) if f[1] == "distress_language"]
    later = [f for f in distress if f[2] > START + timedelta(days=28)]
    assert len(later) == 1, "no distress flag after day 28: the test would prove nothing"
    kept = []
    for d in range(28, 35):
        day = (START + timedelta(days=d), START + timedelta(days=d + 1))
        for table in ("events", "tasks", "decisions"):
            ws.ingest(table, [chunk(sim, table, *day, tmp_path)], refresh=False)
        live = ws.refresh().to_dict()["live"]
        assert live_flags(ws) == batch_flags(ws), (d, live)
        if live["mode"] == "days":  # not a day without activity (a Sunday)
            kept.append(live["kept"])
    # Events, tasks and decisions only: the feedback was not classified again.
    assert len(kept) >= 5 and kept == [["distress_language"]] * len(kept)
    assert [f for f in live_flags(ws) if f[1] == "distress_language"] == distress
    # Feedback arrives again: the rule is detected again.
    late = chunk(sim, "feedback", START + timedelta(days=35), START + timedelta(days=36), tmp_path)
    ws.ingest("feedback", [late], refresh=False)
    live = ws.refresh().to_dict()["live"]
    assert live["kept"] == [] and live_flags(ws) == batch_flags(ws)


def test_feedback_the_as_of_day_moves_over_is_read(
    ws: Workspace, sim: Path, tmp_path: Path
) -> None:
    from uptake.signals.live import _unchanged, read_state

    ingest_days(ws, sim, tmp_path, 0, 28)
    state = read_state(ws.con)
    as_of, status = date.fromisoformat(state["as_of"]), json.loads(state["status"])
    no_batches = pd.DataFrame({"table_name": pd.Series(dtype=object)})
    assert _unchanged(ws.con, no_batches, status, as_of, as_of) == ("distress_language",)
    # Rows dated after the last update's as-of day, up to the new one: they enter the span.
    earlier = as_of - timedelta(days=3)
    assert _unchanged(ws.con, no_batches, status, earlier, as_of) == ()
    feedback = pd.DataFrame({"table_name": ["feedback"]})
    assert _unchanged(ws.con, feedback, status, as_of, as_of) == ()
    # No status stored (before any update): nothing is known to be unchanged.
    assert _unchanged(ws.con, no_batches, {}, as_of, as_of) == ()


def test_a_flag_found_again_keeps_when_it_was_first_raised(
    ws: Workspace, sim: Path, tmp_path: Path
) -> None:
    ingest_days(ws, sim, tmp_path, 0, 28)
    # Found on the first look at the history: raised by no batch that just arrived.
    first = ws.con.execute(f"SELECT count(*), count(batch_id) FROM {FLAGS}").fetchone()
    assert first is not None and first[0] > 0 and first[1] == 0
    ingest_days(ws, sim, tmp_path, 29, 33)
    later = ws.con.execute(f"SELECT count(batch_id) FROM {FLAGS}").fetchone()
    assert later is not None and later[0] > 0
    before = ws.con.execute(f"SELECT person_key, signal, since, raised_at FROM {FLAGS}").df()
    # Day 28 arrives late: every flag from that day on (and every whole-window rule's) is
    # detected again; those found again are the same flags, raised when they first were.
    late = chunk(sim, "events", START + timedelta(days=28), START + timedelta(days=29), tmp_path)
    ws.ingest("events", [late], refresh=False)
    ws.refresh(live=False)
    live = ws.update_live().to_dict()
    assert live["mode"] == "days" and live["since"] == (START + timedelta(days=28)).isoformat()
    after = ws.con.execute(f"SELECT person_key, signal, since, raised_at FROM {FLAGS}").df()
    both = before.merge(after, on=["person_key", "signal", "since"], suffixes=("_0", "_1"))
    redone = both[
        (pd.to_datetime(both["since"]).dt.date >= START + timedelta(days=28))
        | both["signal"].isin(WINDOW_RULES)
    ]
    assert len(redone), "no flag was detected again: the test would prove nothing"
    assert (both["raised_at_0"] == both["raised_at_1"]).all()
    assert live_flags(ws) == batch_flags(ws)


def test_two_episodes_of_a_rule_on_one_day_are_each_kept_once(
    ws: Workspace, sim: Path, tmp_path: Path
) -> None:
    ingest_days(ws, sim, tmp_path, 0, 30)
    day = START + timedelta(days=29)
    person = str(pd.read_parquet(sim / "events.parquet")["person"].iloc[0])

    def events(name: str, spec: list[tuple[int, int, str]]) -> Path:
        path = tmp_path / f"{name}.jsonl"
        rows = [
            {"event_id": f"{name}-{i}", "ts": f"{day}T{h:02d}:{m:02d}:00Z", "person": person,
             "tool": "office_copilot", "action": action, "session_id": f"{name}-{h}"}
            for i, (h, m, action) in enumerate(spec)
        ]  # fmt: skip
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path

    # Two streaks of five rejects on one day, an accept between them.
    streaks = [(6, m, "reject") for m in range(5)] + [(7, 0, "accept")]
    streaks += [(8, m, "reject") for m in range(5)]
    ws.ingest("events", [events("streaks", streaks)], refresh=False)
    ws.refresh()
    key = ws.con.execute(
        f"SELECT count(*) FROM {FLAGS} WHERE signal = 'rejection_streak' AND since = ?", [day]
    ).fetchone()
    assert key is not None and key[0] >= 2
    assert live_flags(ws) == batch_flags(ws)
    # Late data on the same day: its flags are detected again and matched one to one.
    ws.ingest("events", [events("late", [(23, 0, "prompt")])], refresh=False)
    live = ws.refresh().to_dict()["live"]
    assert live["mode"] == "days" and live["since"] == day.isoformat()
    assert live["cleared"] >= 0 and live["raised"] == 0
    again = ws.con.execute(
        f"SELECT count(*) FROM {FLAGS} WHERE signal = 'rejection_streak' AND since = ?", [day]
    ).fetchone()
    assert again == key
    assert live_flags(ws) == batch_flags(ws)


def test_full_refresh_rebuilds_the_window_and_gives_the_same_flags(
    ws: Workspace, sim: Path, tmp_path: Path
) -> None:
    ingest_days(ws, sim, tmp_path, 0, 29)
    ingest_days(ws, sim, tmp_path, 29, 31)
    kept = live_flags(ws)
    live = ws.refresh(full=True).to_dict()["live"]
    assert live["mode"] == "window" and live["reason"] == "requested"
    assert live_flags(ws) == kept == batch_flags(ws)


def test_live_path_off(tmp_path: Path, sim: Path) -> None:
    with Workspace.init(tmp_path / "off", {"signals.live": False}) as ws:
        for table in ("workflows", "people", "licenses"):
            ws.ingest(table, [sim / f"{table}.parquet"], refresh=False)
        report = ingest_days_off(ws, sim, tmp_path)
        assert "live" not in report
        assert ws.con.execute(f"SELECT count(*) FROM {FLAGS}").fetchone() == (0,)
        doc = ws.live_flags()
        assert doc["status"] == "not_available" and "[signals] live" in doc["needs"][0]


def ingest_days_off(ws: Workspace, sim: Path, out: Path) -> dict[str, Any]:
    path = chunk(sim, "events", START, START + timedelta(days=30), out)
    ws.ingest("events", [path], refresh=False)
    return ws.refresh().to_dict()


def test_live_flags_read_is_scoped_and_audited(ws: Workspace, sim: Path, tmp_path: Path) -> None:
    from uptake.errors import PermissionDeniedError
    from uptake.workspace import Actor

    ingest_days(ws, sim, tmp_path, 0, 35)
    doc = ws.live_flags()
    assert doc["status"] == "available" and doc["counts"]["flags"] == len(live_flags(ws))
    assert doc["behind"] == 0
    team = next(f["team"] for f in doc["flags"] if f["team"])
    coach = Actor(name="c", role="coach", teams=(team,))
    mine = ws.live_flags(actor=coach)
    assert mine["flags"] and {f["team"] for f in mine["flags"]} == {team}
    for role in ("manager", "analyst", "person"):
        with pytest.raises(PermissionDeniedError):
            ws.live_flags(actor=Actor(name="x", role=role, teams=(team,)))
    ws.journal.flush()
    audit = ws.con.execute(
        "SELECT actor, action FROM audit_log WHERE action = 'read live friction flags'"
    ).fetchall()
    assert ("c", "read live friction flags") in audit
    # A batch not yet looked at is said, not hidden.
    late = chunk(sim, "events", START + timedelta(days=35), START + timedelta(days=36), tmp_path)
    ws.ingest("events", [late], live=False)
    assert ws.live_flags()["behind"] == 1
