"""The HR side: a SCIM 2.0 ListResponse of every person and a canonical roster CSV.

SCIM carries what an identity provider knows (e-mail as userName, name, title, department,
manager, employee number, location, active) plus team, hire date and management level in a
custom HR extension, the way many IdPs add attributes the RFC lacks. It carries no GitHub
logins; the roster CSV supplies them as aliases, as an HR export joined to GitHub would.
"""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path
from typing import Any

from uptake.simulate.vendor.common import Canon
from uptake.simulate.vendor.m365 import display_name

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
HR = "urn:example:scim:schemas:extension:hr:1.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
TEAM_PATH = f"{HR}:team"
ROSTER_COLUMNS = (
    "person",
    "aliases",
    "role",
    "function",
    "team",
    "manager",
    "location",
    "hire_date",
    "employment_status",
    "attrs",
)


def scim_id(email: str) -> str:
    """The identity provider's id for a person: a UUID fixed by the e-mail.

    Args:
        email: the person's e-mail.

    Returns:
        A UUID string.
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{email}"))


def write(c: Canon, out: Path) -> list[str]:
    """Write `roster/scim_users.json` and `roster/roster.csv`.

    Args:
        c: the canonical organisation.
        out: the vendor folder.

    Returns:
        Files written, relative to `out`.
    """
    folder = out / "roster"
    folder.mkdir(parents=True, exist_ok=True)
    rows = c.people.to_pylist()
    users = [_user(row) for row in rows]
    doc = {
        "schemas": [LIST],
        "totalResults": len(users),
        "startIndex": 1,
        "itemsPerPage": len(users),
        "Resources": users,
    }
    (folder / "scim_users.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    with (folder / "roster.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(ROSTER_COLUMNS)
        for i, row in enumerate(rows):
            login = str(c.login[i])
            w.writerow(
                [
                    row["person"],
                    json.dumps([login] if login else []),
                    row["role"] or "",
                    row["function"] or "",
                    row["team"] or "",
                    row["manager"] or "",
                    row["location"] or "",
                    row["hire_date"].isoformat() if row["hire_date"] else "",
                    row["employment_status"] or "",
                    row["attrs"] or "",
                ]
            )
    return ["roster/scim_users.json", "roster/roster.csv"]


def _user(row: dict[str, Any]) -> dict[str, Any]:
    email = row["person"]
    name = display_name(email)
    given, _, family = name.partition(" ")
    number = next((a for a in row["aliases"] or [] if a[:1] == "E" and a[1:].isdigit()), None)
    attrs = json.loads(row["attrs"] or "{}")
    enterprise: dict[str, Any] = {
        "employeeNumber": number,
        "costCenter": attrs.get("cost_centre"),
        "organization": "Meridian Group",
        "department": row["function"],
    }
    if row["manager"]:
        mid = scim_id(row["manager"])
        enterprise["manager"] = {
            "value": mid,
            "$ref": f"../Users/{mid}",
            "displayName": display_name(row["manager"]),
        }
    sid = scim_id(email)
    return {
        "schemas": [USER, ENTERPRISE, HR],
        "id": sid,
        "externalId": number,
        "userName": email,
        "name": {"formatted": name, "familyName": family, "givenName": given},
        "displayName": name,
        "emails": [{"value": email, "type": "work", "primary": True}],
        "addresses": [{"locality": row["location"], "type": "work", "primary": True}],
        "userType": "Contractor" if attrs.get("employee_type") == "contractor" else "Employee",
        "title": row["role"],
        "active": row["employment_status"] != "left",
        ENTERPRISE: {k: v for k, v in enterprise.items() if v is not None},
        HR: {
            "team": row["team"],
            "hireDate": row["hire_date"].isoformat() if row["hire_date"] else None,
            "managementLevel": attrs.get("management_level"),
        },
        "meta": {"resourceType": "User", "location": f"https://idp.example/scim/v2/Users/{sid}"},
    }
