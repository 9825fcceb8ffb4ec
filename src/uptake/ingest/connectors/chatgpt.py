"""ChatGPT Enterprise/Edu workspace analytics CSV exports: User Engagement and GPT Engagement.

The User Engagement export has one row per user per period (a week or a calendar month).
A period is stored as a period, never spread into daily rows, so this connector produces no
events. Each user row becomes `person_facts` with `report_date` = the period's first day
and fact names prefixed with the grain (`week.messages`, `month.is_active`, …), so a weekly
and a monthly export that start on the same day never overwrite each other; the period
itself is in `attrs` (`granularity`, `period_start`, `period_end`). First/last active days
are date facts (`value_date`). Rows without an e-mail are summed into `aggregate_facts`.
The GPT Engagement export becomes `aggregate_facts` per custom GPT and period.
"""

from __future__ import annotations

import calendar
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.connectors.aggregates import add_fact, looks_like_counter
from uptake.ingest.connectors.base import Connector, ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector
from uptake.ingest.connectors.fields import RecordError, json_text, opt_day, parse_day, slug
from uptake.ingest.connectors.loading import load_csv
from uptake.ingest.connectors.privacy import allowed, looks_identifying

SOURCE = "chatgpt-enterprise"
TOOL = "chatgpt-enterprise"
GRAINS = {"week": "week", "weekly": "week", "month": "month", "monthly": "month"}
PERIOD_COLUMNS = frozenset({"cadence", "period_start", "period_end"})
# Columns naming a person (snake_case as exported); `email` is the person, the others are
# never stored outside `identities`.
IDENTIFIERS = frozenset(
    {
        "email",
        "name",
        "public_id",
        "user_id",
        "user_email",
        "user_name",
        "gpt_creator_public_id",
        "gpt_creator_email",
        "project_creator_public_id",
        "project_creator_email",
    }
)
# Known per-user counts → fact name (after the grain prefix).
COUNTS = {
    "messages": "messages",
    "messages_rank": "messages_rank",
    "gpt_messages": "gpt_messages",
    "gpts_messaged": "gpts_messaged",
    "tool_messages": "tool_messages",
    "tools_messaged": "tools_messaged",
    "project_messages": "project_messages",
    "projects_messaged": "projects_messaged",
    "projects_created": "projects_created",
    # Not in the published glossary; read when an export carries it.
    "days_active": "active_days",
    "active_days": "active_days",
    "days_active_in_period": "active_days",
    "num_days_active": "active_days",
}
DATES = {
    "first_day_active_in_period": "first_active_day",
    "last_day_active_in_period": "last_active_day",
    "last_day_active": "last_active_day_any_period",
}
# JSON breakdown columns → (the fact they split, attrs key).
BREAKDOWNS = {
    "model_to_messages": ("messages", "by_model"),
    "gpt_to_messages": ("gpt_messages", "by_gpt"),
    "tool_to_messages": ("tool_messages", "by_tool"),
    "project_to_messages": ("project_messages", "by_project"),
}
# Known descriptive columns, stored in the attrs of every fact of the row.
PROFILE = ("account_id", "user_role", "role", "department", "groups", "user_status")
PROFILE_DATES = ("created_or_invited_date",)
# Sums across users without an e-mail; ranks and distinct counts do not add up.
ADDITIVE = ("messages", "gpt_messages", "tool_messages", "project_messages", "projects_created")
GPT_COUNTS = ("messages_workspace", "unique_messagers_workspace")
GPT_SKIP = frozenset({"gpt_name", "gpt_description", "gpt_url", "config_type"})
GPT_DATES = frozenset({"first_day_active_in_period", "last_day_active_in_period"})
# Unknown non-identifying text columns kept in attrs (`extra`); any other is dropped.
KEEP = frozenset({"workspace_id", "seat_type", "plan_type", "license_type"})
NO_EMAIL = "users without e-mail"
_TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "0.0"})


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read a ChatGPT Enterprise User Engagement or GPT Engagement CSV export.

    Args:
        path: the CSV file as downloaded from Workspace settings → Analytics.
        options: `period` (week|month) when the file has no `cadence` column and its dates do
            not tell; `scope` labels aggregate facts when rows carry no `account_id`.

    Returns:
        person_facts and aggregate_facts (User Engagement) or aggregate_facts (GPT Engagement).
    """
    opts = ConnectorOptions.coerce(options)
    forced = opts.param("period")
    if forced is not None:
        if forced.strip().lower() not in GRAINS:
            raise InputError(
                f"{path}: option period={forced!r}: expected week or month",
                hint="nothing was ingested",
            )
        forced = GRAINS[forced.strip().lower()]
    table = load_csv(path)
    header = {slug(h) for h in table.header}
    kind = _kind(path, header)
    col = Collector("person_facts", "aggregate_facts")
    for loc, cells, problem in table.malformed:
        col.source_rows += 1
        col.reject(loc, "malformed_record", None, problem, cells)
    state = _State(col, forced, opts.param("scope"))
    handle = state.user if kind == "user" else state.gpt
    # Headers are matched in snake_case (`Period Start` → `period_start`), computed once.
    names = {h: slug(h) for h in table.header}
    rows = [(x.locator, {names.get(k, k): v for k, v in x.record.items()}) for x in table.rows]
    col.each(rows, handle)
    state.flush_no_email()
    return col.result()


def _kind(path: Path, header: set[str]) -> str:
    """Which export the header belongs to, refusing the glossary and unrelated files."""
    if header == {"name", "definition"}:
        raise InputError(
            f"{path}: this is the export's glossary (columns name, definition), not data; "
            "ingest the User Engagement (or GPT Engagement) CSV that came with it",
        )
    if "period_start" not in header:
        raise InputError(
            f"{path}: line 1: no period_start column; expected a ChatGPT Enterprise User "
            "Engagement or GPT Engagement CSV export",
        )
    if "gpt_id" in header and "email" not in header:
        return "gpt"
    if "email" in header or "public_id" in header:
        return "user"
    if "project_id" in header or "project_creator_email" in header:
        raise InputError(
            f"{path}: the Project Engagement export is not supported; ingest the User "
            "Engagement CSV (its project_messages column is read)",
        )
    raise InputError(
        f"{path}: line 1: expected an `email` column (User Engagement export) or a `gpt_id` "
        "column (GPT Engagement export)",
    )


@dataclass(frozen=True)
class Period:
    """One export period: its grain and first and last day."""

    grain: str
    start: date
    end: date

    @property
    def first_day(self) -> str:
        return self.start.isoformat()

    def attrs(self) -> dict[str, str]:
        return {
            "granularity": self.grain,
            "period_start": self.start.isoformat(),
            "period_end": self.end.isoformat(),
        }


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _grain_from_dates(start: date, end: date | None) -> str | None:
    if end is None:
        return None
    if (end - start).days in (6, 7):
        return "week"
    if start.day == 1 and end in (_month_end(start), _month_end(start) + timedelta(days=1)):
        return "month"
    return None


def period(row: Mapping[str, str], forced: str | None) -> Period:
    """The row's period: grain from `cadence`, else the option, else the dates.

    Args:
        row: the CSV row (snake_case keys).
        forced: grain given as `--option period`, or None.

    Returns:
        The period; the end is derived from the grain when the row has none.
    """
    start = parse_day(row.get("period_start"), "period_start")
    end = opt_day(row, "period_end")
    cadence = (row.get("cadence") or "").strip().lower()
    if cadence:
        grain = GRAINS.get(cadence)
        if grain is None:
            raise RecordError("bad_enum", "cadence", f"expected weekly or monthly, got {cadence!r}")
        if forced and forced != grain:
            raise RecordError(
                "bad_enum", "cadence", f"the row says {cadence!r} but --option period={forced}"
            )
    else:
        found = forced or _grain_from_dates(start, end)
        if found is None:
            raise RecordError(
                "missing_required",
                "cadence",
                "cannot tell a weekly from a monthly row (no cadence, and period_start/"
                "period_end span neither a week nor a calendar month); pass --option "
                "period=week or period=month",
            )
        grain = found
    if end is None:
        end = start + timedelta(days=6) if grain == "week" else _month_end(start)
    if end < start:
        raise RecordError("bad_timestamp", "period_end", "the period ends before it starts")
    return Period(grain, start, end)


def number(row: Mapping[str, str], key: str, *, count: bool = True) -> float | None:
    """A numeric cell; blank is None (not reported), never 0.

    Args:
        row: the row.
        key: column.
        count: whether the value must be ≥ 0.

    Returns:
        The number or None.
    """
    text = (row.get(key) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (count and value < 0):
        kind = "a count ≥ 0" if count else "a number"
        raise RecordError("bad_type", key, f"expected {kind}, got {text[:40]!r}")
    return value


def flag(row: Mapping[str, str], key: str) -> float | None:
    """A true/false cell as 1/0; blank is None.

    Args:
        row: the row.
        key: column.

    Returns:
        1.0, 0.0 or None.
    """
    text = (row.get(key) or "").strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return 1.0
    if text in _FALSE:
        return 0.0
    raise RecordError("bad_type", key, f"expected true/false, got {text[:40]!r}")


def _json_cell(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _breakdown(row: Mapping[str, str], key: str) -> dict[str, float] | None:
    """A `{name: count}` JSON cell; None when blank or not in that shape."""
    text = (row.get(key) or "").strip()
    value = _json_cell(text) if text else None
    if not isinstance(value, dict):
        return None
    out: dict[str, float] = {}
    for name, count in value.items():
        if isinstance(count, bool) or not isinstance(count, int | float):
            return None
        if not math.isfinite(count):
            return None
        out[str(name)] = float(count)
    return out


def _profile_value(text: str) -> Any:
    # `department`/`groups` may be exported as a JSON array string.
    stripped = text.strip()
    if stripped.startswith("["):
        value = _json_cell(stripped)
        if isinstance(value, list):
            return value
    return stripped


@dataclass
class _State:
    """Reads rows of one file; sums rows without an e-mail until the end of the file."""

    col: Collector
    forced: str | None
    default_scope: str | None
    no_email: dict[tuple[Period, str | None], dict[str, float]] = field(default_factory=dict)
    no_email_loc: dict[tuple[Period, str | None], str] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)
    empty: int = 0

    def scope(self, row: Mapping[str, str]) -> str | None:
        account = (row.get("account_id") or "").strip()
        return f"account:{account}" if account else self.default_scope

    def user(self, loc: str, row: dict[str, str]) -> None:
        """One User Engagement row → person facts, or a contribution to the no-e-mail sums."""
        when = period(row, self.forced)
        values: dict[str, float] = {}
        dates: dict[str, date] = {}
        attrs: dict[str, Any] = when.attrs()
        other: dict[str, Any] = {}
        for key, text in row.items():
            if key in PERIOD_COLUMNS or key in IDENTIFIERS or key in BREAKDOWNS:
                continue
            if key == "is_active":
                found = flag(row, key)
                if found is not None:
                    values["is_active"] = found
            elif key in COUNTS:
                found = number(row, key)
                if found is not None:
                    values[COUNTS[key]] = found
            elif key in DATES:
                day = opt_day(row, key)
                if day is not None:
                    dates[DATES[key]] = day
            elif key in PROFILE:
                if text.strip():
                    attrs[key] = _profile_value(text)
            elif key in PROFILE_DATES:
                day = opt_day(row, key)
                if day is not None:
                    attrs[key] = day.isoformat()
            elif looks_identifying(key) or not text.strip():
                if text.strip():
                    self.col.dropped.add(key)
                continue
            elif looks_like_counter(key) or _numeric_text(text):
                found = number(row, key, count=False)
                if found is not None:
                    values[key] = found
            else:
                other[key] = text.strip()
        kept, dropped = allowed(other, KEEP)
        self.col.dropped.update(dropped)
        if kept:
            attrs["extra"] = kept
        email = (row.get("email") or "").strip()
        scope = self.scope(row)
        if not email:
            self._count_no_email(loc, when, scope, values)
            return
        splits: dict[str, dict[str, Any]] = {}
        for key, (fact, name) in BREAKDOWNS.items():
            if (row.get(key) or "").strip():
                split = _breakdown(row, key)
                if split is None:
                    self.unreadable.add(key)
                else:
                    splits.setdefault(fact, {})[name] = split
        if not values and not dates:
            self.empty += 1
        base = json_text(attrs)
        for fact, value in values.items():
            split = splits.get(fact)
            text = json_text({**attrs, **split}) if split else base
            self._fact(loc, email, when, fact, None, value, text)
        for fact, day in dates.items():
            self._fact(loc, email, when, fact, day, None, base)

    def _fact(
        self,
        loc: str,
        email: str,
        when: Period,
        fact: str,
        day: date | None,
        value: float | None,
        attrs: str,
    ) -> None:
        self.col.add(
            "person_facts",
            loc,
            person=email,
            source=SOURCE,
            tool=TOOL,
            report_date=when.first_day,
            fact=f"{when.grain}.{fact}",
            value_date=day.isoformat() if day else None,
            value=value,
            attrs=attrs,
        )

    def _count_no_email(
        self, loc: str, when: Period, scope: str | None, values: Mapping[str, float]
    ) -> None:
        key = (when, scope)
        sums = self.no_email.setdefault(key, {})
        self.no_email_loc.setdefault(key, loc)
        sums["users"] = sums.get("users", 0.0) + 1
        if "is_active" in values:
            sums["active_users"] = sums.get("active_users", 0.0) + values["is_active"]
        for name in (*ADDITIVE, "active_days"):
            if name in values:
                sums[name] = sums.get(name, 0.0) + values[name]

    def flush_no_email(self) -> None:
        """Write the sums of rows without an e-mail, one fact per period and number."""
        if self.empty:
            self.col.notes.append(
                f"{self.empty} user row(s) carry no activity columns (is_active, messages, "
                "active days all blank): nothing to store for them"
            )
        if self.unreadable:
            self.col.notes.append(
                "breakdown column(s) not in the form {name: count} were not kept: "
                + ", ".join(sorted(self.unreadable))
            )
        for (when, scope), sums in self.no_email.items():
            loc = self.no_email_loc[(when, scope)]
            dims = {"period_end": when.end.isoformat(), "subset": NO_EMAIL}
            for name, value in sums.items():
                add_fact(
                    self.col,
                    loc,
                    day=when.start,
                    source=SOURCE,
                    tool=TOOL,
                    metric=f"{when.grain}.{name}",
                    scope=scope,
                    dims=dims,
                    value=value,
                )
        if self.no_email:
            users = sum(int(s["users"]) for s in self.no_email.values())
            self.col.notes.append(
                f"{users} row(s) without an e-mail were summed into aggregate_facts "
                "(not attributable to a person)"
            )

    def gpt(self, loc: str, row: dict[str, str]) -> None:
        """One GPT Engagement row → aggregate facts for that custom GPT and period."""
        when = period(row, self.forced)
        gpt_id = (row.get("gpt_id") or "").strip()
        if not gpt_id:
            raise RecordError("missing_required", "gpt_id", "field is absent or empty")
        values: dict[str, float] = {}
        for key, text in row.items():
            if key in PERIOD_COLUMNS or key in IDENTIFIERS or key in GPT_SKIP or key == "gpt_id":
                continue
            if key == "is_active":
                found = flag(row, key)
            elif key in GPT_COUNTS:
                found = number(row, key)
            elif key in GPT_DATES or key == "account_id":
                # Validated, but a date cannot be an aggregate value.
                if key in GPT_DATES:
                    opt_day(row, key)
                continue
            elif not looks_identifying(key) and (looks_like_counter(key) or _numeric_text(text)):
                found = number(row, key, count=False)
            else:
                if text.strip():
                    self.col.dropped.add(key)
                continue
            if found is not None:
                values[key] = found
        dims = {"gpt_id": gpt_id, "period_end": when.end.isoformat()}
        for name, value in values.items():
            add_fact(
                self.col,
                loc,
                day=when.start,
                source=SOURCE,
                tool=TOOL,
                metric=f"{when.grain}.gpt.{name}",
                scope=self.scope(row),
                dims=dims,
                value=value,
            )


def _numeric_text(text: str) -> bool:
    try:
        return math.isfinite(float(text.strip()))
    except ValueError:
        return False


CONNECTORS: tuple[Connector, ...] = (
    Connector(
        "chatgpt-enterprise",
        read,
        "ChatGPT Enterprise/Edu analytics CSV exports: User Engagement (one row per user per "
        "week or month) → period person facts (messages, GPT/tool/project messages, active, "
        "first/last active day), no daily events; GPT Engagement → aggregate facts per GPT",
        ("person_facts", "aggregate_facts"),
        params={
            "period": "week or month, when the file has no cadence column and its "
            "period_start/period_end do not tell",
            "scope": "label for aggregate facts when rows carry no account_id",
        },
        keep=KEEP,
        identifiers=IDENTIFIERS,
    ),
)
