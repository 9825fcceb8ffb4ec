"""compute_all: read-only, typed, privacy checked at run time, any as-of date."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest

from metrics.conftest import Warehouse
from metrics.test_init import K, _org
from uptake.config import MetricsSettings
from uptake.errors import InputError, NotAvailableError, PrivacyError
from uptake.metrics import FAMILIES, SPECS, compute_all, families
from uptake.metrics.facts import refresh
from uptake.metrics.families import families_for
from uptake.metrics.noise import Noise, noise_key
from uptake.metrics.result import UNITS, MetricResult, MetricSpec
from uptake.warehouse.engine import DuckDBEngine, SharedSql

SETTINGS = MetricsSettings(trend_weeks=3)
# The organisation's activity is in March 2024; seats from 2024-01-01.
BEFORE, INSIDE, AFTER = date(2023, 6, 30), date(2024, 3, 31), date(2025, 6, 30)


@pytest.fixture(scope="module")
def org(module_warehouse: Any) -> Any:
    _org(module_warehouse)
    refresh(module_warehouse.engine, SETTINGS)
    return module_warehouse


def test_every_family_declares_its_metrics() -> None:
    assert FAMILIES[-1] == "vanity"
    for name, module in families.REGISTRY.items():
        assert module.__name__.rsplit(".", 1)[-1] == name
        for spec in module.SPECS:
            assert spec.family == name, spec.name
            assert spec.unit in UNITS and spec.label and spec.definition, spec.name
            assert "§" not in spec.definition + spec.label, spec.name
    assert list(SPECS) == [s.name for m in families.REGISTRY.values() for s in m.SPECS]


def test_runs_on_a_read_only_connection(tmp_path: Path) -> None:
    path = str(tmp_path / "warehouse.duckdb")
    wh = Warehouse(path)
    _org(wh)
    refresh(wh.engine, SETTINGS)
    wh.con.close()
    con = duckdb.connect(path, read_only=True)
    try:
        for by in (None, "team"):
            report = compute_all(DuckDBEngine(con), INSIDE, SETTINGS, K, by)
            assert report["usage_rate"].n == 10 and report.by == by
    finally:
        con.close()


def test_reads_do_not_build_missing_facts(wh: Any) -> None:
    _org(wh)
    with pytest.raises(NotAvailableError) as err:
        compute_all(wh.engine, INSIDE, SETTINGS, K)
    assert err.value.needs == ["dim_person"]
    assert not wh.engine.has("dim_person")


def test_a_family_that_skips_suppression_fails_at_run_time(
    org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = MetricSpec("leaky", "usage", "people", "people", "n", ("events",), "counts people")

    def compute(ctx: Any) -> list[MetricResult]:
        rows = [{"segment": "small", "n": 1, "suppressed": False}]
        return [MetricResult(spec, {"n": 1}, n=1, by="team", segments=rows)]  # type: ignore[arg-type]

    monkeypatch.setitem(families.REGISTRY, "usage", SimpleNamespace(SPECS=(spec,), compute=compute))
    with pytest.raises(PrivacyError, match="leaky: segments"):
        compute_all(org.engine, INSIDE, SETTINGS, K, "team", families=("usage",))


def test_unknown_family_is_an_input_error(org: Any) -> None:
    with pytest.raises(InputError, match="shoe"):
        compute_all(org.engine, INSIDE, SETTINGS, K, families=("shoe",))


@pytest.mark.parametrize("as_of", [BEFORE, INSIDE, AFTER])
@pytest.mark.parametrize("by", [None, "team"])
def test_any_as_of_date_gives_a_report(org: Any, as_of: date, by: str | None) -> None:
    report = compute_all(org.engine, as_of, SETTINGS, K, by)
    doc = json.loads(json.dumps(report.to_dict()))
    assert list(doc["metrics"]) == list(SPECS)
    for name, entry in doc["metrics"].items():
        if entry.get("status") == "not_available":
            assert entry["needs"] and "value" not in entry, name


def test_windows_without_data_are_not_available_never_zero(org: Any) -> None:
    before = compute_all(org.engine, BEFORE, SETTINGS, K)
    # Before any seat or event: nothing at all to report.
    assert [r.name for r in before if r.available] == []
    after = compute_all(org.engine, AFTER, SETTINGS, K)
    quiet = {
        "usage_rate",
        "weekly_active_rate",
        "depth_of_use",
        "weekly_depth",
        "adoption_ladder",
        "ladder_transitions",
        "usage_segments_12w",
        "usage_segments_4w",
        "confidence",
        "nps",
        "override_rate",
        "outcomes",
        "roi",
        "wins",
        "feedback_volume",
        "feedback_resolution",
        "vanity_vs_value",
    }
    for name in quiet:
        res = after[name]
        assert not res.available and res.value is None and res.n is None, name
        assert res.needs, name
    # Seats are still held long after the activity stopped: a measured state, with a count.
    assert after["licenses"].available and after["licenses"].n == 10
    assert any("in the window" in need for need in after["usage_rate"].needs)


def test_inside_the_data_every_family_has_numbers(org: Any) -> None:
    report = compute_all(org.engine, INSIDE, SETTINGS, K)
    shown = {r.spec.family for r in report if r.available and r.n}
    # The organisation answers no NPS item and has no vendor export.
    assert shown == set(FAMILIES) - {"nps", "vendor"}


def test_a_second_read_compiles_no_query(org: Any) -> None:
    # Every query of a read is recognised the second time, including those holding small
    # in-memory tables (calendars of weeks, the list of dimensions), so no SQL is compiled.
    engine = org.engine
    first = compute_all(engine, INSIDE, SETTINGS, K, "team")
    compiled = engine.compiled.misses
    again = compute_all(engine, INSIDE, SETTINGS, K, "team")
    assert engine.compiled.misses == compiled
    assert engine.compiled.hits > 0
    assert json.dumps(again.to_dict(), default=str) == json.dumps(first.to_dict(), default=str)


def test_another_workspace_reuses_the_sql_and_gets_its_own_numbers(org: Any) -> None:
    shared = SharedSql(512)  # room for every query of one read
    first = compute_all(DuckDBEngine(org.con, shared=shared), INSIDE, SETTINGS, K, "team")
    other = Warehouse()
    _org(other)
    for day in (6, 13, 20, 27):  # more activity: other numbers from the same queries
        other.event("p1", f"2024-03-{day:02d}T09:00", "accept")
        other.task("p2", "credit", f"2024-03-{day:02d}T09:00", ai_assisted=True, minutes=5)
    refresh(other.engine, SETTINGS)
    reused = DuckDBEngine(other.con, shared=shared)
    got = compute_all(reused, INSIDE, SETTINGS, K, "team").to_dict()
    alone = compute_all(DuckDBEngine(other.con, shared=None), INSIDE, SETTINGS, K, "team")
    assert reused.compiled.hits > 0
    assert reused.compiled.misses < reused.compiled.hits
    assert json.dumps(got, default=str) == json.dumps(alone.to_dict(), default=str)
    assert json.dumps(got, default=str) != json.dumps(first.to_dict(), default=str)


def test_the_families_of_a_metric_are_its_own_and_those_it_reads() -> None:
    assert families_for(["depth_of_use"]) == ("depth",)
    # In run order, whatever the order asked.
    assert families_for(["roi", "usage_rate", "depth_of_use"]) == ("usage", "depth", "outcomes")
    vanity = families_for(["vanity_vs_value"])
    assert vanity == ("usage", "depth", "ladder", "licenses", "outcomes", "vanity")
    for name, module in families.REGISTRY.items():
        for read in getattr(module, "READS_RESULTS", ()):
            assert read in SPECS and families_for([read])[-1] != name, (name, read)
    with pytest.raises(InputError, match="unknown metric dept_of_use"):
        families_for(["dept_of_use"])


@pytest.mark.parametrize("by", [None, "team"])
@pytest.mark.parametrize("noisy", [False, True])
def test_a_few_metrics_have_the_numbers_of_the_whole_report(
    org: Any, by: str | None, noisy: bool
) -> None:
    key = noise_key("subset-test-secret-0b8e41c6d2a9f573")
    noise = Noise(enabled=True, key=key) if noisy else None
    whole = compute_all(org.engine, INSIDE, SETTINGS, K, by, noise=noise).to_dict()
    for wanted in (["depth_of_use"], ["vanity_vs_value"], ["time_to_proficiency", "usage_rate"]):
        chosen = families_for(wanted)
        part = compute_all(
            org.engine, INSIDE, SETTINGS, K, by, families=chosen, noise=noise
        ).to_dict()
        assert set(wanted) <= set(part["metrics"]) < set(whole["metrics"])
        assert {SPECS[m].family for m in part["metrics"]} == set(chosen)
        assert part == {**whole, "metrics": {m: whole["metrics"][m] for m in part["metrics"]}}
