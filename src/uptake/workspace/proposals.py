"""Workspace methods of use-case proposals: propose, vote, link to a workflow, the backlog.

Proposers and voters are stored as person keys only, and the backlog shows counts, never
who. Anyone who may read the use-case library reads the backlog; a catalogued proposal's
measured outcome is an organisation aggregate (admins and analysts), each arm at or above k.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from uptake.errors import InputError, NotFoundError, PermissionDeniedError
from uptake.programme import proposals as engine
from uptake.workspace.access import ADMINISTER, AGGREGATE, LIBRARY, Actor, allowed, require
from uptake.workspace.forms import respondent_key

if TYPE_CHECKING:
    import duckdb

    from uptake.config import Settings
    from uptake.warehouse.journal import Journal


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Proposals:
    """Mixin of Workspace: teams' use-case proposals and their votes."""

    settings: Settings
    read_only: bool

    if TYPE_CHECKING:

        @property
        def con(self) -> duckdb.DuckDBPyConnection:
            raise NotImplementedError

        @property
        def journal(self) -> Journal:
            raise NotImplementedError

        def pseudonymise(self, identifier: str) -> str:
            raise NotImplementedError

        def _writable(self, action: str) -> None:
            raise NotImplementedError

        def default_as_of(self) -> tuple[date, str]:
            raise NotImplementedError

    def propose(
        self,
        data: dict[str, Any],
        *,
        actor: Actor | None = None,
        proposer: str | None = None,
    ) -> dict[str, Any]:
        """Add a use-case proposal to the backlog.

        Args:
            data: title, description, team, workflow, priority (see `programme.proposals.check`).
            actor: who proposes: a person (or scoped manager) for their team, or an admin.
            proposer: an admin may name the proposer by roster identifier (stored as a key).

        Returns:
            {proposal_id, title, team, priority, status}.
        """
        who = actor or Actor.local()
        self._writable("add a proposal")
        key = respondent_key(who)
        if key is None and who.role != "admin":
            raise PermissionDeniedError(
                f"{who.role} {who.name}: proposals come from people (a person token) or an admin"
            )
        if proposer is not None:
            require(who, ADMINISTER)
            key = self.pseudonymise(proposer)
            if not self._known(key):
                raise InputError("--proposer: no one with that identifier is on the roster")
        p = engine.check(data)
        own = None
        if key is not None:
            got = self.con.execute(
                "SELECT team FROM people WHERE person_key = ? LIMIT 1", [key]
            ).fetchone()
            own = str(got[0]) if got and got[0] else None
        team = p.team if p.team is not None else own
        if p.team is not None:
            n = self.con.execute("SELECT count(*) FROM people WHERE team = ?", [p.team]).fetchone()
            if not n or not n[0]:
                raise InputError(f"team {p.team!r}: no one on the roster is in that team")
            if who.role != "admin" and p.team != own:
                raise PermissionDeniedError(
                    f"{who.role} {who.name}: people propose for their own team only"
                )
        pid = f"prop_{secrets.token_hex(4)}"
        self.journal.write(
            "INSERT INTO proposals (proposal_id, ts, team, title, description, workflow, "
            "priority, proposer_key, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'proposed')",
            [pid, _now(), team, p.title, p.description, p.workflow, p.priority, key],
        )
        return {"proposal_id": pid, "title": p.title, "team": team, "priority": p.priority,
                "status": "proposed"}  # fmt: skip

    def vote(self, proposal_id: str, *, actor: Actor) -> dict[str, Any]:
        """Vote for a proposal: one vote per person, a second one changes nothing.

        Args:
            proposal_id: the proposal.
            actor: who votes (a person token, or a manager's with their own person scope).

        Returns:
            {proposal_id, votes, counted}: votes after this one; counted False on a repeat.
        """
        self._writable("vote")
        key = respondent_key(actor)
        if key is None:
            raise PermissionDeniedError(
                f"{actor.role} {actor.name}: votes count people: vote with a person token"
            )
        self._proposal(proposal_id)
        got = self.con.execute(
            "SELECT count(*), count(*) FILTER (WHERE voter_key = ?) FROM proposal_votes "
            "WHERE proposal_id = ?",
            [key, proposal_id],
        ).fetchone()
        votes, mine = (int(got[0]), int(got[1])) if got else (0, 0)
        if not mine:
            # Grouped writes commit together: a repeat must not fail the others.
            self.journal.write(
                "INSERT INTO proposal_votes VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [proposal_id, key, _now()],
            )
        return {"proposal_id": proposal_id, "votes": votes + (0 if mine else 1),
                "counted": not mine}  # fmt: skip

    def link_proposal(
        self, proposal_id: str, workflow: str, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """Mark a proposal as a catalogued workflow (admins): its outcome is then measured.

        Args:
            proposal_id: the proposal.
            workflow: the catalogued workflow id (in `workflows` or in `tasks`).
            actor: who links (admins).

        Returns:
            {proposal_id, catalogued_workflow, status}.
        """
        require(actor or Actor.local(), ADMINISTER)
        self._writable("link a proposal")
        self._proposal(proposal_id)
        wf = workflow.strip()
        found = self.con.execute(
            "SELECT (SELECT count(*) FROM workflows WHERE workflow = ?) "
            "+ (SELECT count(*) FROM tasks WHERE workflow = ?)",
            [wf, wf],
        ).fetchone()
        if not wf or not found or not found[0]:
            raise InputError(
                f"workflow {workflow!r} is neither in the workflow catalogue nor in any task",
                hint="`uptake ingest workflows FILE` catalogues it",
            )
        self.journal.write(
            "UPDATE proposals SET catalogued_workflow = ?, status = 'catalogued' "
            "WHERE proposal_id = ?",
            [wf, proposal_id],
        )
        return {"proposal_id": proposal_id, "catalogued_workflow": wf, "status": "catalogued"}

    def proposals(self, as_of: date | None = None, *, actor: Actor | None = None) -> dict[str, Any]:
        """The backlog: proposals ranked by votes and priority, with measured outcomes.

        Args:
            as_of: last day of the outcome window (default: the one as-of rule).
            actor: who reads (anyone who may read the use-case library; outcomes: admins and
                analysts).

        Returns:
            {as_of, window_days, min_group_size, proposals: [...]}: each proposal with
            votes (a count), rank among open ones, and `outcome` once catalogued.
        """
        who = actor or Actor.local()
        require(who, LIBRARY)
        frame = self.con.execute(
            "SELECT p.proposal_id, p.ts, p.team, p.title, p.description, p.workflow, "
            "p.priority, p.status, p.catalogued_workflow, count(v.voter_key) AS votes "
            "FROM proposals p LEFT JOIN proposal_votes v USING (proposal_id) "
            "GROUP BY ALL"
        ).df()
        k = self.settings.privacy.min_group_size
        day = as_of or self.default_as_of()[0]
        days = self.settings.metrics.window_days
        head = {"as_of": day.isoformat(), "window_days": days, "min_group_size": k}
        if frame.empty:
            return {**head, "status": "ok", "proposals": []}
        frame = engine.ranked(frame)
        may = bool(allowed(who, AGGREGATE))
        mine = self._voted(respondent_key(who))
        out = []
        for r in frame.to_dict("records"):
            row = {c: _plain(r[c]) for c in ("proposal_id", "rank", "title", "description",
                                             "team", "workflow", "priority", "status",
                                             "catalogued_workflow", "votes")}  # fmt: skip
            row["proposed_on"] = pd.Timestamp(r["ts"]).date().isoformat()
            row["voted"] = row["proposal_id"] in mine
            wf = r["catalogued_workflow"]
            if isinstance(wf, str) and wf:
                row["outcome"] = (
                    self._outcome(wf, day, days, k)
                    if may
                    else {"status": "hidden", "reason": "measured outcomes: admins and analysts"}
                )
            out.append(row)
        return {**head, "status": "ok", "proposals": out}

    def _outcome(self, workflow: str, day: date, days: int, k: int) -> dict[str, Any]:
        end = datetime.combine(day + timedelta(days=1), datetime.min.time())
        tasks = self.con.execute(
            "SELECT person_key, ai_assisted, status, minutes FROM tasks "
            "WHERE workflow = ? AND started_at >= ? AND started_at < ?",
            [workflow, end - timedelta(days=days), end],
        ).df()
        return engine.outcome(tasks, k)

    def _voted(self, key: str | None) -> set[str]:
        if key is None:
            return set()
        got = self.con.execute(
            "SELECT proposal_id FROM proposal_votes WHERE voter_key = ?", [key]
        ).fetchall()
        return {str(p) for (p,) in got}

    def _proposal(self, proposal_id: str) -> None:
        got = self.con.execute(
            "SELECT count(*) FROM proposals WHERE proposal_id = ?", [proposal_id]
        ).fetchone()
        if not got or not got[0]:
            raise NotFoundError(f"no proposal {proposal_id!r}: `uptake proposals list` shows them")

    def _known(self, key: str) -> bool:
        got = self.con.execute(
            "SELECT count(*) FROM identities WHERE person_key = ?", [key]
        ).fetchone()
        return bool(got and got[0])


def _plain(value: Any) -> Any:
    """A JSON-ready cell: numpy numbers as Python numbers, missing as None."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
