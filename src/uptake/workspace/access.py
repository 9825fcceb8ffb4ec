"""Who may see what: actors (role + scope) and the one function that decides, `allowed`.

Every Workspace read and write names an actor and asks `allowed` first, so the command line,
the API, the dashboard and the report cannot disagree about a permission. The command line
on a local workspace acts as `admin` (whoever can open the files can read them anyway).

| role | org aggregates | team aggregates | people's rows | identities | write | admin | library |
|---|---|---|---|---|---|---|---|
| admin | yes | any team | anyone | yes | yes | yes | yes |
| analyst | yes | any team | no | no | no | no | yes |
| manager | no | own team, k with and without them | no | no | no | no | yes |
| coach | no | no | teams in scope | no | no | no | yes |
| person | no | no | themselves | no | no | no | yes |
| ingest | no | no | no | no | yes | no | no |

The library is the use-case library's shared guidance text: no one's data.

Group sizes are data: `allowed` says a manager may see their team *provided* the team and
the team without the manager both reach k (`Decision.condition`); the Workspace, which holds
the counts, enforces it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from uptake.errors import PermissionDeniedError

ROLES = ("admin", "analyst", "manager", "coach", "person", "ingest")
ROLE_HELP = {
    "admin": "everything, including identities, tokens and the audit log",
    "analyst": "aggregates of the whole organisation (no individual data)",
    "manager": "their own team's aggregates, only at or above the minimum group size",
    "coach": "individual signals of the people in the teams of its scope",
    "person": "their own data only",
    "ingest": "write only: send events, feedback and surveys",
}
# What can be asked for.
AGGREGATE = "aggregate"  # organisation-wide group numbers (k-suppressed)
TEAM = "team"  # one team's group numbers
INDIVIDUAL = "individual"  # one person's (or every person's) rows
IDENTITIES = "identities"  # keys resolved to names or e-mails
WRITE = "write"  # ingest
ADMINISTER = "administer"  # tokens, audit log, settings
LIBRARY = "library"  # the use-case library's guidance text (no one's data)
NEEDS = (AGGREGATE, TEAM, INDIVIDUAL, IDENTITIES, WRITE, ADMINISTER, LIBRARY)
# Roles whose scope must name something, and what.
SCOPED = {"manager": "team", "coach": "team", "person": "person"}
TEAM_K_RULE = "team_and_team_without_manager_reach_k"


@dataclass(frozen=True)
class Actor:
    """Someone asking: a role, what it is scoped to, and a name for the audit log.

    Attributes:
        name: who, as written to `audit_log` (a token's id, or the local user).
        role: one of `ROLES`.
        teams: the teams a manager (exactly one) or a coach may see.
        person_key: the person a `person` actor is (their own key).
        manager_key: a manager's own person key, when known (their team is judged without them).
    """

    name: str
    role: str
    teams: tuple[str, ...] = ()
    person_key: str | None = None
    manager_key: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise PermissionDeniedError(
                f"unknown role {self.role!r}: expected one of {', '.join(ROLES)}"
            )

    @classmethod
    def local(cls) -> Actor:
        """The command line on a local workspace: an admin named after the OS user."""
        return cls(name=os.environ.get("USER") or "uptake", role="admin")

    def scope_text(self) -> str:
        """The scope in words, for listings and the audit log."""
        parts = [f"team:{t}" for t in self.teams]
        if self.person_key:
            parts.append(f"person:{self.person_key}")
        return ", ".join(parts) or "-"


@dataclass(frozen=True)
class Decision:
    """The answer of `allowed`.

    Attributes:
        allowed: whether the actor may have it.
        reason: why, in words (said to a refused actor).
        condition: a data condition the Workspace must still check (`TEAM_K_RULE`), if any.
    """

    allowed: bool
    reason: str
    condition: str | None = field(default=None)

    def __bool__(self) -> bool:
        return self.allowed


def allowed(
    actor: Actor, need: str, *, team: str | None = None, person: str | None = None
) -> Decision:
    """Decide whether an actor may have something (the table in the module docstring).

    Args:
        actor: who asks.
        need: one of `NEEDS`.
        team: the team asked about (for `TEAM` and a coach's `INDIVIDUAL`).
        person: the person key asked about (for `INDIVIDUAL`; None means everyone).

    Returns:
        The decision, with the reason and any condition left to check on the data.
    """
    if need not in NEEDS:
        raise ValueError(f"unknown need {need!r}")
    role = actor.role
    if role == "admin":
        return Decision(True, "admins may see and do everything")
    if need == WRITE:
        ok = role == "ingest"
        why = "ingest tokens may write"
        return Decision(ok, why if ok else f"{a_role(role)} may not write data")
    if role == "ingest":
        return Decision(False, "an ingest token may only write")
    if need == LIBRARY:
        return Decision(True, "everyone who reads may read the use-case library")
    if need in (IDENTITIES, ADMINISTER):
        return Decision(False, f"only admins may read {need}")
    if need == AGGREGATE:
        ok = role == "analyst"
        why = "analysts read organisation aggregates"
        refused = f"{a_role(role)} may not read organisation-wide aggregates"
        return Decision(ok, why if ok else refused)
    if need == TEAM:
        if role == "analyst":
            return Decision(True, "analysts read any team's aggregates")
        if role == "manager":
            if team is not None and team in actor.teams:
                return Decision(True, "a manager reads their own team", condition=TEAM_K_RULE)
            return Decision(False, "a manager may read only their own team")
        return Decision(False, f"{a_role(role)} may not read team aggregates")
    # INDIVIDUAL
    if role == "person":
        if person is not None and person == actor.person_key:
            return Decision(True, "a person reads their own data")
        return Decision(False, "a person may read only their own data")
    if role == "coach":
        if team is not None and team in actor.teams:
            return Decision(True, "a coach reads people of the teams in its scope")
        return Decision(False, "a coach may read only people of the teams in its scope")
    return Decision(False, f"{a_role(role)} may not read individual data")


def require(
    actor: Actor, need: str, *, team: str | None = None, person: str | None = None
) -> Decision:
    """`allowed`, raising when refused.

    Args:
        actor: who asks.
        need: one of `NEEDS`.
        team: the team asked about.
        person: the person key asked about.

    Returns:
        The (allowed) decision, whose `condition` the caller must still enforce.

    Raises:
        PermissionDeniedError: when the actor may not have it.
    """
    d = allowed(actor, need, team=team, person=person)
    if not d:
        raise PermissionDeniedError(f"{actor.role} {actor.name}: {d.reason}")
    return d


def describe(actor: Actor) -> dict[str, Any]:
    """An actor as JSON (who, role, scope)."""
    return {"name": actor.name, "role": actor.role, "scope": actor.scope_text()}


def a_role(role: str) -> str:
    """A role with its article: "an analyst", "a manager".

    Args:
        role: the role.

    Returns:
        The words.
    """
    return f"{'an' if role[:1] in 'aeiou' else 'a'} {role}"
