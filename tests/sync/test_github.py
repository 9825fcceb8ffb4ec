"""The GitHub source over loopback: report links, signed downloads, seat pages, errors."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.loopback import GITHUB_TOKEN, TODAY, FakeGitHub, Loopback, github_env, reply
from uptake.errors import SyncError
from uptake.sync.base import Download, SyncContext, Window
from uptake.sync.http import HttpClient
from uptake.sync.sources.github import GitHubSource, _links, next_link

WINDOW = Window(TODAY - timedelta(days=5), TODAY - timedelta(days=2))


def fetch(
    lb: Loopback, creds: dict[str, str] | None = None, window: Window = WINDOW, **settings: str
) -> list[Download]:
    with HttpClient(
        "github",
        renew=["GITHUB_COPILOT_TOKEN"],
        scopes=GitHubSource.scopes,
        not_found=GitHubSource.not_found,
        retries=0,
    ) as http:
        ctx = SyncContext(
            http=http,
            base_url=lb.url,
            credentials=creds or github_env(lb),
            settings=settings,
            today=TODAY,
        )
        return list(GitHubSource().fetch(ctx, window))


def test_each_day_is_one_ndjson_file_from_signed_links(github: FakeGitHub) -> None:
    got = fetch(github.lb)
    usage = [d for d in got if d.fmt == "github-copilot-usage"]
    assert [d.first_day for d in usage] == [TODAY - timedelta(days=4), TODAY - timedelta(days=3)]
    lines = [json.loads(x) for x in usage[0].content.decode().splitlines()]
    users = ["dev0", "dev1", "dev2", "dev3"]
    # The day's user records (two files), then its user-teams rows, in one file.
    assert [x["user_login"] for x in lines] == users + users
    assert [x.get("slug") for x in lines[4:]] == ["platform"] * 4
    assert usage[0].name == f"github/orgs/acme/1-day/{usage[0].first_day}.ndjson"
    assert all(d.complete for d in usage)
    # The token goes to the API, never to a signed link.
    api = github.lb.hits("/orgs/acme/copilot/metrics")
    assert len(api) == 8  # 4 days × (users-1-day, user-teams-1-day)
    assert all(r.headers["authorization"] == f"Bearer {GITHUB_TOKEN}" for r in api)
    assert all(r.headers["x-github-api-version"] == "2026-03-10" for r in api)
    downloads = github.lb.hits("/dl/") + github.lb.hits("/teams/")
    assert len(downloads) == 6 and all("authorization" not in r.headers for r in downloads)


def test_seats_follow_the_link_header_across_pages(github: FakeGitHub) -> None:
    github.seats = 5
    [seats] = [d for d in fetch(github.lb) if d.fmt == "github-copilot-seats"]
    doc = json.loads(seats.content)
    assert doc["total_seats"] == 5
    assert [s["assignee"]["login"] for s in doc["seats"]] == [f"dev{i}" for i in range(5)]
    assert len(github.lb.hits("/orgs/acme/copilot/billing/seats")) == 3  # 2 + 2 + 1
    assert seats.options == {"report_date": TODAY.isoformat()}
    assert seats.last_day == WINDOW.end


def test_seats_and_teams_can_be_left_out(github: FakeGitHub) -> None:
    got = fetch(github.lb, github_seats="false", github_teams="false")
    assert {d.fmt for d in got} == {"github-copilot-usage"}
    assert not github.lb.hits("/orgs/acme/copilot/metrics/reports/user-teams-1-day")
    assert all(b"slug" not in d.content for d in got)


def test_an_enterprise_uses_the_enterprise_paths(loopback: Loopback) -> None:
    for report in ("users-1-day", "user-teams-1-day"):
        loopback.route(
            "GET",
            f"/enterprises/big-co/copilot/metrics/reports/{report}",
            lambda r: reply(200, {"download_links": [], "report_day": r.query["day"]}),
        )
    no_seats = reply(200, {"total_seats": 0, "seats": []})
    loopback.route("GET", "/enterprises/big-co/copilot/billing/seats", lambda _r: no_seats)
    creds = {"GITHUB_COPILOT_TOKEN": GITHUB_TOKEN, "GITHUB_ENTERPRISE": "big-co", "GITHUB_ORG": "x"}
    got = fetch(loopback, creds)
    assert [d.fmt for d in got] == ["github-copilot-seats"]  # no usage on any day
    assert not loopback.hits("/orgs/")


def test_a_wrong_token_and_a_wrong_org_say_what_to_fix(github: FakeGitHub) -> None:
    with pytest.raises(SyncError) as got:
        fetch(github.lb, {"GITHUB_COPILOT_TOKEN": "ghp_expired", "GITHUB_ORG": "acme"})
    assert got.value.message.startswith("github: token expired or wrong (HTTP 401")
    assert got.value.message.endswith("renew GITHUB_COPILOT_TOKEN")
    assert "ghp_expired" not in got.value.message
    with pytest.raises(SyncError) as got:
        fetch(github.lb, {"GITHUB_COPILOT_TOKEN": GITHUB_TOKEN, "GITHUB_ORG": "acme-typo"})
    assert got.value.message.endswith(
        "check GITHUB_ORG or GITHUB_ENTERPRISE (the slug, as in the GitHub URL)"
    )


def test_next_link() -> None:
    header = (
        '<https://api.github.com/x?page=2>; rel="next", '
        '<https://api.github.com/x?page=9>; rel="last"'
    )
    assert next_link(header) == "https://api.github.com/x?page=2"
    assert next_link('<https://api.github.com/x?page=1>; rel="prev"') is None
    assert next_link(None) is None


ANSWERS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
LINKS = st.lists(st.text(max_size=12) | st.just("https://x.example/dl?sig=1"), max_size=3)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(doc=ANSWERS | st.fixed_dictionaries({"download_links": ANSWERS | LINKS}))
def test_any_links_answer_gives_links_or_one_clear_error(doc: Any) -> None:
    try:
        links = _links(doc, TODAY)
    except SyncError as exc:
        assert exc.message.startswith("github: ") and "\n" not in exc.message
    else:
        assert all(x.startswith(("https://", "http://")) for x in links)


def test_an_unusable_link_is_one_clear_error(loopback: Loopback) -> None:
    route = "/orgs/acme/copilot/metrics/reports/users-1-day"
    loopback.route("GET", route, lambda _r: reply(200, {"download_links": ["http://[::1"]}))
    with pytest.raises(SyncError, match=r"^github: unusable URL"):
        fetch(loopback, window=Window(WINDOW.end, WINDOW.end))
