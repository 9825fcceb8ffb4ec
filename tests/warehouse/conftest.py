"""Fixtures for warehouse tests: a small seeded warehouse, its lake, and one Spark session.

The Spark session is started once per test process (a JVM start takes seconds) and shared by
every Spark test through the session-scoped `spark_root` fixture.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from uptake.schema.ddl import stored_columns
from uptake.schema.migrations import migrate
from uptake.schema.tables import TABLES
from uptake.warehouse.export import export_lake

START = datetime(2026, 1, 5)  # a Monday
DAYS = 42
PEOPLE = 40


def _insert(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    cols = [c for c, _ in stored_columns(TABLES[name])]
    frame = frame.assign(batch_id=1).reindex(columns=cols)
    con.register("_rows", frame)
    con.execute(f"INSERT INTO {name} SELECT * FROM _rows")
    con.unregister("_rows")


def build_small_warehouse(seed: int = 7) -> duckdb.DuckDBPyConnection:
    """A migrated in-memory warehouse with seeded random rows in the main canonical tables.

    Args:
        seed: random seed.

    Returns:
        The DuckDB connection holding the rows.
    """
    rng = np.random.default_rng(seed)
    con = duckdb.connect()
    migrate(con)
    con.execute("SET TimeZone = 'UTC'")
    keys = [f"k{i:03d}" for i in range(PEOPLE)]
    roles = rng.choice(["analyst", "engineer", "manager"], PEOPLE)
    people = pd.DataFrame(
        {
            "person_key": keys,
            "role": roles,
            "function": rng.choice(["finance", "ops"], PEOPLE),
            "team": rng.choice(["t1", "t2", "t3", "t4"], PEOPLE),
            "manager_key": [keys[0] if i else None for i in range(PEOPLE)],
            "location": rng.choice(np.array(["London", "Paris", None], dtype=object), PEOPLE),
            "hire_date": [
                (START - timedelta(days=int(d))).date() for d in rng.integers(5, 2000, PEOPLE)
            ],
            "employment_status": rng.choice(["active", "active", "leave"], PEOPLE),
            "attrs": ['{"level": 2}'] * PEOPLE,
        }
    )
    _insert(con, "people", people)
    licensed = keys[: PEOPLE - 4]
    _insert(
        con,
        "licenses",
        pd.DataFrame(
            {
                "person_key": licensed,
                "tool": "copilot",
                "assigned_at": [START - timedelta(days=int(d)) for d in rng.integers(0, 90, 36)],
                "removed_at": [None] * 35 + [START + timedelta(days=20)],
                "monthly_cost": 30.0,
            }
        ),
    )
    n_events = 3000
    actions = ["session_start", "prompt", "suggestion", "accept", "reject", "task_complete"]
    _insert(
        con,
        "events",
        pd.DataFrame(
            {
                "event_id": [f"e{i}" for i in range(n_events)],
                "ts": [
                    START + timedelta(seconds=int(s))
                    for s in rng.integers(0, DAYS * 86400, n_events)
                ],
                "person_key": rng.choice(licensed[:30], n_events),
                "tool": rng.choice(["copilot", "chatgpt"], n_events),
                "action": rng.choice(actions, n_events),
                "surface": rng.choice(np.array(["ide", "chat", None], dtype=object), n_events),
                "workflow": rng.choice(np.array(["w1", "w2", "w3", None], dtype=object), n_events),
                "session_id": [f"s{i // 5}" for i in range(n_events)],
                "duration_ms": rng.integers(100, 90_000, n_events),
                "value": np.where(rng.random(n_events) < 0.2, np.nan, rng.random(n_events) * 10),
                "attrs": None,
            }
        ),
    )
    _insert(
        con,
        "workflows",
        pd.DataFrame(
            {
                "workflow": ["w1", "w2", "w3"],
                "name": ["Close books", "Draft memo", "Review code"],
                "roles": [["analyst"], ["analyst", "manager"], ["engineer"]],
                "stakes": ["high", "low", "high"],
                "baseline_minutes": [60.0, 20.0, 45.0],
                "steps_before": [8, 4, 6],
                "steps_after": [5, 4, 3],
                "ai_mode": ["augment", "substitute", "augment"],
            }
        ),
    )
    n_tasks = 600
    started = [START + timedelta(minutes=int(m)) for m in rng.integers(0, DAYS * 1440, n_tasks)]
    done = rng.random(n_tasks) < 0.8
    _insert(
        con,
        "tasks",
        pd.DataFrame(
            {
                "task_id": [f"t{i}" for i in range(n_tasks)],
                "person_key": rng.choice(licensed, n_tasks),
                "workflow": rng.choice(["w1", "w2", "w3"], n_tasks),
                "started_at": started,
                "completed_at": [
                    s + timedelta(minutes=30) if d else None
                    for s, d in zip(started, done, strict=True)
                ],
                "status": np.where(done, "completed", "abandoned"),
                "ai_assisted": rng.random(n_tasks) < 0.5,
                "minutes": rng.gamma(4.0, 10.0, n_tasks),
            }
        ),
    )
    n_dec = 300
    _insert(
        con,
        "decisions",
        pd.DataFrame(
            {
                "decision_id": [f"d{i}" for i in range(n_dec)],
                "ts": [START + timedelta(hours=int(h)) for h in rng.integers(0, DAYS * 24, n_dec)],
                "person_key": rng.choice(licensed, n_dec),
                "tool": "copilot",
                "workflow": rng.choice(["w1", "w3"], n_dec),
                "followed": rng.random(n_dec) < 0.7,
                "outcome": np.where(rng.random(n_dec) < 0.3, np.nan, rng.normal(1.0, 0.5, n_dec)),
                "outcome_ts": None,
            }
        ),
    )
    _insert(
        con,
        "help_edges",
        pd.DataFrame(
            {
                "ts": [START + timedelta(days=i) for i in range(20)],
                "asker_key": rng.choice(keys, 20),
                "helper_key": rng.choice(keys[:5], 20),
                "channel": "slack",
                "topic": "prompting",
            }
        ),
    )
    # The identity table maps keys back to people; it must never reach a lake.
    con.execute(
        "INSERT INTO identities SELECT 'person' || person_key || '@example.com', person_key, "
        "'email', TIMESTAMP '2026-01-01' FROM people"
    )
    return con


@pytest.fixture
def make_small_warehouse() -> Callable[..., duckdb.DuckDBPyConnection]:
    """The warehouse builder itself, for tests that change the rows."""
    return build_small_warehouse


@pytest.fixture(scope="session")
def small_con() -> Iterator[duckdb.DuckDBPyConnection]:
    """The seeded small warehouse, shared read-only by the tests of one process."""
    con = build_small_warehouse()
    yield con
    con.close()


@pytest.fixture(scope="session")
def small_lake(
    small_con: duckdb.DuckDBPyConnection, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """The small warehouse exported to a Parquet lake."""
    out = tmp_path_factory.mktemp("lake") / "lake"
    export_lake(small_con, out)
    yield out
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="session")
def spark_root() -> Any:
    """The one Spark session of this test process (skips when PySpark or Java is missing)."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("the Spark engine needs Java 17")
    from uptake.config import EngineSettings
    from uptake.warehouse.spark import spark_session

    return spark_session(EngineSettings(spark_master="local[2]", spark_shuffle_partitions=2))
