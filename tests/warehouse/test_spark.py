"""The Spark engine: same schema, same answers as DuckDB for the Ibis operations metrics use.

Each expression below is run on the DuckDB warehouse and on the Spark engine over its lake;
the results must hold the same rows (floats within 1e-9 relative).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pytest
from ibis import _

from uptake.schema.tables import TABLES
from uptake.warehouse.engine import DuckDBEngine, Engine
from uptake.warehouse.export import export_lake
from uptake.warehouse.parity import diff_frames

pytestmark = pytest.mark.spark

AS_OF = date(2026, 2, 8)
START = datetime(2026, 1, 12)
END = datetime(2026, 2, 9)  # exclusive: midnight after AS_OF


@pytest.fixture(scope="session")
def spark_engine(spark_root: Any, small_lake: Path) -> Iterator[Any]:
    from uptake.warehouse.spark import SparkEngine

    engine = SparkEngine(small_lake, session=spark_root)
    yield engine
    engine.close()


def _window_events(e: Engine) -> ibis.Table:
    ev = e.table("events")
    return ev.filter((ev.ts >= START) & (ev.ts < END))


def _usage_rate(e: Engine) -> ibis.Table:
    lic = e.table("licenses")
    lic = lic.filter(
        (lic.assigned_at < END) & (lic.removed_at.isnull() | (lic.removed_at >= START))
    )
    active = lic.semi_join(_window_events(e), "person_key")
    return ibis.union(
        lic.aggregate(n=lic.person_key.nunique()).mutate(kind=ibis.literal("licensed")),
        active.aggregate(n=active.person_key.nunique()).mutate(kind=ibis.literal("active")),
    )


def _weekly_active(e: Engine) -> ibis.Table:
    ev = e.table("events")
    return (
        ev.mutate(week=ev.ts.truncate("W").date())
        .group_by("week")
        .aggregate(n=_.person_key.nunique(), events=_.count())
    )


def _segments(e: Engine) -> ibis.Table:
    ev, pp = _window_events(e), e.table("people")
    tenure = ibis.date(AS_OF).delta(pp.hire_date, unit="day")
    pp = pp.mutate(
        tenure=ibis.cases(
            (tenure < 90, "<90d"), (tenure < 365, "90-365d"), (tenure < 1095, "1-3y"), else_="3y+"
        )
    )
    joined = ev.join(pp, "person_key")
    return joined.group_by(["role", "team", "tenure", "location"]).aggregate(
        n=_.person_key.nunique(), meaningful=_.action.isin(["accept", "task_complete"]).sum()
    )


def _cohorts(e: Engine) -> ibis.Table:
    lic = e.table("licenses")
    return lic.group_by(cohort=lic.assigned_at.truncate("M").date()).aggregate(
        n=_.count(), cost=_.monthly_cost.sum()
    )


def _depth(e: Engine) -> ibis.Table:
    t, wf, pp = (e.table(n).drop("batch_id") for n in ("tasks", "workflows", "people"))
    runs = t.join(wf, "workflow").join(pp, "person_key")
    eligible = runs.filter((runs.stakes == "high") & runs.roles.contains(runs.role))
    per = eligible.group_by("person_key").aggregate(
        runs=_.count(),
        ai=_.ai_assisted.cast("int64").sum(),
        share=_.ai_assisted.cast("float64").mean(),
        done=(_.status == "completed").sum(),
    )
    return per.mutate(
        rate=per.ai / per.runs.nullif(0),
        level=ibis.cases((per.share >= 0.8, "L4"), (per.share >= 0.5, "L3"), else_="L2"),
    )


def _ms_segments(e: Engine) -> ibis.Table:
    ev = e.table("events")
    acts = ev.filter(~ev.action.isin(["session_start", "session_end"]))
    weeks = acts.group_by(["person_key", acts.ts.truncate("W").name("week")]).aggregate(n=_.count())
    per = weeks.group_by("person_key").aggregate(used=_.week.nunique(), actions=_.n.sum())
    avg = per.actions / 6.0
    return per.mutate(
        segment=ibis.cases(
            ((per.used >= 5) & (avg >= 15), "power"),
            (per.used >= 5, "habitual"),
            (avg >= 1, "novice"),
            else_="low",
        )
    )


def _transitions(e: Engine) -> ibis.Table:
    ev = e.table("events")
    weeks = ev.group_by(["person_key", ev.ts.truncate("W").name("week")]).aggregate(n=_.count())
    w = ibis.window(group_by="person_key", order_by="week")
    return weeks.mutate(
        prev=weeks.n.lag().over(w),
        rn=ibis.row_number().over(w),
        rolling=weeks.n.sum().over(
            ibis.window(group_by="person_key", order_by="week", preceding=3, following=0)
        ),
        first_week=weeks.week.min().over(ibis.window(group_by="person_key")),
    )


def _overrides(e: Engine) -> ibis.Table:
    d = e.table("decisions")
    return d.group_by(["workflow", "followed"]).aggregate(
        n=_.count(),
        override=1 - _.followed.cast("float64").mean(),
        median=_.outcome.median(),
        q75=_.outcome.quantile(0.75),
        sd=_.outcome.std(),
        known=_.outcome.count(),
    )


def _outcomes(e: Engine) -> ibis.Table:
    t = e.table("tasks")
    done = t.filter(t.status == "completed")
    return done.group_by(["workflow", "ai_assisted"]).aggregate(
        median=_.minutes.median(),
        mean=_.minutes.mean(),
        minutes=(_.completed_at.delta(_.started_at, unit="minute")).mean(),
        weeks=_.started_at.truncate("W").nunique(),
    )


def _helpers(e: Engine) -> ibis.Table:
    h = e.table("help_edges")
    recent = h.filter(h.ts >= ibis.timestamp(datetime(2026, 1, 10)))
    return recent.group_by("helper_key").aggregate(helped=_.asker_key.nunique())


def _first_use(e: Engine) -> ibis.Table:
    ev, lic = e.table("events"), e.table("licenses")
    first = (
        ev.filter(ev.action.isin(["accept", "task_complete"]))
        .group_by("person_key")
        .aggregate(first=_.ts.min())
    )
    joined = lic.left_join(first, "person_key")
    return joined.select(
        "person_key",
        days=joined.first.date().delta(joined.assigned_at.date(), unit="day"),
        dow=joined.assigned_at.day_of_week.index(),
        never=joined.first.isnull(),
    )


def _empty_table(e: Engine) -> ibis.Table:
    f = e.table("feedback")
    return f.group_by("channel").aggregate(n=_.count(), resolved=_.resolved_at.notnull().sum())


def _unlicensed(e: Engine) -> ibis.Table:
    pp, lic = e.table("people"), e.table("licenses")
    return pp.anti_join(lic, "person_key").select("person_key", "employment_status")


def _quiet_days(e: Engine) -> ibis.Table:
    ev = e.table("events")
    daily = ev.group_by(["person_key", ev.ts.date().name("day")]).aggregate(n=_.count())
    w = ibis.window(group_by="person_key", order_by="day")
    gaps = daily.mutate(gap=daily.day.delta(daily.day.lag().over(w), unit="day"))
    return gaps.group_by("person_key").aggregate(longest=_.gap.max(), days=_.count())


def _bounce(e: Engine) -> ibis.Table:
    ev = e.table("events")
    sessions = ev.group_by("session_id").aggregate(
        secs=_.ts.max().epoch_seconds() - _.ts.min().epoch_seconds(),
        meaningful=_.action.isin(["accept", "task_complete"]).any(),
        ms=_.duration_ms.sum(),
    )
    return sessions.filter(~sessions.meaningful & (sessions.ms > 100_000))


EXPRESSIONS: dict[str, Callable[[Engine], ibis.Table]] = {
    "usage_rate": _usage_rate,
    "weekly_active": _weekly_active,
    "segments_and_tenure": _segments,
    "rollout_cohorts": _cohorts,
    "depth_and_ladder": _depth,
    "ms_segments": _ms_segments,
    "week_over_week_windows": _transitions,
    "overrides_and_quantiles": _overrides,
    "outcome_minutes": _outcomes,
    "helpers": _helpers,
    "first_meaningful_use": _first_use,
    "empty_table": _empty_table,
    "anti_join": _unlicensed,
    "gaps_between_days": _quiet_days,
    "session_lengths": _bounce,
}


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_spark_answers_like_duckdb(
    name: str, small_con: duckdb.DuckDBPyConnection, spark_engine: Any
) -> None:
    build = EXPRESSIONS[name]
    want = DuckDBEngine(small_con).execute(build(DuckDBEngine(small_con)))
    got = spark_engine.execute(build(spark_engine))
    assert name == "empty_table" or len(want) > 0
    assert diff_frames(want, got) == []


def test_schema_matches_the_warehouse(
    small_con: duckdb.DuckDBPyConnection, spark_engine: Any
) -> None:
    duck = DuckDBEngine(small_con)
    for name in TABLES:
        want = duck.table(name).schema()
        got = spark_engine.table(name).schema()
        assert list(got.names) == list(want.names), name
        # DuckDB reports timestamp(6), Spark timestamp: same values, same family.
        assert [str(t).split("(")[0] for t in got.types] == [
            str(t).split("(")[0] for t in want.types
        ], name


def test_has_tells_empty_and_unknown_tables(spark_engine: Any) -> None:
    assert spark_engine.has("events")
    assert spark_engine.has("workflows")
    assert not spark_engine.has("feedback")
    assert not spark_engine.has("no_such_table")


def test_materialize_caches_and_may_read_what_it_replaces(spark_engine: Any) -> None:
    ev = spark_engine.table("events")
    per = spark_engine.materialize("per_person", ev.group_by("person_key").aggregate(n=_.count()))
    assert spark_engine.has("per_person")
    weights = ibis.memtable({"person_key": ["k000", "k001"], "w": [2, 3]})
    again = spark_engine.materialize(
        "per_person", per.join(weights, "person_key").mutate(n=_.n * _.w).drop("w")
    )
    frame = spark_engine.execute(again).sort_values("person_key")
    firsts = spark_engine.execute(
        ev.filter(ev.person_key.isin(["k000", "k001"]))
        .group_by("person_key")
        .aggregate(n=_.count())
    ).sort_values("person_key")
    assert frame["person_key"].tolist() == ["k000", "k001"]
    assert frame["n"].tolist() == [firsts["n"].iloc[0] * 2, firsts["n"].iloc[1] * 3]
    empty = spark_engine.materialize("none", ev.filter(ev.ts > END.replace(year=2030)))
    assert not spark_engine.has("none")
    assert spark_engine.execute(empty.count()).iloc[0, 0] == 0


def test_materialized_rows_are_read_back_not_recomputed(spark_engine: Any) -> None:
    ev = spark_engine.table("events")
    spark_engine.materialize(
        "daily", ev.group_by("person_key", day=ev.ts.date()).aggregate(n=_.count())
    )
    daily = spark_engine.table("daily")
    spark_engine.materialize("weekly", daily.group_by("person_key").aggregate(n=_.n.sum()))
    # Replacing "daily" must not invalidate "weekly", which was computed from it.
    spark_engine.materialize("daily", daily.filter(daily.n > 1))
    for name in ("daily", "weekly"):
        plan = spark_engine.session.table(name)._jdf.queryExecution().executedPlan().toString()
        assert "parquet" not in plan.lower(), plan
    weekly = spark_engine.execute(spark_engine.table("weekly"))
    assert weekly["n"].sum() == 3000


def test_engines_in_one_process_keep_their_own_tables(
    spark_root: Any,
    spark_engine: Any,
    tmp_path: Path,
    make_small_warehouse: Callable[..., duckdb.DuckDBPyConnection],
) -> None:
    from uptake.warehouse.spark import SparkEngine

    con = make_small_warehouse(seed=3)
    con.execute("DELETE FROM events WHERE ts >= TIMESTAMP '2026-01-19'")
    fewer = export_lake(con, tmp_path / "lake")["events"]
    other = SparkEngine(tmp_path / "lake", session=spark_root)
    try:
        assert other.execute(other.table("events").count()).iloc[0, 0] == fewer
        assert spark_engine.execute(spark_engine.table("events").count()).iloc[0, 0] == 3000
    finally:
        other.close()


def test_ratios_with_zero_denominators_are_null_on_both(
    small_con: duckdb.DuckDBPyConnection, spark_engine: Any
) -> None:
    def ratio(e: Engine) -> ibis.Table:
        t = e.table("tasks")
        per = t.group_by("workflow").aggregate(n=_.count(), zero=(_.minutes < 0).sum())
        return per.mutate(r=per.n / per.zero.nullif(0))

    want = DuckDBEngine(small_con).execute(ratio(DuckDBEngine(small_con)))
    got = spark_engine.execute(ratio(spark_engine))
    assert want["r"].isna().all()
    assert diff_frames(want, got) == []


def test_the_jvm_speaks_to_its_log_not_the_terminal(tmp_path: Path) -> None:
    """A Spark session started in a fresh process prints nothing: the JVM's start-up notices and
    warnings (eight lines before every `--engine spark` report) go to its log, and a local
    session listens on loopback only."""
    import os
    import subprocess
    import sys

    script = (
        "from uptake.config import EngineSettings\n"
        "from uptake.warehouse import spark\n"
        "s = spark.spark_session(EngineSettings(spark_master='local[1]'))\n"
        "assert s.sql('SELECT 1 AS x').collect()[0].x == 1\n"
        "print(s.sparkContext.getConf().get('spark.driver.host'))\n"
        "print(spark.JVM_LOG)\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # a log of this test's own
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    host, log = done.stdout.split()
    assert host == "127.0.0.1" and Path(log).parent.parent == tmp_path
    said = Path(log).read_text()
    assert "log4j" in said and "WARN" in said  # what the terminal had shown
