"""The `google` sync source against the stub: Gemini for Workspace activities per day."""

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
from uptake.sync.sources.google import TOKEN, GoogleSource, activity_day

CREDS = keyed((TOKEN,))


@pytest.fixture(scope="module")
def api() -> Iterator[VendorApi]:
    with VendorApi() as a:
        yield a


@pytest.fixture(scope="module")
def paged() -> Iterator[VendorApi]:
    with VendorApi() as a:
        yield a


def test_one_file_per_day_in_the_reports_api_shape(api: VendorApi) -> None:
    api.reset_counts()
    got = fetch(api, GoogleSource, CREDS)
    assert [(d.fmt, d.first_day) for d in got] == [
        ("gemini-workspace", day) for day in WINDOW.days()
    ]
    for d in got:
        doc = json.loads(d.content)
        assert doc["kind"] == "admin#reports#activities" and "nextPageToken" not in doc
        assert {activity_day(a) for a in doc["items"]} == {d.first_day.isoformat()}
        assert all(a["id"]["applicationName"] == "gemini_in_workspace_apps" for a in doc["items"])
    _m, target, _s = api.log[0]
    query = dict(parse_qsl(urlsplit(target).query))
    assert query["startTime"] == f"{WINDOW.start}T00:00:00.000Z"
    assert query["endTime"] == f"{WINDOW.start + timedelta(days=1)}T00:00:00.000Z"


@settings(max_examples=4, deadline=None, derandomize=True)
@given(page=st.integers(min_value=1, max_value=5))
def test_pages_followed_to_the_end_give_the_same_bytes(
    api: VendorApi, paged: VendorApi, page: int
) -> None:
    paged.options.page_size = page
    paged.reset_counts()
    many = fetch(paged, GoogleSource, CREDS)
    per_day = [len(json.loads(d.content)["items"]) for d in many]
    assert paged.counts["google.activities"] == sum(-(-n // page) for n in per_day)
    assert [d.content for d in many] == [d.content for d in fetch(api, GoogleSource, CREDS)]


def test_refetching_a_window_gives_identical_bytes(api: VendorApi) -> None:
    first = fetch(api, GoogleSource, CREDS)
    with VendorApi() as other:
        again = fetch(other, GoogleSource, CREDS)
    assert [(d.name, d.content) for d in again] == [(d.name, d.content) for d in first]


def test_wrong_token_and_missing_scope_are_clear_errors(api: VendorApi) -> None:
    with pytest.raises(SyncError) as wrong:
        fetch(api, GoogleSource, keyed((TOKEN,), "ya29.wrong"))
    assert "token expired or wrong" in wrong.value.message and TOKEN in wrong.value.message
    with pytest.raises(SyncError) as scope:
        fetch(api, GoogleSource, keyed((TOKEN,), NO_SCOPE_KEY))
    assert "missing scope" in scope.value.message
    assert "admin.reports.audit.readonly" in scope.value.message


def test_rate_limits_are_waited_out(api: VendorApi) -> None:
    waits = Waits()
    with VendorApi(options=Options(rate_limit_every=2, retry_after=2)) as limited:
        got = fetch(limited, GoogleSource, CREDS, sleep=waits)
    assert waits.seconds == [2.0]
    assert [d.content for d in got] == [d.content for d in fetch(api, GoogleSource, CREDS)]


def test_days_without_activity_yield_nothing(tmp_path: Path) -> None:
    with VendorApi(folder=write_vendor_view(tmp_path)) as api:
        before = Window(WINDOW.start - timedelta(days=3), WINDOW.start - timedelta(days=1))
        assert fetch(api, GoogleSource, CREDS, before) == []
        got = fetch(api, GoogleSource, CREDS)
    people = {a["actor"]["email"] for d in got for a in json.loads(d.content)["items"]}
    assert 0 < len(people) <= 8 and all(p.startswith("office") for p in people)


def test_activity_day_reads_the_activity_time() -> None:
    assert activity_day({"id": {"time": "2026-11-02T23:59:59.000Z"}}) == "2026-11-02"
    assert activity_day({"id": {}}) is None and activity_day("x") is None


def test_downloads_read_cleanly_with_the_gemini_format(api: VendorApi, tmp_path: Path) -> None:
    for d in fetch(api, GoogleSource, CREDS):
        result = ingest_check(d, tmp_path)
        if result is None:  # the connector is not registered yet
            continue
        assert not result.rejects and not result.notes, (d.name, result.rejects[:2], result.notes)
        assert sum(len(f) for f in result.frames.values()) > 0
