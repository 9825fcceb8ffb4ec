"""The Microsoft 365 source over loopback: app sign-in, daily report pages, concealed names."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from sync.loopback import GRAPH_TOKEN, M365_SECRET, TODAY, FakeGraph, Loopback, m365_env
from uptake.errors import SyncError
from uptake.sync.base import Download, SyncContext, Window
from uptake.sync.http import HttpClient
from uptake.sync.sources.m365 import CONCEALED, M365Source, concealed
from uptake.workspace import Workspace

WINDOW = Window(TODAY - timedelta(days=3), TODAY - timedelta(days=2))


def fetch(
    lb: Loopback, creds: dict[str, str] | None = None, warnings: list[str] | None = None
) -> list[Download]:
    with HttpClient(
        "m365",
        renew=["M365_CLIENT_SECRET", "M365_ACCESS_TOKEN"],
        scopes=M365Source.scopes,
        not_found=M365Source.not_found,
        retries=0,
    ) as http:
        ctx = SyncContext(
            http=http,
            base_url=lb.url,
            credentials=creds or m365_env(),
            settings={"m365_login": lb.url},
            warn=(warnings if warnings is not None else []).append,
            today=TODAY,
        )
        return list(M365Source().fetch(ctx, WINDOW))


def test_app_sign_in_then_one_file_per_day_across_pages(graph: FakeGraph) -> None:
    got = fetch(graph.lb)
    assert [d.first_day for d in got] == WINDOW.days()
    assert all(d.fmt == "m365-copilot-usage" and d.complete for d in got)
    doc = json.loads(got[0].content)
    assert [r["userPrincipalName"] for r in doc["value"]] == ["ann@contoso.com", "bob@contoso.com"]
    [sign_in] = graph.lb.hits("/contoso-tenant/oauth2/v2.0/token")
    assert b"client_secret=" in sign_in.body and b"grant_type=client_credentials" in sign_in.body
    reports = graph.lb.hits("/beta/copilot/reports/")
    assert len(reports) == 4  # two days × two pages (@odata.nextLink)
    assert all(r.headers["authorization"] == f"Bearer {GRAPH_TOKEN}" for r in reports)


def test_a_ready_token_skips_the_sign_in(graph: FakeGraph) -> None:
    got = fetch(graph.lb, {"M365_ACCESS_TOKEN": GRAPH_TOKEN})
    assert len(got) == 2 and not graph.lb.hits("/contoso-tenant/")


def test_a_wrong_client_secret_says_what_to_renew(graph: FakeGraph) -> None:
    creds = {**m365_env(), "M365_CLIENT_SECRET": "wrong-secret-value"}
    with pytest.raises(SyncError) as got:
        fetch(graph.lb, creds)
    msg = got.value.message
    assert msg.startswith("m365: the identity platform refused the app's sign-in")
    assert "renew M365_CLIENT_SECRET" in msg and "wrong-secret-value" not in msg
    with pytest.raises(SyncError, match="token expired or wrong") as got:
        fetch(graph.lb, {"M365_ACCESS_TOKEN": "stale-token"})
    assert "stale-token" not in got.value.message


def test_concealed_names_are_warned_about(graph: FakeGraph) -> None:
    graph.users = ["DC8C64D6EC3A3AA17481D7E5EB5B68A6", "C65E8D8AFA0DAB9639EDFAAEA94AFE66"]
    warnings: list[str] = []
    got = fetch(graph.lb, warnings=warnings)
    assert len(got) == 2 and warnings and set(warnings) == {CONCEALED}
    assert "turn on display of concealed names" in CONCEALED and "ingest a mapping" in CONCEALED
    assert not concealed([{"userPrincipalName": "ann@contoso.com"}, {"userPrincipalName": ""}])
    assert not concealed([])


def test_synced_days_land_in_the_warehouse_with_the_warning_kept(
    tmp_path: Path, graph: FakeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    graph.users = ["DC8C64D6EC3A3AA17481D7E5EB5B68A6"]
    ws = Workspace.init(
        tmp_path / "ws",
        {"sync.base_urls.m365": graph.lb.url, "sync.base_urls.m365_login": graph.lb.url},
    )
    day = TODAY - timedelta(days=2)
    lines: list[str] = []
    report = ws.sync(
        ["m365"], env=m365_env(), today=TODAY, since=day, progress=lines.append, refresh=False
    )
    [r] = report.results
    assert r.status == "synced" and r.rows_added > 0, r.message
    assert any(line.startswith("warning: m365: names are concealed") for line in lines)
    [st] = [s for s in ws.sync_status(today=TODAY) if s["source"] == "m365"]
    assert st["last_warning"] == CONCEALED and st["cursor_day"] == day.isoformat()
    rows = ws.con.execute("SELECT count(*) FROM person_facts WHERE tool = 'm365-copilot'")
    assert rows.fetchone()[0] > 0  # type: ignore[index]
    text = json.dumps(ws.con.execute("SELECT * FROM sync_state").fetchall(), default=str)
    assert M365_SECRET not in text and GRAPH_TOKEN not in text
    ws.close()
