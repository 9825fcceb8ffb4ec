"""Generated facts hang together: sessions, tasks, decisions, surveys, feedback, help, licences."""

from __future__ import annotations

import json

import duckdb
import pytest

from sim_helpers import START, connect
from uptake.schema.tables import ACTIONS
from uptake.simulate import SimulationSummary


@pytest.fixture(scope="module")
def con(mixed: SimulationSummary) -> duckdb.DuckDBPyConnection:
    return connect(mixed)


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_sessions_open_first_close_last_and_report_their_duration(
    con: duckdb.DuckDBPyConnection,
) -> None:
    bad = _one(
        con,
        """
        WITH s AS (
          SELECT session_id,
                 count(*) FILTER (WHERE action = 'session_start') AS starts,
                 count(*) FILTER (WHERE action = 'session_end') AS ends,
                 min(ts) AS first_ts, max(ts) AS last_ts,
                 min(ts) FILTER (WHERE action = 'session_start') AS start_ts,
                 max(ts) FILTER (WHERE action = 'session_end') AS end_ts,
                 max(duration_ms) FILTER (WHERE action = 'session_end') AS dur,
                 count(DISTINCT person) AS people
          FROM events GROUP BY 1)
        SELECT count(*) FROM s WHERE starts <> 1 OR ends <> 1 OR start_ts <> first_ts
          OR end_ts <> last_ts OR people <> 1
          OR abs(epoch_ms(end_ts) - epoch_ms(start_ts) - dur) > 1
        """,
    )
    assert bad == 0
    actions = {a for (a,) in con.execute("SELECT DISTINCT action FROM events").fetchall()}
    assert actions == set(ACTIONS)


def test_events_fall_inside_the_period(
    con: duckdb.DuckDBPyConnection, mixed: SimulationSummary
) -> None:
    lo, hi = con.execute("SELECT min(ts)::date, max(ts)::date FROM events").fetchone()  # type: ignore[misc]
    assert lo >= START and hi < mixed.end
    for table, col in (
        ("tasks", "completed_at"),
        ("decisions", "outcome_ts"),
        ("feedback", "resolved_at"),
    ):
        latest = _one(con, f"SELECT max({col})::date FROM {table}")
        assert latest is None or latest < mixed.end, table


def test_workflow_runs_and_their_events_agree(con: duckdb.DuckDBPyConnection) -> None:
    completed = _one(con, "SELECT count(*) FROM tasks WHERE ai_assisted AND status = 'completed'")
    events = _one(con, "SELECT count(*) FROM events WHERE action = 'task_complete'")
    assert abs(events - completed) <= 0.01 * completed  # type: ignore[operator]
    unknown = _one(
        con,
        "SELECT count(*) FROM (SELECT workflow FROM events UNION SELECT workflow FROM tasks) "
        "WHERE workflow IS NOT NULL AND workflow NOT IN (SELECT workflow FROM workflows)",
    )
    assert unknown == 0
    ineligible = _one(
        con,
        "SELECT count(*) FROM tasks t JOIN alias a ON a.alias = t.person "
        "JOIN people p ON p.person = a.pid JOIN workflows w USING (workflow) "
        "WHERE NOT list_contains(w.roles, p.role)",
    )
    assert ineligible == 0
    assert _one(con, "SELECT count(*) FROM tasks WHERE completed_at < started_at") == 0
    assert (
        _one(
            con,
            "SELECT count(*) FROM tasks WHERE status = 'abandoned' AND completed_at IS NOT NULL",
        )
        == 0
    )


def test_decisions_have_outcomes_that_arrive_later(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT count(*), count(outcome), count(*) FILTER (WHERE outcome_ts <= ts), "
        "count(*) FILTER (WHERE (outcome IS NULL) <> (outcome_ts IS NULL)), avg(followed::int) "
        "FROM decisions"
    ).fetchone()
    assert rows is not None
    n, with_outcome, early, mismatched, follow = rows
    assert n > 20 and 0 < with_outcome < n  # recent decisions still await their outcome
    assert early == 0 and mismatched == 0
    assert 0.3 < follow < 0.95


def test_survey_answers(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT item, min(score), max(score) FROM responses WHERE score IS NOT NULL GROUP BY 1"
    ranges = {item: (lo, hi) for item, lo, hi in con.execute(sql).fetchall()}
    assert ranges["confidence"][0] >= 0 and ranges["confidence"][1] <= 10
    assert ranges["nps"][1] <= 10 and ranges["trust"][0] >= 1 and ranges["trust"][1] <= 5
    anon = con.execute("SELECT segment FROM responses WHERE person IS NULL").fetchall()
    assert len(anon) > 20
    for (segment,) in anon:
        assert set(json.loads(segment)) == {"function", "tenure_band", "location"}
    assert (
        _one(con, "SELECT count(*) FROM responses WHERE person IS NOT NULL AND segment IS NOT NULL")
        == 0
    )
    assert _one(con, "SELECT count(*) FROM responses WHERE instrument = 'audit'") > 0


def test_feedback_volume_has_a_second_peak(medium: SimulationSummary) -> None:
    con = connect(medium)
    weeks = dict(
        con.execute(
            """
            WITH lic AS (SELECT a.pid, min(assigned_at) AS first FROM licenses l
                         JOIN alias a ON a.alias = l.person GROUP BY 1)
            SELECT least(date_diff('day', lic.first, f.ts) // 7, 12) AS week, count(*)
            FROM feedback f JOIN alias a ON a.alias = f.person JOIN lic USING (pid) GROUP BY 1
            """
        ).fetchall()
    )
    early = weeks.get(0, 0) + weeks.get(1, 0)
    trough = weeks.get(3, 0) + weeks.get(4, 0)
    second = weeks.get(6, 0) + weeks.get(7, 0)
    assert early > 2 * trough and second > 2 * trough
    statuses = {s for (s,) in con.execute("SELECT DISTINCT status FROM feedback").fetchall()}
    assert {"resolved", "open"} <= statuses
    assert _one(con, "SELECT count(*) FROM feedback WHERE resolved_at <= ts") == 0


def test_help_goes_mostly_to_champions(medium: SimulationSummary) -> None:
    con = connect(medium)
    share, self_help = con.execute(
        "SELECT avg(g.champion::int), count(*) FILTER (WHERE asker = helper) FROM help_edges h "
        "JOIN alias a ON a.alias = h.helper JOIN ground_truth g ON g.person = a.pid"
    ).fetchone()  # type: ignore[misc]
    assert share > 0.6 and self_help == 0
    champions = _one(con, "SELECT avg(champion::int) FROM ground_truth")
    assert 0.02 < champions < 0.25  # type: ignore[operator]


def test_some_licenses_are_never_used_and_seats_have_costs(con: duckdb.DuckDBPyConnection) -> None:
    unused = _one(
        con,
        "SELECT count(*) FROM licenses l WHERE NOT EXISTS "
        "(SELECT 1 FROM events e WHERE e.person = l.person AND e.tool = l.tool)",
    )
    assert unused > 0
    costs = dict(con.execute("SELECT tool, max(monthly_cost) FROM licenses GROUP BY 1").fetchall())
    assert set(costs) == {"office_copilot", "code_assistant", "decision_model"}
    assert all(c > 0 for c in costs.values())
    waves = _one(con, "SELECT count(DISTINCT assigned_at::date) FROM licenses")
    assert waves > 5  # waves plus new starters
