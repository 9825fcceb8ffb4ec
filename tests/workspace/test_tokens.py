"""Tokens: shown once, stored hashed, scoped, expiring, revocable; reads by actor, audited."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from factories import FROZEN_NOW, person_id, rows
from uptake.errors import AuthenticationError, InputError, PermissionDeniedError
from uptake.workspace import Workspace
from uptake.workspace.access import Actor
from uptake.workspace.tokens import parse_expiry

NOW = FROZEN_NOW.replace(tzinfo=None)


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    people = pd.DataFrame(rows("people", 8))
    workspace.ingest_frame("people", people, source="roster", now=FROZEN_NOW)
    return workspace


def test_a_token_is_stored_only_as_a_hash_and_authenticates(ws: Workspace) -> None:
    got = ws.create_token("analyst", note="BI export")
    token = got["token"]
    stored = ws.con.execute("SELECT * FROM tokens").df()
    assert len(stored) == 1
    cells = " ".join(str(v) for v in stored.to_numpy().ravel())
    secret = token[len(f"upt_{got['token_id']}_") :]
    assert len(secret) >= 40 and secret not in cells
    actor = ws.authenticate(token)
    assert (actor.role, actor.name) == ("analyst", f"token:{got['token_id']}")
    # One character off is not the token: refused with the same words as an unknown one.
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(AuthenticationError, match="unknown token"):
        ws.authenticate(wrong)
    with pytest.raises(AuthenticationError, match="not an uptake token"):
        ws.authenticate("Bearer nonsense")


def test_revoked_and_expired_tokens_are_refused(ws: Workspace) -> None:
    live = ws.create_token("ingest")
    assert ws.revoke_token(live["token_id"]) is True
    assert ws.revoke_token(live["token"]) is False  # the token itself names it too
    with pytest.raises(AuthenticationError, match="revoked"):
        ws.authenticate(live["token"])
    old = ws.create_token("analyst", expires="1h")
    ws.con.execute(
        "UPDATE tokens SET expires_at = ? WHERE token_id = ?",
        [datetime.now() - timedelta(hours=2), old["token_id"]],
    )
    with pytest.raises(AuthenticationError, match="expired"):
        ws.authenticate(old["token"])
    status = {t["token_id"]: t["status"] for t in ws.tokens()}
    assert status == {live["token_id"]: "revoked", old["token_id"]: "expired"}
    with pytest.raises(InputError, match="no token"):
        ws.revoke_token("ffffffff")


def test_scopes_are_checked_against_role_and_roster(ws: Workspace) -> None:
    manager = ws.create_token("manager", ["team:team1", f"person:{person_id(1)}"])
    actor = ws.authenticate(manager["token"])
    assert actor.teams == ("team1",) and actor.manager_key == ws.pseudonymise(person_id(1))
    me = ws.authenticate(ws.create_token("person", [f"person:{person_id(3)}"])["token"])
    # The token table holds the pseudonymous key, never the e-mail.
    assert me.person_key == ws.pseudonymise(person_id(3))
    assert person_id(3) not in ws.con.execute("SELECT * FROM tokens").df().to_string()
    coach = ws.authenticate(ws.create_token("coach", ["team:team0", "team:team2"])["token"])
    assert coach.teams == ("team0", "team2")
    for role, scope, words in [
        ("analyst", ["team:team1"], "has no scope"),
        ("manager", [], "exactly one --scope team"),
        ("manager", ["team:team1", "team:team2"], "exactly one --scope team"),
        ("person", ["team:team1"], "exactly one --scope person"),
        ("coach", [f"person:{person_id(1)}"], "coach token needs"),
        ("manager", ["team:no-such-team"], "no one on the roster"),
        ("person", ["person:stranger@example.org"], "not on the roster"),
        ("person", ["someone"], "team:NAME or person:IDENTIFIER"),
        ("superuser", [], "--role"),
    ]:
        with pytest.raises(InputError, match=words):
            ws.create_token(role, scope)


def test_expiry_forms() -> None:
    assert parse_expiry("never", NOW) is None
    assert parse_expiry("90d", NOW) == NOW + timedelta(days=90)
    assert parse_expiry("12h", NOW) == NOW + timedelta(hours=12)
    assert parse_expiry("2026-07-01", NOW) == datetime(2026, 7, 2)
    for bad in ("0d", "soon", "2026-05-01", "-3d"):
        with pytest.raises(InputError, match="--expires"):
            parse_expiry(bad, NOW)


def test_only_admins_administer(ws: Workspace) -> None:
    analyst = Actor("token:aaaaaaaa", "analyst")
    for call in (
        lambda: ws.create_token("admin", actor=analyst),
        lambda: ws.tokens(actor=analyst),
        lambda: ws.revoke_token("ffffffff", actor=analyst),
        lambda: ws.audit(actor=analyst),
        lambda: ws.quarantine(actor=analyst),
        lambda: ws.doctor(actor=analyst),
    ):
        with pytest.raises(PermissionDeniedError, match="only admins"):
            call()


def test_reads_and_writes_go_through_the_actor(ws: Workspace) -> None:
    analyst = Actor("token:aaaaaaaa", "analyst")
    ingest = Actor("token:bbbbbbbb", "ingest")
    manager = Actor("token:cccccccc", "manager", teams=("team1",))
    me = Actor("token:dddddddd", "person", person_key=ws.pseudonymise(person_id(1)))
    ws.ingest_frame(
        "licenses", pd.DataFrame(rows("licenses", 8)), source="l", now=FROZEN_NOW, actor=ingest
    )
    assert ws.status(actor=analyst)["tables"]["licenses"] == 8
    ws.metrics(actor=analyst)
    for actor in (ingest, manager, me):
        with pytest.raises(PermissionDeniedError):
            ws.metrics(actor=actor)
    for actor in (analyst, manager, me):
        with pytest.raises(PermissionDeniedError, match="may not write"):
            ws.ingest_frame("people", pd.DataFrame(rows("people", 1)), source="x", actor=actor)
        # Everyone's rows: no role but admin, whatever its scope.
        with pytest.raises(PermissionDeniedError):
            ws.person_levels(actor=actor)
        with pytest.raises(PermissionDeniedError):
            ws.signals(actor=actor)
    assert ws.audit() == [], "refused reads leave no audit entry (nothing was read)"


def test_individual_reads_are_audited_with_the_actor_and_only_they(ws: Workspace) -> None:
    ws.ingest_frame("licenses", pd.DataFrame(rows("licenses", 8)), source="l", now=FROZEN_NOW)
    ws.ingest_frame("events", pd.DataFrame(rows("events", 30)), source="e", now=FROZEN_NOW)
    ws.metrics()
    ws.status()
    ws.create_token("analyst")
    assert ws.audit() == []
    admin = Actor("token:eeeeeeee", "admin")
    ws.person_levels(actor=admin)
    ws.seats_held()
    log = ws.audit()
    assert [e["action"] for e in log] == ["read seats_held", "read person_levels"]
    assert {e["role"] for e in log} == {"admin"}
    assert "token:eeeeeeee" in {e["actor"] for e in log}
    assert [e["action"] for e in ws.audit(who="token:eeeeeeee")] == ["read person_levels"]
    assert ws.audit(since=(NOW + timedelta(days=3650)).date()) == []
