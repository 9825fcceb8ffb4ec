"""Legacy GitHub Copilot metrics API (`GET /orgs/{org}/copilot/metrics`): historical only.

GitHub shut the API down on 2026-04-02; this connector imports saved history (every read
says so in a note). Current data comes from the usage-metrics reports
(`github-copilot-usage`). The API reports only daily counts for the whole org
(or team), never people, so every number becomes an `aggregate_facts` row:
metric `<section>.<counter>` (e.g. `copilot_ide_code_completions.total_code_suggestions`)
with the breakdown path in dims (`{"editor": "vscode", "model": "default",
"language": "python"}`); the two top-level counts keep their own names.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.connectors.aggregates import add_fact, flatten_counters
from uptake.ingest.connectors.base import ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector
from uptake.ingest.connectors.fields import RecordError, parse_day, req_str, type_name
from uptake.ingest.connectors.loading import load_json

SOURCE = "github-copilot-metrics"
TOOL = "github-copilot"
HISTORICAL = "the legacy /copilot/metrics API was shut down on 2026-04-02: history import only"

# Breakdown array → the dimension its entries' `name` fills.
DIMENSIONS = {
    "languages": "language",
    "editors": "editor",
    "models": "model",
    "repositories": "repository",
}


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read a legacy Copilot metrics response (array of days, or NDJSON of days).

    Args:
        path: the JSON file.
        options: param `scope` names whose numbers these are (e.g. `organization:acme` or
            `team:acme/platform`); the response itself does not say.

    Returns:
        aggregate_facts.
    """
    opts = ConnectorOptions.coerce(options)
    scope = opts.param("scope", "organization")
    data = load_json(path)
    col = Collector("aggregate_facts")
    if data.is_ndjson:
        items = list(col.lines(data))
    elif isinstance(data.document, list):
        items = [(f"{path.name}:record {i}", r) for i, r in enumerate(data.document, start=1)]
    elif isinstance(data.document, dict) and "date" in data.document:
        items = [(f"{path.name}:record 1", data.document)]
    else:
        raise InputError(
            f"{path}: expected a JSON array of daily Copilot metrics (objects with `date`), "
            f"got {type_name(data.document)}"
        )
    col.each(items, lambda loc, rec: _day(col, loc, rec, scope))
    col.notes.append(HISTORICAL)
    return col.result()


def _dims(key: str, item: Mapping[str, Any]) -> dict[str, str]:
    name = req_str(item, "name", f"{key}[].name")
    return {DIMENSIONS.get(key, key.rstrip("s")): name}


def _day(col: Collector, loc: str, rec: Any, scope: str | None) -> None:
    if not isinstance(rec, dict):
        raise RecordError("bad_type", None, f"expected a day object, got {type_name(rec)}")
    day = parse_day(rec.get("date"), "date")

    def emit(metric: str, dims: dict[str, str], value: float) -> None:
        add_fact(
            col,
            loc,
            day=day,
            source=SOURCE,
            tool=TOOL,
            metric=metric,
            scope=scope,
            dims=dims,
            value=value,
        )

    flatten_counters(rec, emit, skip=frozenset({"date"}), dim_name=_dims)
