"""The `anthropic` sync source against the stub: Claude Code usage and Enterprise analytics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.stub_helpers import (
    WINDOW,
    Waits,
    fetch,
    ingest_check,
    keyed,
    write_vendor_view,
)
from uptake.errors import SyncError
from uptake.simulate.vendor_api import NO_SCOPE_KEY, Options, VendorApi
from uptake.sync.base import Window
from uptake.sync.sources.anthropic import KEY, NO_ANALYTICS, AnthropicSource

CREDS = keyed((KEY,))


@pytest.fixture(scope="module")
def api() -> Iterator[VendorApi]:
    with VendorApi() as a:
        yield a


def test_one_file_per_day_and_product_in_the_vendor_shape(api: VendorApi) -> None:
    got = fetch(api, AnthropicSource, CREDS)
    want = [(f, d) for d in WINDOW.days() for f in ("claude-code", "claude-enterprise")]
    assert [(d.fmt, d.first_day) for d in got] == want
    assert len({d.name for d in got}) == len(got)
    for d in got:
        doc = json.loads(d.content)
        assert d.first_day == d.last_day and doc["has_more"] is False and doc["data"]
        if d.fmt == "claude-code":
            assert {r["date"][:10] for r in doc["data"]} == {d.first_day.isoformat()}
            assert {"actor", "core_metrics", "model_breakdown"} <= set(doc["data"][0])
        else:
            assert d.options == {"date": d.first_day.isoformat()}
            assert all("email_address" in r["user"] for r in doc["data"])


@pytest.fixture(scope="module")
def paged() -> Iterator[VendorApi]:
    with VendorApi() as a:
        yield a


@settings(max_examples=4, deadline=None, derandomize=True)
@given(page=st.integers(min_value=1, max_value=5))
def test_pages_followed_to_the_end_give_the_same_bytes(
    api: VendorApi, paged: VendorApi, page: int
) -> None:
    paged.options.page_size = page
    paged.reset_counts()
    many = fetch(paged, AnthropicSource, CREDS)
    assert paged.counts["anthropic.claude_code"] == len(WINDOW.days()) * -(-4 // page)
    assert [d.content for d in many] == [d.content for d in fetch(api, AnthropicSource, CREDS)]


def test_refetching_a_window_gives_identical_bytes(api: VendorApi) -> None:
    first = fetch(api, AnthropicSource, CREDS)
    with VendorApi() as other:
        again = fetch(other, AnthropicSource, CREDS)
    assert [(d.name, d.content) for d in again] == [(d.name, d.content) for d in first]


def test_wrong_key_and_missing_scope_are_clear_errors(api: VendorApi) -> None:
    with pytest.raises(SyncError) as wrong:
        fetch(api, AnthropicSource, keyed((KEY,), "sk-ant-admin-wrong"))
    assert "token expired or wrong" in wrong.value.message and KEY in wrong.value.message
    with pytest.raises(SyncError) as scope:
        fetch(api, AnthropicSource, keyed((KEY,), NO_SCOPE_KEY))
    assert "missing scope" in scope.value.message and "Admin API key" in scope.value.message


def test_analytics_without_scope_warns_once_and_claude_code_still_syncs() -> None:
    warnings: list[str] = []
    opts = Options(forbidden_routes=frozenset({"anthropic.users"}))
    with VendorApi(options=opts) as api:
        got = fetch(api, AnthropicSource, CREDS, warnings=warnings)
        assert api.counts["anthropic.users"] == 1
    assert {d.fmt for d in got} == {"claude-code"} and len(got) == len(WINDOW.days())
    assert warnings == [NO_ANALYTICS]


def test_analytics_only_from_2026_and_not_when_switched_off(api: VendorApi) -> None:
    window = Window(date(2025, 12, 31), date(2026, 1, 1))
    got = fetch(api, AnthropicSource, CREDS, window)
    assert [(d.fmt, d.first_day.day) for d in got] == [
        ("claude-code", 31),
        ("claude-code", 1),
        ("claude-enterprise", 1),
    ]
    off = fetch(api, AnthropicSource, CREDS, settings={"anthropic_analytics": "false"})
    assert {d.fmt for d in off} == {"claude-code"}


def test_rate_limits_are_waited_out() -> None:
    waits = Waits()
    with VendorApi(options=Options(rate_limit_every=3, retry_after=2)) as api:
        got = fetch(api, AnthropicSource, CREDS, sleep=waits)
        assert api.statuses[429] == len(waits.seconds) >= 2
    assert set(waits.seconds) == {2.0} and len(got) == 2 * len(WINDOW.days())


def test_downloads_read_cleanly_with_their_formats(api: VendorApi, tmp_path: Path) -> None:
    for d in fetch(api, AnthropicSource, CREDS):
        result = ingest_check(d, tmp_path)
        if result is None:  # the format's connector is not registered yet
            continue
        assert not result.rejects, (d.name, result.rejects[:2])
        assert sum(len(f) for f in result.frames.values()) > 0


def test_a_simulated_organisation_yields_its_claude_users(tmp_path: Path) -> None:
    view = write_vendor_view(tmp_path)
    with VendorApi(folder=view) as api:
        got = fetch(api, AnthropicSource, CREDS, Window(WINDOW.start, WINDOW.start + timedelta(1)))
    code = [r for d in got if d.fmt == "claude-code" for r in json.loads(d.content)["data"]]
    assert code and all(r["actor"]["email_address"].startswith("dev.") for r in code)
    assert any(d.fmt == "claude-enterprise" for d in got)
