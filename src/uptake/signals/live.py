"""The live path: the recent window's friction flags kept current as batches arrive.

After the metric facts are refreshed, `update` looks at the batches that arrived since its
last run and re-detects only the days they can change: every friction rule is causal (a
day's state reads data up to that day) and reports an episode once, on its first day, so
the flags whose episode starts before the earliest touched day cannot change. The table
`friction_flags` then holds exactly what a batch detection over the recent window reports
(`detect(ctx, since=as_of - recent_days + 1)`), which a test proves after every update.

One rule reads past its flag's day: `no_meaningful_use_14d` counts a tool's seats only once
the tool shows a meaningful event anywhere, and its evidence names the person's first event
so far. It is cheap (one query over the people falling due), so every update re-detects it
over the whole window; the other rules from the earliest touched day.

What makes the whole window be looked at again: the first run, changed thresholds or
window, the as-of day moving back, and batches whose change is not bounded in time
(roster, licences, workflow catalogue, re-keyed identities). Batches of tables no rule
reads (survey answers, proxy logs …) change nothing. Distress language reads feedback alone:
an update whose batches hold no feedback, and whose days bring none in, leaves its flags as
they are instead of classifying the same texts again.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from uptake.config import Settings
from uptake.metrics.context import MetricContext
from uptake.metrics.facts import DAY_SOURCES, storing
from uptake.metrics.runner import default_as_of
from uptake.signals.friction import detect, load_distress
from uptake.signals.friction.rules import SIGNALS, FrictionReport
from uptake.warehouse.database import transaction
from uptake.warehouse.engine import DuckDBEngine

FLAGS = "friction_flags"
STATE = "friction_state"
# Tables no friction rule reads, directly or through the facts.
UNREAD = ("responses", "interventions", "ai_web_visits", "help_edges", "outcomes")
COLUMNS = ("person_key", "signal", "since", "evidence", "raised_at", "batch_id")
# Rules whose flags can change with data after their day: re-detected over the whole window.
WINDOW_RULES = ("no_meaningful_use_14d",)
# Rules that read one table only (not through the facts): left as they are by an update
# whose batches hold none of that table's rows and whose days bring none of them in.
OWN_TABLE_RULES = {"distress_language": ("feedback", "ts")}


@dataclass
class LiveUpdate:
    """What one update did.

    Attributes:
        mode: `window` (the whole recent window looked at), `days` (from `since` on) or
            `none` (nothing new).
        as_of: the day the flags are current to (None: no activity yet).
        since: the first day re-detected (None when nothing was).
        raised: flags new to the table.
        cleared: flags gone from it (aged out of the window, or data changed).
        batch: the last batch the flags include.
        seconds: how long the update took.
        reason: why the whole window was looked at, in words.
        kept: rules left as they were (nothing they read changed).
    """

    mode: str
    as_of: date | None = None
    since: date | None = None
    raised: int = 0
    cleared: int = 0
    batch: int = -1
    seconds: float = 0.0
    reason: str = ""
    status: dict[str, Any] = field(default_factory=dict)
    kept: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "mode": self.mode,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "since": self.since.isoformat() if self.since else None,
            "raised": self.raised,
            "cleared": self.cleared,
            "batch": self.batch,
            "seconds": round(self.seconds, 3),
            "reason": self.reason,
            "kept": list(self.kept),
        }


def fingerprint(settings: Settings) -> str:
    """What the flags depend on besides the data: thresholds, window, weeks and k."""
    parts = {
        "friction": settings.signals.friction.model_dump(mode="json"),
        "recent_days": settings.signals.recent_days,
        "week_start": settings.metrics.week_start,
        "k": settings.privacy.min_group_size,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def read_state(con: Any) -> dict[str, str]:
    """The last update's bookkeeping (empty before the first)."""
    rows = con.execute(f"SELECT key, value FROM {STATE}").fetchall()
    return {str(k): str(v) for k, v in rows}


def update(
    engine: DuckDBEngine,
    settings: Settings,
    *,
    full: bool = False,
    now: datetime | None = None,
    voice_cache: Path | None = None,
) -> LiveUpdate:
    """Bring `friction_flags` up to date with the batches ingested since the last update.

    The caller has refreshed the metric facts; the update runs in one transaction.

    Args:
        engine: the workspace's DuckDB engine (writable).
        settings: the workspace's settings (`[signals]` thresholds and window).
        full: look at the whole recent window regardless of what changed.
        now: when the flags are raised (tests freeze it; default now, UTC).
        voice_cache: folder of the voice scores kept between processes (None: none kept).

    Returns:
        What the update did.
    """
    t0 = time.perf_counter()
    con = engine.con
    state = read_state(con)
    got = con.execute("SELECT max(batch_id) FROM ingest_log").fetchone()
    top = int(got[0]) if got and got[0] is not None else -1
    last = int(state.get("last_batch", "-1"))
    as_of, _ = default_as_of(engine)
    horizon = as_of - timedelta(days=settings.signals.recent_days - 1)
    print_ = fingerprint(settings)
    batches = con.execute(
        "SELECT batch_id, table_name, min_ts, rekeyed, accepted FROM ingest_log WHERE batch_id > ?",
        [last],
    ).df()
    batches = storing(batches[~batches["table_name"].isin(UNREAD)])
    distress = load_distress(voice_cache)
    if voice_cache is not None and distress is not None:
        _score_feedback(con, batches, distress)
    previous = date.fromisoformat(state["as_of"]) if state.get("as_of") else None
    reason = _whole_window(full, state, print_, previous, as_of, batches)
    if reason:
        since: date | None = horizon
    else:
        since = _first_touched(batches, previous, horizon, as_of)
    if since is None:
        _write_state(con, state, as_of, top, print_, None)
        return LiveUpdate("none", as_of, batch=top, seconds=time.perf_counter() - t0)
    ctx = MetricContext(
        engine, as_of, settings.metrics, settings.privacy.min_group_size, costs=settings.costs
    )
    rules = settings.signals.friction
    kept: tuple[str, ...] = ()
    if since == horizon:
        found = detect(ctx, rules, since=since, distress_fn=distress)
        whole = FrictionReport()
    else:
        old_status = json.loads(state.get("status", "{}"))
        kept = _unchanged(con, batches, old_status, previous, as_of)
        days = tuple(s for s in SIGNALS if s not in WINDOW_RULES and s not in kept)
        found = detect(ctx, rules, since=since, signals=days, distress_fn=distress)
        whole = detect(ctx, rules, since=horizon, signals=WINDOW_RULES, distress_fn=distress)
        # Their status is the last update's (what they read did not change).
        found.status.update({s: old_status[s] for s in kept})
    every = found.flags + whole.flags
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    fresh = pd.DataFrame(
        {
            "person_key": pd.Series([f.person_key for f in every], dtype=object),
            "signal": pd.Series([f.signal for f in every], dtype=object),
            "since": pd.Series([f.since for f in every], dtype=object),
            "evidence": pd.Series(
                [json.dumps(f.evidence, sort_keys=True, default=str) for f in every], dtype=object
            ),
        }
    )
    status = {s: _plain(st) for s, st in {**found.status, **whole.status}.items()}
    # Flags found when the path first looks at a workspace's history were not raised by a
    # batch that just arrived: they name none, so no one reads their age as a latency.
    by = None if reason == "first update" else top
    with transaction(con):
        raised, cleared = _swap(con, fresh, since, horizon, stamp, by, kept)
        _write_state(con, state, as_of, top, print_, status)
    mode = "window" if reason else "days"
    return LiveUpdate(
        mode, as_of, since, raised, cleared, top, time.perf_counter() - t0, reason, status, kept
    )


def _score_feedback(con: Any, batches: pd.DataFrame, distress: Any) -> None:
    """Score the new feedback batches' texts once, as they arrive, into the voice scores kept.

    Every later read (the typology's year of feedback, distress in the window, another
    process) then finds them, instead of scoring the same texts on each read.
    """
    ids = [int(b) for b in batches.loc[batches["table_name"] == "feedback", "batch_id"]]
    if not ids:
        return
    got = con.execute(
        "SELECT text FROM feedback WHERE batch_id IN (SELECT unnest(?::BIGINT[])) "
        "AND text IS NOT NULL",
        [ids],
    ).fetchall()
    texts = [str(t) for (t,) in got if str(t).strip()]
    if texts:
        distress(texts)


def _unchanged(
    con: Any,
    batches: pd.DataFrame,
    status: dict[str, Any],
    previous: date | None,
    as_of: date,
) -> tuple[str, ...]:
    """The rules of `OWN_TABLE_RULES` whose flags from any day on cannot have changed.

    Such a rule's flags change only with its table's rows in the span: none arrived (no new
    batch of the table) and none entered it (no row dated after the last update's as-of day
    and up to this one: rows sent ahead of the activity that moves the as-of day). Distress
    language is the one today; skipping it spares classifying the feedback again (and loading
    the classifier: over a second in a new process) after a batch of events.
    """
    if previous is None:
        return ()
    kept = []
    for rule, (table, ts) in OWN_TABLE_RULES.items():
        if rule not in status or (batches["table_name"] == table).any():
            continue
        if previous < as_of:
            got = con.execute(
                f"SELECT count(*) FROM {table} WHERE {ts} >= ? AND {ts} < ?",
                [previous + timedelta(days=1), as_of + timedelta(days=1)],
            ).fetchone()
            if got is None or got[0]:
                continue
        kept.append(rule)
    return tuple(kept)


def _whole_window(
    full: bool,
    state: dict[str, str],
    print_: str,
    previous: date | None,
    as_of: date,
    batches: pd.DataFrame,
) -> str:
    """Why the whole recent window must be looked at again, or "" when days suffice."""
    if full:
        return "requested"
    if not state:
        return "first update"
    if state.get("fingerprint") != print_:
        return "the friction settings changed"
    if previous is not None and previous > as_of:
        return "the as-of day moved back"
    global_ = ~batches["table_name"].isin(DAY_SOURCES) | (batches["rekeyed"] > 0)
    if global_.any():
        return "roster, licences, workflow catalogue or identities changed"
    return ""


def _first_touched(
    batches: pd.DataFrame, previous: date | None, horizon: date, as_of: date
) -> date | None:
    """The first day whose episodes may have changed, or None when none can have."""
    days = [pd.Timestamp(v).date() for v in batches["min_ts"] if v is not None and not pd.isna(v)]
    if previous is not None and previous < as_of:
        # Days the as-of moved over can start episodes with no data of their own (a licence
        # held 14 days without meaningful use).
        days.append(previous + timedelta(days=1))
    if not days:
        return None
    first = max(min(days), horizon)
    return first if first <= as_of else None


def _swap(
    con: Any,
    fresh: pd.DataFrame,
    since: date,
    horizon: date,
    stamp: datetime,
    top: int | None,
    keep: tuple[str, ...] = (),
) -> tuple[int, int]:
    """Replace the flags from `since` on by `fresh`, dropping those older than the window.

    A flag found again (same person, rule and first day) keeps the time it was first raised
    and its batch, so the table says when each flag became visible; its evidence is the
    latest. The `keep` rules' flags stay as they are (but age out of the window).
    """
    # The rows re-detected: from `since` on (but the kept rules'), and every row of the
    # whole-window rules.
    redone = (
        "((since >= ? AND signal NOT IN (SELECT unnest(?::VARCHAR[]))) "
        "OR signal IN (SELECT unnest(?::VARCHAR[])))"
    )
    params = [since, list(keep), list(WINDOW_RULES)]
    old = con.execute(
        f"SELECT person_key, signal, since, evidence, raised_at, batch_id FROM {FLAGS} "
        f"WHERE {redone} AND since >= ?",
        [*params, horizon],
    ).df()
    aged = con.execute(f"SELECT count(*) FROM {FLAGS} WHERE since < ?", [horizon]).fetchone()
    if len(old):
        old["since"] = pd.to_datetime(old["since"]).dt.date
    # One person can have two episodes of a rule on one day (two rejection streaks): each is
    # matched to one stored flag, by its rank among them, so a redo never multiplies them.
    keys = ["person_key", "signal", "since", "_nth"]
    fresh = _ranked(fresh)
    merged = fresh.merge(
        _ranked(old)[[*keys, "raised_at", "batch_id"]] if len(old) else _no_old(),
        on=keys,
        how="left",
    ).drop(columns="_nth")
    new = merged["raised_at"].isna()
    merged.loc[new, "raised_at"] = stamp
    merged.loc[new, "batch_id"] = top
    merged["raised_at"] = pd.to_datetime(merged["raised_at"])
    merged["batch_id"] = merged["batch_id"].astype("Int64")
    con.execute(f"DELETE FROM {FLAGS} WHERE {redone} OR since < ?", [*params, horizon])
    if len(merged):
        con.register("_live_fresh", merged[list(COLUMNS)])
        try:
            con.execute(f"INSERT INTO {FLAGS} SELECT * FROM _live_fresh")
        finally:
            con.unregister("_live_fresh")
    kept = len(merged) - int(new.sum())
    return int(new.sum()), len(old) - kept + int(aged[0] if aged else 0)


def _ranked(flags: pd.DataFrame) -> pd.DataFrame:
    """Flags with `_nth`: their rank, by evidence, among flags of one person, rule and day."""
    key = ["person_key", "signal", "since"]
    order = flags.sort_values([*key, "evidence"], kind="stable")
    return flags.assign(_nth=order.groupby(key, sort=False).cumcount().reindex(flags.index))


def _no_old() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_key": pd.Series(dtype=object),
            "signal": pd.Series(dtype=object),
            "since": pd.Series(dtype=object),
            "_nth": pd.Series(dtype="int64"),
            "raised_at": pd.Series(dtype="datetime64[us]"),
            "batch_id": pd.Series(dtype="int64"),
        }
    )


def _plain(status: dict[str, Any]) -> dict[str, Any]:
    """A signal's status without the span's flag count (the table holds the count)."""
    return {k: v for k, v in status.items() if k != "flags"}


def _write_state(
    con: Any,
    state: dict[str, str],
    as_of: date,
    top: int,
    print_: str,
    status: dict[str, Any] | None,
) -> None:
    values = dict(state)
    values.update(
        as_of=as_of.isoformat(),
        last_batch=str(top),
        fingerprint=print_,
        updated_at=datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
    )
    if status is not None:
        values["status"] = json.dumps(status, sort_keys=True, default=str)
    con.execute(f"DELETE FROM {STATE}")
    con.executemany(f"INSERT INTO {STATE} VALUES (?, ?)", list(values.items()))


def flags(con: Any, people: list[str] | None = None) -> pd.DataFrame:
    """The live flags, newest episode first, optionally of some people only.

    Args:
        con: the workspace's DuckDB connection.
        people: person keys to keep (None: everyone).

    Returns:
        person_key, signal, since, evidence (dict), raised_at, batch_id, arrived_at (when
        the batch that raised the flag was ingested; both null for flags found when the
        path first looked at the window).
    """
    sql = (
        f"SELECT f.person_key, f.signal, f.since, f.evidence, f.raised_at, f.batch_id, "
        f"l.started_at AS arrived_at FROM {FLAGS} f LEFT JOIN ingest_log l USING (batch_id)"
    )
    params: list[Any] = []
    if people is not None:
        sql += " WHERE f.person_key IN (SELECT unnest(?::VARCHAR[]))"
        params.append(people)
    df = con.execute(sql + " ORDER BY f.since DESC, f.signal, f.person_key", params).df()
    df["evidence"] = [json.loads(e) for e in df["evidence"]]
    df["since"] = pd.to_datetime(df["since"]).dt.date
    return df
