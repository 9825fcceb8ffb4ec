"""Remembered reads: the same question gets the same answer until a batch lands, then a new one."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from factories import FROZEN_NOW, rows
from uptake.workspace import Workspace


def test_metrics_are_remembered_until_the_data_changes(workspace: Workspace) -> None:
    workspace.ingest_frame("people", pd.DataFrame(rows("people", 12)), source="p", now=FROZEN_NOW)
    workspace.ingest_frame(
        "licenses", pd.DataFrame(rows("licenses", 12)), source="l", now=FROZEN_NOW
    )
    workspace.ingest_frame("events", pd.DataFrame(rows("events", 50)), source="e", now=FROZEN_NOW)
    calls = []
    import uptake.metrics.runner as runner

    real = runner.run

    def counted(*a: object, **k: object) -> object:
        calls.append(1)
        return real(*a, **k)  # type: ignore[arg-type]

    runner.run = counted  # type: ignore[assignment]
    try:
        first = workspace.metrics().to_dict()
        again = workspace.metrics()
        assert again.to_dict() == first and len(calls) == 1
        # A caller changing its copy changes nothing remembered.
        again.results.clear()
        assert workspace.metrics().to_dict() == first
        assert workspace.metrics(by="team").to_dict()["by"] == "team" and len(calls) == 2
        more = pd.DataFrame(rows("events", 30, start=50))
        workspace.ingest_frame("events", more, source="e2", now=FROZEN_NOW)
        after = workspace.metrics().to_dict()
        assert len(calls) == 3  # a new batch: computed again, not remembered
        assert after["metrics"]["usage_rate"]["n"] >= first["metrics"]["usage_rate"]["n"]
    finally:
        runner.run = real  # type: ignore[assignment]


def test_a_few_metrics_are_remembered_apart_from_the_whole_report(workspace: Workspace) -> None:
    workspace.ingest_frame("people", pd.DataFrame(rows("people", 12)), source="p", now=FROZEN_NOW)
    workspace.ingest_frame(
        "licenses", pd.DataFrame(rows("licenses", 12)), source="l", now=FROZEN_NOW
    )
    workspace.ingest_frame("events", pd.DataFrame(rows("events", 50)), source="e", now=FROZEN_NOW)
    few = workspace.metrics(metrics=["depth_of_use"])
    assert "depth_of_use" in few.results and "usage_rate" not in few.results
    whole = workspace.metrics()
    assert "usage_rate" in whole.results  # not the remembered part
    assert few["depth_of_use"].to_dict() == whole["depth_of_use"].to_dict()
    assert list(workspace.metrics(metrics=["depth_of_use"]).results) == list(few.results)


def test_a_remembered_page_is_a_copy_and_is_rebuilt_after_a_batch(workspace: Workspace) -> None:
    workspace.ingest_frame("people", pd.DataFrame(rows("people", 12)), source="p", now=FROZEN_NOW)
    builds: list[int] = []

    def build() -> dict[str, list[int]]:
        builds.append(1)
        return {"rows": [len(builds)]}

    first = workspace.remember("page", ("2026-01-01",), build)
    first["rows"].append(99)  # the caller's copy: nothing remembered changes
    assert workspace.remember("page", ("2026-01-01",), build) == {"rows": [1]}
    assert workspace.remember("page", ("2026-01-02",), build) == {"rows": [2]}
    workspace.ingest_frame("events", pd.DataFrame(rows("events", 5)), source="e", now=FROZEN_NOW)
    assert workspace.remember("page", ("2026-01-01",), build) == {"rows": [3]}


def test_signals_by_the_as_of_rule_and_by_its_day_are_one_computation(
    workspace: Workspace,
) -> None:
    # The teams page asks by the rule, readiness by the day it chose: one answer for both.
    workspace.ingest_frame("people", pd.DataFrame(rows("people", 12)), source="p", now=FROZEN_NOW)
    workspace.ingest_frame("events", pd.DataFrame(rows("events", 50)), source="e", now=FROZEN_NOW)
    import uptake.signals.report as report

    real = report.build
    calls: list[int] = []

    def counted(*a: object, **k: object) -> object:
        calls.append(1)
        return real(*a, **k)  # type: ignore[arg-type]

    report.build = counted  # type: ignore[assignment]
    try:
        day = workspace.default_as_of()[0]
        by_rule = workspace.signals().to_dict()
        by_day = workspace.signals(as_of=day).to_dict()
        assert by_rule == by_day and len(calls) == 1
        workspace.signals(as_of=day - timedelta(days=1))
        assert len(calls) == 2  # another day is another computation
    finally:
        report.build = real  # type: ignore[assignment]


def test_a_remembered_answer_that_pickle_cannot_copy_is_still_a_copy(
    workspace: Workspace,
) -> None:
    workspace.ingest_frame("people", pd.DataFrame(rows("people", 12)), source="p", now=FROZEN_NOW)
    made = {"rows": [1], "how": lambda: 1}  # a lambda does not pickle
    got = workspace.remember("page", ("x",), lambda: made)
    got["rows"].append(2)
    assert workspace.remember("page", ("x",), lambda: made)["rows"] == [1]


def test_the_data_version_is_the_newest_batch(workspace: Workspace) -> None:
    assert workspace.data_version() is None
    one = workspace.ingest_frame(
        "people", pd.DataFrame(rows("people", 3)), source="p", now=FROZEN_NOW
    )
    assert workspace.data_version() == one.batch
    two = workspace.ingest_frame(
        "events", pd.DataFrame(rows("events", 5)), source="e", now=FROZEN_NOW
    )
    assert workspace.data_version() == two.batch > one.batch
