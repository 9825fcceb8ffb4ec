"""SCIM 2.0 Users with the enterprise extension (RFC 7643) → people.

`person` is the user's primary e-mail (else work e-mail, first e-mail, `userName`,
`externalId`, `id`); every other identifier becomes an alias — `userName`, all e-mails,
`externalId`, `employeeNumber` and the SCIM `id` (the enterprise `manager.value` refers to
it). `role` = `title`, `function` = enterprise `department`, `manager` = `manager.value`,
`location` from the primary/work address, `employment_status` from `active` (false →
`left`, since SCIM deactivation is how leavers are deprovisioned).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.connectors.base import ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector
from uptake.ingest.connectors.fields import (
    RecordError,
    json_text,
    opt_bool,
    opt_object,
    opt_str,
    type_name,
)
from uptake.ingest.connectors.loading import load_json

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
# Attributes naming the user (or their manager); identifiers become aliases, never attrs.
IDENTIFIERS = frozenset(
    {
        "id", "externalId", "userName", "displayName", "nickName", "name", "emails",
        "phoneNumbers", "ims", "photos", "employeeNumber", "manager", "profileUrl",
    }
)  # fmt: skip


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read SCIM Users: a ListResponse, one User, an array of Users, or NDJSON of either.

    Args:
        path: the JSON file.
        options: params in SCIM attribute notation (`urn:…:User:attr.sub` or `attr.sub`):
            `alias_paths` — comma-separated extra paths whose values are aliases too, e.g.
            `urn:example:scim:github:1.0:User:login`; `function_from` / `team_from` — where
            `function` and `team` come from (default: enterprise `department`, nothing).

    Returns:
        people.
    """
    opts = ConnectorOptions.coerce(options)
    extra_paths = [p.strip() for p in (opts.param("alias_paths") or "").split(",") if p.strip()]
    sources = {
        "function": opts.param("function_from", f"{ENTERPRISE}:department"),
        "team": opts.param("team_from"),
    }
    data = load_json(path)
    col = Collector("people")
    users: list[tuple[str, Any]] = []
    if data.is_ndjson:
        for loc, rec in col.lines(data):
            users += _unpack(loc, rec, lenient=True)
    elif isinstance(data.document, list):
        for i, item in enumerate(data.document, start=1):
            users += _unpack(f"{path.name}:record {i}", item, lenient=True)
    elif isinstance(data.document, dict):
        users = _unpack(path.name, data.document, lenient=False)
        if not users and not _is_list_response(data.document):
            raise InputError(
                f"{path}: not a SCIM User or ListResponse; expected `schemas` with {USER_SCHEMA} "
                "or a ListResponse with Resources[]"
            )
    else:
        raise InputError(f"{path}: expected a SCIM JSON object, got {type_name(data.document)}")
    col.each(users, lambda loc, user: _user(col, loc, user, extra_paths, sources))
    return col.result()


def _is_list_response(doc: Mapping[str, Any]) -> bool:
    schemas = doc.get("schemas")
    return ("Resources" in doc or "resources" in doc) or (
        isinstance(schemas, list) and LIST_RESPONSE in schemas
    )


def _unpack(where: str, doc: Any, *, lenient: bool) -> list[tuple[str, Any]]:
    """Users inside a ListResponse, or the object itself when it is a User."""
    if isinstance(doc, dict) and _is_list_response(doc):
        resources = doc.get("Resources", doc.get("resources"))
        if resources is None:
            return []
        if not isinstance(resources, list):
            if lenient:
                return [(where, resources)]
            raise InputError(f"{where}: field Resources: expected an array of SCIM resources")
        return [(f"{where}:Resources[{i}]", r) for i, r in enumerate(resources)]
    if not lenient and isinstance(doc, dict) and not _looks_like_user(doc):
        return []
    return [(where if ":" in where else f"{where}:record 1", doc)]


def _looks_like_user(doc: Mapping[str, Any]) -> bool:
    schemas = doc.get("schemas")
    if isinstance(schemas, list) and USER_SCHEMA in schemas:
        return True
    return "userName" in doc


def _user(
    col: Collector,
    loc: str,
    user: Any,
    extra_paths: list[str],
    sources: Mapping[str, str | None],
) -> None:
    if not isinstance(user, dict):
        raise RecordError("bad_type", None, f"expected a SCIM User object, got {type_name(user)}")
    schemas = user.get("schemas")
    if schemas is not None and not isinstance(schemas, list):
        raise RecordError("bad_type", "schemas", f"expected an array, got {type_name(schemas)}")
    if isinstance(schemas, list) and schemas and USER_SCHEMA not in schemas:
        raise RecordError("unsupported_record", "schemas", f"not a User resource: {schemas}")
    ext = opt_object(user, ENTERPRISE)
    emails = _emails(user)
    ids = [
        opt_str(user, "userName"),
        *emails,
        opt_str(user, "externalId"),
        opt_str(ext, "employeeNumber", f"{ENTERPRISE}:employeeNumber"),
        opt_str(user, "id"),
    ]
    for path in extra_paths:
        ids += _path_values(user, path)
    identifiers = list(dict.fromkeys(i for i in ids if i))
    if not identifiers:
        raise RecordError(
            "missing_required", "userName", "no userName, e-mail, externalId, employeeNumber or id"
        )
    person = emails[0] if emails else identifiers[0]
    aliases = [i for i in identifiers if i.lower() != person.lower()]
    manager = opt_object(ext, "manager", f"{ENTERPRISE}:manager")
    active = opt_bool(user, "active")
    groups = [
        g.get("display") for g in _objects(user, "groups") if isinstance(g.get("display"), str)
    ]
    attrs = {
        "user_type": opt_str(user, "userType"),
        "division": opt_str(ext, "division", f"{ENTERPRISE}:division"),
        "organization": opt_str(ext, "organization", f"{ENTERPRISE}:organization"),
        "cost_center": opt_str(ext, "costCenter", f"{ENTERPRISE}:costCenter"),
        "groups": groups or None,
        "timezone": opt_str(user, "timezone"),
    }
    col.add(
        "people",
        loc,
        person=person,
        aliases=aliases,
        role=opt_str(user, "title"),
        function=_first(user, sources["function"]),
        team=_first(user, sources["team"]),
        manager=opt_str(manager, "value", f"{ENTERPRISE}:manager.value"),
        location=_location(user),
        employment_status=None if active is None else ("active" if active else "left"),
        attrs=json_text({k: v for k, v in attrs.items() if v is not None}),
    )


def _first(user: Mapping[str, Any], path: str | None) -> str | None:
    values = _path_values(user, path) if path else []
    return values[0] if values else None


def _objects(user: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = user.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError("bad_type", key, f"expected an array, got {type_name(value)}")
    return [v for v in value if isinstance(v, dict)]


def _emails(user: Mapping[str, Any]) -> list[str]:
    """E-mail values, primary first, then work, then the rest in their order."""
    entries = _objects(user, "emails")
    for i, e in enumerate(entries):
        opt_str(e, "value", f"emails[{i}].value")
    ranked = sorted(
        (e for e in entries if isinstance(e.get("value"), str) and e["value"].strip()),
        key=lambda e: (e.get("primary") is not True, e.get("type") != "work"),
    )
    return list(dict.fromkeys(e["value"].strip() for e in ranked))


def _location(user: Mapping[str, Any]) -> str | None:
    addresses = sorted(
        _objects(user, "addresses"),
        key=lambda a: (a.get("primary") is not True, a.get("type") != "work"),
    )
    for a in addresses:
        parts = [a.get(k) for k in ("locality", "region", "country")]
        text = ", ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
        if text:
            return text
    return None


def _path_values(user: Mapping[str, Any], path: str) -> list[str]:
    """Values at a SCIM attribute path (`urn:…:User:attr.sub` or `attr.sub`); arrays fan out."""
    node: Any = user
    rest = path
    if path.startswith("urn:"):
        urn, _, rest = path.rpartition(":")
        node = user.get(urn)
    values: list[Any] = [node]
    for part in rest.split("."):
        nxt: list[Any] = []
        for v in values:
            items = v if isinstance(v, list) else [v]
            nxt += [i.get(part) for i in items if isinstance(i, dict)]
        values = nxt
    flat = [x for v in values for x in (v if isinstance(v, list) else [v])]
    return [str(x).strip() for x in flat if isinstance(x, str | int) and str(x).strip()]
