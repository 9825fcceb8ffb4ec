"""Microsoft 365 Copilot usage reports (Microsoft Graph), CSV (v1.0) and JSON (beta).

Three reports share the format name; each file is recognised by its columns/keys:

- user detail (`getMicrosoft365CopilotUsageUserDetail`) →
  `person_facts` per user: `licensed` and `last_activity[.<app>]` with the date in
  `value_date` and the days before the report refresh date in `value`; a `licenses` row
  (the report lists only Copilot-licensed users: a seat inferred from the report, evidence
  `m365 user detail`, from the start of the report period; licence data wins over it); and
  one `prompt` event of quantity 1 per app and last-activity date (an *active app-day*:
  the report has dates, not counts, so this is all it can say about how much).
- user detail by date (`getMicrosoft365CopilotUsageUserDetailByDate`: a `Report Date` /
  `reportDate` field, or `--option date=`): the same facts and seat, but events only for
  the apps used *on that date* — a true daily record; polled daily it is the full history.
  Event ids are shared with the period report, so the same app-day is stored once.

Tenants conceal names by default (UPN and display name as 32-hex strings). Such rows are
kept, but cannot join a roster that does not list the hashes: the result carries a note
saying how many, and how to turn concealment off.
- user count summary → `aggregate_facts` `period_enabled_users` / `period_active_users` per app
  over the report period.
- user count trend → `aggregate_facts` `enabled_users` / `active_users` per app per day.

Columns are read by name (their order differs between doc versions); unknown columns are
kept: dates ending in "Last Activity Date" as facts, numbers as facts or metrics.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.connectors.aggregates import add_fact, numeric
from uptake.ingest.connectors.base import ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector, stable_id
from uptake.ingest.connectors.fields import (
    RecordError,
    day_start,
    json_text,
    opt_day,
    parse_day,
    price_param,
    slug,
    type_name,
)
from uptake.ingest.connectors.loading import load_csv, load_json
from uptake.ingest.connectors.privacy import allowed, looks_identifying

SOURCE = "m365-copilot-usage"
TOOL = "m365-copilot"
# `licenses.evidence` of a seat known only because the user detail report lists the person.
EVIDENCE = "m365 user detail"
DETAIL_TABLES = ("person_facts", "licenses", "events")
DAY_ATTRS = json_text({"granularity": "day", "basis": "last activity date"})
BY_DATE_ATTRS = json_text({"granularity": "day", "basis": "by-date report"})
# A concealed user principal name or display name (the tenant's privacy setting).
HEX32 = re.compile(r"[0-9a-fA-F]{32}")
CONCEALED = (
    "names are concealed in this tenant: {k} of {n} users arrive as 32-hex strings instead "
    "of user principal names, so they cannot join the roster and stay people not in the "
    "roster; turn on display of concealed names in the Microsoft 365 admin centre, or "
    "ingest a mapping (the roster listing each hash as an alias)"
)

# Compact (lower-case, alphanumerics only) app prefixes → our app names; the CSV says
# "PowerPoint", the JSON "powerPoint", so both forms compact to the same key.
APPS = {
    "": "any",
    "anyapp": "any",
    "copilotchat": "copilot_chat",
    "microsoftteams": "teams",
    "microsoftteamscopilot": "teams",
    "word": "word",
    "wordcopilot": "word",
    "excel": "excel",
    "excelcopilot": "excel",
    "powerpoint": "powerpoint",
    "powerpointcopilot": "powerpoint",
    "outlook": "outlook",
    "outlookcopilot": "outlook",
    "onenote": "onenote",
    "onenotecopilot": "onenote",
    "loop": "loop",
    "loopcopilot": "loop",
}
LAST_ACTIVITY = "lastactivitydate"
# Columns naming the user (compact form); only the UPN is used (as the person).
IDENTIFIERS = frozenset({"userprincipalname", "displayname", "mail", "userid"})
# Unknown text columns kept in the `licensed` fact's attrs; any other is dropped.
KEEP = frozenset({"productsassigned", "isdeleted", "deleteddate"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@lru_cache(maxsize=4096)
def compact(name: str) -> str:
    """Header or key as lower-case alphanumerics: `Report Refresh Date` → `reportrefreshdate`.

    Args:
        name: CSV header or JSON key.

    Returns:
        The compact form.
    """
    return re.sub(r"[^a-z0-9]", "", name.lower())


@lru_cache(maxsize=4096)
def label_slug(name: str) -> str:
    """snake_case of a CSV header or a camelCase JSON key.

    Args:
        name: header or key.

    Returns:
        e.g. `copilot_chat_work`.
    """
    return slug(_CAMEL.sub(" ", name))


@lru_cache(maxsize=4096)
def _app(name: str, suffix: str) -> str:
    """App of a column such as `Word Copilot Last Activity Date` (suffix `last_activity_date`)."""
    label = label_slug(name).removesuffix(suffix).strip("_")
    return APPS.get(compact(label), label)


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read an M365 Copilot usage report: user detail, user count summary or trend.

    Args:
        path: `.csv` (v1.0 stream) or JSON (beta `{"value": [...]}`, pages as an array/NDJSON).
        options: params `scope` labels aggregate facts (default `tenant`); `monthly_cost` is
            the price of a seat (unknown when not given); `date` marks a user-detail file as
            the by-date report of that day when its rows carry no report date.

    Returns:
        person_facts, licenses and events (user detail) or aggregate_facts (summary, trend);
        a note when user names are concealed.
    """
    opts = ConnectorOptions.coerce(options)
    scope = opts.param("scope", "tenant")
    cost = price_param(opts.param("monthly_cost"))
    on = _date_param(opts.param("date"))
    names = _Names()
    if path.suffix.lower() == ".csv":
        table = load_csv(path)
        kind = _csv_kind(path, table.header)
        col = Collector(*(DETAIL_TABLES if kind == "detail" else ("aggregate_facts",)))
        for loc, cells, problem in table.malformed:
            col.source_rows += 1
            col.reject(loc, "malformed_record", None, problem, cells)
        items = [(x.locator, (kind, None, x.record)) for x in table.rows]
    else:
        col = Collector(*DETAIL_TABLES, "aggregate_facts")
        items = _json_items(path, col)
    col.each(items, lambda loc, item: _item(col, loc, item, scope, cost, on, names), source=_source)
    if names.concealed:
        col.notes.append(CONCEALED.format(k=names.concealed, n=names.users))
    return col.result()


class _Names:
    """How many user-detail rows were read, and how many had concealed names."""

    def __init__(self) -> None:
        self.users = 0
        self.concealed = 0

    def count(self, upn: str, display: Any) -> None:
        self.users += 1
        hidden = display in (None, "") or (
            isinstance(display, str) and HEX32.fullmatch(display.strip()) is not None
        )
        if HEX32.fullmatch(upn) and hidden:
            self.concealed += 1


def _date_param(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"--option date={text!r}: expected a date YYYY-MM-DD",
            hint="nothing was ingested",
        ) from None


def _source(item: tuple[str, Any, Any]) -> Any:
    """The source record of an item, with the page fields it inherits (summary and trend)."""
    _kind, parent, rec = item
    if parent is None or not isinstance(rec, dict):
        return rec
    return {**{k: v for k, v in parent.items() if not isinstance(v, list | dict)}, **rec}


def _csv_kind(path: Path, header: list[str]) -> str:
    names = {compact(h) for h in header}
    if "userprincipalname" in names:
        return "detail"
    if "reportdate" in names:
        return "trend"
    if any(n.endswith(("enabledusers", "activeusers")) for n in names):
        return "summary"
    raise InputError(
        f"{path}: line 1: not an M365 Copilot usage report; expected a `User Principal Name` "
        "column (user detail) or `… Enabled Users`/`… Active Users` columns (user counts)",
    )


def _json_items(path: Path, col: Collector) -> list[tuple[str, Any]]:
    data = load_json(path)
    if data.is_ndjson:
        pages = list(col.lines(data))
    elif isinstance(data.document, list):
        pages = [(f"{path.name}:page {i}", p) for i, p in enumerate(data.document, start=1)]
    else:
        pages = [(path.name, data.document)]
    items: list[tuple[str, Any]] = []
    for where, page in pages:
        if not isinstance(page, dict) or not isinstance(page.get("value"), list):
            if data.is_ndjson:
                col.source_rows += 1
                col.reject(where, "unsupported_record", "value", "expected a Graph page", page)
                continue
            raise InputError(
                f"{path}: {where}: expected a Microsoft Graph report object "
                f'{{"value": [...]}}, got {type_name(page)}'
            )
        for i, entry in enumerate(page["value"]):
            loc = f"{where}:value[{i}]"
            if isinstance(entry, dict) and isinstance(entry.get("adoptionByProduct"), list):
                for j, sub in enumerate(entry["adoptionByProduct"]):
                    items.append((f"{loc}.adoptionByProduct[{j}]", ("summary", entry, sub)))
            elif isinstance(entry, dict) and isinstance(entry.get("adoptionByDate"), list):
                for j, sub in enumerate(entry["adoptionByDate"]):
                    items.append((f"{loc}.adoptionByDate[{j}]", ("trend", entry, sub)))
            else:
                items.append((loc, ("detail", None, entry)))
    return items


def _item(
    col: Collector,
    loc: str,
    item: tuple[str, Any, Any],
    scope: str | None,
    cost: float | None,
    on: date | None,
    names: _Names,
) -> None:
    kind, parent, rec = item
    if not isinstance(rec, dict):
        raise RecordError("bad_type", None, f"expected an object, got {type_name(rec)}")
    fields = dict(rec)
    if parent is not None:
        fields.update({k: v for k, v in parent.items() if not isinstance(v, list | dict)})
    if kind == "detail":
        _detail(col, loc, fields, cost, on, names)
    else:
        _counts(col, loc, fields, kind, scope)


def _find(fields: Mapping[str, Any], name: str) -> tuple[str, Any] | None:
    key = _first_keys(tuple(fields)).get(name)
    return None if key is None else (key, fields[key])


@lru_cache(maxsize=1024)
def _first_keys(keys: tuple[str, ...]) -> dict[str, str]:
    """Each compact name's first key among a record's keys (every row of a CSV shares them)."""
    return {compact(k): k for k in reversed(keys)}


def _required_day(fields: Mapping[str, Any], name: str, label: str) -> date:
    found = _find(fields, name)
    if found is None or found[1] in (None, ""):
        raise RecordError("missing_required", label, "expected a date YYYY-MM-DD")
    return parse_day(found[1], found[0])


def _period(fields: Mapping[str, Any]) -> int | None:
    found = _find(fields, "reportperiod")
    if found is None:
        by_period = _find(fields, "copilotactivityuserdetailsbyperiod")
        if by_period and isinstance(by_period[1], list) and by_period[1]:
            first = by_period[1][0]
            found = ("reportPeriod", first.get("reportPeriod")) if isinstance(first, dict) else None
    if found is None or found[1] in (None, ""):
        return None
    key, value = found
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError("bad_type", key, f"expected a number of days, got {value!r}") from None
    if isinstance(value, bool) or not number.is_integer() or number <= 0:
        raise RecordError("bad_type", key, f"expected a number of days, got {value!r}")
    return int(number)


def _number(key: str, value: Any) -> float | None:
    """A count cell: JSON number or CSV digits; "" and null are None."""
    if value is None or value == "":
        return None
    number: float | None = None
    if numeric(value):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise RecordError("bad_type", key, f"expected a number, got {value!r:.40}")
    return number


# User-detail fields read elsewhere (the person, the report's dates and period).
_DETAIL_SKIP = frozenset({
    "userprincipalname", "displayname", "reportrefreshdate", "reportperiod", "reportdate",
    "copilotactivityuserdetailsbyperiod",
})  # fmt: skip
_DIGITS = re.compile(r"\s*-?\d+(\.\d+)?\s*")


@lru_cache(maxsize=4096)
def _detail_field(key: str) -> tuple[str, str]:
    """How a user-detail field is read, decided once per header rather than once per row.

    Args:
        key: the CSV header or JSON key.

    Returns:
        ("skip", ""), ("last", the fact: `last_activity` or `last_activity.<app>`), or
        ("value", its label: a count fact when numeric, else an `other` attribute).
    """
    name = compact(key)
    if name in _DETAIL_SKIP or name in IDENTIFIERS or looks_identifying(key):
        return "skip", ""
    if name.endswith(LAST_ACTIVITY):
        app = _app(key, "last_activity_date")
        return "last", "last_activity" if app == "any" else f"last_activity.{app}"
    return "value", label_slug(key)


def _detail(
    col: Collector,
    loc: str,
    fields: dict[str, Any],
    cost: float | None,
    on: date | None,
    names: _Names,
) -> None:
    upn_field = _find(fields, "userprincipalname")
    upn = upn_field[1].strip() if upn_field and isinstance(upn_field[1], str) else ""
    if not upn:
        raise RecordError("missing_required", "userPrincipalName", "field is absent or empty")
    refreshed = _required_day(fields, "reportrefreshdate", "reportRefreshDate")
    row_day = _find(fields, "reportdate")
    if row_day is not None and row_day[1] not in (None, ""):
        on = parse_day(row_day[1], row_day[0])
    period = _period(fields)
    base: dict[str, Any] = {"report_period_days": period}
    if on is not None:
        base = {"report_date": on.isoformat()}
    other: dict[str, Any] = {}
    facts: list[tuple[str, date | None, float | None]] = []
    for key, value in fields.items():
        kind, label = _detail_field(key)
        if kind == "skip":
            continue
        if kind == "last":
            when = opt_day(fields, key)
            ago = float((refreshed - when).days) if when else None
            facts.append((label, when, ago))
        elif numeric(value) or (isinstance(value, str) and _DIGITS.fullmatch(value)):
            facts.append((label, None, _number(key, value)))
        elif value not in (None, ""):
            other[label] = value
    other, dropped = allowed(other, KEEP)
    col.dropped.update(dropped)
    facts.insert(0, ("licensed", refreshed, 1.0))
    _seat_and_days(col, loc, upn, refreshed, period, cost, facts, on)
    # Every fact but a `licensed` one with extra columns has the same attrs: encode once.
    base_text = json_text(base)
    report_date = refreshed.isoformat()
    for fact, when, value in facts:
        extra = fact == "licensed" and other
        attrs = json_text({**base, "other": other}) if extra else base_text
        col.add(
            "person_facts",
            loc,
            person=upn,
            source=SOURCE,
            tool=TOOL,
            report_date=report_date,
            fact=fact,
            value_date=when.isoformat() if when else None,
            value=value,
            attrs=attrs,
        )
    display = _find(fields, "displayname")
    names.count(upn, display[1] if display else None)


def _seat_and_days(
    col: Collector,
    loc: str,
    upn: str,
    refreshed: date,
    period: int | None,
    cost: float | None,
    facts: list[tuple[str, date | None, float | None]],
    on: date | None = None,
) -> None:
    """The seat a listed user holds and their active app-days (one event each).

    Event ids depend only on user, app and day, so the same day seen in many reports (a
    daily by-date poll, overlapping periods) is stored once. A by-date report (`on` set)
    gives only the app-days of its own date: that is what it observes for the day.
    """
    start = on if on is not None else refreshed - timedelta(days=(period or 1) - 1)
    col.add(
        "licenses",
        loc,
        person=upn,
        tool=TOOL,
        assigned_at=day_start(start),
        monthly_cost=cost,
        evidence=EVIDENCE,
    )
    by_app: dict[date, list[str]] = {}
    any_days: set[date] = set()
    for fact, when, _ in facts:
        if when is None or not fact.startswith("last_activity") or (on and when != on):
            continue
        if fact == "last_activity":
            any_days.add(when)
        else:
            by_app.setdefault(when, []).append(fact.removeprefix("last_activity."))
    # The any-app date counts only when no app accounts for that day (an app the report
    # does not break out).
    for day in any_days - set(by_app):
        by_app[day] = ["any"]
    for day, apps in sorted(by_app.items()):
        for app in sorted(set(apps)):
            col.add(
                "events",
                loc,
                event_id=stable_id("m365", SOURCE, upn.lower(), day, app),
                ts=day_start(day),
                person=upn,
                tool=TOOL,
                action="prompt",
                surface=None if app == "any" else app,
                quantity=1,
                attrs=BY_DATE_ATTRS if on else DAY_ATTRS,
            )


def _counts(col: Collector, loc: str, fields: dict[str, Any], kind: str, scope: str | None) -> None:
    refreshed = _required_day(fields, "reportrefreshdate", "reportRefreshDate")
    day = _required_day(fields, "reportdate", "reportDate") if kind == "trend" else refreshed
    period = _period(fields)
    skip = {"reportrefreshdate", "reportdate", "reportperiod"}
    facts: list[tuple[str, dict[str, str], float]] = []
    for key, value in fields.items():
        name = compact(key)
        if name in skip or isinstance(value, list | dict):
            continue
        number = _number(key, value)
        if number is None:
            continue
        metric = next(
            (m for m in ("enabled_users", "active_users") if name.endswith(compact(m))), ""
        )
        dims = {"app": _app(key, metric)} if metric else {}
        metric = metric or label_slug(key)
        if kind == "summary":
            metric = f"period_{metric}" if dims else metric
            dims["period_days"] = str(period) if period else "unknown"
        facts.append((metric, dims, number))
    if not facts:
        raise RecordError("missing_required", None, "the row carries no user counts")
    for metric, dims, number in facts:
        add_fact(
            col,
            loc,
            day=day,
            source=SOURCE,
            tool=TOOL,
            metric=metric,
            scope=scope,
            dims=dims,
            value=number,
        )
