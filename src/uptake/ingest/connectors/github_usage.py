"""GitHub Copilot usage-metrics reports (2025+): per-user days → events, org/enterprise → facts.

Reads the NDJSON files behind the `users-1-day`, `users-28-day`, `user-teams-1-day`,
`enterprise-1-day`, `organization-28-day`, … download links (a JSON array, as in GitHub's
docs, works too).

Per-user records become `events` at daily grain: one row per user × day × feature × counter
with the count in `quantity` (zero counts make no row):
`user_initiated_interaction_count` → `prompt`, `code_generation_activity_count` →
`suggestion`, `code_acceptance_activity_count` → `accept`. CLI use reported only in
`totals_by_cli` becomes `prompt` events of feature `copilot_cli` (likewise `totals_by_copilot_app`
→ feature `copilot_app`); each `totals_by_3rd_party_agent` entry → `prompt` events of feature
`3rd_party_agent:<agent_id>`. The record's scalar numbers (lines added, `used_agent`, …)
become `person_facts`; `ai_adoption_phase` → fact `ai_adoption_phase` (the phase number);
`ai_credits_used` → facts `credits` and `cost` (1 credit = 0.01 USD, GitHub's rate).
User-teams records (`team_id`, `slug`) → one `github_team` fact per person and day naming
every team of that day. Enterprise/organisation records become `aggregate_facts`, one per
day × counter × breakdown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
        "totals_by_copilot_app",
        "totals_by_3rd_party_agent",
    }
)
CLI_FEATURE = "copilot_cli"
APP_FEATURE = "copilot_app"
AGENT_FEATURE = "3rd_party_agent"
# Per-surface totals objects (only present when used) → the feature their prompts fill.
SURFACE_TOTALS = {"totals_by_cli": CLI_FEATURE, "totals_by_copilot_app": APP_FEATURE}
SURFACES = {CLI_FEATURE: "cli", APP_FEATURE: "copilot_app"}
PHASE = "ai_adoption_phase"
CREDITS = "ai_credits_used"
# GitHub documents 1 AI credit = 0.01 USD.
USD_PER_CREDIT = 0.01
TEAM_FACT = "github_team"
TEAM_KEYS = frozenset({"team_id", "slug"})
# Fields naming the user; only `user_login` is used (as the person, resolved to a key).
IDENTIFIERS = frozenset({"user_login", "user_id", "user_email", "user_name", "display_name"})
# Unknown non-numeric fields kept in events.attrs; any other unknown field is dropped.
KEEP = frozenset({"plan_type", "report_start_day", "report_end_day", "client_type"})

# (login lower-cased, day) → memberships of that day, gathered from user-teams records.
Teams = dict[tuple[str, date], list[dict[str, Any]]]


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
    # NDJSON lines are read as they are handled: a users-28-day report has a record per user
    # and day, and only the record in hand is held.
    items: Iterable[tuple[str, Any]] = (
        col.lines(data) if data.is_ndjson else _document_items(path, data.document)
    )
    default_scope = opts.param("scope")
    teams: Teams = {}
    col.each(items, lambda loc, rec: _record(col, loc, rec, default_scope, teams))
    _team_facts(col, teams)
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


def _record(col: Collector, loc: str, rec: Any, default_scope: str | None, teams: Teams) -> None:
    if not isinstance(rec, dict):
        raise RecordError("bad_type", None, f"expected a record object, got {type_name(rec)}")
    if "day_totals" in rec:
        _aggregate_record(col, loc, rec, default_scope)
    elif TEAM_KEYS & rec.keys() and ("user_login" in rec or "user_id" in rec):
        _team_record(loc, rec, teams)
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
        if feature.startswith(f"{AGENT_FEATURE}:"):
            surface = None  # a third-party agent runs outside the user's IDE
        else:
            surface = SURFACES.get(feature, self.surface)
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
            surface=surface,
            quantity=int(count),
            attrs=json_text({**self.attrs, **attrs, "feature": feature, "count_of": counter}),
        )

    def fact(
        self, name: str, _dims: Mapping[str, str], value: float, attrs: str | None = None
    ) -> None:
        self.col.add(
            "person_facts",
            self.loc,
            person=self.login,
            source=SOURCE,
            tool=TOOL,
            report_date=self.day.isoformat(),
            fact=name,
            value=value,
            attrs=attrs or self.fact_attrs,
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
        if key in ID_KEYS | META_KEYS | BREAKDOWNS | {PHASE, CREDITS} or value is None:
            continue
        if looks_identifying(key):
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
    surfaces = {key: opt_object(rec, key) for key in SURFACE_TOTALS}
    agents = _agents(rec)
    phase = _phase(rec)
    credits = opt_number(rec, CREDITS)
    known = ID_KEYS | META_KEYS | BREAKDOWNS | set(scalars) | {PHASE, CREDITS}
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
    surface_facts: dict[str, float] = {}
    for key, feature in SURFACE_TOTALS.items():
        totals = surfaces[key]
        found = counters(totals, prefix=f"{key}.", path=key)
        surface_facts.update(found)
        prompts = found.get(f"{key}.prompt_count")
        if prompts and feature not in names:
            # attrs `cli` / `copilot_app`: the surface's whole totals object.
            ud.event(
                feature, f"{key}.prompt_count", prompts, **{key.removeprefix("totals_by_"): totals}
            )
    for agent_id, name, count in agents:
        feature = f"{AGENT_FEATURE}:{agent_id}"
        if count and feature not in names:
            ud.event(feature, "user_initiated_interaction_count", count, agent_name=name)
    for fact, value in {**scalars, **surface_facts}.items():
        ud.fact(fact, {}, value)
    if phase is not None:
        number, phase_attrs = phase
        ud.fact(PHASE, {}, number, json_text({**phase_attrs, "scope": scope}))
    if credits is not None:
        ud.fact("credits", {}, credits)
        cost_attrs = {"currency": "USD", "usd_per_credit": USD_PER_CREDIT, "scope": scope}
        ud.fact("cost", {}, round(credits * USD_PER_CREDIT, 6), json_text(cost_attrs))


def _phase(rec: Mapping[str, Any]) -> tuple[float, dict[str, Any]] | None:
    """`ai_adoption_phase` as (phase_number, {phase, version}); None when absent."""
    obj = opt_object(rec, PHASE)
    if not obj:
        return None
    number = opt_number(obj, "phase_number", f"{PHASE}.phase_number")
    if number is None:
        raise RecordError("missing_required", f"{PHASE}.phase_number", "expected 0, 1, 2 or 3")
    if number not in (0, 1, 2, 3):
        raise RecordError("bad_enum", f"{PHASE}.phase_number", f"expected 0-3, got {number:g}")
    attrs = {
        "granularity": "day",
        "phase": opt_str(obj, "phase", f"{PHASE}.phase"),
        "version": opt_str(obj, "version", f"{PHASE}.version"),
    }
    return number, attrs


def _agents(rec: Mapping[str, Any]) -> list[tuple[str, str | None, float]]:
    """`totals_by_3rd_party_agent` entries as (agent_id, agent_name, prompts)."""
    key = "totals_by_3rd_party_agent"
    out = []
    for i, entry in enumerate(opt_list(rec, key)):
        where = f"{key}[{i}]"
        agent_id = req_str(entry, "agent_id", f"{where}.agent_id")
        name = opt_str(entry, "agent_name", f"{where}.agent_name")
        count = opt_number(
            entry, "user_initiated_interaction_count", f"{where}.user_initiated_interaction_count"
        )
        out.append((agent_id, name, count or 0.0))
    return out


def _team_record(loc: str, rec: dict[str, Any], teams: Teams) -> None:
    """One user-teams row: remembered, emitted per person-day by `_team_facts`."""
    login = req_str(rec, "user_login")
    day = parse_day(rec.get("day"), "day")
    team_id = opt_str(rec, "team_id")
    team = opt_str(rec, "slug") or (f"team-{team_id}" if team_id else None)
    if team is None:
        raise RecordError("missing_required", "slug", "a team row needs `slug` or `team_id`")
    org = opt_str(rec, "organization_id")
    ent = opt_str(rec, "enterprise_id")
    opt_str(rec, "user_id")
    membership = {"slug": team, "team_id": team_id, "organization_id": org}
    if ent:
        membership["enterprise_id"] = ent
    teams.setdefault((login.lower(), day), []).append({**membership, "_login": login, "_loc": loc})


def _team_facts(col: Collector, teams: Teams) -> None:
    """One `github_team` fact per person and day: value = number of teams, attrs name them.

    One fact (not one per team) because a person fact's key is person × source × day × fact;
    the first team by slug (then team id) is the primary one the roster falls back to.
    """
    for (_, day), rows in sorted(teams.items()):
        unique = {(r["slug"], r["team_id"] or "", r["organization_id"] or ""): r for r in rows}
        ordered = [unique[k] for k in sorted(unique)]
        first = ordered[0]
        listed = [{k: v for k, v in r.items() if not k.startswith("_")} for r in ordered]
        attrs = {**listed[0], "teams": listed, "basis": "user-teams report"}
        col.add(
            "person_facts",
            first["_loc"],
            person=first["_login"],
            source=SOURCE,
            tool=TOOL,
            report_date=day.isoformat(),
            fact=TEAM_FACT,
            value=float(len(listed)),
            attrs=json_text(attrs),
        )


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
