"""Fixture factory for metric tests: an empty migrated DuckDB plus row helpers.

Every helper takes stored column names (person columns as `*_key`) with sensible defaults,
so a test states only what its hand-worked numbers depend on.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pytest

from uptake.config import MetricsSettings
from uptake.metrics.context import MetricContext
from uptake.schema.migrations import migrate
from uptake.warehouse.engine import DuckDBEngine

Stamp = datetime | date | str


def ts(value: Stamp) -> datetime:
    """A naive UTC datetime from a datetime, a date (midnight) or an ISO string."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(value)


def day(value: date | str) -> date:
    """A date from a date or an ISO string."""
    return value if isinstance(value, date) else date.fromisoformat(value)


class Warehouse:
    """An in-memory migrated warehouse with helpers to insert canonical rows."""

    def __init__(self, path: str | None = None) -> None:
        self.con = duckdb.connect(path or ":memory:")
        migrate(self.con)
        self._ids = itertools.count(1)
        self.batch_id = 1

    def _next(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def insert(self, table: str, **row: Any) -> None:
        """Insert one row by stored column names (batch_id defaults to `self.batch_id`)."""
        row.setdefault("batch_id", self.batch_id)
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.con.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(row.values()))

    def rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert many rows of one table."""
        for r in rows:
            self.insert(table, **r)

    # -- dimension tables ------------------------------------------------------------------

    def person(
        self,
        key: str,
        *,
        role: str | None = "analyst",
        function: str | None = "finance",
        team: str | None = "t1",
        manager: str | None = None,
        location: str | None = "London",
        hire_date: date | str | None = "2020-01-01",
        status: str | None = "active",
        attrs: str | None = None,
    ) -> str:
        """Add a roster row; returns the person key."""
        self.insert(
            "people",
            person_key=key,
            role=role,
            function=function,
            team=team,
            manager_key=manager,
            location=location,
            hire_date=day(hire_date) if hire_date is not None else None,
            employment_status=status,
            attrs=attrs,
        )
        return key

    def license(
        self,
        person: str,
        assigned_at: Stamp = "2024-01-01",
        *,
        tool: str = "copilot",
        removed_at: Stamp | None = None,
        monthly_cost: float | None = 30.0,
        evidence: str | None = None,
    ) -> None:
        """Add a licence seat (`evidence` set: a seat inferred from a usage report)."""
        self.insert(
            "licenses",
            person_key=person,
            tool=tool,
            assigned_at=ts(assigned_at),
            removed_at=ts(removed_at) if removed_at is not None else None,
            monthly_cost=monthly_cost,
            evidence=evidence,
        )

    def workflow(
        self,
        workflow: str,
        *,
        stakes: str = "high",
        roles: list[str] | None = None,
        name: str | None = None,
        baseline_minutes: float | None = None,
        steps_before: int | None = None,
        steps_after: int | None = None,
        ai_mode: str | None = "augment",
    ) -> None:
        """Add a catalogued workflow (roles None: every role is eligible)."""
        self.insert(
            "workflows",
            workflow=workflow,
            name=name or workflow,
            roles=roles,
            stakes=stakes,
            baseline_minutes=baseline_minutes,
            steps_before=steps_before,
            steps_after=steps_after,
            ai_mode=ai_mode,
        )

    # -- facts ----------------------------------------------------------------------------

    def event(
        self,
        person: str,
        at: Stamp,
        action: str = "prompt",
        *,
        tool: str = "copilot",
        event_id: str | None = None,
        surface: str | None = None,
        workflow: str | None = None,
        session_id: str | None = None,
        duration_ms: int | None = None,
        value: float | None = None,
        quantity: int | None = None,
    ) -> None:
        """Add one AI-tool event (`quantity`: a vendor's daily total in one row)."""
        self.insert(
            "events",
            event_id=event_id or self._next("e"),
            ts=ts(at),
            person_key=person,
            tool=tool,
            action=action,
            surface=surface,
            workflow=workflow,
            session_id=session_id,
            duration_ms=duration_ms,
            value=value,
            quantity=quantity,
        )

    def events(self, person: str, times: list[Stamp], action: str = "prompt", **kw: Any) -> None:
        """Add one event per timestamp."""
        for t in times:
            self.event(person, t, action, **kw)

    def task(
        self,
        person: str,
        workflow: str,
        started_at: Stamp,
        *,
        ai_assisted: bool = True,
        status: str | None = "completed",
        minutes: float | None = 10.0,
        completed_at: Stamp | None = None,
        task_id: str | None = None,
    ) -> None:
        """Add a workflow run; completed runs end `minutes` after they start by default."""
        start = ts(started_at)
        if completed_at is None and status == "completed":
            end: datetime | None = start + timedelta(minutes=minutes or 0)
        else:
            end = ts(completed_at) if completed_at is not None else None
        self.insert(
            "tasks",
            task_id=task_id or self._next("t"),
            person_key=person,
            workflow=workflow,
            started_at=start,
            completed_at=end,
            status=status,
            ai_assisted=ai_assisted,
            minutes=minutes,
        )

    def decision(
        self,
        person: str,
        at: Stamp,
        *,
        followed: bool = True,
        outcome: float | None = None,
        workflow: str | None = None,
        tool: str = "model",
        outcome_ts: Stamp | None = None,
        decision_id: str | None = None,
    ) -> None:
        """Add an AI recommendation acted on (followed or overridden)."""
        self.insert(
            "decisions",
            decision_id=decision_id or self._next("d"),
            ts=ts(at),
            person_key=person,
            tool=tool,
            workflow=workflow,
            followed=followed,
            outcome=outcome,
            outcome_ts=ts(outcome_ts) if outcome_ts is not None else None,
        )

    def response(
        self,
        at: Stamp,
        *,
        person: str | None = None,
        score: float | None = None,
        instrument: str = "pulse",
        item: str = "confidence",
        text: str | None = None,
        segment: str | None = None,
        response_id: str | None = None,
    ) -> None:
        """Add a survey answer (person None: anonymous, with `segment` JSON)."""
        self.insert(
            "responses",
            response_id=response_id or self._next("r"),
            ts=ts(at),
            instrument=instrument,
            item=item,
            person_key=person,
            score=score,
            text=text,
            segment=segment,
        )

    def feedback(
        self,
        at: Stamp,
        *,
        person: str | None = None,
        text: str = "feedback",
        channel: str = "ticket",
        category: str | None = None,
        status: str | None = None,
        resolved_at: Stamp | None = None,
        feedback_id: str | None = None,
    ) -> None:
        """Add a feedback item (ticket, comment, flag, interview note)."""
        self.insert(
            "feedback",
            feedback_id=feedback_id or self._next("f"),
            ts=ts(at),
            channel=channel,
            text=text,
            person_key=person,
            category=category,
            status=status,
            resolved_at=ts(resolved_at) if resolved_at is not None else None,
        )

    def help(
        self,
        at: Stamp,
        asker: str,
        helper: str,
        *,
        channel: str | None = None,
        topic: str | None = None,
    ) -> None:
        """Add a help edge: `asker` asked `helper` for help with AI."""
        self.insert(
            "help_edges",
            ts=ts(at),
            asker_key=asker,
            helper_key=helper,
            channel=channel,
            topic=topic,
        )

    def ingest_log(
        self, batch_id: int, table: str, min_ts: Stamp, max_ts: Stamp, accepted: int = 1
    ) -> None:
        """Record a batch in ingest_log as the ingest pipeline would (`accepted` rows stored:
        a batch that stored none changes no fact)."""
        now = datetime(2024, 1, 1)
        self.con.execute(
            "INSERT INTO ingest_log (batch_id, table_name, source, format, rows, accepted,"
            " unrostered, duplicates, quarantined, min_ts, max_ts, started_at, finished_at,"
            " seconds) VALUES (?, ?, 'test', 'csv', ?, ?, 0, 0, 0, ?, ?, ?, ?, 0)",
            [batch_id, table, accepted, accepted, ts(min_ts), ts(max_ts), now, now],
        )

    # -- engine and context ---------------------------------------------------------------

    @property
    def engine(self) -> DuckDBEngine:
        """A fresh engine over this warehouse (it sees every row inserted so far)."""
        return DuckDBEngine(self.con)

    def ctx(
        self, as_of: date | str, *, by: str | None = None, k: int = 3, **settings: Any
    ) -> MetricContext:
        """A metric context over this warehouse; `settings` override MetricsSettings fields."""
        return MetricContext(
            engine=self.engine,
            as_of=day(as_of),
            settings=MetricsSettings(**settings),
            min_group_size=k,
            by=by,
        )

    def facts_ctx(
        self, as_of: date | str, *, by: str | None = None, k: int = 3, **settings: Any
    ) -> MetricContext:
        """Refresh the materialised facts, then return a metric context (core families)."""
        from uptake.metrics.facts import refresh

        ctx = self.ctx(as_of, by=by, k=k, **settings)
        refresh(ctx.engine, ctx.settings)
        return ctx


@pytest.fixture
def wh() -> Iterator[Warehouse]:
    """An empty migrated warehouse."""
    w = Warehouse()
    yield w
    w.con.close()


@pytest.fixture(scope="module")
def module_warehouse() -> Iterator[Warehouse]:
    """An empty migrated warehouse shared by the tests of one module (build it once)."""
    w = Warehouse()
    yield w
    w.con.close()


@pytest.fixture
def make_warehouse() -> Iterator[Callable[[], Warehouse]]:
    """A factory for several independent warehouses in one test."""
    made: list[Warehouse] = []

    def make() -> Warehouse:
        w = Warehouse()
        made.append(w)
        return w

    yield make
    for w in made:
        w.con.close()
