"""The sync's HTTP client: timeouts, retries with backoff, Retry-After, errors that say the fix.

A request that fails for a passing reason (connection error, timeout, HTTP 429 or 5xx) is
retried with exponential backoff; `Retry-After` on 429/503 is honoured up to a cap. Anything
retrying cannot fix becomes one `SyncError` naming the source and what to do. No message ever
carries a header, a query string or a response body verbatim: credentials and signed links
stay out of terminals, logs and `sync_state`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from uptake.errors import SyncError
from uptake.ingest.redact import redact

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "uptake-sync"


def where(url: str) -> str:
    """Host and path of a URL, without its query (signed links carry their key there).

    Args:
        url: any URL.

    Returns:
        `host/path`.
    """
    try:
        parts = urlsplit(url)
        return f"{parts.hostname or ''}{parts.path}"
    except ValueError:
        return "(an unparsable URL)"


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a `Retry-After` header asks to wait (delta-seconds or an HTTP date).

    Args:
        value: the header's value.
        now: the current time (for an HTTP date).

    Returns:
        Seconds (0 or more), or None when there is no usable value.
    """
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def vendor_words(resp: httpx.Response, limit: int = 160) -> str:
    """The vendor's own short explanation of a refusal, redacted and shortened.

    Args:
        resp: the refusing response.
        limit: most characters kept.

    Returns:
        The explanation, or "" when the body has none.
    """
    try:
        body: Any = resp.json()
    except ValueError:
        return ""
    text = ""
    if isinstance(body, dict):
        err = body.get("error")
        for candidate in (body.get("message"), body.get("error_description"), err):
            if isinstance(candidate, dict):
                candidate = candidate.get("message")
            if isinstance(candidate, str) and candidate.strip():
                text = candidate
                break
    text = redact(" ".join(text.split())) or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class HttpClient:
    """One source's HTTP client; implements `uptake.sync.base.Http`."""

    def __init__(
        self,
        source: str,
        *,
        renew: Sequence[str],
        scopes: str,
        not_found: str,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 1.0,
        max_retry_after: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        """Make a client for one source.

        Args:
            source: source name, first word of every error.
            renew: environment variables to renew on a 401.
            scopes: what to grant on a 403.
            not_found: which setting to check on a 404.
            timeout: seconds per request.
            retries: retries of a passing failure.
            backoff: first backoff wait in seconds (doubled each retry, plus jitter).
            max_retry_after: longest `Retry-After` wait honoured.
            sleep: how to wait (tests record the waits instead of taking them).
            rng: jitter source (seeded by default: runs are reproducible).
        """
        self.source = source
        self.renew = " or ".join(renew) or "the credentials"
        self.scopes = scopes
        self.not_found = not_found
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.rng = rng or random.Random(0)
        self.requests = 0
        self._client = httpx.Client(
            timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """GET with retries; only the headers and auth given are sent.

        Args:
            url: full URL.
            params: query parameters.
            headers: request headers (none by default: a signed link gets no credentials).
            auth: Basic-auth user and password.

        Returns:
            The successful (2xx) response.
        """
        return self._send("GET", url, params=params, headers=headers, auth=auth)

    def post(
        self,
        url: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """POST a JSON body (or a form, with `data`) with retries.

        Args:
            url: full URL.
            json: JSON body.
            headers: request headers.
            auth: Basic-auth user and password.
            data: form fields (application/x-www-form-urlencoded) instead of JSON.

        Returns:
            The successful (2xx) response.
        """
        return self._send("POST", url, json=json, headers=headers, auth=auth, data=data)

    def _send(self, method: str, url: str, **kw: Any) -> httpx.Response:
        kw = {k: v for k, v in kw.items() if v is not None}
        last = ""
        for attempt in range(self.retries + 1):
            self.requests += 1
            try:
                resp = self._client.request(method, url, **kw)
            except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError):
                raise SyncError(
                    self.source, f"unusable URL {where(url)!r}: check sync.base_urls"
                ) from None
            except httpx.TransportError as exc:
                last = f"cannot reach {where(url).split('/')[0]} ({type(exc).__name__})"
                wait = None
            except httpx.RequestError as exc:
                # Too many redirects, an undecodable body: no retry changes those.
                raise SyncError(
                    self.source,
                    f"unusable answer from {where(url)} ({type(exc).__name__})",
                ) from None
            else:
                if resp.status_code < 300:
                    return resp
                self._refuse(resp, url)
                last = f"HTTP {resp.status_code} at {where(url)}"
                wait = self._retry_after(resp)
            if attempt == self.retries:
                break
            if wait is None:
                base = self.backoff * 2**attempt
                wait = base + self.rng.uniform(0, base)
            self.sleep(wait)
        tries = self.retries + 1
        raise SyncError(
            self.source,
            f"vendor unavailable: {last} after {tries} attempt{'s' if tries != 1 else ''}; "
            "try again later",
            hint="uptake sync resumes from the last day fetched",
        )

    def _retry_after(self, resp: httpx.Response) -> float | None:
        if resp.status_code not in (429, 503, 403):
            return None
        wait = retry_after(resp.headers.get("Retry-After"))
        if wait is None and resp.headers.get("X-RateLimit-Remaining") == "0":
            # GitHub's primary rate limit: the reset time is an epoch second.
            try:
                wait = max(0.0, float(resp.headers["X-RateLimit-Reset"]) - time.time())
            except (KeyError, ValueError):
                wait = None
        return None if wait is None else min(wait, self.max_retry_after)

    def _refuse(self, resp: httpx.Response, url: str) -> None:
        """Raise the error of an answer no retry can change; return for a passing one."""
        code = resp.status_code
        if code in RETRY_STATUS:
            return
        if code == 403 and resp.headers.get("X-RateLimit-Remaining") == "0":
            return
        at = where(url)
        said = vendor_words(resp)
        said = f" ({said})" if said else ""
        if code == 401:
            raise SyncError(
                self.source,
                f"token expired or wrong (HTTP 401 at {at}): renew {self.renew}",
                hint="see docs/sync.md for how to create it",
            )
        if code == 403:
            raise SyncError(
                self.source,
                f"missing scope/permission (HTTP 403 at {at}){said}: grant {self.scopes}",
                hint="see docs/sync.md for the scopes each vendor needs",
            )
        if code == 404:
            raise SyncError(
                self.source,
                f"not found (HTTP 404 at {at}): check {self.not_found}",
            )
        raise SyncError(self.source, f"request refused (HTTP {code} at {at}){said}")
