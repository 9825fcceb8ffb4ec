"""The `codex` sync source against the stub: per-user usage rows, one file per day."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.stub_helpers import WINDOW, Waits, fetch, ingest_check, keyed, write_vendor_view
from uptake.errors import SyncError
from uptake.simulate.vendor_api import NO_SCOPE_KEY, Options, VendorApi
from uptake.sync.base import Window
from uptake.sync.sources.codex import KEY, WORKSPACE, CodexSource, row_day

CREDS = keyed((KEY,), **{WORKSPACE: "ws-123"})


@pytest.fixture(scope="module")
def api() -> Iterator[VendorApi]:
    with VendorApi() as a:
        yield a


@pytest.fixture(scope="module")
def paged() -> Iterator[VendorApi]:
    with VendorApi() as a:
        yield a


def test_one_file_per_day_in_the_vendor_shape(api: VendorApi) -> None:
    api.reset_counts()
    got = fetch(api, CodexSource, CREDS)
    assert [(d.fmt, d.first_day) for d in got] == [("codex", day) for day in WINDOW.days()]
    assert all(d.name.startswith("codex/ws-123/usage/") for d in got)
    for d in got:
        doc = json.loads(d.content)
        assert doc["object"] == "list" and doc["has_more"] is False
        assert {r["date"] for r in doc["data"]} == {d.first_day.isoformat()}
        assert {"email", "total_threads", "total_turns"} <= set(doc["data"][0])
    # The window is asked at once, one day past its end (inclusive or exclusive end alike).
    (_m, target, _s), *_ = api.log
    query = dict(parse_qsl(urlsplit(target).query))
    assert urlsplit(target).path.endswith("/workspaces/ws-123/usage")
    assert query["start_date"] == WINDOW.start.isoformat()
    assert query["end_date"] == (WINDOW.end + timedelta(days=1)).isoformat()
    assert api.counts["codex.usage"] == 1


@settings(max_examples=4, deadline=None, derandomize=True)
@given(page=st.integers(min_value=1, max_value=5))
def test_pages_followed_to_the_end_give_the_same_bytes(
    api: VendorApi, paged: VendorApi, page: int
) -> None:
    paged.options.page_size = page
    paged.reset_counts()
    many = fetch(paged, CodexSource, CREDS)
    # 3 people a day; the day past the window is asked too (and dropped).
    assert paged.counts["codex.usage"] == -(-3 * (len(WINDOW.days()) + 1) // page)
    assert [d.content for d in many] == [d.content for d in fetch(api, CodexSource, CREDS)]


def test_refetching_a_window_gives_identical_bytes(api: VendorApi) -> None:
    first = fetch(api, CodexSource, CREDS)
    with VendorApi() as other:
        again = fetch(other, CodexSource, CREDS)
    assert [(d.name, d.content) for d in again] == [(d.name, d.content) for d in first]


def test_wrong_key_missing_scope_and_missing_workspace(api: VendorApi) -> None:
    with pytest.raises(SyncError) as wrong:
        fetch(api, CodexSource, {**CREDS, KEY: "sk-admin-wrong"})
    assert "token expired or wrong" in wrong.value.message and KEY in wrong.value.message
    with pytest.raises(SyncError) as scope:
        fetch(api, CodexSource, {**CREDS, KEY: NO_SCOPE_KEY})
    assert "missing scope" in scope.value.message and "api.analytics.read" in scope.value.message
    assert CodexSource.missing({KEY: "x"}) == [WORKSPACE]


def test_rate_limits_are_waited_out() -> None:
    waits = Waits()
    with VendorApi(options=Options(rate_limit_every=2, retry_after=1, page_size=2)) as api:
        got = fetch(api, CodexSource, CREDS, sleep=waits)
    assert waits.seconds and set(waits.seconds) == {1.0} and len(got) == len(WINDOW.days())


def test_row_days_read_dates_and_unix_seconds() -> None:
    assert str(row_day({"date": "2026-11-02"})) == "2026-11-02"
    assert str(row_day({"date": 1_793_577_600})) == "2026-11-02"
    assert row_day({"date": "yesterday"}) is None and row_day({}) is None and row_day(3) is None


def test_downloads_read_cleanly_with_the_codex_format(api: VendorApi, tmp_path: Path) -> None:
    for d in fetch(api, CodexSource, CREDS):
        result = ingest_check(d, tmp_path)
        if result is None:  # the connector is not registered yet
            continue
        assert not result.rejects, (d.name, result.rejects[:2])
        assert sum(len(f) for f in result.frames.values()) > 0


def test_a_simulated_organisation_yields_its_codex_engineers(tmp_path: Path) -> None:
    with VendorApi(folder=write_vendor_view(tmp_path)) as api:
        got = fetch(api, CodexSource, CREDS, Window(WINDOW.start, WINDOW.end))
    people = {r["email"] for d in got for r in json.loads(d.content)["data"]}
    assert 0 < len(people) <= 4 and all(p.startswith("dev.") for p in people)
