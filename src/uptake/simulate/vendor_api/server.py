"""The stub server: a stdlib threading HTTP server on loopback, one prefix per vendor.

It checks each vendor's authentication (wrong key → 401, the key without the needed scope →
403, both in the vendor's own error shape), answers 429 with `Retry-After` after every N
requests when asked to, signs and checks GitHub's download links (expired → 403 like S3 or
Azure blob storage), and counts requests per route. The answers themselves are in `routes`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from uptake.simulate.vendor_api.data import VendorData
from uptake.simulate.vendor_api.replies import (
    FORBIDDEN,
    UNAUTHORIZED,
    Refused,
    Reply,
    error,
    s3_error,
)

LOG_SIZE = 10_000
DEMO_KEY = "uptake-demo-key"
NO_SCOPE_KEY = "uptake-demo-key-no-scope"
# URL prefix of each source on the stub (a source's base URL is `api.url + prefix`).
PREFIXES = {
    "github": "/github",
    "m365": "/microsoft",
    "anthropic": "/anthropic",
    "cursor": "/cursor",
    "codex": "/openai",
    "google": "/google",
}


@dataclass
class Options:
    """How the stub behaves.

    Attributes:
        key: the valid API key, token, client secret or Basic user name of every vendor.
        no_scope_key: a key that authenticates but lacks the scope the reports need (→ 403).
        page_size: cap on every page (small values make every vendor paginate).
        rate_limit_every: answer 429 after every N requests (None: never).
        retry_after: seconds in the 429's `Retry-After` header.
        link_ttl: seconds a signed download link stays valid.
        file_lines: lines per GitHub report file (more lines → more download links).
        forbidden_routes: route names (`api.counts` keys) the valid key lacks the scope for,
            e.g. {"anthropic.users"}: an Admin key without the analytics scope.
    """

    key: str = DEMO_KEY
    no_scope_key: str = NO_SCOPE_KEY
    page_size: int | None = None
    rate_limit_every: int | None = None
    retry_after: int = 1
    link_ttl: int = 300
    file_lines: int = 10_000
    forbidden_routes: frozenset[str] = frozenset()


@dataclass
class Request:
    """One parsed request."""

    method: str
    path: str
    params: dict[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    groups: tuple[str, ...] = ()


class VendorApi:
    """The stub vendor API server (`with VendorApi(...) as api: api.url`).

    Args:
        data: what to serve (`SampleData`, `SimulatedData`); default: the samples.
        folder: a simulated vendor view folder (shortcut for `data=SimulatedData(folder)`).
        options: behaviour (keys, page size, rate limiting, link lifetime).
        host: interface to bind (loopback by default).
        port: port (0: any free port).
    """

    def __init__(
        self,
        data: VendorData | None = None,
        *,
        folder: Path | None = None,
        options: Options | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        # Imported here: the routes table imports this module's helpers.
        from uptake.simulate.vendor_api.routes import ROUTES
        from uptake.simulate.vendor_api.samples import SampleData
        from uptake.simulate.vendor_api.simulated import SimulatedData

        if data is None:
            data = SimulatedData(folder) if folder is not None else SampleData()
        self.data = data
        self.options = options or Options()
        self.routes = ROUTES
        self.counts: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        # The latest requests (method, target, status); bounded for a long-running demo.
        self.log: deque[tuple[str, str, int]] = deque(maxlen=LOG_SIZE)
        self.tokens: dict[str, bool] = {}  # issued Microsoft access token -> has the scope
        self._lock = threading.Lock()
        self._since_limit = 0
        self._offset = 0.0
        self._secret = hashlib.sha256(f"stub-{id(self)}-{time.time()}".encode()).digest()
        self._httpd = ThreadingHTTPServer((host, port), _handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """`http://host:port` of the running server."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def urls(self) -> dict[str, str]:
        """Base URL per source name (github, m365, anthropic, cursor, codex, google)."""
        return {name: self.url + prefix for name, prefix in PREFIXES.items()}

    def start(self) -> VendorApi:
        """Serve in a background thread.

        Returns:
            The server itself.
        """
        if self._thread is None:
            # A short poll interval: `stop` waits for the serving loop to notice.
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> VendorApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def now(self) -> float:
        """The server's clock (wall clock plus `advance`)."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the server's clock forward (signed links expire without waiting).

        Args:
            seconds: how far.
        """
        self._offset += seconds

    def reset_counts(self) -> None:
        """Forget the request counts and log."""
        with self._lock:
            self.counts.clear()
            self.statuses.clear()
            self.log.clear()

    def sign(self, path: str) -> str:
        """Query string (`exp` and `sig`) that makes `path` downloadable until the link expires.

        Args:
            path: the download path.

        Returns:
            `exp=…&sig=…`.
        """
        exp = int(self.now()) + self.options.link_ttl
        return f"exp={exp}&sig={self._signature(path, exp)}"

    def _signature(self, path: str, exp: int) -> str:
        mac = hmac.new(self._secret, f"{path}|{exp}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def check_signature(self, req: Request) -> Reply | None:
        """None when the signed link is valid, else the storage service's 403.

        Args:
            req: the download request.

        Returns:
            None or the refusal.
        """
        try:
            exp = int(req.params["exp"])
            sig = req.params["sig"]
        except (KeyError, ValueError):
            return s3_error("AccessDenied", "Query-string authentication requires exp and sig")
        if not hmac.compare_digest(sig, self._signature(req.path, exp)):
            return s3_error("SignatureDoesNotMatch", "The request signature does not match")
        if self.now() > exp:
            return s3_error("AccessDenied", "Request has expired")
        return None

    def authorize(self, vendor: str, req: Request) -> Reply | None:
        """None when the request carries the valid key, else the vendor's 401 or 403.

        Args:
            vendor: a key of PREFIXES.
            req: the request.

        Returns:
            None or the refusal.
        """
        h = req.headers
        if vendor == "anthropic":
            given = h.get("x-api-key", "")
        elif vendor == "cursor":
            given = _basic_user(h.get("authorization", ""))
        else:
            scheme, _, given = h.get("authorization", "").partition(" ")
            if scheme.lower() not in ("bearer", "token"):
                given = ""
        o = self.options
        if vendor == "m365" and given in self.tokens:
            ok = self.tokens[given]
        elif given == o.key:
            ok = True
        elif given == o.no_scope_key:
            ok = False
        else:
            return error(vendor, 401, UNAUTHORIZED[vendor])
        return None if ok else error(vendor, 403, FORBIDDEN[vendor])

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer one request: route, count, rate-limit, authenticate, then the route.

        Args:
            method: GET or POST.
            target: path and query.
            headers: request headers (any case).
            body: request body.

        Returns:
            The reply.
        """
        parts = urlsplit(target)
        req = Request(
            method,
            unquote(parts.path),
            dict(parse_qsl(parts.query, keep_blank_values=True)),
            {k.lower(): v for k, v in headers.items()},
            body,
        )
        reply = self._route(req)
        with self._lock:
            self.statuses[reply.status] += 1
            self.log.append((method, target, reply.status))
        return reply

    def _route(self, req: Request) -> Reply:
        for route in self.routes:
            m = route.pattern.fullmatch(req.path)
            if route.method != req.method or m is None:
                continue
            req.groups = m.groups()
            with self._lock:
                self.counts[route.name] += 1
                limited = not route.signed and self._rate_limited()
            if limited:
                return error(route.vendor, 429, "Rate limit exceeded: slow down").with_retry(
                    self.options.retry_after
                )
            if route.signed:
                refusal = self.check_signature(req)
            elif route.public:
                refusal = None
            else:
                refusal = self.authorize(route.vendor, req)
                if refusal is None and route.name in self.options.forbidden_routes:
                    refusal = error(route.vendor, 403, FORBIDDEN[route.vendor])
            if refusal is not None:
                return refusal
            try:
                return route.handler(self, req)
            except Refused as refused:
                return refused.reply
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                # A malformed parameter or body: the vendor's 400, never a dropped connection.
                return error(route.vendor, 400, f"invalid request: {type(exc).__name__}")
        with self._lock:
            self.counts["unknown"] += 1
        vendor = next((v for v, p in PREFIXES.items() if req.path.startswith(p + "/")), "")
        return error(vendor, 404, f"Not Found: {req.method} {req.path}")

    def _rate_limited(self) -> bool:
        every = self.options.rate_limit_every
        if not every:
            return False
        if self._since_limit >= every:
            self._since_limit = 0
            return True
        self._since_limit += 1
        return False


def _basic_user(header: str) -> str:
    scheme, _, blob = header.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        return base64.b64decode(blob).decode().partition(":")[0]
    except (ValueError, UnicodeDecodeError):
        return ""


def _handler(api: VendorApi) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without TCP_NODELAY, keep-alive clients wait
        # for a delayed ACK (tens of milliseconds) on every request.
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = api.handle(self.command, self.path, dict(self.headers.items()), body)
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the stub counts requests instead of logging them."""

    return _Handler
