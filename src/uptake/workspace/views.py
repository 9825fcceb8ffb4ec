"""Views scoped to one actor: a manager's own team, a person's own adoption."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from uptake.errors import InputError, NotFoundError, PrivacyError
from uptake.workspace.access import AGGREGATE, INDIVIDUAL, TEAM, TEAM_K_RULE, Actor, require
from uptake.workspace.reads import IndividualReads
from uptake.workspace.signals import MODEL_DIR

if TYPE_CHECKING:
    from uptake.metrics.result import MetricsReport

# The report's top-level fields a team view keeps (no organisation-wide value among them).
_HEADER = ("as_of", "as_of_rule", "window_days", "min_group_size", "currency", "privacy")
# Per metric, what describes it rather than measures the organisation.
_DESCRIBE = ("label", "unit", "definition", "basis", "window", "status", "needs", "note", "proxy",
             "not_available")  # fmt: skip


class Views(IndividualReads):
    path: Path

    """`team_metrics` (analysts, admins, the team's manager) and `my_adoption` (the person)."""

    if TYPE_CHECKING:
        # Provided by Workspace: a stub at run time would shadow the real method for
        # the classes after this one.
        def metrics(
            self,
            as_of: date | None = None,
            by: str | None = None,
            engine: str | None = None,
            *,
            actor: Actor | None = None,
        ) -> MetricsReport:
            raise NotImplementedError

        def _signals_doc(self, as_of: date | None) -> dict[str, Any]:
            raise NotImplementedError

    def team_metrics(
        self, team: str, as_of: date | None = None, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """One team's aggregates: each metric's value for that team, nothing organisation-wide.

        A manager sees their own team only, and only when the team and the team without
        them both reach the minimum group size (otherwise the two views together would
        single out the manager, or the team is too small to show at all).

        Args:
            team: the team (as on the roster).
            as_of: evaluation date (default: the one as-of rule).
            actor: who reads (default: the local admin).

        Returns:
            The metrics document's header and, per metric, its description and the team's
            row (`n` and values, or `suppressed`).
        """
        who = actor or Actor.local()
        decision = require(who, TEAM, team=team)
        if not self.engine().has("dim_person"):
            raise InputError(f"no team {team!r} on the roster")  # nothing ingested yet
        # dim_person names the manager's team; the roster's latest row has their key.
        members = self.con.execute(
            "SELECT d.person_key, p.manager FROM dim_person d LEFT JOIN ("
            "  SELECT person_key, arg_max(manager_key, batch_id) AS manager FROM people"
            "  GROUP BY person_key) p USING (person_key) WHERE d.team = ?",
            [team],
        ).df()
        if members.empty:
            raise InputError(f"no team {team!r} on the roster")
        if decision.condition == TEAM_K_RULE:
            self._check_team_k(members, who)
        doc = self.metrics(as_of=as_of, by="team").to_dict()
        return team_view(doc, team)

    def _check_team_k(self, members: pd.DataFrame, who: Actor) -> None:
        """Refuse a manager's team view unless the team with and without them reaches k."""
        k = self.settings.privacy.min_group_size
        manager = who.manager_key
        if manager is None and members["manager"].notna().any():
            # The team's manager: whom most of its members report to.
            manager = str(members["manager"].mode().iloc[0])
        n = len(members)
        without = int((members["person_key"] != manager).sum())
        if n < k or without < k:
            raise PrivacyError(
                f"this team is shown only when it and the team without its manager both "
                f"have at least {k} people"
            )

    def teams_needing_help(
        self, as_of: date | None = None, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """The teams that need help first, and the k-safe parts of the signals (aggregates).

        Computed from every person's signals, but only group-level results leave: each team
        at or above k as the metrics publish it, dominant typologies shared by at least k,
        feedback themes at or above k, and each detector's status. No person, champion or
        manager is named, so analysts may read it and nothing is written to the audit log.

        Args:
            as_of: evaluation date (default: the one as-of rule).
            actor: who reads (organisation aggregates: admin or analyst).

        Returns:
            {as_of, teams, segments, voice, status, notes}.
        """
        require(actor or Actor.local(), AGGREGATE)

        def compute() -> dict[str, Any]:
            # The same remembered build as the coach's view: one build serves both.
            full = self._signals_doc(as_of)
            keep = ("as_of", "teams", "segments", "voice", "status", "notes", "privacy")
            return {k: full[k] for k in keep}

        # A retrained model changes the risk: its file's time is part of the key.
        model = self.path / MODEL_DIR / "model.joblib"
        stamp = model.stat().st_mtime_ns if model.exists() else None
        return self._memo("teams", (as_of, stamp), compute)

    def my_adoption(
        self, as_of: date | None = None, *, actor: Actor | None = None, person: str | None = None
    ) -> dict[str, Any]:
        """A person's own ladder level, trend, friction flags and what would help (audited).

        Args:
            as_of: evaluation date (default: the one as-of rule).
            actor: who reads (a `person` token reads itself; admins, and coaches for people of
                their teams, name `person`).
            person: the person key (default: the actor's own).

        Returns:
            The "my adoption" document (see `uptake.signals.personal.my_adoption`).
        """
        from uptake.signals.personal import my_adoption

        who = actor or Actor.local()
        key = person or who.person_key
        if key is None:
            # Only an admin gets this far: for anyone else, asking for no one is refused.
            require(who, INDIVIDUAL)
            raise InputError("whose adoption? a person token, or an admin naming the person")
        # A coach may read people of the teams in its scope: the decision needs their team.
        row = (
            self.con.execute("SELECT team FROM dim_person WHERE person_key = ?", [key]).fetchone()
            if self.engine().has("dim_person")
            else None  # nothing ingested yet: no one has a team
        )
        team = str(row[0]) if row and row[0] is not None else None
        ctx = self._individual("my_adoption", as_of, who, person=key, team=team)
        if person is not None and row is None and not _known(self.con, key):
            # Asked after the permission check, so a reader who may not see a person cannot
            # tell a key that exists from one that does not.
            raise NotFoundError(f"no person with the key {person!r} in this workspace")
        doc = my_adoption(ctx, key, self.settings.signals)
        # The log names whose adoption was read: an admin's or coach's read of someone else
        # had been logged as "my_adoption", as if the person had read their own.
        what = "my_adoption" if key == who.person_key else "person_adoption"
        self._audited(what, ctx.as_of, pd.DataFrame({"person_key": [key]}), who)
        return doc


def _known(con: Any, key: str) -> bool:
    """Whether any identity was pseudonymised to the key (a roster person or a tool account)."""
    row = con.execute("SELECT 1 FROM identities WHERE person_key = ? LIMIT 1", [key]).fetchone()
    return row is not None


def team_view(doc: dict[str, Any], team: str) -> dict[str, Any]:
    """One team's rows of a metrics document split by team (each metric's team value).

    Args:
        doc: `MetricsReport.to_dict()` computed `by="team"`.
        team: the team.

    Returns:
        The document's header, `team`, and per metric its description and `team_value`.
    """
    out: dict[str, Any] = {k: doc[k] for k in _HEADER if k in doc}
    out["team"] = team
    out["metrics"] = {}
    for name, m in doc["metrics"].items():
        row = {k: m[k] for k in _DESCRIBE if k in m}
        segs = m.get("segments")
        if segs is None:
            row["team_value"] = None
            row["note"] = "not broken down by team"
        else:
            # Families name their group column `segment` or `group`; weekly families have
            # a row per week, and the latest is the team's value (its weeks are kept).
            mine = [s for s in segs if s.get("segment", s.get("group")) == team]
            if not mine:
                row["team_value"] = {"segment": team, "status": "no_data"}
                row["note"] = "no rows for this team (nothing it counts happened there)"
            else:
                newest = max(mine, key=lambda s: str(s.get("week") or ""))
                latest: dict[str, Any] = dict(newest)
                latest.pop("group", None)
                latest["segment"] = team
                if len(mine) > 1 and any("week" in s for s in mine):
                    latest["weeks"] = sorted(mine, key=lambda s: str(s.get("week")))
                row["team_value"] = latest
        out["metrics"][name] = row
    return out
