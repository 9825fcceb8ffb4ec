"""The sync runner through the Workspace: windows, cursors, idempotency, failures, secrets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from sync.loopback import (
    GITHUB_TOKEN,
    TODAY,
    FakeGitHub,
    Loopback,
    Reply,
    Request,
    github_env,
    reply,
)
from uptake.errors import PermissionDeniedError
from uptake.sync.runner import every, plan
from uptake.sync.sources.github import GitHubSource
from uptake.sync.sources.m365 import M365Source
from uptake.sync.state import SyncState
from uptake.workspace import Workspace
from uptake.workspace.access import Actor

USERS = "/orgs/acme/copilot/metrics/reports/users-1-day"
STRONG = "9f3c2a7e5b1d4c6a8e0f2b4d6c8a0e1f3b5d7c9a1e3f5b7d"
COUNTED = ("events", "person_facts", "licenses", "aggregate_facts")


def open_ws(path: Path, lb: Loopback, **extra: object) -> Workspace:
    overrides = {
        "sync.base_urls.github": lb.url,
        "sync.base_urls.m365": lb.url,
        "sync.base_urls.m365_login": lb.url,
        "sync.lookback_days": 7,
        "sync.retries": 1,
        **extra,
    }
    if (path / "uptake.duckdb").exists():
        return Workspace.open(path, overrides)
    return Workspace.init(path, overrides)


@pytest.fixture
def ws(tmp_path: Path, loopback: Loopback, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    w = open_ws(tmp_path / "ws", loopback)
    yield w
    w.close()


def counts(ws: Workspace) -> dict[str, int]:
    return {t: ws.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}  # type: ignore[index]


def everything(ws: Workspace) -> str:
    names = [r[0] for r in ws.con.execute("SHOW TABLES").fetchall()]
    return "\n".join(
        json.dumps(row, default=str)
        for t in names
        for row in ws.con.execute(f"SELECT * FROM {t}").fetchall()
    )


def test_first_sync_fetches_the_lookback_and_moves_the_cursor(
    ws: Workspace, github: FakeGitHub
) -> None:
    lines: list[str] = []
    env = github_env(github.lb)
    report = ws.sync(["github"], env=env, today=TODAY, progress=lines.append, refresh=False)
    [r] = report.results
    assert r.status == "synced", r.message
    assert r.window is not None
    assert (r.window.start, r.window.end) == (TODAY - timedelta(days=8), TODAY - timedelta(days=2))
    assert r.rows_added > 0 and r.files == 3  # two days with data, then the seat list
    got = counts(ws)
    assert got["events"] > 0 and got["licenses"] == 3  # seats dev0…dev2, over two pages
    teams = ws.con.execute("SELECT count(*) FROM person_facts WHERE fact = 'github_team'")
    assert teams.fetchone()[0] == 8  # type: ignore[index]  # 4 people × 2 days
    assert len(github.lb.hits("/orgs/acme/copilot/billing/seats")) == 2
    days = [h.query["day"] for h in github.lb.hits(USERS)]
    assert days == [(TODAY - timedelta(days=d)).isoformat() for d in range(8, 1, -1)]
    status = {s["source"]: s for s in ws.sync_status(today=TODAY)}
    gh = status["github"]
    assert gh["cursor_day"] == (TODAY - timedelta(days=2)).isoformat()
    assert gh["coverage"] == [(TODAY - timedelta(days=8)).isoformat(), gh["cursor_day"]]
    assert gh["lag_days"] == 2 and gh["last_success_at"] and gh["last_error"] is None
    assert gh["rows_total"] == r.rows_added
    assert not status["m365"]["synced"]
    assert any("rows added" in line for line in lines)

    # Again the same day: nothing new yet.
    again = ws.sync(["github"], env=env, today=TODAY, refresh=False)
    assert again.results[0].status == "up to date" and again.rows_added == 0
    # The next day: only that day is asked for (the seat list is the same bytes: skipped).
    github.lb.requests.clear()
    later = ws.sync(["github"], env=env, today=TODAY + timedelta(days=1), refresh=False)
    days = [h.query["day"] for h in github.lb.hits(USERS)]
    assert days == [(TODAY - timedelta(days=1)).isoformat()]
    assert later.results[0].unchanged == 1 and later.rows_added == 0
    assert counts(ws) == got


def test_a_sync_that_adds_rows_names_each_refresh_stage_once(
    ws: Workspace, github: FakeGitHub
) -> None:
    lines: list[str] = []
    report = ws.sync(["github"], env=github_env(github.lb), today=TODAY, progress=lines.append)
    assert report.rows_added > 0 and report.refreshed is not None
    said = [line for line in lines if "refresh" in line or "live" in line]
    # It said "refreshing the metric facts" twice, the second time for the live flags.
    assert said.count("refreshing the metric facts") == 1, lines
    assert said.count("updating the live friction flags") == 1, lines


def test_a_backfill_over_synced_days_adds_nothing(ws: Workspace, github: FakeGitHub) -> None:
    ws.settings.sync.github_seats = False
    env = github_env(github.lb)
    ws.sync(["github"], env=env, today=TODAY, refresh=False)
    before = counts(ws)
    back = ws.sync(["github"], env=env, today=TODAY, since=TODAY - timedelta(days=8))
    r = back.results[0]
    assert r.status == "synced" and r.rows_added == 0 and r.unchanged == r.files == 2
    assert counts(ws) == before
    # Even when the bytes differ (GitHub re-splits its files), the rows are the same rows.
    github.days[TODAY - timedelta(days=3)].reverse()
    r = ws.sync(["github"], env=env, today=TODAY, since=TODAY - timedelta(days=3)).results[0]
    assert r.files - r.unchanged == 1 and r.rows_added == 0
    assert counts(ws) == before


def test_a_failing_day_keeps_the_days_before_it(ws: Workspace, github: FakeGitHub) -> None:
    bad = TODAY - timedelta(days=3)
    ok = github.lb.routes[("GET", "/orgs/acme/copilot/metrics/reports/users-1-day")]
    broken = {"on": True}

    def flaky(req: Request) -> Reply:
        if broken["on"] and req.query["day"] == bad.isoformat():
            return reply(500, {"message": "oops"})
        return ok(req)

    github.lb.route("GET", "/orgs/acme/copilot/metrics/reports/users-1-day", flaky)
    ws.settings.sync.github_seats = False
    env = github_env(github.lb)
    waits: list[float] = []
    r = ws.sync(["github"], env=env, today=TODAY, sleep=waits.append, refresh=False).results[0]
    assert r.status == "failed" and "vendor unavailable" in (r.message or "")
    assert len(waits) == 1  # retried once (sync.retries = 1), then given up
    st = {s["source"]: s for s in ws.sync_status(today=TODAY)}["github"]
    assert st["cursor_day"] == (bad - timedelta(days=1)).isoformat()
    assert "vendor unavailable" in st["last_error"] and st["last_success_at"] is None
    broken["on"] = False
    github.lb.requests.clear()
    r = ws.sync(["github"], env=env, today=TODAY, refresh=False).results[0]
    assert r.status == "synced"
    days = [h.query["day"] for h in github.lb.hits(USERS)]
    assert days == [bad.isoformat(), (bad + timedelta(days=1)).isoformat()]
    st = {s["source"]: s for s in ws.sync_status(today=TODAY)}["github"]
    assert st["last_error"] is None
    assert st["coverage"] == [(TODAY - timedelta(days=8)).isoformat(), st["cursor_day"]]


def test_the_token_never_reaches_output_or_the_warehouse(ws: Workspace, github: FakeGitHub) -> None:
    # A vendor that echoes the token back in its refusal.
    echo = {"message": f"token {GITHUB_TOKEN} lacks read:org"}
    github.lb.route("GET", "/orgs/acme/copilot/billing/seats", lambda _r: reply(403, echo))
    lines: list[str] = []
    env = github_env(github.lb)
    since = TODAY - timedelta(days=3)  # one day with data, then the refused seat list
    r = ws.sync(
        ["github"], env=env, today=TODAY, since=since, progress=lines.append, refresh=False
    ).results[0]
    assert r.status == "failed" and "grant" in (r.message or "") and r.rows_added > 0
    shown = "\n".join([*lines, r.message or "", r.hint or ""])
    assert GITHUB_TOKEN not in shown
    stored = everything(ws)
    assert "missing scope/permission" in stored  # the error is kept, the token is not
    assert GITHUB_TOKEN not in stored and "ghp_" not in stored


def test_unconfigured_sources_are_skipped_unless_named(ws: Workspace) -> None:
    report = ws.sync(env={}, today=TODAY)
    assert {r.status for r in report.results} == {"not configured"}
    r = ws.sync(["m365"], env={"M365_TENANT_ID": "t"}, today=TODAY).results[0]
    assert r.status == "failed"
    assert r.message == "m365: not configured: set M365_CLIENT_ID, M365_CLIENT_SECRET"


def test_who_may_sync_and_read_the_status(ws: Workspace, github: FakeGitHub) -> None:
    analyst = Actor("a", "analyst")
    env = github_env(github.lb)
    with pytest.raises(PermissionDeniedError):
        ws.sync(["github"], env=env, today=TODAY, actor=analyst)
    quiet = {"since": TODAY - timedelta(days=2), "refresh": False}
    assert ws.sync(["github"], env=env, today=TODAY, actor=Actor("i", "ingest"), **quiet)  # type: ignore[arg-type]
    assert ws.sync_status(actor=analyst)
    with pytest.raises(PermissionDeniedError):
        ws.sync_status(actor=Actor("i", "ingest"))


def test_since_beyond_retention_is_clipped_with_a_note() -> None:
    window, notes = plan(M365Source, None, TODAY, since=date(2026, 1, 1))
    assert window is not None and window.start == TODAY - timedelta(days=28)
    assert window.end == TODAY - timedelta(days=2)
    assert "--since 2026-01-01 is beyond retention" in notes[0]
    # GitHub's reports start on 2025-10-10, whatever the retention says.
    window, _ = plan(GitHubSource, None, date(2026, 1, 1), since=date(2025, 1, 1))
    assert window is not None and window.start == date(2025, 10, 10)


def test_an_old_cursor_beyond_retention_says_which_days_are_missing() -> None:
    st = SyncState("m365", cursor_day=TODAY - timedelta(days=60), first_day=date(2026, 1, 1))
    window, notes = plan(M365Source, st, TODAY)
    assert window is not None and window.start == TODAY - timedelta(days=28)
    assert "are missing" in notes[0]
    st.cover(window.start, window.end)
    assert (st.first_day, st.cursor_day) == (window.start, window.end)


def test_coverage_never_claims_a_gap() -> None:
    st = SyncState("x", cursor_day=date(2026, 3, 31), first_day=date(2026, 3, 1))
    st.cover(date(2026, 1, 1), date(2026, 1, 10))  # a backfill that stopped early
    assert (st.first_day, st.cursor_day) == (date(2026, 3, 1), date(2026, 3, 31))
    st.cover(date(2026, 2, 1), date(2026, 3, 5))
    assert (st.first_day, st.cursor_day) == (date(2026, 2, 1), date(2026, 3, 31))
    st.cover(date(2026, 4, 1), date(2026, 4, 3))
    assert (st.first_day, st.cursor_day) == (date(2026, 2, 1), date(2026, 4, 3))


def test_every_runs_n_times_and_waits_between() -> None:
    ran: list[int] = []
    waits: list[float] = []
    clock = iter(range(100))
    done = every(60.0, ran.append, runs=3, sleep=waits.append, clock=lambda: float(next(clock)))
    assert done == 3 and ran == [1, 2, 3]
    assert waits == [59.0, 59.0]  # each run "took" one clock tick


def test_synced_rows_equal_an_ingest_of_the_same_file(
    tmp_path: Path, loopback: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPTAKE_SECRET", STRONG)
    fake = FakeGitHub(loopback)
    day = TODAY - timedelta(days=3)
    fake.days[day] = ["dev0", "dev1", "dev2"]
    fake.install()
    off = {"sync.github_seats": False, "sync.github_teams": False}
    synced = open_ws(tmp_path / "a", loopback, **off)
    synced.sync(["github"], env=github_env(loopback), today=TODAY, since=day, refresh=False)
    # The same day's report, downloaded by hand and joined as GitHub splits it.
    import httpx

    links = httpx.get(
        f"{loopback.url}/orgs/acme/copilot/metrics/reports/users-1-day",
        params={"day": day.isoformat()},
        headers={"Authorization": f"Bearer {GITHUB_TOKEN}", "X-GitHub-Api-Version": "2026-03-10"},
    ).json()["download_links"]
    parts = [httpx.get(link).content.strip() for link in links]
    report = tmp_path / "users-1-day.ndjson"
    report.write_bytes(b"\n".join(parts) + b"\n")
    # What `uptake ingest --format github-copilot-usage FILE` does.
    ingested = Workspace.init(tmp_path / "b")
    ingested.ingest("events", [report], fmt="github-copilot-usage", refresh=False)
    for t in ("events", "person_facts", "aggregate_facts"):
        sql = f"SELECT * EXCLUDE (batch_id) FROM {t} ORDER BY ALL"
        a, b = synced.con.execute(sql).fetchall(), ingested.con.execute(sql).fetchall()
        assert a == b, t
        if t == "events":
            assert len(a) > 0
    synced.close()
    ingested.close()
