"""The contract between the sync runner and each vendor source.

A source knows one vendor's API: which credentials it needs, how far back the vendor keeps
data, and how to turn a window of days into downloaded files in a format `uptake ingest`
already reads. The runner owns everything else: cursors, idempotency, retries, status.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Protocol


def counted(n: int, noun: str) -> str:
    """A count of things for a progress line, singular for one ("1 user row", "2 user rows")."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


@dataclass(frozen=True)
class Credential:
    """One secret or setting a source needs, read from the environment or the secrets file."""

    env: str
    help: str
    secret: bool = True
    required: bool = True


@dataclass(frozen=True)
class Window:
    """Days to fetch, both ends inclusive."""

    start: date
    end: date

    def days(self) -> list[date]:
        """Every day of the window, oldest first."""
        n = (self.end - self.start).days
        return [date.fromordinal(self.start.toordinal() + i) for i in range(n + 1)]


@dataclass(frozen=True)
class Download:
    """One fetched file, ready for `uptake ingest --format fmt`.

    `name` is unique for the content's identity (vendor, report, day or period, page), so
    the runner can tell a re-fetch of the same thing; `first_day`/`last_day` are the days the
    content covers (used for cursors and coverage).
    """

    fmt: str
    name: str
    content: bytes
    first_day: date
    last_day: date
    options: Mapping[str, str] = field(default_factory=dict)
    # True when nothing more for `last_day` follows (one file per day): a failure after it
    # then keeps that day in the cursor instead of fetching it again.
    complete: bool = False
    # Which of a source's files of one format and day this is, in words ("usage events"),
    # when there are several: the progress lines would otherwise read the same.
    what: str = ""


class Response(Protocol):
    """What the HTTP client returns (an httpx.Response satisfies it)."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...

    def json(self) -> Any: ...


class Http(Protocol):
    """The runner's HTTP client: retries, backoff and `Retry-After` are handled inside.

    Non-success answers that retrying cannot fix raise `SyncError` naming the source and
    the fix (401 expired or wrong token, 403 missing scope, 404 wrong organisation, …).
    """

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Response: ...

    def post(
        self,
        url: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> Response: ...


@dataclass
class SyncContext:
    """What a source gets for one run."""

    http: Http
    base_url: str
    credentials: Mapping[str, str]
    settings: Mapping[str, str] = field(default_factory=dict)
    progress: Callable[[str], None] = lambda _msg: None
    # Something the admin must know but that does not stop the sync (concealed names, …);
    # the runner prints it and keeps it in `uptake sync status`.
    warn: Callable[[str], None] = lambda _msg: None
    # The run's "today" (UTC): snapshots such as a seat list are dated with it.
    today: date = field(default_factory=lambda: datetime.now(UTC).date())


class Source(ABC):
    """One vendor API. Subclasses set the class attributes and implement `fetch`."""

    name: ClassVar[str]
    title: ClassVar[str]
    base_url: ClassVar[str]
    credentials: ClassVar[tuple[Credential, ...]]
    formats: ClassVar[tuple[str, ...]]
    retention_days: ClassVar[int]
    lag_days: ClassVar[int] = 1
    # First day the vendor has data for at all (None: only retention limits it).
    earliest: ClassVar[date | None] = None
    # What to grant when the vendor answers 403, and which setting names what was not found.
    scopes: ClassVar[str] = "the read scope the vendor's reporting API needs"
    not_found: ClassVar[str] = "the organisation or workspace the credentials name"

    @classmethod
    def missing(cls, credentials: Mapping[str, str]) -> list[str]:
        """What is still needed before this source can sync (empty: it is configured).

        Args:
            credentials: every credential value found (environment and secrets file).

        Returns:
            The names (environment variables) to set, in words where one of several will do.
        """
        return [c.env for c in cls.credentials if c.required and not credentials.get(c.env)]

    @abstractmethod
    def fetch(self, ctx: SyncContext, window: Window) -> Iterator[Download]:
        """Yield the files covering `window`, oldest first.

        Args:
            ctx: HTTP client, base URL, credentials and settings.
            window: the days to fetch.

        Returns:
            An iterator of downloads.
        """
