"""The interventions log and the people's choices, as the coach writes and reads them.

Cards the coach delivers land in the canonical `interventions` table next to interventions
imported from other tools (training sessions, champion sessions). They carry batch id 0 —
written by the coach, not by an ingest batch — so delivering a card does not look like new
data to everything that recomputes when a batch arrives. A status only moves forward:
delivered → opened → acted or dismissed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from uptake.coach.caps import Prefs

COACH_BATCH = 0
STATUSES = ("delivered", "opened", "dismissed", "acted")
_RANK = {None: -1, "delivered": 0, "opened": 1, "dismissed": 2, "acted": 2}
_RANK_SQL = (
    "(CASE status WHEN 'delivered' THEN 0 WHEN 'opened' THEN 1 WHEN 'dismissed' THEN 2 "
    "WHEN 'acted' THEN 2 ELSE -1 END)"
)
# Executes one write statement: `uptake.warehouse.journal.Journal.write`, or a test's stand-in.
Write = Callable[[str, Sequence[Any]], None]


@dataclass(frozen=True)
class Logged:
    """One intervention row of a person."""

    intervention_id: str
    ts: datetime
    kind: str
    ref: str | None
    arm: str | None
    status: str | None


def history(con: duckdb.DuckDBPyConnection, person_key: str, since: datetime) -> list[Logged]:
    """A person's interventions from `since` on, newest first.

    Args:
        con: connection to the workspace database.
        person_key: the person.
        since: earliest time (naive UTC).

    Returns:
        The rows.
    """
    rows = con.execute(
        "SELECT intervention_id, ts, kind, ref, arm, status FROM interventions "
        "WHERE person_key = ? AND ts >= ? ORDER BY ts DESC, intervention_id",
        [person_key, since],
    ).fetchall()
    return [Logged(*r) for r in rows]


def record(
    write: Write,
    person_key: str,
    kind: str,
    ref: str,
    arm: str,
    now: datetime,
) -> str:
    """Log a card: delivered (treatment) or would-have-been (holdout, no status).

    Args:
        write: executes a write (`uptake.warehouse.journal.Journal.write`).
        person_key: the person.
        kind: the card kind.
        ref: what it was about (`cards.ref_of`).
        arm: `treatment` or `holdout`.
        now: delivery time (naive UTC).

    Returns:
        The new intervention id.
    """
    digest = hashlib.sha256(f"{person_key}|{now.isoformat()}|{kind}|{ref}".encode()).hexdigest()
    iid = f"coach_{digest[:20]}"
    status = "delivered" if arm == "treatment" else None
    write(
        "INSERT INTO interventions (intervention_id, ts, person_key, kind, ref, arm, status, "
        "batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [iid, now, person_key, kind, ref, arm, status, COACH_BATCH],
    )
    return iid


def owner(con: duckdb.DuckDBPyConnection, intervention_id: str) -> tuple[str, str | None] | None:
    """The person key a card was shown to and its status, or None when there is no such card."""
    row = con.execute(
        "SELECT person_key, status FROM interventions WHERE intervention_id = ?",
        [intervention_id],
    ).fetchone()
    return None if row is None else (str(row[0]), row[1])


def advance(write: Write, intervention_id: str, current: str | None, status: str) -> str | None:
    """Move a card's status forward (never back: an acted card is not reopened).

    Args:
        write: executes a write (`uptake.warehouse.journal.Journal.write`).
        intervention_id: the card.
        current: its status as last known.
        status: the new status (one of `STATUSES`).

    Returns:
        The status the card has now.
    """
    if _RANK[status] <= _RANK.get(current, -1):
        return current
    # The warehouse checks the order too: a write queued behind another one for the same
    # card cannot move it back either.
    write(
        f"UPDATE interventions SET status = ? WHERE intervention_id = ? AND {_RANK_SQL} < ?",
        [status, intervention_id, _RANK[status]],
    )
    return status


def prefs(con: duckdb.DuckDBPyConnection, person_key: str) -> Prefs:
    """A person's opt-out and snooze (none made: both None)."""
    row = con.execute(
        "SELECT opted_out_at, snoozed_until FROM coach_prefs WHERE person_key = ?", [person_key]
    ).fetchone()
    return Prefs() if row is None else Prefs(row[0], row[1])


def set_prefs(
    write: Write,
    person_key: str,
    now: datetime,
    old: Prefs,
    *,
    opt_out: bool | None = None,
    snooze_days: int | None = None,
) -> Prefs:
    """Record a person's choice: opt out or back in, snooze for some days (0: unsnooze).

    Args:
        write: executes a write (`uptake.warehouse.journal.Journal.write`).
        person_key: the person.
        now: when (naive UTC).
        old: the person's choices until now.
        opt_out: True to opt out, False to opt back in, None to leave as is.
        snooze_days: days to snooze from now (0 ends a snooze), None to leave as is.

    Returns:
        The person's choices now.
    """
    out_at = old.opted_out_at
    if opt_out is not None:
        out_at = (out_at or now) if opt_out else None
    until = old.snoozed_until
    if snooze_days is not None:
        until = now + timedelta(days=snooze_days) if snooze_days > 0 else None
    write(
        "INSERT INTO coach_prefs VALUES (?, ?, ?, ?) ON CONFLICT (person_key) DO UPDATE SET "
        "opted_out_at = excluded.opted_out_at, snoozed_until = excluded.snoozed_until, "
        "updated_at = excluded.updated_at",
        [person_key, out_at, until, now],
    )
    return Prefs(out_at, until)


def opted_out(con: duckdb.DuckDBPyConnection) -> int:
    """How many people have opted out (the count is shown; who is not)."""
    row = con.execute("SELECT count(*) FROM coach_prefs WHERE opted_out_at IS NOT NULL").fetchone()
    return int(row[0]) if row else 0
