"""What sources read from a vendor's answers, over real loopback HTTP: JSON and paged lists."""

from __future__ import annotations

import pytest

from sync.loopback import Loopback, Reply, Request, reply
from uptake.errors import SyncError
from uptake.sync.http import HttpClient
from uptake.sync.payload import canonical_json, data_pages, read_json

PAGES = {
    "": {"data": [1, 2], "has_more": True, "next_page": "p2"},
    "p2": {"data": [3], "has_more": True, "next_page": "p3"},
    "p3": {"data": [4, 5], "has_more": False},
}


def _client() -> HttpClient:
    return HttpClient(
        "anthropic",
        renew=["ANTHROPIC_ADMIN_KEY"],
        scopes="read",
        not_found="the base URL",
        retries=0,
        sleep=lambda _s: None,
    )


def _pages(req: Request) -> Reply:
    return reply(200, PAGES[req.query.get("page", "")])


def _list(loopback: Loopback, max_pages: int = 10) -> list[object]:
    return data_pages(
        _client(),
        "anthropic",
        f"{loopback.url}/list",
        {"limit": "2"},
        {"x-api-key": "k"},
        "the usage report",
        cursor=("next_page", "page"),
        max_pages=max_pages,
    )


def test_every_page_is_read_in_order_with_the_cursor_the_last_one_named(
    loopback: Loopback,
) -> None:
    loopback.route("GET", "/list", _pages)
    assert _list(loopback) == [1, 2, 3, 4, 5]
    asked = [(r.query.get("page"), r.query["limit"]) for r in loopback.hits("/list")]
    assert asked == [(None, "2"), ("p2", "2"), ("p3", "2")]


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ({"rows": []}, "the usage report: the answer has no 'data' list"),
        ({"data": [1], "has_more": True}, "'has_more' is true but 'next_page' is empty"),
    ],
)
def test_a_page_that_cannot_go_on_says_why(
    loopback: Loopback, page: dict[str, object], message: str
) -> None:
    loopback.route("GET", "/list", lambda _req: reply(200, page))
    with pytest.raises(SyncError, match=message):
        _list(loopback)


def test_pages_that_never_end_are_given_up(loopback: Loopback) -> None:
    loopback.route("GET", "/list", lambda _req: reply(200, PAGES[""]))
    with pytest.raises(SyncError, match="the pages did not end after 3"):
        _list(loopback, max_pages=3)
    assert len(loopback.hits("/list")) == 3


def test_an_answer_that_is_not_json_is_named(loopback: Loopback) -> None:
    loopback.route("GET", "/doc", lambda _req: (200, {"Content-Type": "text/html"}, b"<html>"))
    resp = _client().get(f"{loopback.url}/doc")
    with pytest.raises(SyncError, match=r"the report links: .* something other than JSON") as err:
        read_json("github", resp, "the report links")
    assert err.value.hint and "sync.base_urls" in err.value.hint


def test_equal_content_gives_equal_bytes() -> None:
    a = canonical_json({"b": [1, {"y": 2, "x": 1}], "a": "é"})
    assert a == canonical_json({"a": "é", "b": [1, {"x": 1, "y": 2}]})
    assert a == b'{"a":"\\u00e9","b":[1,{"x":1,"y":2}]}'
