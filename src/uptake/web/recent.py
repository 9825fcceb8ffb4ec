"""Dashboard pages shown at once while the server is busy, recomputed in the background.

A view of ingested data only (`Page.may_lag`) is computed in the read queue, beside the
writers (`Served.read`). Under a stream of posted batches, each batch makes the next view of
a page compute afresh, and that takes seconds while the writers use the same two cores. Such
a view is instead answered from the copy last computed for the same actor and parameters
when either queue is busy at that moment and the copy is younger than `[serve] page_lag_s`:
the page says when it was computed, and a copy past half that age is recomputed in the
background, one page at a time. Both queues idle, an older copy or none at all: the reader
waits for a fresh page.

A copy is only ever shown to the actor it was computed for (the key holds the whole actor),
and the actor is authenticated on every request before the copy is looked up, so a revoked
token sees nothing.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from uptake.errors import UptakeError
from uptake.web.state import Served
from uptake.workspace import Workspace

log = logging.getLogger("uptake.web.recent")
Compute = Callable[[Workspace], dict[str, Any]]
# Copies kept (readers × pages × parameters); the least recently computed goes first. A
# page's document at 10,000 people can be megabytes (segments by team), so few are kept.
MAX_COPIES = 64
# A copy is recomputed in the background at most this often, as a share of the lag allowed:
# under a steady stream of batches a page would otherwise be recomputed after every one,
# and each recomputation takes seconds of the cores the writers share.
REFRESH_SHARE = 0.5


@dataclass(frozen=True)
class Lag:
    """How old a page shown from its last copy is."""

    computed_at: datetime  # UTC, naive
    age_s: float
    renewing: bool  # a fresh copy was asked for (the copy is past half the allowed age)

    def as_dict(self) -> dict[str, Any]:
        return {
            "computed_at": self.computed_at.isoformat(timespec="seconds"),
            "age_s": round(self.age_s, 1),
            "renewing": self.renewing,
        }


@dataclass
class _Copy:
    doc: dict[str, Any]
    at: float  # time.monotonic() when it was computed
    utc: datetime


class RecentPages:
    """The last copy of each page per actor and parameters, and the worker that renews them.

    Args:
        served: the served workspace (pages are computed in its read queue).
        max_age_s: the oldest copy shown instead of waiting (0: never show one).
    """

    def __init__(self, served: Served, max_age_s: float) -> None:
        self.served = served
        self.max_age_s = max_age_s
        self._copies: OrderedDict[Hashable, _Copy] = OrderedDict()
        self._due: OrderedDict[Hashable, Compute] = OrderedDict()
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stop = False
        # Background recomputations finished (tests watch it).
        self.renewed = 0

    def get(
        self, key: Hashable, compute: Compute, max_age_s: float | None = None
    ) -> tuple[dict[str, Any], Lag | None]:
        """The page: its recent copy while the server is busy, else computed in the read queue.

        Args:
            key: everything the page depends on besides the data (actor, view, parameters).
            compute: computes it with the reader workspace (its turn is taken here).
            max_age_s: the oldest copy this caller accepts (never more than the setting).

        Returns:
            The document, and how old it is when it is a copy (None when computed now).
        """
        limit = self.max_age_s if max_age_s is None else min(max_age_s, self.max_age_s)
        if limit > 0 and (self.served.busy() or self.served.read_busy()):
            with self._cv:
                kept = self._copies.get(key)
                if kept is not None and (age := time.monotonic() - kept.at) <= limit:
                    renewing = age >= self.max_age_s * REFRESH_SHARE
                    if renewing:
                        self._schedule(key, compute)
                    return copy.deepcopy(kept.doc), Lag(kept.utc, age, renewing)
        doc = self.served.read(compute)
        self._keep(key, doc)
        return doc, None

    def stop(self) -> None:
        """Stop the background worker (the server is stopping); a page under way finishes."""
        with self._cv:
            self._stop = True
            self._cv.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=60)

    def _keep(self, key: Hashable, doc: dict[str, Any]) -> None:
        if self.max_age_s <= 0:
            return
        with self._cv:
            self._copies.pop(key, None)
            self._copies[key] = _Copy(
                copy.deepcopy(doc), time.monotonic(), datetime.now(UTC).replace(tzinfo=None)
            )
            while len(self._copies) > MAX_COPIES:
                self._copies.popitem(last=False)

    def _schedule(self, key: Hashable, compute: Compute) -> None:
        # Called holding self._cv. One pending recomputation per key.
        if self._stop:
            return
        self._due[key] = compute
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="uptake-recent", daemon=True)
            self._thread.start()
        self._cv.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._due and not self._stop:
                    self._cv.wait()
                if self._stop:
                    return
                key, compute = self._due.popitem(last=False)
            try:
                doc = self.served.read_if_open(compute)
            except UptakeError as exc:
                # The next reader computes it afresh and is told why, as without copies.
                log.info("page not recomputed: %s", exc.message)
                with self._cv:
                    self._copies.pop(key, None)
                continue
            except Exception:
                log.exception("page recomputation failed")
                with self._cv:
                    self._copies.pop(key, None)
                continue
            if doc is not None:
                self._keep(key, doc)
                self.renewed += 1


def max_stale(cache_control: str | None) -> float | None:
    """The staleness a request accepts by HTTP's `Cache-Control: max-stale[=seconds]`.

    Args:
        cache_control: the request's Cache-Control header, if any.

    Returns:
        Seconds (inf for a bare `max-stale`), or None when the request asks for none.
    """
    for part in (cache_control or "").split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() != "max-stale":
            continue
        value = value.strip().strip('"')
        if not value:
            return float("inf")
        # A malformed value is ignored, as HTTP caches ignore directives they cannot read.
        return float(value) if value.isascii() and value.isdigit() else None
    return None
