"""GitHub Copilot: the usage-metrics report API (users-1-day) and the seat list.

Per day, `GET /{orgs|enterprises}/{slug}/copilot/metrics/reports/users-1-day?day=…` (and
`user-teams-1-day`, team membership for the roster) answers with signed `download_links`;
each link is fetched *without* the token (the signature is the authorisation) and the NDJSON
parts of the day are joined into one file for the `github-copilot-usage` format. The seat
list (`/copilot/billing/seats`, pages followed through
the `Link` header) is a snapshot dated with the run's day, for `github-copilot-seats`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any, ClassVar
from urllib.parse import quote

from uptake.errors import SyncError
from uptake.sync.base import Credential, Download, Source, SyncContext, Window
from uptake.sync.payload import read_json

API_VERSION = "2026-03-10"
TOKEN = "GITHUB_COPILOT_TOKEN"
ORG = "GITHUB_ORG"
ENTERPRISE = "GITHUB_ENTERPRISE"
SEATS_PER_PAGE = 100
# Enough for 100 000 seats; a `Link` header that never ends is a vendor bug, not a loop.
MAX_PAGES = 1000
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def next_link(header: str | None) -> str | None:
    """The `rel="next"` URL of a `Link` header, if any.

    Args:
        header: the header's value.

    Returns:
        The next page's URL, or None on the last page.
    """
    if not header:
        return None
    for part in header.split(","):
        m = _NEXT.search(part)
        if m:
            return m.group(1)
    return None


class GitHubSource(Source):
    """GitHub Copilot usage metrics (per user and day) and seats."""

    name: ClassVar[str] = "github"
    title: ClassVar[str] = "GitHub Copilot usage metrics and seats"
    base_url: ClassVar[str] = "https://api.github.com"
    credentials: ClassVar[tuple[Credential, ...]] = (
        Credential(
            TOKEN,
            "token of an organisation or enterprise owner (or a GitHub App token) allowed to "
            "read Copilot metrics and billing",
        ),
        Credential(
            ORG, "organisation login whose Copilot data to read", secret=False, required=False
        ),
        Credential(
            ENTERPRISE,
            "enterprise slug (instead of GITHUB_ORG: the enterprise's reports and seats)",
            secret=False,
            required=False,
        ),
    )
    formats: ClassVar[tuple[str, ...]] = ("github-copilot-usage", "github-copilot-seats")
    retention_days: ClassVar[int] = 365
    lag_days: ClassVar[int] = 2
    earliest: ClassVar[date | None] = date(2025, 10, 10)
    scopes: ClassVar[str] = (
        "the token read access to Copilot metrics and billing: classic scopes "
        "manage_billing:copilot or read:org (read:enterprise for an enterprise), or the "
        "fine-grained 'Copilot metrics' and 'Copilot business' read permissions; the "
        "organisation's 'Copilot usage metrics' policy must be enabled"
    )
    not_found: ClassVar[str] = f"{ORG} or {ENTERPRISE} (the slug, as in the GitHub URL)"

    @classmethod
    def missing(cls, credentials: Mapping[str, str]) -> list[str]:
        """The token, and one of the organisation or the enterprise."""
        out = [] if credentials.get(TOKEN) else [TOKEN]
        if not credentials.get(ORG) and not credentials.get(ENTERPRISE):
            out.append(f"{ORG} or {ENTERPRISE}")
        return out

    def fetch(self, ctx: SyncContext, window: Window) -> Iterator[Download]:
        """Yield one usage file per day, then the seat list.

        Args:
            ctx: HTTP client, base URL, credentials and settings.
            window: the days to fetch.

        Returns:
            Downloads, oldest day first.
        """
        kind, slug = _scope(ctx.credentials)
        root = f"{ctx.base_url}/{kind}/{slug}/copilot"
        headers = {
            "Authorization": f"Bearer {ctx.credentials[TOKEN]}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        }
        reports = ["users-1-day"]
        if ctx.settings.get("github_teams", "true") != "false":
            reports.append("user-teams-1-day")
        for day in window.days():
            parts: list[bytes] = []
            for report in reports:
                parts += self._report(ctx, f"{root}/metrics/reports/{report}", headers, day)
            ctx.progress(f"github: {day.isoformat()}: {len(parts)} report file(s)")
            if parts:
                # Users and their teams of one day in one file: one batch, one cursor step.
                yield Download(
                    "github-copilot-usage",
                    f"github/{kind}/{slug}/1-day/{day.isoformat()}.ndjson",
                    b"\n".join(parts) + b"\n",
                    day,
                    day,
                    complete=True,
                )
        if ctx.settings.get("github_seats", "true") != "false":
            yield self._seats(ctx, f"{root}/billing/seats", headers, window, kind, slug)

    def _report(
        self, ctx: SyncContext, url: str, headers: Mapping[str, str], day: date
    ) -> list[bytes]:
        """The non-empty NDJSON files of one report and day."""
        got = ctx.http.get(url, params={"day": day.isoformat()}, headers=headers)
        links = _links(read_json(self.name, got, f"the report links of {day}"), day)
        parts = []
        for link in links:
            # A signed link carries its own authorisation: the token must not travel there.
            try:
                body = ctx.http.get(link).content.strip()
            except SyncError as exc:
                if "HTTP 403" not in exc.message:
                    raise
                # A refused signed link is an expired one, not a missing scope of the token.
                raise SyncError(
                    self.name,
                    f"the download link of the {day.isoformat()} report expired or was refused "
                    "before it was fetched",
                    hint="run the sync again: it asks for fresh links",
                ) from None
            if body:
                parts.append(body)
        return parts

    def _seats(
        self,
        ctx: SyncContext,
        url: str,
        headers: Mapping[str, str],
        window: Window,
        kind: str,
        slug: str,
    ) -> Download:
        seats: list[Any] = []
        total: Any = None
        page: str | None = url
        params: dict[str, Any] | None = {"per_page": SEATS_PER_PAGE, "page": 1}
        for _ in range(MAX_PAGES):
            if page is None:
                break
            got = ctx.http.get(page, params=params, headers=headers)
            doc = read_json(self.name, got, "the seat list")
            if not isinstance(doc, dict) or not isinstance(doc.get("seats"), list):
                raise SyncError(self.name, "the seat list answer has no 'seats' list")
            seats.extend(doc["seats"])
            total = doc.get("total_seats", total)
            # The next URL carries its own query (page, per_page).
            page, params = next_link(got.headers.get("Link")), None
        else:
            raise SyncError(self.name, f"the seat list did not end after {MAX_PAGES} pages")
        ctx.progress(f"github: seat list: {len(seats):,} seats")
        content = json.dumps({"total_seats": total, "seats": seats}).encode()
        today = ctx.today.isoformat()
        return Download(
            "github-copilot-seats",
            f"github/{kind}/{slug}/seats/{today}.json",
            content,
            window.end,
            window.end,
            options={"report_date": today},
        )


def _scope(creds: Mapping[str, str]) -> tuple[str, str]:
    """The enterprise when one is named (its reports cover its organisations), else the org."""
    if creds.get(ENTERPRISE):
        return "enterprises", quote(creds[ENTERPRISE].strip(), safe="")
    return "orgs", quote(creds[ORG].strip(), safe="")


def _links(doc: Any, day: date) -> list[str]:
    links = doc.get("download_links") if isinstance(doc, dict) else None
    if not isinstance(links, list) or not all(
        isinstance(x, str) and x.startswith(("https://", "http://")) for x in links
    ):
        raise SyncError(
            "github",
            f"the report of {day.isoformat()} came without a 'download_links' list",
            hint=f"the API version uptake speaks is {API_VERSION}",
        )
    return links
