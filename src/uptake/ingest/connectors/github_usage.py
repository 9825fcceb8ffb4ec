"""GitHub Copilot usage-metrics reports (2025+): per-user days → events, org/enterprise → facts.

Reads the NDJSON files behind the `users-1-day`, `users-28-day`, `enterprise-1-day`,
`organization-28-day`, … download links (a JSON array, as in GitHub's docs, works too).

Per-user records become `events` at daily grain: one row per user × day × feature × counter
with the count in `quantity` (zero counts make no row):
`user_initiated_interaction_count` → `prompt`, `code_generation_activity_count` →
`suggestion`, `code_acceptance_activity_count` → `accept`. CLI use reported only in
`totals_by_cli` becomes `prompt` events of feature `copilot_cli`. The record's scalar numbers
(lines added, `used_agent`, …) become `person_facts`. Enterprise/organisation records become
`aggregate_facts`, one per day × counter × breakdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.connectors.aggregates import (
    add_fact,
    counters,
    flatten_counters,
    looks_like_counter,
    numeric,
)
from uptake.ingest.connectors.base import ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector, stable_id
from uptake.ingest.connectors.fields import (
    RecordError,
    day_start,
    json_text,
    opt_bool,
    opt_list,
    opt_number,
    opt_object,
    opt_str,
    parse_day,
    req_str,
    type_name,
)
from uptake.ingest.connectors.loading import load_json
from uptake.ingest.connectors.privacy import allowed, looks_identifying

SOURCE = "github-copilot-usage"
TOOL = "github-copilot"

# Counter → canonical action. One event row per counter keeps "how many" in `quantity`.
COUNTERS: dict[str, str] = {
    "user_initiated_interaction_count": "prompt",
    "code_generation_activity_count": "suggestion",
    "code_acceptance_activity_count": "accept",
}
ID_KEYS = frozenset({"enterprise_id", "organization_id", "user_id", "user_login"})
META_KEYS = frozenset({"etl_id", "day_partition", "entity_id_partition", "day"})
BREAKDOWNS = frozenset(
    {
        "totals_by_ide",
        "totals_by_feature",
        "totals_by_language_feature",
        "totals_by_language_model",
        "totals_by_model_feature",
        "totals_by_cli",
    }
)
CLI_FEATURE = "copilot_cli"
# Fields naming the user; only `user_login` is used (as the person, resolved to a key).
IDENTIFIERS = frozenset({"user_login", "user_id", "user_email", "user_name", "display_name"})
# Unknown non-numeric fields kept in events.attrs; any other unknown field is dropped.
KEEP = frozenset({"plan_type", "report_start_day", "report_end_day", "client_type"})


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read a Copilot usage-metrics report (user-level or enterprise/organisation-level).

    Args:
        path: NDJSON or JSON-array report file.
        options: `scope` param labels aggregate facts when records carry no enterprise or
            organisation id.

    Returns:
        events and person_facts for user records; aggregate_facts for enterprise/org records.
    """
    opts = ConnectorOptions.coerce(options)
    data = load_json(path)
    col = Collector("events", "person_facts", "aggregate_facts")
    if data.is_ndjson:
        col.take_bad_lines(data)
        items = [(x.locator, x.record) for x in data.lines or []]
    else:
        items = _document_items(path, data.document)
    default_scope = opts.param("scope")
    col.each(items, lambda loc, rec: _record(col, loc, rec, default_scope))
    return col.result()


def _document_items(path: Path, doc: Any) -> list[tuple[str, Any]]:
    if isinstance(doc, dict):
        if "download_links" in doc:
            raise InputError(
                f"{path}: this is the report-links response (download_links), not a report; "
                "download the files it links to and ingest those",
            )
        return [(f"{path.name}:record 1", doc)]
    if isinstance(doc, list):
        return [(f"{path.name}:record {i}", rec) for i, rec in enumerate(doc, start=1)]
    raise InputError(
        f"{path}: expected a JSON array or NDJSON of Copilot usage records, got {type_name(doc)}"
    )


def _record(col: Collector, loc: str, rec: Any, default_scope: str | None) -> None:
    if not isinstance(rec, dict):
        raise RecordError("bad_type", None, f"expected a record object, got {type_name(rec)}")
    if "day_totals" in rec:
        _aggregate_record(col, loc, rec, default_scope)
    elif "user_login" in rec or "user_id" in rec:
        _user_record(col, loc, rec)
    else:
        raise RecordError(
            "unsupported_record",
            None,
            "neither a user record (user_login, day) nor an enterprise/organisation "
            "record (day_totals)",
        )


def _scope(rec: Mapping[str, Any], default: str | None) -> str | None:
    org = opt_str(rec, "organization_id")
    if org:
        return f"organization:{org}"
    ent = opt_str(rec, "enterprise_id")
    if ent:
        return f"enterprise:{ent}"
    return default


@dataclass
class _UserDay:
    """Row factory for one user-day record."""

    col: Collector
    loc: str
    login: str
    day: date
    scope: str | None
    attrs: dict[str, Any]
    surface: str | None
    _fact_attrs: str | None = None

    def event(self, feature: str, counter: str, count: float, **attrs: Any) -> None:
        action = COUNTERS.get(counter, "prompt")
        self.col.add(
            "events",
            self.loc,
            event_id=stable_id(
                "ghcu", SOURCE, self.scope, self.login.lower(), self.day, feature, action
            ),
            ts=day_start(self.day),
            person=self.login,
            tool=TOOL,
            action=action,
            surface="cli" if feature == CLI_FEATURE else self.surface,
            quantity=int(count),
            attrs=json_text({**self.attrs, **attrs, "feature": feature, "count_of": counter}),
        )

    def fact(self, name: str, _dims: Mapping[str, str], value: float) -> None:
        self.col.add(
            "person_facts",
            self.loc,
            person=self.login,
            source=SOURCE,
            tool=TOOL,
            report_date=self.day.isoformat(),
            fact=name,
            value=value,
            attrs=self.fact_attrs,
        )

    @property
    def fact_attrs(self) -> str:
        # The same for every fact of the record: encoded once (10+ facts per record).
        if self._fact_attrs is None:
            self._fact_attrs = json_text({"granularity": "day", "scope": self.scope})
        return self._fact_attrs


def _scalars(rec: Mapping[str, Any]) -> dict[str, float]:
    """The record's own numbers and flags (booleans as 1/0), type-checked."""
    out: dict[str, float] = {}
    for key, value in rec.items():
        if key in ID_KEYS | META_KEYS | BREAKDOWNS or value is None or looks_identifying(key):
            continue
        if key.startswith("used_"):
            out[key] = 1.0 if opt_bool(rec, key) else 0.0
        elif numeric(value) or key in COUNTERS or key.startswith("loc_") or looks_like_counter(key):
            out[key] = opt_number(rec, key) or 0.0
        elif isinstance(value, bool):
            out[key] = 1.0 if value else 0.0
    return out


def _user_record(col: Collector, loc: str, rec: dict[str, Any]) -> None:
    login = req_str(rec, "user_login")
    day = parse_day(rec.get("day"), "day")
    scope = _scope(rec, None)
    scalars = _scalars(rec)
    features = opt_list(rec, "totals_by_feature")
    ides = [
        req_str(e, "ide", f"totals_by_ide[{i}].ide")
        for i, e in enumerate(opt_list(rec, "totals_by_ide"))
    ]
    by_lang = _split(rec, "totals_by_language_feature", "language")
    by_model = _split(rec, "totals_by_model_feature", "model")
    opt_list(rec, "totals_by_language_model")
    cli = opt_object(rec, "totals_by_cli")
    known = ID_KEYS | META_KEYS | BREAKDOWNS | set(scalars)
    opt_str(rec, "user_id")
    attrs: dict[str, Any] = {"granularity": "day", "scope": scope, "ides": ides}
    extra, dropped = allowed({k: v for k, v in rec.items() if k not in known}, KEEP)
    col.dropped.update(dropped)
    if extra:
        attrs["extra"] = extra
    ud = _UserDay(col, loc, login, day, scope, attrs, ides[0] if len(ides) == 1 else None)

    names: set[str] = set()
    for i, entry in enumerate(features):
        feature = opt_str(entry, "feature", f"totals_by_feature[{i}].feature") or "unknown"
        names.add(feature)
        totals = counters(entry, path=f"totals_by_feature[{i}]")
        for counter in COUNTERS:
            count = totals.get(counter)
            if count:
                ud.event(
                    feature,
                    counter,
                    count,
                    feature_totals=totals,
                    by_language=by_lang.get((feature, counter), {}),
                    by_model=by_model.get((feature, counter), {}),
                )
    if not features:
        for counter in COUNTERS:
            if scalars.get(counter):
                ud.event("all", counter, scalars[counter])
    cli_facts = counters(cli, prefix="totals_by_cli.", path="totals_by_cli")
    prompts = cli_facts.get("totals_by_cli.prompt_count")
    if prompts and CLI_FEATURE not in names:
        ud.event(CLI_FEATURE, "totals_by_cli.prompt_count", prompts, cli=cli)
    for name, value in {**scalars, **cli_facts}.items():
        ud.fact(name, {}, value)


def _split(rec: Mapping[str, Any], key: str, dim: str) -> dict[tuple[str, str], dict[str, float]]:
    """Per (feature, counter): {language or model: count} from a two-way breakdown."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    for i, entry in enumerate(opt_list(rec, key)):
        feature = opt_str(entry, "feature", f"{key}[{i}].feature") or "unknown"
        label = opt_str(entry, dim, f"{key}[{i}].{dim}") or "unknown"
        for counter in COUNTERS:
            count = opt_number(entry, counter, f"{key}[{i}].{counter}")
            if count:
                out.setdefault((feature, counter), {})[label] = count
    return out


def _aggregate_record(
    col: Collector, loc: str, rec: dict[str, Any], default_scope: str | None
) -> None:
    days = opt_list(rec, "day_totals")
    record_scope = _scope(rec, default_scope)
    for i, entry in enumerate(days):
        where = f"day_totals[{i}]"
        day: date = parse_day(entry.get("day"), f"{where}.day")
        scope = (
            _scope(entry, record_scope)
            if ("enterprise_id" in entry or "organization_id" in entry)
            else record_scope
        )

        def emit(
            metric: str,
            dims: dict[str, str],
            value: float,
            _day: date = day,
            _scope: str | None = scope,
        ) -> None:
            add_fact(
                col,
                loc,
                day=_day,
                source=SOURCE,
                tool=TOOL,
                metric=metric,
                scope=_scope,
                dims=dims,
                value=value,
            )

        flatten_counters(entry, emit, skip=ID_KEYS | META_KEYS, path=where)
