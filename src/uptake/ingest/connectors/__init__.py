"""Vendor-format connectors: `uptake ingest --format NAME FILE…`.

Each connector is a function `read(path, options) -> ConnectorResult` that turns one vendor
file into canonical frames plus rejects; the ingestion pipeline validates, resolves
identities and commits them. Each is registered here with the option keys it accepts, and
`Connector.read` refuses any other key before reading. The user names the format — nothing
is auto-detected across formats.
"""

from __future__ import annotations

from uptake.ingest.connectors import (
    chatgpt,
    claude_code,
    claude_enterprise,
    codex,
    cursor,
    exports,
    gemini,
    github_metrics,
    github_seats,
    github_usage,
    m365,
    otlp,
    otlp_signals,
    proxy,
    scim,
)
from uptake.ingest.connectors.base import (
    Connector,
    ConnectorOptions,
    ConnectorResult,
    Reject,
)

_CONNECTORS = (
    Connector(
        "github-copilot-usage",
        github_usage.read,
        "GitHub Copilot usage-metrics reports (2025+ NDJSON/JSON): per-user days → daily "
        "prompt/suggestion/accept events per feature (CLI, Copilot app, third-party agents) "
        "and person facts (adoption phase, credits and cost); user-teams → github_team facts "
        "(team where the roster has none); enterprise or organisation reports → aggregate "
        "facts",
        ("events", "person_facts", "aggregate_facts"),
        params={"scope": "label for aggregate facts when records carry no enterprise/org id"},
        keep=github_usage.KEEP,
        identifiers=github_usage.IDENTIFIERS,
    ),
    Connector(
        "github-copilot-seats",
        github_seats.read,
        "GitHub Copilot seat assignments (/copilot/billing/seats) → licenses, plus last "
        "activity/authentication and editor as person facts",
        ("licenses", "person_facts"),
        params={
            "report_date": "snapshot date YYYY-MM-DD (default: latest activity in the file)",
            "monthly_cost": "price of one seat per month (the API does not report it)",
        },
        identifiers=github_seats.IDENTIFIERS,
    ),
    Connector(
        "github-copilot-metrics",
        github_metrics.read,
        "historical: legacy GitHub Copilot metrics API (/copilot/metrics, shut down on "
        "2026-04-02; history import only) → aggregate daily facts",
        ("aggregate_facts",),
        params={"scope": "whose numbers these are, e.g. organization:acme (default organization)"},
    ),
    Connector(
        "m365-copilot-usage",
        m365.read,
        "Microsoft 365 Copilot usage reports (Graph, CSV or JSON): user detail (period or "
        "by date) → seats, active app-days and per-app last-activity person facts, with a "
        "note when names are concealed; user count summary/trend → aggregate facts",
        ("person_facts", "licenses", "events", "aggregate_facts"),
        params={
            "scope": "label for aggregate facts (default tenant)",
            "monthly_cost": "price of a seat (unknown when not given)",
            "date": "day YYYY-MM-DD of a by-date user-detail file whose rows carry no report date",
        },
        keep=m365.KEEP,
        identifiers=m365.IDENTIFIERS,
    ),
    Connector(
        "otlp-genai",
        otlp.read,
        "OpenTelemetry GenAI spans (OTLP/JSON ExportTraceServiceRequest) → prompt events with "
        "operation, provider, model, tokens and duration",
        ("events",),
        params={"tool": "tool name for the events (default: service.name, else provider)"},
        identifiers=otlp.IDENTIFIERS,
    ),
    Connector(
        "scim",
        scim.read,
        "SCIM 2.0 Users with the enterprise extension (ListResponse or single User) → people "
        "with aliases, department and manager",
        ("people",),
        params={
            "alias_paths": "extra SCIM attribute paths holding aliases (comma-separated)",
            "function_from": "attribute path for function (default enterprise department)",
            "team_from": "attribute path for team (default none)",
        },
        identifiers=scim.IDENTIFIERS,
    ),
    Connector(
        "survey",
        exports.read_survey,
        "survey export (CSV/JSON of any tool) through a saved mapping → responses",
        ("responses",),
        needs_mapping=True,
        identifiers=exports.IDENTIFIERS,
    ),
    Connector(
        "tickets",
        exports.read_tickets,
        "service-desk export (CSV/JSON of any tool) through a saved mapping → feedback",
        ("feedback",),
        needs_mapping=True,
        identifiers=exports.IDENTIFIERS,
    ),
)

# Each newer vendor module declares its own `CONNECTORS` next to its reader.
_MODULES = (claude_code, claude_enterprise, cursor, codex, chatgpt, gemini, otlp_signals, proxy)

CONNECTORS: dict[str, Connector] = {
    c.name: c for c in (*_CONNECTORS, *(c for m in _MODULES for c in m.CONNECTORS))
}

__all__ = ["CONNECTORS", "Connector", "ConnectorOptions", "ConnectorResult", "Reject"]
