"""The stub's endpoints: each vendor's paths, parameters, page shapes and pagination.

Page tokens are opaque to clients but fixed by the position, so fetching the same window
twice gives the same bytes (the sync's idempotency relies on it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from uptake.simulate.vendor_api.data import GITHUB_REPORTS
from uptake.simulate.vendor_api.records import EPOCH, MS_DAY
from uptake.simulate.vendor_api.replies import Refused, Reply, error, s3_error
from uptake.simulate.vendor_api.server import PREFIXES, Request

if TYPE_CHECKING:
    from uptake.simulate.vendor_api.server import VendorApi

MAX_RANGE_DAYS = 90  # Cursor refuses longer date ranges


@dataclass(frozen=True)
class Route:
    """One endpoint."""

    method: str
    pattern: re.Pattern[str]
    name: str
    vendor: str
    handler: Callable[[VendorApi, Request], Reply]
    signed: bool = False  # a signed download link: no auth header, signature checked
    public: bool = False  # authenticates itself (the token endpoint)


def _size(api: VendorApi, requested: str | int | None, default: int, maximum: int) -> int:
    try:
        n = int(requested) if requested not in (None, "") else default
    except (TypeError, ValueError):
        n = default
    n = max(1, min(n, maximum))
    return min(n, api.options.page_size) if api.options.page_size else n


def _token(offset: int) -> str:
    return "page_" + base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(vendor: str, token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.removeprefix("page_").encode()).decode()
        return int(text.removeprefix("offset:"))
    except ValueError:
        raise Refused(error(vendor, 400, f"invalid page token {token!r}")) from None


def _day(vendor: str, value: str | None, name: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise Refused(error(vendor, 400, f"{name}: expected a date YYYY-MM-DD")) from None


def _page(rows: Sequence[Any], offset: int, size: int) -> tuple[list[Any], bool]:
    page = list(rows[offset : offset + size])
    return page, offset + size < len(rows)


# --- GitHub ---------------------------------------------------------------------------------


def github_report(api: VendorApi, req: Request) -> Reply:
    """`GET /{enterprises|orgs}/{name}/copilot/metrics/reports/{report}?day=` → signed links."""
    kind, name, report = req.groups
    wrong = (report == "enterprise-1-day" and kind != "enterprises") or (
        report == "organization-1-day" and kind != "orgs"
    )
    if report not in GITHUB_REPORTS or wrong:
        return error("github", 404, "Not Found")
    if "day" not in req.params:
        return error("github", 400, 'Invalid request.\n\n"day" wasn\'t supplied.')
    day = _day("github", req.params["day"], "day")
    lines = api.data.github(report, day)
    n = api.options.file_lines
    links = []
    for i in range((len(lines) + n - 1) // n):
        path = f"{PREFIXES['github']}/download/{kind}/{name}/{report}/{day}/{i}.ndjson"
        links.append(f"{api.url}{path}?{api.sign(path)}")
    return Reply.json(200, {"download_links": links, "report_day": day.isoformat()})


def github_download(api: VendorApi, req: Request) -> Reply:
    """A signed report file: NDJSON, no auth header (checked by signature before this)."""
    _kind, _name, report, day_text, part = req.groups
    lines = api.data.github(report, _day("github", day_text, "day"))
    n = api.options.file_lines
    chunk = lines[int(part) * n : (int(part) + 1) * n]
    if not chunk:
        return s3_error("NoSuchKey", "The specified key does not exist.", 404)
    body = b"".join(line + b"\n" for line in chunk)
    return Reply(200, body, {"Content-Type": "application/x-ndjson"})


def github_seats(api: VendorApi, req: Request) -> Reply:
    """`GET /{orgs|enterprises}/{name}/copilot/billing/seats?page=&per_page=` (Link header)."""
    seats = api.data.seats()
    size = _size(api, req.params.get("per_page"), 50, 100)
    page = max(1, int(req.params.get("page") or 1))
    last = max(1, (len(seats) + size - 1) // size)
    chunk = seats[(page - 1) * size : page * size]
    base = f"{api.url}{req.path}"

    def link(p: int, rel: str) -> str:
        return f'<{base}?{urlencode({"page": p, "per_page": size})}>; rel="{rel}"'

    rels = []
    if page > 1:
        rels += [link(page - 1, "prev"), link(1, "first")]
    if page < last:
        rels += [link(page + 1, "next"), link(last, "last")]
    headers = {"Link": ", ".join(rels)} if rels else {}
    return Reply.json(200, {"total_seats": len(seats), "seats": chunk}, **headers)


# --- Microsoft ------------------------------------------------------------------------------


def m365_token(api: VendorApi, req: Request) -> Reply:
    """`POST /{tenant}/oauth2/v2.0/token` with client credentials → a bearer token."""
    form = dict(parse_qsl(req.body.decode("utf-8", "replace")))
    if form.get("grant_type") != "client_credentials":
        return Reply.json(
            400,
            {
                "error": "unsupported_grant_type",
                "error_description": "AADSTS70003: grant_type not supported",
            },
        )
    secret = form.get("client_secret", "")
    if secret not in (api.options.key, api.options.no_scope_key):
        return Reply.json(
            401,
            {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
            },
        )
    seed = f"{req.groups[0]}|{form.get('client_id', '')}|{secret}|{len(api.tokens)}"
    token = "eyJ0eXAiOiJKV1QifQ." + hashlib.sha256(seed.encode()).hexdigest()
    api.tokens[token] = secret == api.options.key
    doc = {
        "token_type": "Bearer",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": token,
    }
    return Reply.json(200, doc)


def m365_by_date(api: VendorApi, req: Request) -> Reply:
    """`GET /{v1.0|beta}[/copilot]/reports/getMicrosoft365CopilotUsageUserDetailByDate(date=…)`."""
    version, day_text = req.groups
    rows = api.data.m365(_day("m365", day_text, "date"))
    size = _size(api, req.params.get("$top"), 200, 1000)
    offset = _offset("m365", req.params.get("$skiptoken"))
    page, more = _page(rows, offset, size)
    doc: dict[str, Any] = {
        "@odata.context": f"https://graph.microsoft.com/{version}/$metadata"
        "#Collection(microsoft.graph.copilotUsageUserDetail)",
        "value": page,
    }
    if more:
        query = {"$skiptoken": _token(offset + size)}
        if "$top" in req.params:
            query["$top"] = req.params["$top"]
        doc["@odata.nextLink"] = f"{api.url}{req.path}?{urlencode(query)}"
    return Reply.json(200, doc)


# --- Anthropic ------------------------------------------------------------------------------


def _anthropic_page(api: VendorApi, req: Request, rows: list[dict[str, Any]]) -> Reply:
    size = _size(api, req.params.get("limit"), 20, 1000)
    offset = _offset("anthropic", req.params.get("page"))
    page, more = _page(rows, offset, size)
    return Reply.json(
        200, {"data": page, "has_more": more, "next_page": _token(offset + size) if more else None}
    )


def _anthropic_version(req: Request) -> None:
    if not req.headers.get("anthropic-version"):
        raise Refused(error("anthropic", 400, "anthropic-version: header is required"))


def anthropic_claude_code(api: VendorApi, req: Request) -> Reply:
    """`GET /v1/organizations/usage_report/claude_code?starting_at=&limit=&page=` (one day)."""
    _anthropic_version(req)
    if "starting_at" not in req.params:
        return error("anthropic", 400, "starting_at: field required")
    day = _day("anthropic", req.params["starting_at"], "starting_at")
    return _anthropic_page(api, req, api.data.claude_code(day))


def anthropic_users(api: VendorApi, req: Request) -> Reply:
    """`GET /v1/organizations/analytics/users?date=&limit=&page=` (one day)."""
    _anthropic_version(req)
    if "date" not in req.params:
        return error("anthropic", 400, "date: field required")
    day = _day("anthropic", req.params["date"], "date")
    return _anthropic_page(api, req, api.data.claude_users(day))


# --- Cursor ---------------------------------------------------------------------------------


def _cursor_range(req: Request) -> tuple[dict[str, Any], int, int, list[date]]:
    try:
        body = json.loads(req.body or b"{}")
        start, end = int(body["startDate"]), int(body["endDate"])
    except (ValueError, KeyError, TypeError):
        raise Refused(
            error("cursor", 400, "startDate and endDate (epoch milliseconds) are required")
        ) from None
    if end < start:
        raise Refused(error("cursor", 400, "endDate is before startDate"))
    first = EPOCH + timedelta(days=start // MS_DAY)
    last = EPOCH + timedelta(days=end // MS_DAY)
    if (last - first).days > MAX_RANGE_DAYS:
        raise Refused(error("cursor", 400, f"date range exceeds {MAX_RANGE_DAYS} days"))
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return body, start, end, days


def cursor_daily(api: VendorApi, req: Request) -> Reply:
    """`POST /teams/daily-usage-data` body `{startDate, endDate}` (epoch ms; no pagination)."""
    _body, start, end, days = _cursor_range(req)
    rows = [r for d in days for r in api.data.cursor_daily(d) if start <= r["date"] <= end]
    return Reply.json(200, {"data": rows, "period": {"startDate": start, "endDate": end}})


def cursor_events(api: VendorApi, req: Request) -> Reply:
    """`POST /teams/filtered-usage-events` body `{startDate, endDate, page, pageSize, email}`."""
    body, start, end, days = _cursor_range(req)
    events = [
        e
        for d in days
        for e in api.data.cursor_events(d)
        if start <= int(e["timestamp"]) <= end
        and (not body.get("email") or e.get("userEmail") == body["email"])
    ]
    events.sort(key=lambda e: (-int(e["timestamp"]), e.get("userEmail", "")))  # newest first
    size = _size(api, body.get("pageSize"), 10, 1000)
    page = max(1, int(body.get("page") or 1))
    pages = (len(events) + size - 1) // size
    chunk, more = _page(events, (page - 1) * size, size)
    return Reply.json(
        200,
        {
            "totalUsageEventsCount": len(events),
            "pagination": {
                "numPages": pages,
                "currentPage": page,
                "pageSize": size,
                "hasNextPage": more,
                "hasPreviousPage": page > 1,
            },
            "usageEvents": chunk,
            "period": {"startDate": start, "endDate": end},
        },
    )


# --- OpenAI Codex ---------------------------------------------------------------------------


def codex_usage(api: VendorApi, req: Request) -> Reply:
    """`GET /v1/analytics/codex/workspaces/{id}/usage?start_date=&end_date=&after=&limit=`."""
    p = req.params
    if "start_date" not in p:
        return error("codex", 400, "Missing required parameter: 'start_date'.")
    first = _day("codex", p["start_date"], "start_date")
    last = _day("codex", p.get("end_date") or p["start_date"], "end_date")
    rows = [r for i in range((last - first).days + 1) for r in api.data.codex(first + timedelta(i))]
    size = _size(api, p.get("limit"), 50, 500)
    offset = _offset("codex", p.get("after"))
    page, more = _page(rows, offset, size)
    doc = {
        "object": "list",
        "data": page,
        "has_more": more,
        "last_id": _token(offset + len(page)) if page else None,
    }
    return Reply.json(200, doc)


# --- Google ---------------------------------------------------------------------------------


def _instant(value: str, name: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise Refused(error("google", 400, f"Invalid value for {name}: {value}")) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def google_activities(api: VendorApi, req: Request) -> Reply:
    """`GET /admin/reports/v1/activity/users/{userKey}/applications/{app}` (newest first)."""
    user_key, app = req.groups
    if app != "gemini_in_workspace_apps" or user_key != "all":
        return error(
            "google",
            400,
            f"Bad Request: the stub serves userKey=all of "
            f"gemini_in_workspace_apps, not {user_key}/{app}",
        )
    if "startTime" not in req.params:
        return error("google", 400, "the stub needs startTime (RFC 3339)")
    start = _instant(req.params["startTime"], "startTime")
    end = _instant(req.params.get("endTime") or (start + timedelta(days=1)).isoformat(), "endTime")
    days = [start.date() + timedelta(i) for i in range((end.date() - start.date()).days + 1)]
    items = [
        a
        for d in days
        for a in api.data.gemini(d)
        if start <= _instant(a["id"]["time"].replace("Z", "+00:00"), "time") < end
    ]
    items.sort(key=lambda a: (a["id"]["time"], a["id"]["uniqueQualifier"]), reverse=True)
    size = _size(api, req.params.get("maxResults"), 1000, 1000)
    offset = _offset("google", req.params.get("pageToken"))
    page, more = _page(items, offset, size)
    doc: dict[str, Any] = {"kind": "admin#reports#activities", "etag": '"stub"'}
    if page:  # the Reports API leaves `items` out when there are none
        doc["items"] = page
    if more:
        doc["nextPageToken"] = _token(offset + size)
    return Reply.json(200, doc)


def _r(method: str, vendor: str, path: str, name: str, handler: Any, **kw: bool) -> Route:
    prefix = PREFIXES["m365" if vendor == "m365" else vendor]
    return Route(method, re.compile(re.escape(prefix) + path), name, vendor, handler, **kw)


_SCOPE = r"/(enterprises|orgs)/([^/]+)"
_BY_DATE = (
    r"/(v1\.0|beta)(?:/copilot)?/reports/getMicrosoft365CopilotUsageUserDetailByDate"
    r"\((?:date=)?'?(\d{4}-\d{2}-\d{2})'?\)"
)
ROUTES: tuple[Route, ...] = (
    _r(
        "GET",
        "github",
        _SCOPE + r"/copilot/metrics/reports/([a-z0-9-]+)",
        "github.report",
        github_report,
    ),
    _r(
        "GET",
        "github",
        r"/download" + _SCOPE + r"/([a-z0-9-]+)/(\d{4}-\d{2}-\d{2})/(\d+)\.ndjson",
        "github.download",
        github_download,
        signed=True,
    ),
    _r("GET", "github", _SCOPE + r"/copilot/billing/seats", "github.seats", github_seats),
    _r("POST", "m365", r"/([^/]+)/oauth2/v2\.0/token", "m365.token", m365_token, public=True),
    _r("GET", "m365", _BY_DATE, "m365.by_date", m365_by_date),
    _r(
        "GET",
        "anthropic",
        r"/v1/organizations/usage_report/claude_code",
        "anthropic.claude_code",
        anthropic_claude_code,
    ),
    _r(
        "GET", "anthropic", r"/v1/organizations/analytics/users", "anthropic.users", anthropic_users
    ),
    _r("POST", "cursor", r"/teams/daily-usage-data", "cursor.daily", cursor_daily),
    _r("POST", "cursor", r"/teams/filtered-usage-events", "cursor.events", cursor_events),
    _r("GET", "codex", r"/v1/analytics/codex/workspaces/([^/]+)/usage", "codex.usage", codex_usage),
    _r(
        "GET",
        "google",
        r"/admin/reports/v1/activity/users/([^/]+)/applications/([^/]+)",
        "google.activities",
        google_activities,
    ),
)
