"""The sync HTTP client over real loopback HTTP: retries, backoff, Retry-After, clear errors."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from sync.loopback import Loopback, Reply, Request, reply
from uptake.errors import SyncError
from uptake.sync.http import HttpClient, retry_after, where

SECRET = "tok-Very-Secret-0123456789"


def client(waits: list[float], **kw: object) -> HttpClient:
    args: dict[str, object] = {
        "renew": ["GITHUB_COPILOT_TOKEN"],
        "scopes": "read:org",
        "not_found": "GITHUB_ORG",
        "retries": 3,
        "backoff": 0.5,
        "sleep": waits.append,
        **kw,
    }
    return HttpClient("github", **args)  # type: ignore[arg-type]


def sequence(*replies: Reply) -> object:
    """A handler answering with each reply in turn (the last one repeats)."""
    it = list(replies)

    def handler(_req: Request) -> Reply:
        return it.pop(0) if len(it) > 1 else it[0]

    return handler


def test_passing_failures_are_retried_with_growing_backoff(loopback: Loopback) -> None:
    loopback.route(
        "GET",
        "/flaky",
        sequence(reply(500, {}), reply(502, {}), reply(504, {}), reply(200, {"ok": True})),  # type: ignore[arg-type]
    )
    waits: list[float] = []
    with client(waits) as http:
        assert http.get(f"{loopback.url}/flaky").json() == {"ok": True}
    assert len(loopback.hits("/flaky")) == 4
    # Exponential: each wait lies in [base, 2·base] with base 0.5, 1, 2.
    assert len(waits) == 3
    for wait, base in zip(waits, (0.5, 1.0, 2.0), strict=True):
        assert base <= wait <= 2 * base


def test_retry_after_is_honoured_and_capped(loopback: Loopback) -> None:
    loopback.route(
        "GET",
        "/limited",
        sequence(  # type: ignore[arg-type]
            reply(429, {}, **{"Retry-After": "7"}),
            reply(503, {}, **{"Retry-After": "99999"}),
            reply(200, {"ok": True}),
        ),
    )
    waits: list[float] = []
    with client(waits, max_retry_after=30.0) as http:
        http.get(f"{loopback.url}/limited")
    assert waits == [7.0, 30.0]


def test_github_rate_limit_403_waits_for_the_reset(loopback: Loopback) -> None:
    reset = str(int(datetime.now(UTC).timestamp()) + 5)
    limited = reply(403, {"message": "API rate limit exceeded"}, **{
        "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset
    })  # fmt: skip
    loopback.route("GET", "/rl", sequence(limited, reply(200, {})))  # type: ignore[arg-type]
    waits: list[float] = []
    with client(waits) as http:
        http.get(f"{loopback.url}/rl")
    assert len(waits) == 1 and 0 <= waits[0] <= 6


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert retry_after(format_datetime(now + timedelta(seconds=42), usegmt=True), now) == 42
    assert retry_after("3", now) == 3.0
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None


def test_5xx_after_retries_says_vendor_unavailable(loopback: Loopback) -> None:
    loopback.route("GET", "/down", lambda _r: reply(503, {"message": "maintenance"}))
    waits: list[float] = []
    with client(waits, retries=2) as http, pytest.raises(SyncError) as got:
        http.get(f"{loopback.url}/down", params={"sig": SECRET})
    assert len(loopback.hits("/down")) == 3
    msg = got.value.message
    assert msg.startswith("github: vendor unavailable: HTTP 503")
    assert "3 attempts" in msg and "try again later" in msg
    assert SECRET not in msg and "sig=" not in msg


def test_an_unreachable_host_is_unavailable_not_a_traceback() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    waits: list[float] = []
    with client(waits, retries=1) as http, pytest.raises(SyncError, match="cannot reach"):
        http.get(f"http://127.0.0.1:{port}/x")
    assert len(waits) == 1


@pytest.mark.parametrize(
    ("status", "words", "fix"),
    [
        (401, "token expired or wrong", "renew GITHUB_COPILOT_TOKEN"),
        (403, "missing scope/permission", "grant read:org"),
        (404, "not found", "check GITHUB_ORG"),
        (422, "request refused (HTTP 422", "policy is disabled"),
    ],
)
def test_refusals_name_the_source_and_the_fix_once(
    loopback: Loopback, status: int, words: str, fix: str
) -> None:
    body = {"message": f"Copilot metrics policy is disabled; you sent {SECRET}"}
    loopback.route("GET", "/no", lambda _r: reply(status, body))
    waits: list[float] = []
    with client(waits) as http, pytest.raises(SyncError) as got:
        http.get(f"{loopback.url}/no", headers={"Authorization": f"Bearer {SECRET}"})
    assert len(loopback.hits("/no")) == 1 and waits == []  # no retry can fix these
    msg = got.value.message
    assert msg.startswith(f"github: {words}") and fix in msg
    assert "\n" not in msg and f"HTTP {status}" in msg


def test_only_the_headers_given_are_sent(loopback: Loopback) -> None:
    loopback.route("GET", "/plain", lambda _r: reply(200, {}))
    loopback.route("POST", "/form", lambda r: reply(200, {"got": r.body.decode()}))
    with client([]) as http:
        http.get(f"{loopback.url}/plain")
        got = http.post(f"{loopback.url}/form", data={"a": "1", "b": "x y"}).json()
    assert "authorization" not in loopback.hits("/plain")[0].headers
    assert got == {"got": "a=1&b=x+y"}


def test_where_drops_the_query() -> None:
    assert where("https://h.example/p/q?sig=abc&x=1") == "h.example/p/q"
