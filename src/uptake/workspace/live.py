"""The Workspace's live path: friction flags kept current batch by batch, and reading them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from uptake.workspace.access import INDIVIDUAL, WRITE, Actor, require
from uptake.workspace.reads import IndividualReads

if TYPE_CHECKING:
    from uptake.signals.live import LiveUpdate

# Said when the live path is switched off, instead of an empty (flattering) list.
LIVE_OFF = "[signals] live = true (the live path is switched off)"


class Live(IndividualReads):
    """`update_live` after each batch; `live_flags` for coaches (their teams) and admins."""

    if TYPE_CHECKING:

        def _writable(self, action: str) -> None: ...

    def update_live(self, *, full: bool = False, actor: Actor | None = None) -> LiveUpdate:
        """Bring the live friction flags up to date with what was ingested (facts current).

        Args:
            full: look at the whole recent window again, whatever changed.
            actor: who writes (default: the local admin; admin or ingest).

        Returns:
            What the update did (`mode` `none` when the live path is off).
        """
        from uptake.signals.live import LiveUpdate, update

        require(actor or Actor.local(), WRITE)
        self._writable("update the live flags")
        if not self.settings.signals.live:
            return LiveUpdate("none", reason="the live path is switched off")
        return update(self.engine(), self.settings, full=full, voice_cache=self._voice_cache())

    def live_flags(self, *, actor: Actor | None = None) -> dict[str, Any]:
        """The friction flags of the recent window as the live path holds them (audited).

        A coach sees the people of its teams, an admin everyone; keys stay pseudonymous.

        Args:
            actor: who reads (a coach for each team of its scope, or an admin).

        Returns:
            {status (`available`, or `not_available` with `needs`), as_of, updated_at,
            recent_days, window_from, batch (the last batch looked at), behind (batches
            ingested since, not yet looked at), signals (each rule's availability), teams,
            flags: [{person, team, signal, since, evidence, raised_at, arrived_at,
            seconds_to_flag}], counts {flags, people, by_signal}}.
        """
        from uptake.signals.live import flags, read_state

        who = actor or Actor.local()
        teams = self._scope_teams(who)
        # Asked team by team; naming no team means everyone's rows, which only admins get.
        scope: list[str | None] = [*teams] or [None]
        for team in scope:
            require(who, INDIVIDUAL, team=team)
        s = self.settings.signals
        head: dict[str, Any] = {"recent_days": s.recent_days, "teams": teams}
        if not s.live:
            return {**head, "status": "not_available", "needs": [LIVE_OFF], "flags": []}
        state = read_state(self.con)
        if not state.get("as_of"):
            needs = ["an ingested batch with activity (`uptake ingest`) or `uptake refresh`"]
            return {**head, "status": "not_available", "needs": needs, "flags": []}
        members = self.con.execute(
            "SELECT person_key, team FROM dim_person WHERE team IN (SELECT unnest(?::VARCHAR[]))",
            [teams],
        ).df()
        team_of = dict(zip(members["person_key"], members["team"], strict=True))
        found = flags(self.con, list(team_of) if who.role != "admin" else None)
        as_of = date.fromisoformat(state["as_of"])
        self._audited("live friction flags", as_of, found[["person_key"]].drop_duplicates(), who)
        version = self.data_version()
        top = version if version is not None else -1
        batch = int(state.get("last_batch", "-1"))
        rows = [_row({str(k): v for k, v in r.items()}, team_of) for r in found.to_dict("records")]
        by_signal: dict[str, int] = {}
        for r in rows:
            by_signal[r["signal"]] = by_signal.get(r["signal"], 0) + 1
        return {
            **head,
            "status": "available",
            "as_of": as_of.isoformat(),
            "window_from": (as_of - pd.Timedelta(days=s.recent_days - 1)).isoformat(),
            "updated_at": state.get("updated_at"),
            "batch": batch,
            "behind": self._batches_after(batch) if top > batch else 0,
            "signals": json.loads(state.get("status") or "{}"),
            "flags": rows,
            "counts": {
                "flags": len(rows),
                "people": len({r["person"] for r in rows}),
                "by_signal": by_signal,
            },
            "now": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        }

    def _batches_after(self, batch: int) -> int:
        row = self.con.execute(
            "SELECT count(*) FROM ingest_log WHERE batch_id > ?", [batch]
        ).fetchone()
        return int(row[0]) if row else 0


def _row(r: dict[str, Any], team_of: dict[str, str]) -> dict[str, Any]:
    raised = pd.Timestamp(r["raised_at"])
    arrived = None if pd.isna(r["arrived_at"]) else pd.Timestamp(r["arrived_at"])
    return {
        "person": str(r["person_key"]),
        "team": team_of.get(str(r["person_key"])),
        "signal": str(r["signal"]),
        "since": r["since"].isoformat(),
        "evidence": r["evidence"],
        "raised_at": raised.isoformat(sep=" ", timespec="seconds"),
        "arrived_at": None if arrived is None else arrived.isoformat(sep=" ", timespec="seconds"),
        # From the batch's arrival to the flag: what the live path adds to the data's own lag.
        "seconds_to_flag": None
        if arrived is None
        else round(max((raised - arrived).total_seconds(), 0.0), 1),
    }
