"""OpenAI Codex analytics: per-user usage rows of a workspace, one file per day.

`GET /v1/analytics/codex/workspaces/{id}/usage?start_date=&end_date=` (not grouped: one row
per user and day; pages followed with `after` = the previous page's `last_id` while
`has_more`) is asked for up to 31 days at a time and the rows are grouped by their `date`
into files of the vendor's own response shape, read by the `codex` format. The range's end
is asked one day past the window and rows outside it are dropped, so the answer is the same
whether the API treats `end_date` as inclusive or exclusive.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from uptake.sync.base import Credential, Download, Source, SyncContext, Window, counted
from uptake.sync.payload import canonical_json, data_pages

KEY = "OPENAI_ADMIN_KEY"
WORKSPACE = "CODEX_WORKSPACE_ID"
CHUNK_DAYS = 31
PAGE_LIMIT = 500
MAX_PAGES = 10_000


def row_day(row: Any) -> date | None:
    """The day of a usage row: `date` as YYYY-MM-DD… or Unix seconds; None when unreadable.

    Args:
        row: one usage row.

    Returns:
        The day or None.
    """
    value = row.get("date") if isinstance(row, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


class CodexSource(Source):
    """OpenAI Codex usage per user and day (Codex analytics API)."""

    name: ClassVar[str] = "codex"
    title: ClassVar[str] = "OpenAI Codex analytics (usage per user and day)"
    base_url: ClassVar[str] = "https://api.openai.com"
    credentials: ClassVar[tuple[Credential, ...]] = (
        Credential(KEY, "OpenAI Admin API key of the organisation (sk-admin-…)"),
        Credential(WORKSPACE, "ChatGPT workspace id whose Codex usage to read", secret=False),
    )
    formats: ClassVar[tuple[str, ...]] = ("codex",)
    retention_days: ClassVar[int] = 90
    lag_days: ClassVar[int] = 1
    scopes: ClassVar[str] = (
        "an Admin API key with read access to analytics (api.analytics.read) for the workspace"
    )
    not_found: ClassVar[str] = f"{WORKSPACE} (the ChatGPT workspace id)"

    def fetch(self, ctx: SyncContext, window: Window) -> Iterator[Download]:
        """Yield one usage file per day with rows.

        Args:
            ctx: HTTP client, base URL, credentials and settings.
            window: the days to fetch.

        Returns:
            Downloads, oldest day first.
        """
        workspace = ctx.credentials[WORKSPACE].strip()
        url = f"{ctx.base_url}/v1/analytics/codex/workspaces/{quote(workspace, safe='')}/usage"
        headers = {"Authorization": f"Bearer {ctx.credentials[KEY]}"}
        days = window.days()
        for i in range(0, len(days), CHUNK_DAYS):
            chunk = days[i : i + CHUNK_DAYS]
            params = {
                "start_date": chunk[0].isoformat(),
                "end_date": (chunk[-1] + timedelta(days=1)).isoformat(),
            }
            what = f"usage {chunk[0].isoformat()} … {chunk[-1].isoformat()}"
            by_day: dict[date, list[Any]] = {}
            for row in self._rows(ctx, url, params, headers, what):
                day = row_day(row)
                # An unreadable day stays visible: the format quarantines it with a reason.
                day = chunk[0] if day is None else day
                if chunk[0] <= day <= chunk[-1]:
                    by_day.setdefault(day, []).append(row)
            for day in chunk:
                rows = by_day.get(day, [])
                ctx.progress(f"codex: {day.isoformat()}: {counted(len(rows), 'user row')}")
                if rows:
                    doc = {"object": "list", "data": rows, "has_more": False, "last_id": None}
                    name = f"codex/{workspace}/usage/{day.isoformat()}.json"
                    yield Download("codex", name, canonical_json(doc), day, day)

    def _rows(
        self,
        ctx: SyncContext,
        url: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        what: str,
    ) -> list[Any]:
        """Every row of the paged list (`data`, `has_more`, `last_id` → `after`)."""
        query = {**params, "limit": PAGE_LIMIT}
        return data_pages(ctx.http, self.name, url, query, headers, what,
                          cursor=("last_id", "after"), max_pages=MAX_PAGES)  # fmt: skip
