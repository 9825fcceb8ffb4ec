"""The `cursor` sync source against the stub: daily usage and usage events, per day."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.stub_helpers import WINDOW, Waits, fetch, ingest_check, keyed, write_vendor_view
from uptake.errors import SyncError
from uptake.simulate.vendor_api import NO_SCOPE_KEY, Options, VendorApi
from uptake.sync.base import Window
from uptake.sync.runner import progress_label
from uptake.sync.sources.cursor import KEY, MS_DAY, CursorSource, epoch_ms

CREDS = keyed((KEY,))


@pytest.fixture(scope="module")
def api() -> Iterator[VendorApi]:
    with VendorApi() as a:
        yield a


@pytest.fixture(scope="module")
def paged() -> Iterator[VendorApi]:
    with VendorApi() as a:
        yield a


def _docs(got: list) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    return [(d.name.split("/")[1], json.loads(d.content)) for d in got]


def test_daily_rows_and_events_are_split_into_one_file_per_day(api: VendorApi) -> None:
    api.reset_counts()
    got = fetch(api, CursorSource, CREDS)
    assert [(d.fmt, d.first_day, d.name.split("/")[1]) for d in got] == [
        ("cursor", day, kind) for day in WINDOW.days() for kind in ("daily-usage", "usage-events")
    ]
    # Each file's progress line names it: both had read "cursor: cursor 2026-11-09: …".
    labels = [progress_label("cursor", d) for d in got]
    assert len(set(labels)) == len(labels)
    assert labels[:2] == [
        f"cursor: cursor {what} {WINDOW.start.isoformat()}"
        for what in ("daily usage", "usage events")
    ]
    # One request for the whole window (it is under 30 days), not one per day.
    assert api.counts["cursor.daily"] == 1
    for (kind, doc), d in zip(_docs(got), got, strict=True):
        start = epoch_ms(d.first_day)
        assert doc["period"] == {"startDate": start, "endDate": start + MS_DAY - 1}
        if kind == "daily-usage":
            assert {r["date"] for r in doc["data"]} == {start}
            assert {"email", "totalTabsShown", "chatRequests"} <= set(doc["data"][0])
        else:
            assert doc["pagination"]["hasNextPage"] is False
            assert doc["totalUsageEventsCount"] == len(doc["usageEvents"]) > 0
            assert all(start <= int(e["timestamp"]) < start + MS_DAY for e in doc["usageEvents"])


def test_the_key_is_sent_as_the_basic_auth_user_name(api: VendorApi) -> None:
    api.reset_counts()
    fetch(api, CursorSource, CREDS, Window(WINDOW.start, WINDOW.start))
    assert all(status == 200 for _m, _p, status in api.log)


def test_long_windows_are_asked_30_days_at_a_time(api: VendorApi) -> None:
    api.reset_counts()
    window = Window(WINDOW.start - timedelta(days=34), WINDOW.start)
    got = fetch(api, CursorSource, CREDS, window, settings={"cursor_events": "false"})
    assert api.counts["cursor.daily"] == 2 and api.counts["cursor.events"] == 0
    assert [d.first_day for d in got] == window.days()


@settings(max_examples=4, deadline=None, derandomize=True)
@given(page=st.integers(min_value=1, max_value=7))
def test_event_pages_followed_to_the_end_give_the_same_bytes(
    api: VendorApi, paged: VendorApi, page: int
) -> None:
    paged.options.page_size = page
    paged.reset_counts()
    many = fetch(paged, CursorSource, CREDS)
    events = sum(len(doc.get("usageEvents", [])) for _k, doc in _docs(many))
    assert paged.counts["cursor.events"] == -(-events // page)
    assert [d.content for d in many] == [d.content for d in fetch(api, CursorSource, CREDS)]


def test_refetching_a_window_gives_identical_bytes(api: VendorApi) -> None:
    first = fetch(api, CursorSource, CREDS)
    with VendorApi() as other:
        again = fetch(other, CursorSource, CREDS)
    assert [(d.name, d.content) for d in again] == [(d.name, d.content) for d in first]


def test_wrong_key_and_a_non_admin_key_are_clear_errors(api: VendorApi) -> None:
    with pytest.raises(SyncError) as wrong:
        fetch(api, CursorSource, keyed((KEY,), "key_wrong_123"))
    assert "token expired or wrong" in wrong.value.message and KEY in wrong.value.message
    with pytest.raises(SyncError) as scope:
        fetch(api, CursorSource, keyed((KEY,), NO_SCOPE_KEY))
    assert "missing scope" in scope.value.message and "Admin API key" in scope.value.message


def test_rate_limits_are_waited_out(api: VendorApi) -> None:
    waits = Waits()
    with VendorApi(options=Options(rate_limit_every=1, retry_after=4)) as limited:
        got = fetch(limited, CursorSource, CREDS, sleep=waits)
    assert waits.seconds == [4.0] and [d.content for d in got] == [
        d.content for d in fetch(api, CursorSource, CREDS)
    ]


def test_downloads_read_cleanly_with_the_cursor_format(api: VendorApi, tmp_path: Path) -> None:
    for d in fetch(api, CursorSource, CREDS):
        result = ingest_check(d, tmp_path)
        if result is None:  # the connector is not registered yet
            continue
        assert not result.rejects, (d.name, result.rejects[:2])
        assert sum(len(f) for f in result.frames.values()) > 0


def test_a_simulated_organisation_yields_its_cursor_engineers(tmp_path: Path) -> None:
    with VendorApi(folder=write_vendor_view(tmp_path)) as api:
        got = fetch(api, CursorSource, CREDS)
    rows = [r for kind, doc in _docs(got) if kind == "daily-usage" for r in doc["data"]]
    assert len({r["email"] for r in rows}) == 10  # 40 % of the 24 engineers
    assert all(r["email"].startswith("dev.") for r in rows)
