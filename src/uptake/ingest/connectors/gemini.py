"""Google Gemini for Workspace activity records (Admin SDK Reports API) → daily events.

Reads `activities.list(userKey="all", applicationName="gemini_in_workspace_apps")`
responses: one page `{kind, items, nextPageToken}`, an array of pages or of activities, or
NDJSON of either. Each activity is one Gemini use (`events[].parameters[]` with `action`
and `app_name`). Activities are counted per person × UTC day × app into one `prompt` event
whose `quantity` is the number of activities and whose attrs hold the count per Gemini
action. A repeated activity (same `id.time` and `id.uniqueQualifier`, e.g. from an
overlapping page) is counted once, and the row's id depends only on person, day and app,
so re-ingesting adds nothing. Activities without an actor e-mail become `aggregate_facts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.connectors.aggregates import add_fact
from uptake.ingest.connectors.base import Connector, ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector, stable_id
from uptake.ingest.connectors.fields import (
    RecordError,
    day_start,
    json_text,
    opt_list,
    opt_object,
    opt_str,
    parse_timestamp,
    req_str,
    slug,
    type_name,
)
from uptake.ingest.connectors.loading import load_json

SOURCE = "gemini-workspace"
TOOL = "gemini-workspace"
APPLICATION = "gemini_in_workspace_apps"
PAGE_KIND = "admin#reports#activities"
# Fields naming a person anywhere in a record; `actor.email` is the person.
IDENTIFIERS = frozenset({"email", "profileId", "ipAddress"})
# Parameters read; other parameter names are named in a note and not kept.
ACTION_PARAMS = ("action",)
APP_PARAMS = ("app_name", "app", "application_name")
UNKNOWN_APP = "unspecified"
COUNT_OF = f"{APPLICATION} activities"


@dataclass
class _Day:
    """Counts for one person (or one actor without e-mail) × day × app."""

    locator: str
    person: str
    actions: dict[str, int] = field(default_factory=dict)


@dataclass
class _State:
    """Accumulates counts across the file; rows are written once every record is read."""

    col: Collector
    default_scope: str | None
    seen: set[tuple[str | None, str, str]] = field(default_factory=set)
    repeats: int = 0
    people: dict[tuple[str, date, str], _Day] = field(default_factory=dict)
    anonymous: dict[tuple[date, str, str, str | None], _Day] = field(default_factory=dict)
    params: set[str] = field(default_factory=set)

    def activity(self, loc: str, rec: Any) -> None:
        """Validate one activity record and add it to the counts (or skip a repeat)."""
        if isinstance(rec, _BadItems):
            got = type_name(rec.items)
            raise RecordError("bad_type", "items", f"expected an array of activities, got {got}")
        if not isinstance(rec, dict):
            got = type_name(rec)
            raise RecordError("bad_type", None, f"expected an activity object, got {got}")
        ident = opt_object(rec, "id")
        application = opt_str(ident, "applicationName", "id.applicationName")
        if application and application != APPLICATION:
            raise RecordError(
                "unsupported_record",
                "id.applicationName",
                f"expected {APPLICATION}, got {application!r}",
            )
        if ident.get("time") in (None, ""):
            raise RecordError("missing_required", "id.time", "field is absent or empty")
        ts = parse_timestamp(ident.get("time"), "id.time")
        qualifier = opt_str(ident, "uniqueQualifier", "id.uniqueQualifier")
        customer = opt_str(ident, "customerId", "id.customerId")
        actor = opt_object(rec, "actor")
        email = opt_str(actor, "email", "actor.email")
        caller = opt_str(actor, "callerType", "actor.callerType")
        uses = [self._event(ev, i) for i, ev in enumerate(opt_list(rec, "events"))]
        if not uses:
            raise RecordError("missing_required", "events", "the activity carries no events")
        # The Reports API identifies an activity by its time plus uniqueQualifier; without
        # the qualifier only an identical record counts as a repeat.
        key = (customer, ts.isoformat(), qualifier or json_text(rec))
        if key in self.seen:
            self.repeats += 1
            return
        self.seen.add(key)
        day = ts.date()
        scope = f"customer:{customer}" if customer else self.default_scope
        for app, action in uses:
            if email:
                entry = self.people.setdefault((email.lower(), day, app), _Day(loc, email))
            else:
                akey = (day, app, caller or "unknown", scope)
                entry = self.anonymous.setdefault(akey, _Day(loc, ""))
            entry.actions[action] = entry.actions.get(action, 0) + 1

    def _event(self, ev: Mapping[str, Any], i: int) -> tuple[str, str]:
        where = f"events[{i}]"
        values: dict[str, str] = {}
        for j, param in enumerate(opt_list(ev, "parameters", f"{where}.parameters")):
            name = req_str(param, "name", f"{where}.parameters[{j}].name")
            value = _param_value(param, f"{where}.parameters[{j}]")
            if name in ACTION_PARAMS or name in APP_PARAMS:
                if value is not None:
                    values[name] = value
            else:
                self.params.add(f"parameters.{name}")
        action = values.get("action") or opt_str(ev, "name", f"{where}.name") or "unspecified"
        app = next((values[p] for p in APP_PARAMS if values.get(p)), UNKNOWN_APP)
        return slug(app) or UNKNOWN_APP, slug(action) or "unspecified"

    def finish(self) -> None:
        """Write one event per person × day × app and one fact per anonymous count."""
        for (person_key, day, app), entry in self.people.items():
            self.col.add(
                "events",
                entry.locator,
                event_id=stable_id("gmws", SOURCE, person_key, day, app, "prompt"),
                ts=day_start(day),
                person=entry.person,
                tool=TOOL,
                action="prompt",
                surface=app,
                quantity=sum(entry.actions.values()),
                attrs=json_text(
                    {
                        "granularity": "day",
                        "feature": app,
                        "count_of": COUNT_OF,
                        "actions": entry.actions,
                    }
                ),
            )
        for (day, app, caller, scope), entry in self.anonymous.items():
            for action, count in entry.actions.items():
                add_fact(
                    self.col,
                    entry.locator,
                    day=day,
                    source=SOURCE,
                    tool=TOOL,
                    metric="activities",
                    scope=scope,
                    dims={"app": app, "action": action, "caller_type": caller},
                    value=float(count),
                )
        if self.repeats:
            self.col.notes.append(
                f"{self.repeats} repeated activit(ies) (same id.time and id.uniqueQualifier) "
                "were counted once"
            )
        if self.anonymous:
            self.col.notes.append(
                "activities without an actor e-mail were counted in aggregate_facts "
                "(not attributable to a person)"
            )
        self.col.dropped.update(self.params)


def _param_value(param: Mapping[str, Any], where: str) -> str | None:
    """A parameter's value as text: `value`, `intValue`, `boolValue` or `multiValue`."""
    if "value" in param and param["value"] is not None:
        return opt_str(param, "value", f"{where}.value")
    if param.get("intValue") is not None:
        # int64 values arrive as JSON strings.
        return opt_str(param, "intValue", f"{where}.intValue")
    if param.get("boolValue") is not None:
        flag = param["boolValue"]
        if not isinstance(flag, bool):
            got = type_name(flag)
            raise RecordError("bad_type", f"{where}.boolValue", f"expected true/false, got {got}")
        return "true" if flag else "false"
    multi = param.get("multiValue")
    if multi is not None:
        if not isinstance(multi, list) or not all(isinstance(v, str) for v in multi):
            raise RecordError("bad_type", f"{where}.multiValue", "expected an array of strings")
        return "+".join(v.strip() for v in multi if v.strip()) or None
    return None


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read Gemini for Workspace activity records from the Admin SDK Reports API.

    Args:
        path: one response page, an array of pages or activities, or NDJSON of either.
        options: `scope` labels aggregate facts when records carry no `id.customerId`.

    Returns:
        events (person × day × app) and aggregate_facts (activities without an e-mail).
    """
    opts = ConnectorOptions.coerce(options)
    data = load_json(path)
    col = Collector("events", "aggregate_facts")
    state = _State(col, opts.param("scope"))
    if data.is_ndjson:
        items: list[tuple[str, Any]] = []
        for loc, rec in col.lines(data):
            items += _expand(loc, rec)
    else:
        items = _document(path, data.document)
    col.each(items, state.activity, source=_source)
    state.finish()
    return col.result()


def _is_page(value: Any) -> bool:
    return isinstance(value, dict) and (
        "items" in value or value.get("kind") == PAGE_KIND or "nextPageToken" in value
    )


@dataclass(frozen=True)
class _BadItems:
    """A page whose `items` is not an array: quarantined as one record."""

    items: Any


def _source(item: Any) -> Any:
    return item.items if isinstance(item, _BadItems) else item


def _expand(where: str, value: Any) -> list[tuple[str, Any]]:
    """The activities of one page (located `…:items[i]`), or the value as one activity."""
    if not _is_page(value):
        return [(where, value)]
    items = value.get("items")
    if items is None:
        return []
    if not isinstance(items, list):
        return [(where, _BadItems(items))]
    return [(f"{where}:items[{i}]", item) for i, item in enumerate(items)]


def _document(path: Path, doc: Any) -> list[tuple[str, Any]]:
    if isinstance(doc, dict):
        if "error" in doc and "items" not in doc:
            raise InputError(
                f"{path}: this is an API error response, not activity records; fix the request "
                "(credentials, applicationName=gemini_in_workspace_apps) and fetch again",
            )
        if not _is_page(doc) and "events" not in doc and "id" not in doc:
            raise InputError(
                f"{path}: expected a Reports API activities response "
                '{"kind": "admin#reports#activities", "items": [...]} or activity records',
            )
        if _is_page(doc) and doc.get("items") is not None and not isinstance(doc["items"], list):
            raise InputError(f"{path}: items: expected an array, got {type_name(doc['items'])}")
        return _expand(path.name, doc)
    if isinstance(doc, list):
        out: list[tuple[str, Any]] = []
        for i, value in enumerate(doc, start=1):
            where = f"{path.name}:page {i}" if _is_page(value) else f"{path.name}:record {i}"
            out += _expand(where, value)
        return out
    raise InputError(
        f"{path}: expected a Reports API activities response or an array of activities, "
        f"got {type_name(doc)}"
    )


CONNECTORS: tuple[Connector, ...] = (
    Connector(
        "gemini-workspace",
        read,
        "Google Gemini for Workspace activity records (Admin SDK Reports API, "
        "gemini_in_workspace_apps) → daily prompt events per person and app with per-action "
        "counts; activities without an actor e-mail → aggregate facts",
        ("events", "aggregate_facts"),
        params={"scope": "label for aggregate facts when records carry no id.customerId"},
        identifiers=IDENTIFIERS,
    ),
)
