"""`allowed`: the one decision every read makes, for every role and every kind of need."""

from __future__ import annotations

import pytest

from uptake.errors import PermissionDeniedError
from uptake.workspace.access import (
    ADMINISTER,
    AGGREGATE,
    IDENTITIES,
    INDIVIDUAL,
    LIBRARY,
    NEEDS,
    ROLES,
    TEAM,
    TEAM_K_RULE,
    WRITE,
    Actor,
    allowed,
    require,
)

ADMIN = Actor("root", "admin")
ANALYST = Actor("a", "analyst")
MANAGER = Actor("m", "manager", teams=("blue",), manager_key="kM")
COACH = Actor("c", "coach", teams=("blue", "green"))
ME = Actor("p", "person", person_key="k1")
INGEST = Actor("i", "ingest")

# (actor, need, team, person) -> allowed. Every role x need appears at least once.
TABLE = [
    (ADMIN, AGGREGATE, None, None, True),
    (ADMIN, INDIVIDUAL, None, None, True),
    (ADMIN, IDENTITIES, None, None, True),
    (ADMIN, WRITE, None, None, True),
    (ADMIN, ADMINISTER, None, None, True),
    (ADMIN, TEAM, "red", None, True),
    (ANALYST, AGGREGATE, None, None, True),
    (ANALYST, TEAM, "red", None, True),
    (ANALYST, INDIVIDUAL, None, None, False),
    (ANALYST, INDIVIDUAL, "red", "k1", False),
    (ANALYST, IDENTITIES, None, None, False),
    (ANALYST, WRITE, None, None, False),
    (ANALYST, ADMINISTER, None, None, False),
    (MANAGER, AGGREGATE, None, None, False),
    (MANAGER, TEAM, "blue", None, True),
    (MANAGER, TEAM, "red", None, False),
    (MANAGER, TEAM, None, None, False),
    (MANAGER, INDIVIDUAL, "blue", "k1", False),
    (MANAGER, IDENTITIES, None, None, False),
    (MANAGER, WRITE, None, None, False),
    (MANAGER, ADMINISTER, None, None, False),
    (COACH, INDIVIDUAL, "blue", "k9", True),
    (COACH, INDIVIDUAL, "red", "k9", False),
    (COACH, INDIVIDUAL, None, None, False),
    (COACH, AGGREGATE, None, None, False),
    (COACH, TEAM, "blue", None, False),
    (COACH, IDENTITIES, None, None, False),
    (COACH, WRITE, None, None, False),
    (COACH, ADMINISTER, None, None, False),
    (ME, INDIVIDUAL, None, "k1", True),
    (ME, INDIVIDUAL, None, "k2", False),
    (ME, INDIVIDUAL, None, None, False),
    (ME, AGGREGATE, None, None, False),
    (ME, TEAM, "blue", None, False),
    (ME, IDENTITIES, None, None, False),
    (ME, WRITE, None, None, False),
    (ME, ADMINISTER, None, None, False),
    (INGEST, WRITE, None, None, True),
    (INGEST, AGGREGATE, None, None, False),
    (INGEST, TEAM, "blue", None, False),
    (INGEST, INDIVIDUAL, None, "k1", False),
    (INGEST, IDENTITIES, None, None, False),
    (INGEST, ADMINISTER, None, None, False),
    (ADMIN, LIBRARY, None, None, True),
    (ANALYST, LIBRARY, None, None, True),
    (MANAGER, LIBRARY, None, None, True),
    (COACH, LIBRARY, None, None, True),
    (ME, LIBRARY, None, None, True),
    (INGEST, LIBRARY, None, None, False),
]


def test_the_table_covers_every_role_and_need() -> None:
    covered = {(a.role, need) for a, need, *_ in TABLE}
    assert covered == {(r, n) for r in ROLES for n in NEEDS}


@pytest.mark.parametrize(("actor", "need", "team", "person", "ok"), TABLE)
def test_decision(actor: Actor, need: str, team: str | None, person: str | None, ok: bool) -> None:
    d = allowed(actor, need, team=team, person=person)
    assert bool(d) is ok, d.reason
    assert d.reason
    if ok:
        assert require(actor, need, team=team, person=person) == d
    else:
        with pytest.raises(PermissionDeniedError, match=actor.role):
            require(actor, need, team=team, person=person)


def test_a_manager_is_left_the_k_rule_to_check() -> None:
    assert allowed(MANAGER, TEAM, team="blue").condition == TEAM_K_RULE
    assert allowed(ANALYST, TEAM, team="blue").condition is None


def test_unknown_roles_and_needs_are_refused() -> None:
    with pytest.raises(PermissionDeniedError, match="unknown role"):
        Actor("x", "superuser")
    with pytest.raises(ValueError, match="unknown need"):
        allowed(ADMIN, "everything")


def test_the_command_line_is_a_local_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER", "ana")
    assert Actor.local() == Actor("ana", "admin")
