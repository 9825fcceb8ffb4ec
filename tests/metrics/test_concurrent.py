"""Families computed at the same time give what one at a time gives, and only where safe."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from factories import simulated_workspace
from metrics.conftest import Warehouse
from metrics.test_init import K, _org
from uptake.config import MetricsSettings
from uptake.metrics import FAMILIES, compute_all, concurrent, families
from uptake.metrics.context import Memo
from uptake.metrics.facts import refresh
from uptake.metrics.result import MetricResult
from uptake.warehouse.database import transaction
from uptake.warehouse.engine import DuckDBEngine
from uptake.workspace import Workspace

ONE = MetricsSettings(trend_weeks=3, family_threads=1)
TWO = MetricsSettings(trend_weeks=3, family_threads=2)
INSIDE = date(2024, 3, 31)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A small simulated organisation, every table of the canonical view, facts current."""
    folder = simulated_workspace(tmp_path_factory.mktemp("concurrent"), people=80, days=42, seed=3)
    with Workspace.open(folder) as ws:
        yield ws


def _doc(engine: Any, settings: MetricsSettings, as_of: date) -> str:
    report = compute_all(engine, as_of, settings, K, families=FAMILIES)
    return json.dumps(report.to_dict(), sort_keys=True, default=str)


def test_every_family_at_once_gives_what_one_at_a_time_gives(simulated: Workspace) -> None:
    # (A read by segment is always one family at a time: see the test below.)
    engine = simulated.engine()
    as_of = simulated.default_as_of()[0]
    alone = _doc(engine, ONE, as_of)
    assert _doc(engine, TWO, as_of) == alone
    # A second read reuses the kept fork (with its compiled queries): the same again.
    assert _doc(engine, TWO, as_of) == alone
    metrics = json.loads(alone)["metrics"].values()
    assert sum(m.get("status") != "not_available" for m in metrics) >= 20


def _spy(
    monkeypatch: pytest.MonkeyPatch, interrupt: str | None = None
) -> list[tuple[str, int, int]]:
    """Record (family, thread, engine) of every family as it starts; `interrupt` one there."""
    seen: list[tuple[str, int, int]] = []
    for name, module in list(families.REGISTRY.items()):

        def compute(ctx: Any, _module: Any = module, _name: str = name) -> list[MetricResult]:
            seen.append((_name, threading.get_ident(), id(ctx.engine)))
            if _name == interrupt:
                raise KeyboardInterrupt
            out: list[MetricResult] = _module.compute(ctx)
            return out

        spied = SimpleNamespace(**{k: getattr(module, k) for k in dir(module) if k.isupper()})
        spied.compute = compute
        monkeypatch.setitem(families.REGISTRY, name, spied)
    return seen


@pytest.fixture(scope="module")
def org(module_warehouse: Warehouse) -> Warehouse:
    _org(module_warehouse)
    refresh(module_warehouse.engine, ONE)
    return module_warehouse


def test_two_threads_share_the_families_out_on_two_connections(
    org: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _spy(monkeypatch)
    engine = org.engine
    compute_all(engine, INSIDE, TWO, K)
    assert sorted(f for f, _, _ in seen) == sorted(FAMILIES)
    assert len({t for _, t, _ in seen}) == 2
    assert len({e for _, _, e in seen}) == 2
    # The family that reads the others' results runs last, on the caller's engine.
    assert seen[-1] == ("vanity", threading.get_ident(), id(engine))
    seen.clear()
    compute_all(engine, INSIDE, ONE, K)
    assert {(t, e) for _, t, e in seen} == {(threading.get_ident(), id(engine))}
    # A read by segment is Python throughout: one family at a time, whatever the setting.
    seen.clear()
    compute_all(engine, INSIDE, TWO, K, "team")
    assert sorted(f for f, _, _ in seen) == sorted(FAMILIES)
    assert {(t, e) for _, t, e in seen} == {(threading.get_ident(), id(engine))}


def test_inside_a_transaction_every_family_reads_the_callers_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wh = Warehouse()
    _org(wh)
    engine = wh.engine
    refresh(engine, ONE)
    before = compute_all(engine, INSIDE, TWO, K)["usage_rate"].n
    seen = _spy(monkeypatch)
    with transaction(wh.con):
        # Uncommitted: another connection would still see the facts.
        wh.con.execute("DELETE FROM fact_segment_week")
        wh.con.execute("DELETE FROM fact_person_day")
        inside = compute_all(engine, INSIDE, TWO, K)
        wh.con.execute("ROLLBACK")
        wh.con.execute("BEGIN TRANSACTION")
    assert {e for _, _, e in seen} == {id(engine)}
    assert before == 10
    assert inside["usage_rate"].n != before


def test_the_first_failing_family_in_order_is_raised_after_all_finished(
    org: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    finished: list[str] = []

    def fail(name: str) -> Any:
        def compute(ctx: Any) -> list[MetricResult]:
            finished.append(name)
            raise RuntimeError(f"{name} failed")

        return compute

    for name in ("depth", "outcomes"):
        module = families.REGISTRY[name]
        spied = SimpleNamespace(SPECS=module.SPECS, compute=fail(name))
        monkeypatch.setitem(families.REGISTRY, name, spied)
    with pytest.raises(RuntimeError, match="depth failed"):
        compute_all(org.engine, INSIDE, TWO, K)
    assert sorted(finished) == ["depth", "outcomes"]


def test_a_fork_reads_times_in_the_callers_zone() -> None:
    wh = Warehouse()
    engine = DuckDBEngine(wh.con)
    wh.con.execute("SET TimeZone = 'Asia/Tokyo'")
    with engine.fork() as fork:
        assert fork is not None and fork is not engine
        zone = fork.con.execute("SELECT current_setting('TimeZone')").fetchone()
        kept = fork
    assert zone == ("Asia/Tokyo",)
    with engine.fork() as again:
        assert again is kept  # kept for the next read
    with transaction(wh.con), engine.fork() as none:
        assert none is None


def test_shared_work_asked_for_by_two_threads_at_once_is_done_once() -> None:
    memo = Memo()
    started, release = threading.Event(), threading.Event()
    made: list[int] = []

    def make() -> list[int]:
        made.append(1)
        started.set()
        release.wait(10)  # the second thread asks while this one is still making it
        return [len(made)]

    got: list[list[int]] = []
    first = threading.Thread(target=lambda: got.append(memo.once("plan", make)))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=lambda: got.append(memo.once("plan", make)))
    second.start()
    time.sleep(0.2)  # let the second reach `once` while the first is still making the value
    release.set()
    first.join(10)
    second.join(10)
    assert made == [1] and len(got) == 2 and got[0] is got[1]
    assert memo.once("other", lambda: "x") == "x"


def test_an_interrupt_stops_the_families_not_yet_started(
    org: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(concurrent, "_TOOK", {})
    first, second = concurrent.work_order(FAMILIES)[:2]
    seen = _spy(monkeypatch, interrupt=second)
    with pytest.raises(KeyboardInterrupt):
        compute_all(org.engine, INSIDE, TWO, K)
    started = [f for f, _, _ in seen]
    # The first two start together; at most the one family the other thread took up after
    # the first starts after the interrupt, never the rest.
    assert sorted(started[:2]) == sorted([first, second])
    assert len(started) <= 3 and "vanity" not in started


def test_the_slowest_families_start_first(org: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(concurrent, "_TOOK", {})
    # Until this process has timed them, as measured at tier M; an unlisted family last.
    assert concurrent.work_order(["usage", "new_family", "confidence", "ladder"]) == [
        "confidence",
        "ladder",
        "usage",
        "new_family",
    ]
    heaviest = concurrent.work_order(FAMILIES)[:2]
    seen = _spy(monkeypatch)
    compute_all(org.engine, INSIDE, TWO, K)
    started = [f for f, _, _ in seen]
    # Started in that order (the two threads take the queue's head in turn); vanity, which
    # reads the others' results, after them all.
    assert sorted(started[:2]) == sorted(heaviest) == ["confidence", "licenses"]
    assert started[-1] == "vanity"
    # Each family's time here is kept, and from then on orders it instead of tier M's.
    timed = [f for f in FAMILIES if f != "vanity"]
    assert set(concurrent._TOOK) == set(timed)
    concurrent._TOOK["vendor"] = 60.0
    assert concurrent.work_order(timed)[0] == "vendor"
    concurrent._TOOK["confidence"] = 0.0
    assert concurrent.work_order(timed)[-1] == "confidence"
