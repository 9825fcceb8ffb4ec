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
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import replace
from types import ModuleType

from uptake.metrics.context import MetricContext
from uptake.metrics.result import MetricResult

# Seconds each family took alone at 10,000 people (tier M, 6 December), heaviest first: the
# order a read starts them in until this process has timed them itself. Started in registry
# order, a heavy family could be taken up last and run alone while the other thread idled;
# heaviest first, the last to finish are light ones (tier M, fresh processes alternating with
# registry order: the core read 0.588 -> 0.556 s on average over eight each, every family
# 3.44 -> 3.31 s over six each). Only the order matters; a family not listed starts after
# those listed.
PRIOR_SECONDS: dict[str, float] = {
    "confidence": 0.70,
    "licenses": 0.42,
    "tools": 0.39,
    "proficiency": 0.33,
    "ladder": 0.27,
    "outcomes": 0.24,
    "nps": 0.12,
    "usage_segments": 0.10,
    "trust": 0.08,
    "feedback_health": 0.07,
    "usage": 0.05,
    "depth": 0.05,
    "vendor": 0.04,
}
# Seconds each family last took in this process (a server's later reads start by these).
_TOOK: dict[str, float] = {}


def work_order(names: Iterable[str]) -> list[str]:
    """The families in the order a read starts them: the slowest first.

    Args:
        names: the families to compute.

    Returns:
        The same names, by the seconds each last took in this process (else as measured at
        tier M), most first; ties keep their given order.
    """
    return sorted(names, key=lambda n: -_TOOK.get(n, PRIOR_SECONDS.get(n, 0.0)))


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
        families: (name, module) of each family; they are taken up by `work_order`.
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
    modules = dict(todo)
    queue = deque((name, modules[name]) for name in work_order(modules))
    lock = threading.Lock()

    def work(c: MetricContext, caller: bool) -> None:
        while True:
            with lock:
                if not queue:
                    return
                name, module = queue.popleft()
            started = time.perf_counter()
            try:
                done[name] = module.compute(c)
                _TOOK[name] = time.perf_counter() - started
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
