"""The server's live-path worker: updates the live friction flags after posted batches.

A posted batch is committed and its facts refreshed before the reply; the friction flags
are brought up to date here, in the background, a short delay later so that batches
arriving together are looked at once. The update takes its turn in the workspace queue like
any request, so it never runs beside a writer.
"""

from __future__ import annotations

import logging
import threading

from uptake.errors import UptakeError
from uptake.web.state import Served
from uptake.workspace import Actor

log = logging.getLogger("uptake.web.live")
# Who updates the flags: the server itself, with the right to write derived tables.
UPDATER = Actor(name="server live path", role="ingest")


class LiveWorker:
    """One background thread that updates the live flags after each `poke`.

    Pokes that arrive while an update runs are coalesced into one more update.
    """

    def __init__(self, served: Served, delay_s: float) -> None:
        self.served = served
        self.delay_s = delay_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="uptake-live", daemon=True)
        # How many updates ran, and how many failed (for tests and `/readyz`-style checks).
        self.updates = 0
        self.failures = 0

    def start(self) -> None:
        """Start the thread (batches ingested through the command line updated the flags)."""
        self._thread.start()

    def poke(self) -> None:
        """A batch was committed: update the flags soon."""
        self._wake.set()

    def stop(self) -> None:
        """Stop the thread (the server is stopping); an update under way finishes first."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=60)

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            if self._stop.is_set():
                return
            # Batches arriving during the delay join this update.
            if self._stop.wait(self.delay_s):
                return
            self._wake.clear()
            try:
                self.served.run_if_open(lambda ws: ws.update_live(actor=UPDATER))
                self.updates += 1
            except UptakeError as exc:
                self.failures += 1
                log.warning("live flags not updated: %s", exc.message)
            except Exception:
                self.failures += 1
                log.exception("live flags not updated")
