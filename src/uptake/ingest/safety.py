"""Making ingested values safe to keep: quarantine details and records, and JSON cells.

Identifiers are pseudonymised, free text is redacted, and a value whose identifier fields
cannot be told apart (unreadable JSON, lists) is withheld.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from uptake.ingest.connectors.privacy import Scrubber
from uptake.ingest.redact import redact
from uptake.schema.ddl import NOT_STORED
from uptake.schema.tables import Table
from uptake.warehouse.sql import quote_ident

JSON_WITHHELD = "[withheld: not readable as JSON, so identifiers cannot be told apart]"


def safe_value(spec: Table, name: str | None, value: Any) -> str:
    """How a bad value is named in a quarantine detail: never its identifier, text redacted."""
    if name is None or value is None or (isinstance(value, float) and pd.isna(value)):
        return "nothing"
    col = spec.column(name)
    if col.person:
        return "a pseudonymised identifier"
    if col.type in ("json", "list"):
        # Its identifier fields cannot be told apart when it does not parse.
        return "a value withheld as it may hold identifiers"
    text = str(value)
    return repr(redact(text[:200]) if col.text or col.type == "string" else text[:200])


def safe_record(spec: Table, rec: dict[str, Any], pseudonymise: Callable[[str], str]) -> str:
    """The quarantined record with identifiers pseudonymised and free text redacted."""
    safe: dict[str, Any] = {}
    for k, v in rec.items():
        if isnull(v):
            continue
        col = spec.column(k)
        if col.person and isinstance(v, str):
            safe[k] = pseudonymise(v)
        elif col.type == "list" or k == "aliases":
            safe[k] = "[list withheld: may hold identifiers]"
        elif col.type == "json" and isinstance(v, str):
            safe[k] = safe_json(v, pseudonymise)
        elif isinstance(v, str):
            safe[k] = redact(v)
        else:
            safe[k] = v
    return json.dumps(safe, default=str)


def scrub_json_cells(
    con: duckdb.DuckDBPyConnection, spec: Table, typed: str, pseudonymise: Callable[[str], str]
) -> None:
    """Make the JSON cells (`attrs` and the like) of valid rows safe to store.

    Identifier-like keys get the pseudonym of their value and every other string is
    redacted, as in quarantined records. Each distinct value is scrubbed once in Python;
    only values that change are written back, through a join on a (raw, safe) table, so a
    file without JSON cells pays one scan of an empty column.
    """
    for c in spec.columns:
        if c.type != "json" or (spec.name, c.name) in NOT_STORED:
            continue
        col = quote_ident(c.name)
        distinct = con.execute(
            f"SELECT DISTINCT {col} FROM {typed} WHERE {col} IS NOT NULL AND __reason IS NULL"
        ).fetchall()
        if not distinct:
            continue
        raws, safes, unreadable = [], [], []
        for (raw,) in distinct:
            safe = safe_attrs(raw, pseudonymise)
            if safe is None:
                unreadable.append(raw)
            elif safe != raw:
                raws.append(raw)
                safes.append(safe)
        if unreadable:
            # A value that cannot be walked cannot be checked, so it is not stored.
            con.execute(
                f"UPDATE {typed} SET __reason = 'bad_json', __field = ? "
                f"WHERE {col} IN (SELECT unnest(?::VARCHAR[])) AND __reason IS NULL",
                [c.name, unreadable],
            )
        if not raws:
            continue
        con.register("_json_map_df", pd.DataFrame({"raw": raws, "safe": safes}))
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _json_map AS SELECT CAST(raw AS VARCHAR) AS raw, "
                "CAST(safe AS VARCHAR) AS safe FROM _json_map_df"
            )
        finally:
            con.unregister("_json_map_df")
        con.execute(
            f"UPDATE {typed} SET {col} = m.safe FROM _json_map m "
            f"WHERE {typed}.{col} = m.raw AND {typed}.__reason IS NULL"
        )
        con.execute("DROP TABLE IF EXISTS _json_map")


def safe_json(text: str, pseudonymise: Callable[[str], str]) -> str:
    """A JSON cell with identifier-like fields pseudonymised and the rest redacted."""
    try:
        return Scrubber(pseudonymise).record(json.loads(text))
    except (ValueError, RecursionError):
        # Not JSON (or nested too deeply), so identifier fields cannot be told apart.
        return JSON_WITHHELD


def safe_attrs(text: str, pseudonymise: Callable[[str], str]) -> str | None:
    """An accepted JSON cell scrubbed (see `Scrubber.value`); unchanged text when already safe.

    The text is returned as given when scrubbing changes nothing, so harmless cells keep their
    exact bytes (and re-ingesting a file still finds its rows duplicates).

    Returns:
        The safe JSON text, or None when the value cannot be walked (nested too deeply, or
        JSON to DuckDB but not to Python): it cannot be checked, so it must not be stored.
    """
    try:
        value = json.loads(text)
        safe = Scrubber(pseudonymise).value(value)
    except (ValueError, RecursionError):
        return None
    if safe == value:
        return text
    return json.dumps(safe, ensure_ascii=False)


def isnull(v: Any) -> bool:
    # Lists (Parquet list columns arrive as numpy arrays) and dicts are values, never null.
    if isinstance(v, list | dict | tuple | np.ndarray):
        return False
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False
