"""Cells of the wrong JSON kind in a frame handed in as canonical input (an API batch)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from uptake.ingest.decide import Quarantined
from uptake.ingest.safety import safe_record
from uptake.ingest.validate import REASON_TEXT
from uptake.schema.tables import Table

# The JSON name of a Python value's kind, for a quarantined cell's detail.
_JSON_KIND = {"list": "array", "tuple": "array", "dict": "object", "bool": "true or false"}


def wrong_kinds(
    spec: Table, frame: pd.DataFrame, source: str, pseudonymise: Callable[[str], str]
) -> tuple[pd.DataFrame, list[Quarantined]]:
    """Rows with a cell of the wrong kind, taken out and quarantined (`bad_type`).

    A list or an object outside a JSON or list column, or true/false outside a yes/no one: a
    text file cannot hold these, but a JSON batch can, and DuckDB would have stored `["a"]`
    in a text column as the text "['a']" and `true` in a number column as 1. A number where
    text goes is kept: an identifier may be a number (employee 42).

    Args:
        spec: the canonical table.
        frame: canonical input columns (and `__locator`).
        source: the batch's source, for locators when the frame has none.
        pseudonymise: turns an identifier into its key (quarantined records hold no raw one).

    Returns:
        The frame without those rows, and one quarantined row each.
    """
    bad: dict[int, str] = {}
    for c in spec.columns:
        if c.name not in frame or c.type in ("json", "list"):
            continue
        cells = frame[c.name]
        if cells.dtype != object and not (c.type != "bool" and cells.dtype == bool):
            continue
        for i, v in enumerate(cells.tolist()):
            nested = isinstance(v, (list, dict, tuple))
            if i not in bad and (nested or (c.type != "bool" and isinstance(v, bool))):
                bad[i] = c.name
    if not bad:
        return frame, []
    located = "__locator" in frame
    out: list[Quarantined] = []
    for i, name in sorted(bad.items()):
        row = frame.iloc[i]
        rec = {str(k): v for k, v in row.items() if k not in ("__locator", name)}
        kind = _JSON_KIND[type(row[name]).__name__]
        out.append(
            Quarantined(
                str(row["__locator"]) if located else f"{source}:record {i + 1}",
                "bad_type",
                name,
                f"field {name}: {REASON_TEXT['bad_type']} (got a JSON {kind})",
                safe_record(spec, rec, pseudonymise),
            )
        )
    keep = [i for i in range(len(frame)) if i not in bad]
    return frame.iloc[keep].reset_index(drop=True), out
