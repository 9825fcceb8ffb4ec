"""The stub vendor API server: shapes, auth, pagination, rate limits, signed links, data modes."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync.stub_helpers import (
    DAYS,
    START,
    WINDOW,
    Waits,
    client,
    fetch,
    ingest_check,
    write_vendor_view,
)
from uptake.errors import SyncError
from uptake.simulate.vendor_api import (
    DEMO_KEY,
    NO_SCOPE_KEY,
    Options,
    SampleData,
    SimulatedData,
    VendorApi,
)
from uptake.simulate.vendor_api.__main__ import base_url_env, main
from uptake.sync.sources import SOURCES

DAY = date(2026, 11, 10)
# One connection pool for every request: a new client per request costs more than the request.
HTTP = httpx.Client(timeout=10)
MS = (DAY - date(1970, 1, 1)).days * 86_400_000


def _headers(vendor: str, key: str = DEMO_KEY) -> dict[str, str]:
    if vendor == "anthropic":
        return {"x-api-key": key, "anthropic-version": "2023-06-01"}
    if vendor == "cursor":
        return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    return {"Authorization": f"Bearer {key}"}


def calls_for(day: date) -> list[tuple[str, str, str, dict[str, Any]]]:
    """One request per vendor endpoint for `day`: (vendor, method, path, query or JSON body)."""
    ms = (day - date(1970, 1, 1)).days * 86_400_000
    cursor = {"startDate": ms, "endDate": ms + 86_399_999}
    by_date = f"/beta/copilot/reports/getMicrosoft365CopilotUsageUserDetailByDate(date={day})"
    gemini = "/admin/reports/v1/activity/users/all/applications/gemini_in_workspace_apps"
    return [
        ("github", "GET", "/orgs/acme/copilot/metrics/reports/users-1-day", {"day": str(day)}),
        ("github", "GET", "/orgs/acme/copilot/billing/seats", {}),
        ("m365", "GET", by_date, {}),
        (
            "anthropic",
            "GET",
            "/v1/organizations/usage_report/claude_code",
            {"starting_at": str(day)},
        ),
        ("anthropic", "GET", "/v1/organizations/analytics/users", {"date": str(day)}),
        ("cursor", "POST", "/teams/daily-usage-data", cursor),
        ("cursor", "POST", "/teams/filtered-usage-events", cursor),
        (
            "codex",
            "GET",
            "/v1/analytics/codex/workspaces/ws1/usage",
            {"start_date": str(day), "end_date": str(day)},
        ),
        (
            "google",
            "GET",
            gemini,
            {"startTime": f"{day}T00:00:00Z", "endTime": f"{day + timedelta(1)}T00:00:00Z"},
        ),
    ]


CALLS = calls_for(DAY)


def _call(
    api: VendorApi, vendor: str, method: str, path: str, args: dict[str, Any], key: str = DEMO_KEY
) -> httpx.Response:
    url = api.urls[vendor] + path
    if method == "POST":
        return HTTP.post(url, json=args, headers=_headers(vendor, key))
    return HTTP.get(url, params=args, headers=_headers(vendor, key))


@pytest.fixture(scope="module")
def samples() -> Iterator[VendorApi]:
    with VendorApi() as api:
        yield api


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_vendor_view(tmp_path_factory.mktemp("view"))


def _rows(doc: dict[str, Any]) -> list[Any]:
    for key in ("data", "value", "seats", "usageEvents", "items"):
        if isinstance(doc.get(key), list):
            return list(doc[key])
    raise AssertionError(f"no record list in {sorted(doc)}")


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c[2].split("/")[-1][:40])
def test_samples_answer_every_endpoint_dated_to_the_requested_day(
    samples: VendorApi, call: tuple[str, str, str, dict[str, Any]]
) -> None:
    r = _call(samples, *call)
    assert r.status_code == 200, r.text
    doc = r.json()
    if "download_links" in doc:
        assert doc["report_day"] == str(DAY) and doc["download_links"]
        lines = HTTP.get(doc["download_links"][0]).text.splitlines()
        assert lines and all(json.loads(x)["day"] == str(DAY) for x in lines)
        return
    rows = _rows(doc)
    assert rows
    text = json.dumps(rows)
    if "seats" not in doc:  # the seat list is a snapshot, not dated
        stamps = [int(x) for x in re.findall(r"\b\d{13}\b", text)]
        moved = str(DAY) in text or any(MS <= t < MS + 86_400_000 for t in stamps)
        assert moved, text[:300]


def test_samples_keep_the_documented_records(samples: VendorApi) -> None:
    """The published example is served as published, only its dates moved."""
    path = "/v1/organizations/usage_report/claude_code"
    rows = _call(samples, "anthropic", "GET", path, {"starting_at": str(DAY)}).json()["data"]
    published = json.loads(
        (
            Path(__file__).parents[2]
            / "src/uptake/simulate/vendor_api/samples"
            / "anthropic_claude_code_usage_report.json"
        ).read_text()
    )["data"][0]
    first = rows[0]
    assert first["date"] == f"{DAY}T00:00:00Z"
    assert {**first, "date": published["date"]} == published
    assert {r["actor"]["email_address"] for r in rows} >= {
        "user@example.com",
        "ana.silva@example.com",
    }


@pytest.mark.parametrize("vendor", ["github", "m365", "anthropic", "cursor", "codex", "google"])
def test_wrong_key_is_401_and_key_without_scope_403_in_the_vendor_shape(
    samples: VendorApi, vendor: str
) -> None:
    call = next(c for c in CALLS if c[0] == vendor)
    wrong = _call(samples, *call, key="not-the-key")
    assert wrong.status_code == 401
    forbidden = _call(samples, *call, key=NO_SCOPE_KEY)
    assert forbidden.status_code == 403
    doc = wrong.json()
    shape = {
        "github": lambda d: d["message"] == "Bad credentials",
        "m365": lambda d: d["error"]["code"] == "InvalidAuthenticationToken",
        "anthropic": lambda d: (
            d["type"] == "error" and d["error"]["type"] == "authentication_error"
        ),
        "cursor": lambda d: "error" in d,
        "codex": lambda d: d["error"]["code"] == "invalid_api_key",
        "google": lambda d: d["error"]["status"] == "UNAUTHENTICATED",
    }[vendor]
    assert shape(doc), doc


@pytest.mark.parametrize("vendor", ["anthropic", "google"])
def test_the_sync_client_turns_401_and_403_into_clear_errors(
    samples: VendorApi, vendor: str
) -> None:
    source = SOURCES[vendor]
    call = next(c for c in CALLS if c[0] == vendor)
    with client(source) as http:
        for key, words in (
            ("sk-wrong-key-123", "token expired or wrong"),
            (NO_SCOPE_KEY, "missing scope"),
        ):
            with pytest.raises(SyncError) as err:
                http.get(
                    samples.urls[vendor] + call[2], params=call[3], headers=_headers(vendor, key)
                )
            assert words in err.value.message
            assert key not in err.value.message and key not in str(err.value.hint)


def test_microsoft_token_endpoint_issues_tokens_for_the_client_secret(samples: VendorApi) -> None:
    url = samples.urls["m365"] + "/tenant-1/oauth2/v2.0/token"
    form = {"grant_type": "client_credentials", "client_id": "c", "scope": "x/.default"}
    bad = HTTP.post(url, data={**form, "client_secret": "nope"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    for secret, status in ((DEMO_KEY, 200), (NO_SCOPE_KEY, 403)):
        token = HTTP.post(url, data={**form, "client_secret": secret}).json()["access_token"]
        path = CALLS[2][2]
        got = HTTP.get(samples.urls["m365"] + path, headers={"Authorization": f"Bearer {token}"})
        assert got.status_code == status


def test_rate_limit_answers_429_with_retry_after_and_the_client_waits() -> None:
    with VendorApi(options=Options(rate_limit_every=2, retry_after=3)) as api:
        call = CALLS[3]
        codes = [_call(api, *call).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        limited = _call(api, *call)  # the counter starts again after a 429
        assert limited.status_code == 200
        waits = Waits()
        with client(SOURCES["anthropic"], waits) as http:
            for _ in range(3):
                r = http.get(
                    api.urls["anthropic"] + call[2], params=call[3], headers=_headers("anthropic")
                )
                assert r.status_code == 200
        assert waits.seconds == [3.0]
        assert api.statuses[429] == 2


def test_signed_links_need_no_token_and_refuse_tampering_and_expiry() -> None:
    with VendorApi(options=Options(link_ttl=60)) as api:
        doc = _call(api, *CALLS[0]).json()
        link = doc["download_links"][0]
        ok = HTTP.get(link)
        assert ok.status_code == 200 and ok.headers["content-type"] == "application/x-ndjson"
        bare = HTTP.get(link.split("?")[0])
        assert bare.status_code == 403 and b"AccessDenied" in bare.content
        other_day = link.replace(str(DAY), str(DAY + timedelta(1)))
        assert b"SignatureDoesNotMatch" in HTTP.get(other_day).content
        api.advance(61)
        expired = HTTP.get(link)
        assert expired.status_code == 403 and b"Request has expired" in expired.content
        # A fresh link works again: the report API signs with the server's clock.
        fresh = _call(api, *CALLS[0]).json()["download_links"][0]
        assert HTTP.get(fresh).content == ok.content


def test_report_files_split_into_several_links() -> None:
    with VendorApi(options=Options(file_lines=1)) as api:
        links = _call(api, *CALLS[0]).json()["download_links"]
        parts = [HTTP.get(x).content for x in links]
    assert len(links) == 4 and all(p.count(b"\n") == 1 for p in parts)  # sample + 3 people
    assert len({json.loads(p)["user_login"] for p in parts}) == 4


def test_seat_pages_follow_the_link_header_to_the_end() -> None:
    with VendorApi(options=Options(page_size=2)) as api:
        url: str | None = api.urls["github"] + "/orgs/acme/copilot/billing/seats?per_page=50"
        seats: list[Any] = []
        while url:
            r = HTTP.get(url, headers=_headers("github"))
            seats += r.json()["seats"]
            assert len(r.json()["seats"]) <= 2
            links = {
                p.split('rel="')[1][:-1]: p.split(">")[0][1:]
                for p in r.headers.get("link", "").split(", ")
                if p
            }
            url = links.get("next")
        assert len(seats) == r.json()["total_seats"] == 5
        assert api.counts["github.seats"] == 3


def test_graph_pages_follow_next_link() -> None:
    with VendorApi(options=Options(page_size=1)) as api:
        url: str | None = api.urls["m365"] + CALLS[2][2]
        rows = []
        while url:
            doc = HTTP.get(url, headers=_headers("m365")).json()
            rows += doc["value"]
            url = doc.get("@odata.nextLink")
        assert len(rows) == 3 and api.counts["m365.by_date"] == 3


def test_requests_are_counted_per_route_and_unknown_paths_are_404() -> None:
    with VendorApi() as api:
        for call in CALLS:
            _call(api, *call)
        r = HTTP.get(api.urls["codex"] + "/v1/nothing", headers=_headers("codex"))
        assert r.status_code == 404 and "error" in r.json()
        assert sum(api.counts.values()) == len(CALLS) + 1
        assert api.counts["cursor.events"] == 1 and api.counts["unknown"] == 1
        api.reset_counts()
        assert not api.counts and not api.log


def test_the_github_and_microsoft_sources_read_the_stub(tmp_path: Path) -> None:
    """Byte-compatible with what the connectors read, through several links and pages."""
    creds = {
        "GITHUB_COPILOT_TOKEN": DEMO_KEY,
        "GITHUB_ORG": "acme",
        "M365_TENANT_ID": "t",
        "M365_CLIENT_ID": "c",
        "M365_CLIENT_SECRET": DEMO_KEY,
    }
    with VendorApi(options=Options(page_size=2, file_lines=2)) as api:
        got = fetch(api, SOURCES["github"], creds)
        got += fetch(api, SOURCES["m365"], creds, settings={"m365_login": api.urls["m365"]})
        # Two links a day for the users report and two for the user-teams report.
        assert api.counts["github.download"] == 4 * len(WINDOW.days())
    fmts = [d.fmt for d in got]
    assert fmts.count("github-copilot-usage") == fmts.count("m365-copilot-usage") == DAYS
    assert json.loads(got[DAYS].content)["total_seats"] == 5
    for d in got:
        result = ingest_check(d, tmp_path)
        assert result is not None and not result.rejects, (d.name, result and result.rejects[:2])
        assert sum(len(f) for f in result.frames.values()) > 0


def test_bad_requests_get_the_vendor_s_400() -> None:
    with VendorApi() as api:
        path = "/v1/organizations/usage_report/claude_code"
        no_version = HTTP.get(
            api.urls["anthropic"] + path,
            params={"starting_at": str(DAY)},
            headers={"x-api-key": DEMO_KEY},
        )
        assert no_version.status_code == 400
        assert no_version.json()["error"]["type"] == "invalid_request_error"
        too_long = {"startDate": MS - 100 * 86_400_000, "endDate": MS}
        assert _call(api, "cursor", "POST", "/teams/daily-usage-data", too_long).status_code == 400
        bad_page = {"starting_at": str(DAY), "page": "%%%"}
        assert _call(api, "anthropic", "GET", path, bad_page).status_code == 400
        seats = HTTP.get(
            api.urls["github"] + "/orgs/a/copilot/billing/seats?page=x", headers=_headers("github")
        )
        assert seats.status_code == 400 and "message" in seats.json()
        body = HTTP.post(
            api.urls["cursor"] + "/teams/daily-usage-data",
            content=b"[1]",
            headers=_headers("cursor"),
        )
        assert body.status_code == 400


def test_same_request_same_bytes_across_servers(view: Path) -> None:
    """Idempotency relies on it: a re-fetch of a window gives the same content."""
    answers = []
    for _ in range(2):
        with VendorApi(SimulatedData(view), options=Options(page_size=3)) as api:
            got = []
            for call in calls_for(START + timedelta(days=1))[2:]:
                r = _call(api, *call)
                got.append(json.loads(r.content.replace(api.url.encode(), b"URL")))
            answers.append(got)
    assert answers[0] == answers[1]
    assert all(_rows(a) for a in answers[0])


def test_simulated_github_lines_are_served_byte_for_byte(view: Path) -> None:
    lines = (view / "github" / "copilot_users_1_day.ndjson").read_bytes().splitlines()
    want = [x for x in lines if json.loads(x)["day"] == str(START)]
    with VendorApi(folder=view) as api:
        path = "/enterprises/e/copilot/metrics/reports/users-1-day"
        links = HTTP.get(
            api.urls["github"] + path, params={"day": str(START)}, headers=_headers("github")
        ).json()["download_links"]
        body = b"".join(HTTP.get(x).content for x in links)
        outside = HTTP.get(
            api.urls["github"] + path, params={"day": "2020-01-01"}, headers=_headers("github")
        ).json()
    assert body == b"".join(x + b"\n" for x in want)
    assert outside["download_links"] == []


def test_simulated_mode_derives_every_other_vendor_from_the_organisation(view: Path) -> None:
    data = SimulatedData(view)
    days = [START + timedelta(i) for i in range(DAYS)]
    engineers = {f"dev.{k:02d}@meridian-group.example" for k in range(24)}
    office = {f"office{k:02d}@meridian-group.example" for k in range(24)}
    cursor = {r["email"] for d in days for r in data.cursor_daily(d)}
    claude = {r["actor"]["email_address"] for d in days for r in data.claude_code(d)}
    codex = {r["email"] for d in days for r in data.codex(d)}
    gemini = {a["actor"]["email"] for d in days for a in data.gemini(d)}
    users = {r["user"]["email_address"] for d in days for r in data.claude_users(d)}
    assert cursor and claude and codex and gemini
    assert cursor <= engineers and claude <= engineers and codex <= engineers
    assert gemini <= office and claude <= users <= engineers | office
    assert len(cursor) == 10  # 40 % of 24, every one works in the window
    assert len(codex) <= 4 and len(claude) <= 6 and len(gemini) <= 8
    # Derived from GitHub days: a Cursor row's tabs are that day's GitHub completions.
    gh = [json.loads(x) for x in data.github("users-1-day", START)]
    shown = {data.email[r["user_login"]]: r["code_generation_activity_count"] for r in gh}
    for row in data.cursor_daily(START):
        assert row["totalTabsShown"] == shown[row["email"]]
    entry = data.m365(START)[0]
    assert entry["userPrincipalName"].startswith("office00") and "reportRefreshDate" in entry
    assert entry["copilotActivityUserDetailsByPeriod"] == [{"reportPeriod": 1}]
    assert data.cursor_daily(START - timedelta(days=1)) == []


def test_sample_mode_can_serve_the_concealed_microsoft_sample() -> None:
    rows = SampleData(conceal=True).m365(DAY)
    assert len(rows[0]["userPrincipalName"]) == 32 and rows[0]["reportRefreshDate"] == str(DAY)
    assert all(len(r["userPrincipalName"]) != 32 for r in SampleData().m365(DAY))


def test_serve_refuses_a_folder_that_is_not_a_vendor_view(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--folder", str(tmp_path), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "manifest.json" in err and "Traceback" not in err


def test_serve_prints_settings_that_name_every_sync_setting() -> None:
    from uptake.config.sync import SyncBaseUrls

    env = base_url_env({name: f"http://127.0.0.1:1/{name}" for name in SOURCES})
    keys = {k.removeprefix("UPTAKE__SYNC__BASE_URLS__").lower() for k in env}
    assert keys == set(SyncBaseUrls.model_fields)


@pytest.mark.slow
def test_a_real_simulated_vendor_view_is_served(tmp_path: Path) -> None:
    from sim_helpers import run

    run(tmp_path, people=60, days=28, emit="vendor")
    data = SimulatedData(tmp_path)
    days = [data.start + timedelta(i) for i in range(data.days)]
    assert sum(len(data.github("users-1-day", d)) for d in days) > 0
    assert any(data.m365(d) for d in days)
    assert any(data.cursor_daily(d) for d in days)


@pytest.mark.slow
def test_a_workspace_syncs_every_source_from_the_stub_and_a_resync_adds_nothing(
    tmp_path: Path,
) -> None:
    import importlib.util

    from uptake.workspace import Workspace

    # bench/ is not on the test path: load the module from its file.
    spec = importlib.util.spec_from_file_location(
        "sync_stub", Path(__file__).parents[2] / "bench" / "sync_stub.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    serve = bench.run

    info = serve(write_vendor_view(tmp_path / "view"), days=DAYS)
    try:
        overrides = {f"sync.base_urls.{k}": v for k, v in info["settings"].items()}
        ws = Workspace.init(tmp_path / "ws", overrides)
        args = {"since": info["since"], "today": info["today"], "env": info["env"]}
        first = ws.sync(**args)
        assert {r.source: r.status for r in first.results} == dict.fromkeys(SOURCES, "synced")
        assert all(r.rows_added > 0 for r in first.results)
        again = ws.sync(**args)
        assert [r.rows_added for r in again.results] == [0] * len(SOURCES)
    finally:
        info["api"].stop()


def test_an_expired_download_link_says_run_again_not_missing_scope() -> None:
    creds = {"GITHUB_COPILOT_TOKEN": DEMO_KEY, "GITHUB_ORG": "acme"}
    with VendorApi(options=Options(link_ttl=-1)) as api, pytest.raises(SyncError) as err:
        fetch(api, SOURCES["github"], creds)
    assert "download link" in err.value.message and "expired" in err.value.message
    assert "scope" not in err.value.message
    assert err.value.hint and "run the sync again" in err.value.hint
