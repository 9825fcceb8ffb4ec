"""Google Workspace Admin SDK Reports API: Gemini for Workspace activities, one file per day.

Per day, `GET /admin/reports/v1/activity/users/all/applications/gemini_in_workspace_apps`
with `startTime`/`endTime` bounding the UTC day (pages followed through `nextPageToken`)
becomes one `gemini-workspace` file in the API's own page shape. Activities whose time falls
on another day (a boundary the API may include) are left to that day, so no activity is
counted twice. Authentication is an OAuth access token of an admin (or a service account
with domain-wide delegation) with the reports audit read-only scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, ClassVar

from uptake.errors import SyncError
from uptake.sync.base import Credential, Download, Source, SyncContext, Window
from uptake.sync.payload import canonical_json, read_json

TOKEN = "GOOGLE_ACCESS_TOKEN"
APPLICATION = "gemini_in_workspace_apps"
PATH = f"/admin/reports/v1/activity/users/all/applications/{APPLICATION}"
PAGE_SIZE = 1000
MAX_PAGES = 10_000
PAGE_KIND = "admin#reports#activities"


def activity_day(item: Any) -> str | None:
    """The UTC day (YYYY-MM-DD) of an activity's `id.time`, or None when it has none.

    Args:
        item: one activity.

    Returns:
        The day text or None.
    """
    ident = item.get("id") if isinstance(item, dict) else None
    when = ident.get("time") if isinstance(ident, dict) else None
    return when[:10] if isinstance(when, str) and len(when) >= 10 else None


class GoogleSource(Source):
    """Gemini for Google Workspace activity (Admin SDK Reports API)."""

    name: ClassVar[str] = "google"
    title: ClassVar[str] = "Google Workspace Reports API (Gemini for Workspace activity)"
    base_url: ClassVar[str] = "https://admin.googleapis.com"
    credentials: ClassVar[tuple[Credential, ...]] = (
        Credential(
            TOKEN,
            "OAuth access token of a Workspace admin (or of a service account with domain-wide "
            "delegation) with the admin.reports.audit.readonly scope",
        ),
    )
    formats: ClassVar[tuple[str, ...]] = ("gemini-workspace",)
    retention_days: ClassVar[int] = 180
    lag_days: ClassVar[int] = 2
    earliest: ClassVar[date | None] = date(2025, 6, 20)
    scopes: ClassVar[str] = (
        "the OAuth scope https://www.googleapis.com/auth/admin.reports.audit.readonly to an "
        "admin with the Reports privilege"
    )
    not_found: ClassVar[str] = "the Google base URL (sync.base_urls.google)"

    def fetch(self, ctx: SyncContext, window: Window) -> Iterator[Download]:
        """Yield one activity file per day with activities.

        Args:
            ctx: HTTP client, base URL, credentials and settings.
            window: the days to fetch.

        Returns:
            Downloads, oldest day first.
        """
        headers = {"Authorization": f"Bearer {ctx.credentials[TOKEN]}"}
        for day in window.days():
            when = day.isoformat()
            items = [
                a
                for a in self._items(ctx, day, headers)
                if activity_day(a) in (when, None)  # no time: the format quarantines it
            ]
            ctx.progress(f"google: {when}: {len(items):,} Gemini activities")
            if items:
                doc = {"kind": PAGE_KIND, "items": items}
                yield Download(
                    "gemini-workspace", f"google/gemini/{when}.json", canonical_json(doc), day, day
                )

    def _items(self, ctx: SyncContext, day: date, headers: dict[str, str]) -> list[Any]:
        what = f"Gemini activities of {day.isoformat()}"
        params: dict[str, Any] = {
            "startTime": f"{day.isoformat()}T00:00:00.000Z",
            "endTime": f"{(day + timedelta(days=1)).isoformat()}T00:00:00.000Z",
            "maxResults": PAGE_SIZE,
        }
        items: list[Any] = []
        for _ in range(MAX_PAGES):
            doc = read_json(
                self.name,
                ctx.http.get(f"{ctx.base_url}{PATH}", params=params, headers=headers),
                what,
            )
            if not isinstance(doc, dict):
                raise SyncError(self.name, f"{what}: the answer is not a JSON object")
            got = doc.get("items", [])  # left out when there are none
            if not isinstance(got, list):
                raise SyncError(self.name, f"{what}: 'items' is not a list")
            items.extend(got)
            token = doc.get("nextPageToken")
            if not isinstance(token, str) or not token:
                return items
            params = {**params, "pageToken": token}
        raise SyncError(self.name, f"{what}: the pages did not end after {MAX_PAGES}")
