"""Microsoft 365 Copilot: the Graph user-detail report by date, one call per day.

`GET /beta/copilot/reports/getMicrosoft365CopilotUsageUserDetailByDate(date=YYYY-MM-DD)`
answers JSON `{"value": [...], "@odata.nextLink": ...}`; the pages of a day are joined into
one `{"value": [...]}` file for the `m365-copilot-usage` format. The token is either given
(`M365_ACCESS_TOKEN`) or obtained with the client-credentials grant of an app registration.
Tenants conceal user names by default (32-hex strings instead of UPNs): the sync then warns,
because such rows cannot be joined to the roster.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from uptake.errors import SyncError
from uptake.sync.base import Credential, Download, Source, SyncContext, Window
from uptake.sync.payload import read_json

TENANT = "M365_TENANT_ID"
CLIENT = "M365_CLIENT_ID"
SECRET = "M365_CLIENT_SECRET"
TOKEN = "M365_ACCESS_TOKEN"
LOGIN_URL = "https://login.microsoftonline.com"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
REPORT = "beta/copilot/reports/getMicrosoft365CopilotUsageUserDetailByDate"
MAX_PAGES = 1000
_CONCEALED = re.compile(r"^[0-9A-Fa-f]{32}$")
CONCEALED = (
    "names are concealed in this tenant (user names arrive as 32-hex strings and cannot be "
    "joined to the roster): turn on display of concealed names (Microsoft 365 admin center › "
    "Settings › Org settings › Reports) or ingest a mapping"
)


class M365Source(Source):
    """Microsoft 365 Copilot usage (Graph reports)."""

    name: ClassVar[str] = "m365"
    title: ClassVar[str] = "Microsoft 365 Copilot usage (Microsoft Graph reports)"
    base_url: ClassVar[str] = "https://graph.microsoft.com"
    credentials: ClassVar[tuple[Credential, ...]] = (
        Credential(TENANT, "Entra tenant id (directory id)", secret=False, required=False),
        Credential(
            CLIENT, "application (client) id of the app registration", secret=False, required=False
        ),
        Credential(SECRET, "client secret of the app registration", required=False),
        Credential(
            TOKEN, "a ready Graph access token (instead of the app registration)", required=False
        ),
    )
    formats: ClassVar[tuple[str, ...]] = ("m365-copilot-usage",)
    retention_days: ClassVar[int] = 28
    lag_days: ClassVar[int] = 2
    scopes: ClassVar[str] = (
        "the app registration the Microsoft Graph application permission Reports.Read.All "
        "(with admin consent); a delegated token needs a role such as Reports Reader"
    )
    not_found: ClassVar[str] = f"{TENANT} and the Graph base URL (sync.base_urls.m365)"

    @classmethod
    def missing(cls, credentials: Mapping[str, str]) -> list[str]:
        """A ready token, or the tenant, client id and client secret."""
        if credentials.get(TOKEN):
            return []
        return [n for n in (TENANT, CLIENT, SECRET) if not credentials.get(n)]

    def fetch(self, ctx: SyncContext, window: Window) -> Iterator[Download]:
        """Yield one user-detail file per day.

        Args:
            ctx: HTTP client, base URL, credentials and settings.
            window: the days to fetch.

        Returns:
            Downloads, oldest day first.
        """
        headers = {"Authorization": f"Bearer {self._token(ctx)}", "Accept": "application/json"}
        for day in window.days():
            rows: list[Any] = []
            url: str | None = f"{ctx.base_url}/{REPORT}(date={day.isoformat()})"
            params: dict[str, str] | None = {"$format": "application/json"}
            for _ in range(MAX_PAGES):
                if url is None:
                    break
                doc = read_json(
                    self.name, ctx.http.get(url, params=params, headers=headers), f"{day}"
                )
                if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
                    raise SyncError(self.name, f"the report of {day} has no 'value' list")
                rows.extend(doc["value"])
                nxt = doc.get("@odata.nextLink")
                # The next link carries its own query ($skiptoken).
                url, params = (nxt if isinstance(nxt, str) and nxt else None), None
            else:
                raise SyncError(
                    self.name, f"the report of {day} did not end after {MAX_PAGES} pages"
                )
            if concealed(rows):
                ctx.warn(CONCEALED)
            ctx.progress(f"m365: {day.isoformat()}: {len(rows):,} users")
            if rows:
                yield Download(
                    "m365-copilot-usage",
                    f"m365/usage-user-detail/{day.isoformat()}.json",
                    json.dumps({"value": rows}).encode(),
                    day,
                    day,
                    complete=True,
                )

    def _token(self, ctx: SyncContext) -> str:
        creds = ctx.credentials
        if creds.get(TOKEN):
            return creds[TOKEN]
        login = ctx.settings.get("m365_login") or LOGIN_URL
        url = f"{login}/{quote(creds[TENANT].strip(), safe='')}/oauth2/v2.0/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": creds[CLIENT],
            "client_secret": creds[SECRET],
            "scope": GRAPH_SCOPE,
        }
        try:
            got = ctx.http.post(url, data=form)
        except SyncError as exc:
            if "unavailable" in exc.message:
                raise
            raise SyncError(
                self.name,
                "the identity platform refused the app's sign-in: check "
                f"{TENANT} and {CLIENT}, and renew {SECRET} if it expired",
                hint="Entra admin center › App registrations › Certificates & secrets",
            ) from None
        doc = read_json(self.name, got, "the token answer")
        token = doc.get("access_token") if isinstance(doc, dict) else None
        if not isinstance(token, str) or not token:
            raise SyncError(self.name, "the identity platform answered without an access_token")
        return token


def concealed(rows: list[Any]) -> bool:
    """Whether the tenant conceals names: every user name present is a 32-hex string.

    Args:
        rows: user-detail records.

    Returns:
        True when names are concealed.
    """
    names = [
        str(r["userPrincipalName"])
        for r in rows
        if isinstance(r, dict)
        and isinstance(r.get("userPrincipalName"), str)
        and r["userPrincipalName"]
    ]
    return bool(names) and all(_CONCEALED.match(n) for n in names)
