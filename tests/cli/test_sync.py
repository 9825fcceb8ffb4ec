"""`uptake sync` and `uptake sync status` as a user runs them, against loopback vendor APIs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner, Result

from sync.loopback import GITHUB_TOKEN, FakeGitHub, FakeGraph, Loopback, m365_env, reply, serve
from uptake.cli import app, common
from uptake.workspace import Workspace

# The command line syncs up to today: a fixed day, the same in every module that asks (a
# run across midnight would otherwise meet two), and the fake's days follow it.
TODAY = date(2026, 11, 20)


class _Frozen(datetime):
    """`datetime` whose `now` is noon (UTC) on TODAY."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _Frozen:  # type: ignore[override]
        noon = cls.combine(TODAY, time(12), tzinfo=UTC)
        return noon.astimezone(tz) if tz else noon.replace(tzinfo=None)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("uptake.sync.base", "uptake.sync.runner", "uptake.workspace.syncing"):
        monkeypatch.setattr(f"{module}.datetime", _Frozen)


@pytest.fixture
def lb() -> Iterator[Loopback]:
    with serve() as server:
        yield server


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    Workspace.init(tmp_path / "ws").close()
    return tmp_path / "ws"


def secrets(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    f = tmp_path / "sync.env"
    f.write_text(text)
    f.chmod(mode)
    return f


def run(lb: Loopback, *args: str, **env: str) -> Result:
    full = {
        "COLUMNS": "200",
        "UPTAKE_WORKSPACE": None,
        "UPTAKE__SYNC__BASE_URLS__GITHUB": lb.url,
        "UPTAKE__SYNC__BASE_URLS__M365": lb.url,
        "UPTAKE__SYNC__BASE_URLS__M365_LOGIN": lb.url,
        "UPTAKE__SYNC__GITHUB_SEATS": "false",
        "UPTAKE__SYNC__RETRIES": "0",
        **env,
    }
    # The shared console fixed its width when it was made (80 under pytest-xdist): it is
    # given the width this call asks for.
    width = common.console.width
    common.console.width = int(full["COLUMNS"] or 80)
    try:
        return CliRunner().invoke(app, list(args), env=full)
    finally:
        common.console.width = width


def github(lb: Loopback, *days_back: int) -> FakeGitHub:
    fake = FakeGitHub(lb)
    for back in days_back:
        fake.days[TODAY - timedelta(days=back)] = ["dev0", "dev1"]
    return fake.install()


def test_sync_prints_progress_then_a_summary_and_status_shows_it(
    lb: Loopback, ws: Path, tmp_path: Path
) -> None:
    github(lb, 3)
    f = secrets(tmp_path, f"GITHUB_COPILOT_TOKEN={GITHUB_TOKEN}\nGITHUB_ORG=acme\n")
    r = run(lb, "sync", "-w", str(ws), "--secrets", str(f))
    assert r.exit_code == 0, r.stderr
    assert "github: fetching" in r.stderr and "rows added" in r.stderr
    assert "synced" in r.stdout and "Facts refreshed" in r.stdout
    assert GITHUB_TOKEN not in r.stdout + r.stderr
    r = run(lb, "sync", "status", "-w", str(ws))
    assert r.exit_code == 0, r.stderr
    cursor = (TODAY - timedelta(days=2)).isoformat()
    assert f"{(TODAY - timedelta(days=29)).isoformat()} … {cursor}" in r.stdout
    assert "2 d" in r.stdout and "never synced" in r.stdout  # github synced, m365 not
    # At 80 columns the dates wrap at their spaces; no column is cut at the edge.
    narrow = run(lb, "sync", "status", "-w", str(ws), COLUMNS="80").stdout.splitlines()
    assert max(cell_len(line) for line in narrow) <= 80
    assert any("error or" in line for line in narrow) and any("warning" in ln for ln in narrow)
    assert not any(line.rstrip().endswith("…") for line in narrow)
    r = run(lb, "sync", "status", "-w", str(ws), "--json")
    [gh] = [s for s in json.loads(r.stdout) if s["source"] == "github"]
    assert gh["cursor_day"] == cursor and gh["lag_days"] == 2 and gh["rows_total"] > 0


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "github: token expired or wrong (HTTP 401 at 127.0.0.1/orgs/acme/copilot/metrics/"),
        (403, "github: missing scope/permission (HTTP 403"),
        (404, "github: not found (HTTP 404"),
        (500, "github: vendor unavailable: HTTP 500"),
    ],
)
def test_a_refusal_is_one_red_line_naming_the_fix(
    lb: Loopback, ws: Path, status: int, words: str
) -> None:
    route = "/orgs/acme/copilot/metrics/reports/users-1-day"
    lb.route("GET", route, lambda _r: reply(status, {"message": f"no ({GITHUB_TOKEN})"}))
    env = {"GITHUB_COPILOT_TOKEN": GITHUB_TOKEN, "GITHUB_ORG": "acme"}
    r = run(lb, "sync", "--source", "github", "-w", str(ws), **env)
    assert r.exit_code == 2
    errors = [x for x in r.stderr.splitlines() if x.startswith(("error:", "hint:"))]
    assert errors[0].startswith(f"error: {words}"), r.stderr
    fix = {
        401: "renew GITHUB_COPILOT_TOKEN",
        403: "grant",
        404: "check GITHUB_ORG",
        500: "try again",
    }
    assert fix[status] in errors[0]
    assert "Traceback" not in r.stderr and GITHUB_TOKEN not in r.stdout + r.stderr
    r = run(lb, "sync", "status", "-w", str(ws))
    assert words.split(": ", 1)[1][:20] in r.stdout.replace("\n", " ")
    with Workspace.open(ws, read_only=True) as w:
        tables = [t for (t,) in w.con.execute("SHOW TABLES").fetchall()]
        for t in tables:
            cells = json.dumps(w.con.execute(f"SELECT * FROM {t}").fetchall(), default=str)
            assert GITHUB_TOKEN not in cells, t


def test_since_beyond_retention_is_clipped_with_a_note(lb: Loopback, ws: Path) -> None:
    graph = FakeGraph(lb, users=[]).install()
    r = run(lb, "sync", "--source", "m365", "--since", "2020-01-01", "-w", str(ws), **m365_env())
    assert r.exit_code == 0, r.stderr
    assert "note: m365: --since 2020-01-01 is beyond retention" in r.stderr
    first = (TODAY - timedelta(days=28)).isoformat()
    assert f"m365: fetching {first} …" in r.stderr
    assert len(graph.lb.hits("/beta/copilot/reports/")) == 27


def test_every_runs_the_given_number_of_times(lb: Loopback, ws: Path) -> None:
    fake = github(lb)
    env = {"GITHUB_COPILOT_TOKEN": GITHUB_TOKEN, "GITHUB_ORG": "acme"}
    r = run(lb, "sync", "--every", "0.01s", "--runs", "3", "-w", str(ws), **env)
    assert r.exit_code == 0, r.stderr
    assert r.stderr.count("next sync at") == 2 and "sync stopped after 3 runs" in r.stderr
    assert r.stderr.count("github: up to date") == 2  # runs 2 and 3 find nothing new
    assert len(fake.lb.hits("/orgs/acme/copilot/metrics/reports/users-1-day")) == 28


def test_every_survives_a_failing_vendor(lb: Loopback, ws: Path) -> None:
    env = {"GITHUB_COPILOT_TOKEN": GITHUB_TOKEN, "GITHUB_ORG": "acme"}
    r = run(lb, "sync", "--every", "0.01s", "--runs", "2", "-w", str(ws), **env)
    assert r.exit_code == 0 and r.stderr.count("error: github: not found") == 2


def test_a_world_readable_secrets_file_is_refused(lb: Loopback, ws: Path, tmp_path: Path) -> None:
    f = secrets(tmp_path, f"GITHUB_COPILOT_TOKEN={GITHUB_TOKEN}\nGITHUB_ORG=acme\n", 0o644)
    r = run(lb, "sync", "-w", str(ws), "--secrets", str(f))
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [
        f"error: secrets file {f} can be read or changed by every user of this machine",
        f"hint: chmod 600 {f}",
    ]
    inside = ws / "sync.env"
    inside.write_text(f"GITHUB_COPILOT_TOKEN={GITHUB_TOKEN}\n")
    inside.chmod(0o600)
    r = run(lb, "sync", "-w", str(ws), "--secrets", str(inside))
    assert r.exit_code == 2 and "inside the workspace folder" in r.stderr


def test_nothing_configured_is_an_error_a_cron_job_notices(lb: Loopback, ws: Path) -> None:
    r = run(lb, "sync", "-w", str(ws))
    assert r.exit_code == 2
    assert r.stderr.startswith("error: sync: no vendor source is configured")
    r = run(lb, "sync", "--every", "1s", "--runs", "2", "-w", str(ws))
    assert r.exit_code == 2 and "no vendor source is configured" in r.stderr
    r = run(lb, "sync", "--runs", "2", "-w", str(ws))
    assert r.exit_code == 2 and "give --every too" in r.stderr
    r = run(lb, "sync", "--since", (TODAY + timedelta(days=3)).isoformat(), "-w", str(ws))
    assert r.exit_code == 2 and "in the future" in r.stderr


def test_parse_every() -> None:
    from uptake.cli.sync import parse_every
    from uptake.errors import InputError

    assert parse_every("30m") == 1800 and parse_every("1d") == 86400 and parse_every("0.5s") == 0.5
    for bad in ("0s", "1w", "soon", "-1h"):
        with pytest.raises(InputError):
            parse_every(bad)


def test_ctrl_c_stops_the_loop_cleanly(
    lb: Loopback, ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    github(lb)

    def interrupted(_interval: float, run_once: Callable[[int], None], **_kw: object) -> int:
        run_once(1)
        raise KeyboardInterrupt  # as if Ctrl-C came while waiting for run 2

    # The command imports the loop when it runs: it finds this one there.
    monkeypatch.setattr("uptake.sync.runner.every", interrupted)
    env = {"GITHUB_COPILOT_TOKEN": GITHUB_TOKEN, "GITHUB_ORG": "acme"}
    r = run(lb, "sync", "--every", "1h", "-w", str(ws), **env)
    assert r.exit_code == 0, r.stderr
    assert r.stderr.rstrip().endswith("sync stopped") and "Traceback" not in r.stderr
