"""A small loopback HTTP server and fake GitHub / Microsoft Graph APIs for the sync tests.

Imported as `sync.loopback` (tests/ is on the path); its fixtures are re-exported by
tests/sync/conftest.py.

Real HTTP over 127.0.0.1: the server records every request (path, query, headers) so tests
can check what was sent, e.g. that a signed link got no Authorization header.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

SAMPLES = Path(__file__).parents[1] / "ingest" / "connectors" / "samples"
GITHUB_TOKEN = "ghp_Sync0TestToken0Do0Not0Leak0123456789"
M365_SECRET = "m365-client-secret-Do-Not-Leak-987654321"
GRAPH_TOKEN = "graph-access-token-Do-Not-Leak-24680"
TODAY = date(2026, 11, 30)


@dataclass
class Request:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


Reply = tuple[int, dict[str, str], bytes]
Handler = Callable[[Request], Reply]


def reply(status: int, doc: Any, **headers: str) -> Reply:
    """A JSON answer."""
    return status, {"Content-Type": "application/json", **headers}, json.dumps(doc).encode()


@dataclass
class Loopback:
    """A threaded HTTP server on 127.0.0.1 with routes by exact path or by prefix (`/x/*`)."""

    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Answer `method path` with `handler` (a path ending in `*` matches a prefix)."""
        self.routes[(method, path)] = handler

    def hits(self, prefix: str) -> list[Request]:
        """The requests whose path starts with `prefix`."""
        return [r for r in self.requests if r.path.startswith(prefix)]

    def handle(self, req: Request) -> Reply:
        self.requests.append(req)
        handler = self.routes.get((req.method, req.path))
        if handler is None:
            for (method, path), h in self.routes.items():
                if method == req.method and path.endswith("*") and req.path.startswith(path[:-1]):
                    handler = h
                    break
        if handler is None:
            return reply(404, {"message": "Not Found"})
        return handler(req)


def _handler_class(lb: Loopback) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        def _any(self) -> None:
            parts = urlsplit(self.path)
            n = int(self.headers.get("Content-Length") or 0)
            req = Request(
                self.command,
                parts.path,
                dict(parse_qsl(parts.query)),
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(n) if n else b"",
            )
            status, headers, body = lb.handle(req)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _any

        def log_message(self, *args: Any) -> None:
            pass

    return H


@contextmanager
def serve() -> Iterator[Loopback]:
    """A loopback server running for the `with` block (any fixture scope can use it)."""
    lb = Loopback()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(lb))
    lb.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield lb
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    """A started loopback server (stopped after the test)."""
    with serve() as lb:
        yield lb


# -- a fake GitHub ----------------------------------------------------------------------------


def user_records(day: date, logins: list[str]) -> list[dict[str, Any]]:
    """GitHub's documented user-day record, once per login, dated `day`."""
    sample = json.loads(
        (SAMPLES / "github_copilot_usage_metrics_user_level_example.json").read_text()
    )
    out = []
    for i, login in enumerate(logins):
        rec = copy.deepcopy(sample[0])
        rec.update(day=day.isoformat(), user_login=login, user_id=1000 + i, organization_id="77")
        out.append(rec)
    return out


@dataclass
class FakeGitHub:
    """GitHub's report and seat endpoints for one organisation, served by a Loopback."""

    lb: Loopback
    org: str = "acme"
    token: str = GITHUB_TOKEN
    days: dict[date, list[str]] = field(default_factory=dict)
    seats: int = 3
    per_page_max: int = 2
    signature: str = "s1gn3d"

    def install(self) -> FakeGitHub:
        root = f"/orgs/{self.org}/copilot"
        self.lb.route("GET", f"{root}/metrics/reports/users-1-day", self._links)
        self.lb.route("GET", f"{root}/metrics/reports/user-teams-1-day", self._team_links)
        self.lb.route("GET", "/dl/*", self._download)
        self.lb.route("GET", "/teams/*", self._teams)
        self.lb.route("GET", f"{root}/billing/seats", self._seats)
        return self

    def _auth(self, req: Request) -> Reply | None:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return reply(401, {"message": "Bad credentials"})
        if req.headers.get("x-github-api-version") != "2026-03-10":
            return reply(400, {"message": "missing API version"})
        return None

    def _links(self, req: Request) -> Reply:
        refused = self._auth(req)
        if refused:
            return refused
        day = date.fromisoformat(req.query["day"])
        logins = self.days.get(day, [])
        # Two files per day with data, as GitHub splits big reports.
        links = [
            f"{self.lb.url}/dl/{day.isoformat()}/{i}.ndjson?sig={self.signature}&se=2099"
            for i in range(2 if logins else 0)
        ]
        return reply(200, {"download_links": links, "report_day": day.isoformat()})

    def _team_links(self, req: Request) -> Reply:
        refused = self._auth(req)
        if refused:
            return refused
        day = req.query["day"]
        links = [f"{self.lb.url}/teams/{day}.ndjson?sig={self.signature}"]
        return reply(
            200, {"download_links": links if self.days.get(date.fromisoformat(day)) else []}
        )

    def _teams(self, req: Request) -> Reply:
        if "authorization" in req.headers or req.query.get("sig") != self.signature:
            return reply(403, {"message": "signature invalid"})
        day = req.path.split("/")[-1].removesuffix(".ndjson")
        rows = [
            {"user_id": 1000 + i, "user_login": login, "day": day, "organization_id": "77",
             "team_id": "5", "slug": "platform"}
            for i, login in enumerate(self.days.get(date.fromisoformat(day), []))
        ]  # fmt: skip
        return 200, {}, "".join(json.dumps(r) + "\n" for r in rows).encode()

    def _download(self, req: Request) -> Reply:
        if "authorization" in req.headers:
            return reply(400, {"message": "signed links take no Authorization header"})
        if req.query.get("sig") != self.signature:
            return reply(403, {"message": "signature invalid"})
        _, _, day_text, part = req.path.split("/")
        logins = self.days.get(date.fromisoformat(day_text), [])
        half = (len(logins) + 1) // 2
        mine = logins[:half] if part.startswith("0") else logins[half:]
        lines = [json.dumps(r) for r in user_records(date.fromisoformat(day_text), mine)]
        return 200, {"Content-Type": "application/x-ndjson"}, ("\n".join(lines) + "\n").encode()

    def _seats(self, req: Request) -> Reply:
        refused = self._auth(req)
        if refused:
            return refused
        sample = json.loads((SAMPLES / "github_copilot_billing_seats_org.json").read_text())
        seat = sample["seats"][0]
        every = []
        for i in range(self.seats):
            s = copy.deepcopy(seat)
            s["assignee"]["login"] = f"dev{i}"
            s["assignee"]["id"] = 1000 + i
            every.append(s)
        per = min(int(req.query.get("per_page", 50)), self.per_page_max)
        page = int(req.query.get("page", 1))
        chunk = every[(page - 1) * per : page * per]
        headers = {}
        if page * per < len(every):
            nxt = f"{self.lb.url}{req.path}?per_page={per}&page={page + 1}"
            headers["Link"] = f'<{nxt}>; rel="next", <{nxt}>; rel="last"'
        return reply(200, {"total_seats": len(every), "seats": chunk}, **headers)


@pytest.fixture
def github(loopback: Loopback) -> FakeGitHub:
    """A fake GitHub with users dev0…dev3 active 3 and 4 days before TODAY."""
    fake = FakeGitHub(loopback)
    for back in (3, 4):
        fake.days[TODAY - timedelta(days=back)] = ["dev0", "dev1", "dev2", "dev3"]
    return fake.install()


def github_env(lb: Loopback) -> dict[str, str]:
    """Credentials for the fake GitHub."""
    return {"GITHUB_COPILOT_TOKEN": GITHUB_TOKEN, "GITHUB_ORG": "acme"}


# -- a fake Microsoft Graph -------------------------------------------------------------------


@dataclass
class FakeGraph:
    """The identity platform's token endpoint and the by-date user-detail report."""

    lb: Loopback
    tenant: str = "contoso-tenant"
    secret: str = M365_SECRET
    token: str = GRAPH_TOKEN
    users: list[str] = field(default_factory=lambda: ["ann@contoso.com", "bob@contoso.com"])
    page_size: int = 1

    def install(self) -> FakeGraph:
        self.lb.route("POST", f"/{self.tenant}/oauth2/v2.0/token", self._token)
        report = "/beta/copilot/reports/getMicrosoft365CopilotUsageUserDetailByDate("
        self.lb.route("GET", report + "*", self._report)
        return self

    def _token(self, req: Request) -> Reply:
        form = dict(parse_qsl(req.body.decode()))
        if (
            form.get("client_secret") != self.secret
            or form.get("grant_type") != "client_credentials"
        ):
            return reply(401, {"error": "invalid_client", "error_description": "AADSTS7000215"})
        return reply(200, {"access_token": self.token, "token_type": "Bearer", "expires_in": 3599})

    def _report(self, req: Request) -> Reply:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return reply(401, {"error": {"code": "InvalidAuthenticationToken"}})
        day = req.path.split("date=")[1].rstrip(")")
        start = int(req.query.get("$skiptoken", 0))
        rows = [
            {
                "reportRefreshDate": day,
                "userPrincipalName": upn,
                "displayName": upn.split("@")[0].title(),
                "lastActivityDate": day,
                "copilotChatLastActivityDate": day,
                "microsoftTeamsCopilotLastActivityDate": "",
                "wordCopilotLastActivityDate": day,
                "excelCopilotLastActivityDate": "",
                "powerPointCopilotLastActivityDate": "",
                "outlookCopilotLastActivityDate": "",
                "oneNoteCopilotLastActivityDate": "",
                "loopCopilotLastActivityDate": "",
                "copilotActivityUserDetailsByPeriod": [{"reportPeriod": 1}],
            }
            for upn in self.users[start : start + self.page_size]
        ]
        doc: dict[str, Any] = {"value": rows}
        if start + self.page_size < len(self.users):
            doc["@odata.nextLink"] = f"{self.lb.url}{req.path}?$skiptoken={start + self.page_size}"
        return reply(200, doc)


@pytest.fixture
def graph(loopback: Loopback) -> FakeGraph:
    """A fake Microsoft Graph with two licensed users."""
    return FakeGraph(loopback).install()


def m365_env() -> dict[str, str]:
    """App-registration credentials for the fake Graph."""
    return {
        "M365_TENANT_ID": "contoso-tenant",
        "M365_CLIENT_ID": "app-123",
        "M365_CLIENT_SECRET": M365_SECRET,
    }
