"""What the coach knows about everyone, built once per data version and read per request.

Building reads the signals (flags, ladder levels, typology, champions), the roster (role,
team, location → time zone), where each friction flag happened (the surfaces and workflows
of the person's events in the week up to the flag) and peers' aggregates. A request then only
looks a person up, so a card is decided in well under a millisecond of Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from uptake.coach.caps import Prefs
from uptake.coach.log import Logged
from uptake.coach.rules import Peers, Person
from uptake.config.coach import CoachSettings

# Days before a flag whose events say where the struggle happened.
PLACE_DAYS = 7


@dataclass
class CoachState:
    """Everyone's coaching inputs at one as-of date.

    Attributes:
        as_of: the signals' date.
        people: person key → what the rules know.
        zones: person key → IANA time zone.
        peers: peers' aggregates (k-anonymous).
        notes: what was not available (e.g. "peers: not available: needs tasks").
        arms: person key → arm (`treatment` or `holdout`).
        prefs: person key → their choices (absent: none made).
        recent: person key → their interventions of the last `RECENT_DAYS`, newest first.
        aliases: normalised identifier → person key (to answer `?person=`).

    The last four are kept current by the workspace as it writes (it is the only writer),
    so a request reads no table.
    """

    as_of: date
    people: dict[str, Person] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)
    peers: Peers = field(default_factory=Peers)
    notes: list[str] = field(default_factory=list)
    arms: dict[str, str] = field(default_factory=dict)
    prefs: dict[str, Prefs] = field(default_factory=dict)
    recent: dict[str, list[Logged]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)


# Interventions kept in memory per person: enough for the 7-day cap and card expiry.
RECENT_DAYS = 95


def load_books(con: duckdb.DuckDBPyConnection, state: CoachState, since: Any) -> None:
    """Read arms, choices, recent interventions and identifiers into the state.

    Args:
        con: connection to the workspace database.
        state: the state to fill.
        since: earliest intervention time kept (naive UTC).
    """
    state.arms = {str(k): str(a) for k, a in con.execute(
        "SELECT person_key, arm FROM coach_arms").fetchall()}  # fmt: skip
    state.prefs = {str(k): Prefs(o, u) for k, o, u in con.execute(
        "SELECT person_key, opted_out_at, snoozed_until FROM coach_prefs").fetchall()}  # fmt: skip
    rows = con.execute(
        "SELECT person_key, intervention_id, ts, kind, ref, arm, status FROM interventions "
        "WHERE ts >= ? ORDER BY ts DESC, intervention_id",
        [since],
    ).fetchall()
    state.recent = {}
    for key, *rest in rows:
        state.recent.setdefault(str(key), []).append(Logged(*rest))
    state.aliases = {str(a): str(k) for a, k in con.execute(
        "SELECT alias, person_key FROM identities").fetchall()}  # fmt: skip


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _level(text: Any) -> int | None:
    if isinstance(text, str) and text.startswith("L") and text[1:].isdigit():
        return int(text[1:])
    return None


def flag_places(
    con: duckdb.DuckDBPyConnection, flags: pd.DataFrame
) -> dict[tuple[str, str, str], set[tuple[str | None, str | None]]]:
    """Where each flag happened: the surfaces and workflows of the week of events before it.

    Args:
        con: connection to the workspace database.
        flags: person_key, signal, since (date).

    Returns:
        (person_key, signal, since ISO) → {(surface, workflow)}; a flag without such events
        is absent (it applies anywhere).
    """
    if flags.empty:
        return {}
    frame = flags.assign(lo=pd.to_datetime(flags["since"]) - pd.Timedelta(days=PLACE_DAYS))
    frame["hi"] = pd.to_datetime(flags["since"]) + pd.Timedelta(days=1)
    con.register("_coach_flags", frame)
    try:
        got = con.execute(
            """
            SELECT DISTINCT f.person_key, f.signal, CAST(f.since AS VARCHAR) AS since,
                   e.surface, e.workflow
            FROM _coach_flags f JOIN events e
              ON e.person_key = f.person_key AND e.ts >= f.lo AND e.ts < f.hi
            WHERE e.surface IS NOT NULL OR e.workflow IS NOT NULL
            """
        ).fetchall()
    finally:
        con.unregister("_coach_flags")
    out: dict[tuple[str, str, str], set[tuple[str | None, str | None]]] = {}
    for person, signal, since, surface, workflow in got:
        out.setdefault((str(person), str(signal), str(since)[:10]), set()).add((surface, workflow))
    return out


def build_state(
    con: duckdb.DuckDBPyConnection,
    signals: dict[str, Any],
    roster: pd.DataFrame,
    peer_rows: list[dict[str, Any]] | None,
    settings: CoachSettings,
) -> CoachState:
    """Everyone's coaching inputs.

    Args:
        con: connection to the workspace database (events, for where flags happened).
        signals: the signals document (`SignalsReport.to_dict()`).
        roster: person_key, role, team, location (dim_person).
        peer_rows: peers' use cases, one dict per (role, workflow): role, workflow, people,
            completion, minutes_saved — ranked best first within a role; None when not
            available.
        settings: the coach settings.

    Returns:
        The state.
    """
    from uptake.signals.friction import SIGNALS as FRICTION

    as_of = date.fromisoformat(signals["as_of"])
    state = CoachState(as_of=as_of)
    champions = {str(k) for k in (signals.get("champions") or {}).get("champions") or []}
    plain = roster.astype(object).where(roster.notna(), None)
    info: dict[str, dict[str, Any]] = {
        str(r["person_key"]): {str(k): v for k, v in r.items()} for r in plain.to_dict("records")
    }
    flags = [
        {"person_key": p["person"], "signal": f["signal"], "since": f["since"]}
        for p in signals.get("people") or []
        for f in p.get("flags") or []
        if f["signal"] in FRICTION or f["signal"] == "abandonment_risk"
    ]
    recent = as_of - timedelta(days=35)
    flags = [f for f in flags if date.fromisoformat(f["since"]) >= recent]
    places = flag_places(con, pd.DataFrame(flags, columns=["person_key", "signal", "since"]))
    # Levels from vendor activity alone say how regularly someone uses AI, not on what work.
    basis = str(((signals.get("status") or {}).get("ladder") or {}).get("basis") or "")
    proxy = basis.startswith("proxy")
    for p in signals.get("people") or []:
        key = str(p["person"])
        row = info.get(key)
        own = []
        for f in p.get("flags") or []:
            if f["signal"] not in FRICTION and f["signal"] != "abandonment_risk":
                continue
            since = date.fromisoformat(f["since"])
            if since < recent:
                continue
            own.append({
                "signal": f["signal"], "since": since, "evidence": f.get("evidence") or {},
                "places": places.get((key, f["signal"], f["since"]), set()),
            })  # fmt: skip
        state.people[key] = Person(
            key=key,
            role=_text((row or {}).get("role")),
            team=_text((row or {}).get("team")),
            level=_level(p.get("ladder")),
            level_proxy=proxy,
            flags=own,
            typology=p.get("typology"),
            champion=key in champions,
        )
    for key, row in info.items():
        state.zones[key] = settings.zone_of(_text(row.get("location")))
        if key not in state.people:
            state.people[key] = Person(key=key, role=_text(row.get("role")),
                                       team=_text(row.get("team")))  # fmt: skip
    for key in champions:
        c = info.get(key) or {}
        if _text(c.get("role")):
            state.peers.champion_roles.add(str(c["role"]))
        if _text(c.get("team")):
            state.peers.champion_teams.add(str(c["team"]))
    if peer_rows is None:
        state.notes.append("peers: not available: needs tasks (workflow runs)")
    for r in peer_rows or []:
        role, wf = str(r["role"]), str(r["workflow"])
        state.peers.ranking.setdefault(role, []).append(wf)
        state.peers.stats[(role, wf)] = {
            "people": int(r["people"]),
            "completion": float(r["completion"]),
            "minutes_saved": None if r.get("minutes_saved") is None else float(r["minutes_saved"]),
        }
    return state
