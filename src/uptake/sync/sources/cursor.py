"""Cursor Admin API: daily usage per user and the usage events, split into one file per day.

`POST /teams/daily-usage-data` with `{startDate, endDate}` (epoch milliseconds, at most 30
days per call) answers every user-day row of the range at once; `POST
/teams/filtered-usage-events` answers the range's events page by page (`page`, `pageSize`,
`pagination.hasNextPage`). Rows and events are grouped by UTC day into files of the vendor's
own response shapes, both read by the `cursor` format. Basic auth: the key is the user name,
the password is empty. Cursor keeps only a rolling window, so history exists only from the
first sync on: run the sync regularly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, ClassVar

from uptake.errors import SyncError
from uptake.sync.base import Credential, Download, Source, SyncContext, Window, counted
from uptake.sync.payload import canonical_json, read_json

KEY = "CURSOR_API_KEY"
DAILY = "/teams/daily-usage-data"
EVENTS = "/teams/filtered-usage-events"
CHUNK_DAYS = 30  # the newer documentation caps a request's range at 30 days
PAGE_SIZE = 500
MAX_PAGES = 10_000
EPOCH = date(1970, 1, 1)
MS_DAY = 86_400_000


def epoch_ms(day: date) -> int:
    """Milliseconds since the epoch at midnight UTC of `day`.

    Args:
        day: the day.

    Returns:
        Epoch milliseconds.
    """
    return (day - EPOCH).days * MS_DAY


def _day_of(value: Any) -> date | None:
    """The UTC day of an epoch-milliseconds number or digit string, else None."""
    try:
        return EPOCH + timedelta(days=int(value) // MS_DAY)
    except (TypeError, ValueError, OverflowError):
        return None


class CursorSource(Source):
    """Cursor team usage (Admin API): daily usage per user and usage events."""

    name: ClassVar[str] = "cursor"
    title: ClassVar[str] = "Cursor Admin API (daily usage, usage events)"
    base_url: ClassVar[str] = "https://api.cursor.com"
    credentials: ClassVar[tuple[Credential, ...]] = (
        Credential(KEY, "Admin API key of the team (Cursor dashboard › Settings › Admin API)"),
    )
    formats: ClassVar[tuple[str, ...]] = ("cursor",)
    retention_days: ClassVar[int] = 90
    lag_days: ClassVar[int] = 1
    scopes: ClassVar[str] = (
        "an Admin API key created by a team admin (a user key cannot read team usage)"
    )
    not_found: ClassVar[str] = "the Cursor base URL (sync.base_urls.cursor)"

    def fetch(self, ctx: SyncContext, window: Window) -> Iterator[Download]:
        """Yield, per day, the daily-usage file then the usage-events file.

        Args:
            ctx: HTTP client, base URL, credentials and settings.
            window: the days to fetch.

        Returns:
            Downloads, oldest day first.
        """
        auth = (ctx.credentials[KEY], "")
        events_too = ctx.settings.get("cursor_events", "true") != "false"
        days = window.days()
        for i in range(0, len(days), CHUNK_DAYS):
            chunk = days[i : i + CHUNK_DAYS]
            start, end = epoch_ms(chunk[0]), epoch_ms(chunk[-1]) + MS_DAY - 1
            rows = self._daily(ctx, auth, start, end, chunk)
            events = self._events(ctx, auth, start, end, chunk) if events_too else {}
            for day in chunk:
                period = {"startDate": epoch_ms(day), "endDate": epoch_ms(day) + MS_DAY - 1}
                when = day.isoformat()
                got, evs = rows.get(day, []), events.get(day, [])
                if got:
                    doc = {"data": got, "period": period}
                    yield Download(
                        "cursor",
                        f"cursor/daily-usage/{when}.json",
                        canonical_json(doc),
                        day,
                        day,
                        what="daily usage",
                    )
                if evs:
                    yield Download(
                        "cursor",
                        f"cursor/usage-events/{when}.json",
                        _events_doc(evs, period),
                        day,
                        day,
                        what="usage events",
                    )
                ctx.progress(
                    f"cursor: {when}: {counted(len(got), 'user row')}, {counted(len(evs), 'event')}"
                )

    def _daily(
        self, ctx: SyncContext, auth: tuple[str, str], start: int, end: int, chunk: list[date]
    ) -> dict[date, list[Any]]:
        what = f"daily usage {chunk[0].isoformat()} … {chunk[-1].isoformat()}"
        got = ctx.http.post(
            f"{ctx.base_url}{DAILY}", json={"startDate": start, "endDate": end}, auth=auth
        )
        doc = read_json(self.name, got, what)
        if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
            raise SyncError(self.name, f"{what}: the answer has no 'data' list")
        return _by_day(doc["data"], "date", chunk)

    def _events(
        self, ctx: SyncContext, auth: tuple[str, str], start: int, end: int, chunk: list[date]
    ) -> dict[date, list[Any]]:
        what = f"usage events {chunk[0].isoformat()} … {chunk[-1].isoformat()}"
        events: list[Any] = []
        for page in range(1, MAX_PAGES + 1):
            body = {"startDate": start, "endDate": end, "page": page, "pageSize": PAGE_SIZE}
            doc = read_json(
                self.name, ctx.http.post(f"{ctx.base_url}{EVENTS}", json=body, auth=auth), what
            )
            if not isinstance(doc, dict) or not isinstance(doc.get("usageEvents"), list):
                raise SyncError(self.name, f"{what}: the answer has no 'usageEvents' list")
            events.extend(doc["usageEvents"])
            paging = doc.get("pagination")
            if not isinstance(paging, dict) or not paging.get("hasNextPage"):
                return _by_day(events, "timestamp", chunk)
        raise SyncError(self.name, f"{what}: the pages did not end after {MAX_PAGES}")


def _by_day(records: list[Any], key: str, chunk: list[date]) -> dict[date, list[Any]]:
    """Records grouped by the UTC day of their epoch-ms `key`, in the vendor's order.

    A record without a readable day goes with the chunk's first day, where the format
    quarantines it with a reason (dropping it here would hide it).
    """
    out: dict[date, list[Any]] = {}
    for rec in records:
        day = _day_of(rec.get(key)) if isinstance(rec, dict) else None
        if day is None or day not in chunk:
            day = chunk[0] if day is None else None
        if day is not None:
            out.setdefault(day, []).append(rec)
    return out


def _events_doc(events: list[Any], period: dict[str, int]) -> bytes:
    """The vendor's usage-events response shape holding every event of the day."""
    return canonical_json(
        {
            "totalUsageEventsCount": len(events),
            "pagination": {
                "numPages": 1,
                "currentPage": 1,
                "pageSize": len(events),
                "hasNextPage": False,
                "hasPreviousPage": False,
            },
            "usageEvents": events,
            "period": period,
        }
    )
