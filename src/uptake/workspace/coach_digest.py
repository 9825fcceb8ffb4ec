"""Workspace methods of the manager digest: a team's week and its one action."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from uptake.workspace.access import ADMINISTER, Actor, require

if TYPE_CHECKING:
    import duckdb

    from uptake.config import Settings
    from uptake.warehouse.engine import DuckDBEngine

# Friction raised this many days before the as-of date counts as this week's.
RECENT_DAYS = 14


class CoachDigest:
    """Mixin of Workspace: the weekly manager digest (team aggregates at or above k)."""

    settings: Settings

    if TYPE_CHECKING:
        # Provided by other parts of Workspace: a stub at run time would shadow the real
        # method for the classes after this one.
        @property
        def con(self) -> duckdb.DuckDBPyConnection:
            raise NotImplementedError

        def engine(self) -> DuckDBEngine:
            raise NotImplementedError

        def team_metrics(
            self, team: str, as_of: date | None = None, *, actor: Actor | None = None
        ) -> dict[str, Any]:
            raise NotImplementedError

        def _signals_doc(self, as_of: date | None) -> dict[str, Any]:
            raise NotImplementedError

        def _peer_usecases(self, role: str | None, as_of: date | None) -> dict[str, Any]:
            raise NotImplementedError

        def metrics(self, as_of: date | None = None, by: str | None = None) -> Any:
            raise NotImplementedError

        def _check_team_k(self, members: Any, who: Actor) -> None:
            raise NotImplementedError

    def coach_digest(
        self, team: str, as_of: date | None = None, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """One team's weekly digest: aggregates at or above k and the one suggested action.

        Args:
            team: the team (as on the roster).
            as_of: evaluation date (default: the one as-of rule).
            actor: who reads (a manager: their own team, when it and the team without them
                reach k; an analyst or admin: any team).

        Returns:
            {team, as_of, week, k, numbers, friction, action, notes, html}.
        """
        # The team's own aggregates, with its permission and k checks.
        doc = self.team_metrics(team, as_of, actor=actor)
        # The rule every team's digests follow (`coach_digests` skips such a team), for one
        # team too: a team under k had been written a digest of hidden numbers.
        self._check_team_k(self._team_members(team), Actor.local())
        return self._digest(team, doc, self._signals_doc(as_of), as_of)

    def _team_members(self, team: str | None = None) -> Any:
        """The roster's people with their team and manager (one team's, or everyone's)."""
        sql = (
            "SELECT d.person_key, d.team, p.manager FROM dim_person d LEFT JOIN ("
            "  SELECT person_key, arg_max(manager_key, batch_id) AS manager FROM people"
            "  GROUP BY person_key) p USING (person_key) WHERE d.team IS NOT NULL"
        )
        if team is None:
            return self.con.execute(sql).df()
        return self.con.execute(sql + " AND d.team = ?", [team]).df()

    def coach_digests(
        self, as_of: date | None = None, *, actor: Actor | None = None
    ) -> list[dict[str, Any]]:
        """Every team's digest, for the host to send to each manager (admins).

        A team is skipped, with the reason, unless it and the team without its manager
        both reach k — the rule a manager's own view of their team follows.

        Args:
            as_of: evaluation date.
            actor: who generates them (an admin: they are every team's).

        Returns:
            One digest per team, or {team, skipped: why}.
        """
        from uptake.errors import PrivacyError
        from uptake.workspace.views import team_view

        require(actor or Actor.local(), ADMINISTER)
        if not self.engine().has("dim_person"):
            return []  # nothing ingested yet: no teams to write to
        metrics = self.metrics(as_of=as_of, by="team").to_dict()
        signals = self._signals_doc(as_of)
        members = self._team_members()
        out = []
        for team, rows in members.groupby("team", sort=True):
            try:
                self._check_team_k(rows, Actor.local())
            except PrivacyError as exc:
                out.append({"team": str(team), "skipped": str(exc)})
                continue
            doc = team_view(metrics, str(team))
            out.append(self._digest(str(team), doc, signals, as_of))
        return out

    def _digest(
        self, team: str, doc: dict[str, Any], signals: dict[str, Any], as_of: date | None
    ) -> dict[str, Any]:
        """A team's digest from its metric rows and the signals (both computed already)."""
        from uptake.coach.digest import build_digest, render_html, shared_friction

        k = int(doc["min_group_size"])
        members = self.con.execute(
            "SELECT person_key, role FROM dim_person WHERE team = ?", [team]
        ).fetchall()
        keys = {str(m[0]) for m in members}
        since = date.fromisoformat(signals["as_of"]) - timedelta(days=RECENT_DAYS)
        flags = [
            (p["person"], f["signal"])
            for p in signals["people"]
            if p["person"] in keys
            for f in p["flags"]
            if date.fromisoformat(f["since"]) >= since
        ]
        friction = shared_friction(flags, k, len(keys))
        roles = [str(m[1]) for m in members if m[1] is not None]
        main = max(sorted(set(roles)), key=roles.count) if roles else None
        peer = self._best_peer(main, as_of)
        champions = sorted((signals.get("champions") or {}).get("champions") or [])
        champion_roles = {
            str(r[0])
            for r in self.con.execute(
                "SELECT DISTINCT role FROM dim_person WHERE person_key IN "
                "(SELECT unnest(?::VARCHAR[])) AND role IS NOT NULL",
                [champions],
            ).fetchall()
        }
        out = build_digest(doc, friction, peer, bool(champion_roles & set(roles)))
        out["html"] = render_html(out)
        return out

    def _best_peer(self, role: str | None, as_of: date | None) -> dict[str, Any] | None:
        """The workflow that works best for peers in a role (k-anonymous), or None."""
        if role is None:
            return None
        # Every role at once: one computation serves every team's digest.
        doc = self._peer_usecases(None, as_of)
        if doc.get("status") != "ok":
            return None
        for r in doc.get("roles") or []:
            flows = sorted(r.get("workflows") or [], key=lambda w: w["rank"])
            if str(r["role"]).casefold() == role.casefold() and flows:
                return {"role": r["role"], **flows[0]}
        return None
