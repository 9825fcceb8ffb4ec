"""The organisation pages computed in the background: at start-up, and again after new data.

Every remembered document is keyed on the newest ingest batch, so a batch makes the next view
of each page compute afresh: at 10,000 people that is seconds per page, tens of seconds for
the segments by team. The warmer computes the organisation pages in the background when the
server starts and again once new data has settled (no new batch for `[serve] warm_quiet_s`
seconds), so the first visitor after a day's data finds them computed. Waiting for the data
to settle keeps a stream of batches from recomputing every page after each one: while
batches keep arriving, pages are shown as before (`RecentPages`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from uptake.errors import UptakeError
from uptake.web.state import Served
from uptake.web.views import Page, Params, offered
from uptake.workspace import Actor, Workspace

log = logging.getLogger("uptake.web.warm")
# Aggregates only, as an analyst sees them: nothing individual is read, nothing audited.
READER = Actor(name="server warm-up", role="analyst")
# How often the warmer looks for a new batch (one small query in the read queue).
POLL_S = 1.0


def warm(served: Served, stop: threading.Event | None = None, *, open_it: bool = True) -> None:
    """Compute every organisation page once, one queued call per page.

    Each page takes its turn in the queue its visitors' requests use (the read queue for
    pages of ingested data), so a request that arrives meanwhile waits for one page at most,
    not for all of them. A page that cannot be computed (inputs missing, facts stale) is
    skipped: its visitor gets the reason as they would anyway.

    Args:
        served: the served workspace.
        stop: set when the server stops: no further page is started.
        open_it: open the workspace if it is not (the start-up warm-up, as a first request
            would); otherwise a closed workspace is left closed and nothing is computed.
    """

    def compute(view: Page) -> None:
        run: Callable[[Callable[[Workspace], object]], object]
        if view.may_lag:
            run = served.read if open_it else served.read_if_open
        else:
            run = served.run if open_it else served.run_if_open
        run(lambda ws: view.data(ws, READER, Params()))

    for view in offered(READER):
        if stop is not None and stop.is_set():
            return
        try:
            compute(view)
        except UptakeError as exc:
            log.info("warm-up skipped /%s: %s", view.slug, exc.message)
        except Exception:
            log.exception("warm-up failed on /%s", view.slug)


class Warmer:
    """One background thread: warms the pages at start-up, then after each settled change.

    Args:
        served: the served workspace (`served.warmed` is set once the start-up warm-up ends).
        quiet_s: seconds without a new batch before the pages are computed again.
        poll_s: how often to look for a new batch.
    """

    def __init__(self, served: Served, quiet_s: float, poll_s: float = POLL_S) -> None:
        self.served = served
        self.quiet_s = quiet_s
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="uptake-warm", daemon=True)
        self._running = threading.Event()
        # The batch the last finished warm-up computed the pages for, and how many ran.
        self.warmed_batch: int | None = None
        self.runs = 0

    def start(self) -> None:
        """Start the thread; it warms the pages at once."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (the server is stopping); a page under way finishes first."""
        self._stop.set()
        if self._thread.ident is not None:  # started
            self._thread.join(timeout=60)

    def state(self) -> dict[str, Any]:
        """`warm_up` (running or done) and the batch the pages were last computed for."""
        done = self.served.warmed.is_set() and not self._running.is_set()
        return {"warm_up": "done" if done else "running", "warmed_batch": self.warmed_batch}

    def _warm(self, batch: int | None, *, open_it: bool) -> None:
        self._running.set()
        try:
            warm(self.served, self._stop, open_it=open_it)
            if not self._stop.is_set():
                self.warmed_batch = batch
                self.runs += 1
        finally:
            self._running.clear()

    def _loop(self) -> None:
        try:
            # The start-up warm-up opens the workspace, as a first request would.
            self._warm(self.served.read(lambda ws: ws.data_version()), open_it=True)
        except Exception:
            log.exception("warm-up failed")
        finally:
            self.served.warmed.set()
        seen, changed_at = self.warmed_batch, time.monotonic()
        failed = ""
        while not self._stop.wait(self.poll_s):
            try:
                # Never reopens a workspace the server closed.
                latest = self.served.read_if_open(lambda ws: ws.data_version())
                if latest != seen:
                    # Still arriving: wait for the data to settle before computing pages.
                    seen, changed_at = latest, time.monotonic()
                elif (
                    # None: the workspace is closed (or holds nothing): nothing to warm.
                    latest is not None
                    and latest != self.warmed_batch
                    and time.monotonic() - changed_at >= self.quiet_s
                ):
                    # The batch is read before the pages: one committed meanwhile is seen as
                    # a change at the next look, and warmed for in turn.
                    self._warm(latest, open_it=False)
                failed = ""
            except Exception as exc:
                # Once per distinct failure, not once a second.
                if str(exc) != failed:
                    log.exception("warm-up after new data failed")
                failed = str(exc)
