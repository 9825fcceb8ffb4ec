"""SCIM 2.0 Users: the RFC 7643 enterprise user, list responses, alias paths, bad input."""

from __future__ import annotations

import json

import pytest

from uptake.errors import InputError
from uptake.ingest.connectors import scim

USER = "scim_rfc7643_enterprise_user.json"


def test_rfc_enterprise_user(samples):
    # Hand reading of RFC 7643 §8.3: primary e-mail bjensen@example.com is the person; the
    # other identifiers are aliases in order userName (same as person, dropped), e-mails
    # (babs@jensen.org), externalId 701984, employeeNumber 701984 (duplicate, dropped), id.
    r = scim.read(samples / USER)
    assert r.rejects == []
    [row] = r.frames["people"].to_dict("records")
    assert row["person"] == "bjensen@example.com"
    assert row["aliases"] == [
        "babs@jensen.org",
        "701984",
        "2819c223-7f76-453a-919d-413861904646",
    ]
    assert row["role"] == "Tour Guide"
    assert row["function"] == "Tour Operations"
    assert row["manager"] == "26118915-6090-4610-87e4-49d8ca9f808d"
    assert row["location"] == "Hollywood, CA, USA"
    assert row["employment_status"] == "active"
    attrs = json.loads(row["attrs"])
    assert attrs["division"] == "Theme Park"
    assert attrs["groups"] == ["Tour Guides", "Employees", "US Employees"]
    assert "password" not in row["attrs"]
    assert row["__locator"] == f"{USER}:record 1"


def _user(samples):
    return json.loads((samples / USER).read_text())


def test_list_response_with_a_group_and_inactive_user(samples, write):
    babs = _user(samples)
    boss = {
        "schemas": [scim.USER_SCHEMA],
        "id": "26118915-6090-4610-87e4-49d8ca9f808d",
        "userName": "jsmith",
        "active": False,
    }
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g1"}
    doc = {
        "schemas": [scim.LIST_RESPONSE],
        "totalResults": 3,
        "Resources": [babs, boss, group],
    }
    r = scim.read(write("list.json", doc))
    people = r.frames["people"].set_index("person")
    assert list(people.index) == ["bjensen@example.com", "jsmith"]
    assert people.loc["jsmith", "employment_status"] == "left"
    assert people.loc["jsmith", "aliases"] == ["26118915-6090-4610-87e4-49d8ca9f808d"]
    [rej] = r.rejects
    assert (rej.locator, rej.reason) == ("list.json:Resources[2]", "unsupported_record")


def test_alias_paths_and_team_from(samples, write):
    user = _user(samples)
    user["urn:example:scim:github:1.0:User"] = {"login": "babs-gh"}
    params = {
        "alias_paths": "urn:example:scim:github:1.0:User:login, ims.value",
        "team_from": f"{scim.ENTERPRISE}:division",
    }
    [row] = scim.read(write("u.json", user), {"params": params}).frames["people"].to_dict("records")
    assert row["aliases"][-2:] == ["babs-gh", "someaimhandle"]
    assert row["team"] == "Theme Park"


def test_bad_users_are_rejected(samples, write):
    good = _user(samples)
    no_ids = {"schemas": [scim.USER_SCHEMA], "displayName": "Nobody"}
    bad_emails = {**good, "emails": "bjensen@example.com"}
    bad_active = {**good, "active": "yes"}
    r = scim.read(write("u.json", [good, no_ids, bad_emails, bad_active, 5]))
    assert len(r.frames["people"]) == 1
    assert [(x.locator, x.reason, x.field) for x in r.rejects] == [
        ("u.json:record 2", "missing_required", "userName"),
        ("u.json:record 3", "bad_type", "emails"),
        ("u.json:record 4", "bad_type", "active"),
        ("u.json:record 5", "bad_type", None),
    ]


def test_not_scim(samples, write):
    with pytest.raises(InputError, match="not a SCIM User"):
        scim.read(write("x.json", {"hello": 1}))
    text = (samples / USER).read_text()
    with pytest.raises(InputError, match=r"x\.json: line"):
        scim.read(write("x.json", text[:1000]))
    with pytest.raises(InputError, match="expected a SCIM JSON object"):
        scim.read(write("x.json", '"text"'))
