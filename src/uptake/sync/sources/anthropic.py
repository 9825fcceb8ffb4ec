"""Anthropic Admin API: Claude Code usage report and Claude Enterprise analytics, per day.

Per day, `GET /v1/organizations/usage_report/claude_code?starting_at=YYYY-MM-DD` (one day per
call; pages followed through `has_more`/`next_page`) becomes one `claude-code` file, and
`GET /v1/organizations/analytics/users?date=YYYY-MM-DD` (same paging) one `claude-enterprise`
file. Each file is the vendor's own response shape with every page's rows in one `data`
list. Enterprise analytics exists from 2026-01-01 and only for Enterprise organisations: a
key without the analytics scope gets a warning once and the Claude Code report still syncs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any, ClassVar

from uptake.errors import SyncError
from uptake.sync.base import Credential, Download, Source, SyncContext, Window, counted
from uptake.sync.payload import canonical_json, data_pages

KEY = "ANTHROPIC_ADMIN_KEY"
API_VERSION = "2023-06-01"
CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
ANALYTICS_USERS = "/v1/organizations/analytics/users"
ANALYTICS_FROM = date(2026, 1, 1)
PAGE_LIMIT = 1000
# Enough for a million rows a day; a `has_more` that never ends is a vendor bug, not a loop.
MAX_PAGES = 1000
NO_ANALYTICS = (
    "Claude Enterprise analytics is not readable with this key (it needs an Enterprise "
    "organisation and the read:analytics scope): only the Claude Code usage report is synced; "
    "set sync.anthropic_analytics = false to stop asking"
)


class AnthropicSource(Source):
    """Claude Code usage report and Claude Enterprise analytics (Anthropic Admin API)."""

    name: ClassVar[str] = "anthropic"
    title: ClassVar[str] = "Anthropic Admin API (Claude Code usage, Claude Enterprise analytics)"
    base_url: ClassVar[str] = "https://api.anthropic.com"
    credentials: ClassVar[tuple[Credential, ...]] = (
        Credential(KEY, "Admin API key (sk-ant-admin…), created by an organisation admin"),
    )
    formats: ClassVar[tuple[str, ...]] = ("claude-code", "claude-enterprise")
    retention_days: ClassVar[int] = 90
    # Enterprise analytics arrives 3–4 days late; the Claude Code report is waited for too.
    lag_days: ClassVar[int] = 4
    scopes: ClassVar[str] = (
        "an Admin API key (Claude Console › Settings › Admin keys; only organisation admins "
        "can create one) — Enterprise analytics also needs the read:analytics scope"
    )
    not_found: ClassVar[str] = "the Anthropic base URL (sync.base_urls.anthropic)"

    def fetch(self, ctx: SyncContext, window: Window) -> Iterator[Download]:
        """Yield, per day, the Claude Code file then the Enterprise analytics file.

        Args:
            ctx: HTTP client, base URL, credentials and settings.
            window: the days to fetch.

        Returns:
            Downloads, oldest day first.
        """
        headers = {"x-api-key": ctx.credentials[KEY], "anthropic-version": API_VERSION}
        analytics = ctx.settings.get("anthropic_analytics", "true") != "false"
        for day in window.days():
            when = day.isoformat()
            rows = self._rows(
                ctx, CLAUDE_CODE, {"starting_at": when}, headers, f"Claude Code usage of {when}"
            )
            users: list[Any] = []
            if rows:
                yield Download(
                    "claude-code", f"anthropic/claude-code/{when}.json", _page(rows), day, day
                )
            if analytics and day >= ANALYTICS_FROM:
                try:
                    users = self._rows(
                        ctx, ANALYTICS_USERS, {"date": when}, headers, f"analytics of {when}"
                    )
                except SyncError as exc:
                    if "HTTP 403" not in exc.message:
                        raise
                    ctx.warn(NO_ANALYTICS)
                    analytics = False
                if users:
                    yield Download(
                        "claude-enterprise",
                        f"anthropic/analytics-users/{when}.json",
                        _page(users),
                        day,
                        day,
                        options={"date": when},
                    )
            ctx.progress(
                f"anthropic: {when}: {counted(len(rows), 'Claude Code row')}, "
                f"{counted(len(users), 'analytics row')}"
            )

    def _rows(
        self,
        ctx: SyncContext,
        path: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        what: str,
    ) -> list[Any]:
        """Every row of a paged Admin API list (`data`, `has_more`, `next_page`)."""
        query = {**params, "limit": PAGE_LIMIT}
        return data_pages(ctx.http, self.name, f"{ctx.base_url}{path}", query, headers, what,
                          cursor=("next_page", "page"), max_pages=MAX_PAGES)  # fmt: skip


def _page(rows: list[Any]) -> bytes:
    """The vendor's response shape holding every row of the day (one page, nothing more)."""
    return canonical_json({"data": rows, "has_more": False, "next_page": None})
