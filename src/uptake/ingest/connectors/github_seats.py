"""GitHub Copilot seat assignments (`GET /orgs/{org}/copilot/billing/seats`) → licenses.

Each seat becomes a `licenses` row (assignee login, `created_at` as assigned_at, the
pending cancellation date as removed_at) and `person_facts` for its last activity and last
authentication, with the editor in attrs. The API gives no "as of" date, so the facts'
`report_date` is the latest activity or authentication time in the file (or the
`report_date` param): the snapshot is at least that recent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.connectors.base import ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector
from uptake.ingest.connectors.fields import (
    RecordError,
    iso_utc,
    json_text,
    opt_day,
    opt_object,
    opt_str,
    opt_timestamp,
    parse_day,
    price_param,
    req_str,
    require_object,
    type_name,
)
from uptake.ingest.connectors.loading import load_json

SOURCE = "github-copilot-seats"
TOOL = "github-copilot"
PLAN_TYPES = ("business", "enterprise", "unknown")
# The assignee object names the user; only its login is used (as the person).
IDENTIFIERS = frozenset({"assignee", "login", "id", "node_id", "name", "email"})


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read a Copilot seats listing (one page, several pages as NDJSON, or an array of pages).

    Args:
        path: the JSON file.
        options: params `report_date` (YYYY-MM-DD, the snapshot date) and `monthly_cost`
            (price of one seat, e.g. 19 for Business; the API does not report it).

    Returns:
        licenses and person_facts.
    """
    opts = ConnectorOptions.coerce(options)
    cost = price_param(opts.param("monthly_cost"))
    as_of = opts.param("report_date")
    data = load_json(path)
    col = Collector("licenses", "person_facts")
    if data.is_ndjson:
        pages = list(col.lines(data))
    elif isinstance(data.document, dict):
        pages = [(f"{path.name}", data.document)]
    elif isinstance(data.document, list) and all(isinstance(p, dict) for p in data.document):
        pages = [(f"{path.name}:page {i}", p) for i, p in enumerate(data.document, start=1)]
    else:
        raise InputError(
            f"{path}: expected the seats response object {{total_seats, seats: [...]}}, "
            f"got {type_name(data.document)}"
        )
    seats: list[tuple[str, Any]] = []
    for where, page in pages:
        if not isinstance(page, dict) or not isinstance(page.get("seats"), list):
            if data.is_ndjson:
                col.source_rows += 1
                col.reject(where, "unsupported_record", "seats", "expected a seats page", page)
                continue
            raise InputError(f"{path}: {where}: field seats: expected an array of seat objects")
        seats += [(f"{where}:seat {i}", s) for i, s in enumerate(page["seats"], start=1)]
    report_date = parse_day(as_of, "report_date") if as_of else _latest(seats)
    col.each(seats, lambda loc, seat: _seat(col, loc, seat, cost, report_date))
    return col.result()


def _latest(seats: list[tuple[str, Any]]) -> date | None:
    """The latest activity/authentication time over all seats (unparsable ones ignored)."""
    times: list[datetime] = []
    for _, seat in seats:
        if not isinstance(seat, dict):
            continue
        for key in ("last_activity_at", "last_authenticated_at", "created_at"):
            try:
                ts = opt_timestamp(seat, key)
            except RecordError:
                continue
            if ts is not None:
                times.append(ts)
    return max(times).date() if times else None


def _seat(
    col: Collector, loc: str, seat: Any, cost: float | None, report_date: date | None
) -> None:
    seat = require_object(seat, "seat")
    assignee = opt_object(seat, "assignee")
    if not assignee:
        raise RecordError("missing_required", "assignee", "the seat has no assignee")
    login = req_str(assignee, "login", "assignee.login")
    created = opt_timestamp(seat, "created_at")
    if created is None:
        raise RecordError("missing_required", "created_at", "expected the seat's grant time")
    cancel = opt_day(seat, "pending_cancellation_date")
    plan = opt_str(seat, "plan_type")
    if plan is not None and plan not in PLAN_TYPES:
        raise RecordError("bad_enum", "plan_type", f"expected one of {PLAN_TYPES}, got {plan!r}")
    last_activity = opt_timestamp(seat, "last_activity_at")
    last_auth = opt_timestamp(seat, "last_authenticated_at")
    editor = opt_str(seat, "last_activity_editor")
    opt_timestamp(seat, "updated_at")
    team = opt_object(seat, "assigning_team")
    org = opt_object(seat, "organization")
    col.add(
        "licenses",
        loc,
        person=login,
        tool=TOOL,
        assigned_at=iso_utc(created),
        removed_at=f"{cancel.isoformat()}T00:00:00Z" if cancel else None,
        monthly_cost=cost,
    )
    if report_date is None:
        return
    attrs = {
        "plan_type": plan,
        "assigning_team": opt_str(team, "slug", "assigning_team.slug"),
        "organization": opt_str(org, "login", "organization.login"),
    }
    for fact, ts, extra in (
        ("last_activity", last_activity, {"editor": editor, **_editor_parts(editor)}),
        ("last_authenticated", last_auth, {}),
    ):
        col.add(
            "person_facts",
            loc,
            person=login,
            source=SOURCE,
            tool=TOOL,
            report_date=report_date.isoformat(),
            fact=fact,
            value_date=ts.date().isoformat() if ts else None,
            value=float((report_date - ts.date()).days) if ts else None,
            attrs=json_text(
                {
                    k: v
                    for k, v in {**attrs, "at": iso_utc(ts) if ts else None, **extra}.items()
                    if v
                }
            ),
        )


def _editor_parts(editor: str | None) -> dict[str, str]:
    """`vscode/1.77.3/copilot/1.86.82` → editor name/version and plugin name/version."""
    if not editor:
        return {}
    parts = editor.split("/")
    names = ("editor_name", "editor_version", "plugin", "plugin_version")
    return {k: v for k, v in zip(names, parts, strict=False) if v}
