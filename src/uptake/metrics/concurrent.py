"""Metric families computed at the same time, each thread on its own DuckDB connection.

A family alternates between Python (building Ibis expressions, bootstraps, privacy rules)
and waiting for DuckDB; one at a time, a core sits idle for much of a read. Families read
the same committed facts and none reads another's results (except those that declare
`READS_RESULTS`, which run afterwards), so they may run in any order and give the same
results as one after another. Each extra thread gets a fork of the engine (a connection of
its own: a DuckDB connection runs one query at a time) and a context of its own that shares
the computation's memo, so work several families share is done once, by whichever asks
first. An engine that cannot fork (Spark, or DuckDB inside a snapshot's transaction)
computes them one at a time.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from types import ModuleType

from uptake.metrics.context import MetricContext
from uptake.metrics.result import MetricResult


def reads_results(module: ModuleType) -> bool:
    """Whether a family reads the results of the families before it (then it runs last).

    Args:
        module: the family's module.

    Returns:
        Whether it declares metrics in `READS_RESULTS` (the metrics it reads).
    """
    return bool(getattr(module, "READS_RESULTS", False))


def compute_families(
    ctx: MetricContext, families: Sequence[tuple[str, ModuleType]], threads: int
) -> dict[str, list[MetricResult]]:
    """The results of the families that read no other's, computed by up to `threads` at once.

    Args:
        ctx: the computation's context (its engine is the first thread's).
        families: (name, module) of each family, in the order they are taken up.
        threads: how many run at once.

    Returns:
        Results by family name; empty when the engine cannot fork or there is nothing to
        share out (the caller then computes each family itself).

    Raises:
        Exception: the first family (in `families` order) that failed, re-raised once all
            have finished.
    """
    todo = [(name, module) for name, module in families if not reads_results(module)]
    fork = getattr(ctx.engine, "fork", None)
    if threads < 2 or len(todo) < 2 or fork is None:
        return {}
    done: dict[str, list[MetricResult] | BaseException] = {}
    queue = deque(todo)
    lock = threading.Lock()

    def work(c: MetricContext, caller: bool) -> None:
        while True:
            with lock:
                if not queue:
                    return
                name, module = queue.popleft()
            try:
                done[name] = module.compute(c)
            except Exception as exc:  # re-raised in the caller's thread, in order
                done[name] = exc
            except BaseException as exc:
                # An interrupt: no family is started after it, and the caller stops now.
                done[name] = exc
                with lock:
                    queue.clear()
                if caller:
                    raise
                return

    with contextlib.ExitStack() as stack:
        engines = [stack.enter_context(fork()) for _ in range(min(threads, len(todo)) - 1)]
        others = [replace(ctx, engine=e) for e in engines if e is not None]
        if not others:
            return {}
        workers = [threading.Thread(target=work, args=(c, False), daemon=True) for c in others]
        for w in workers:
            w.start()
        try:
            work(ctx, True)
        finally:
            for w in workers:
                w.join()
    out: dict[str, list[MetricResult]] = {}
    for name, _ in todo:
        got = done[name]
        if isinstance(got, BaseException):
            raise got
        out[name] = got
    return out
