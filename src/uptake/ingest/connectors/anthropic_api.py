"""Anthropic Admin/Analytics API responses: pages of rows, and the checks their numbers need.

Both Anthropic connectors read a saved response (`{"data": [...], "has_more", "next_page"}`),
several pages of it (a JSON array of pages, or one page per NDJSON line), a bare JSON array
of rows, or NDJSON rows; and both need whole counts ≥ 0 and shared attrs written once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.connectors.collect import Collector
from uptake.ingest.connectors.fields import RecordError, json_text, type_name
from uptake.ingest.connectors.loading import JsonInput

# Larger counts cannot be stored exactly; they are corrupt input, not activity.
MAX_COUNT = 2**53


@dataclass(frozen=True)
class Item:
    """One located row and the response page it came in (for page-level fields)."""

    row: Any
    page: Mapping[str, Any]


def response_items(
    path: Path, data: JsonInput, col: Collector, keys: tuple[str, ...] = ("data",)
) -> tuple[list[tuple[str, Item]], Mapping[str, Any]]:
    """The rows of an Anthropic API response file, located, with their page.

    Args:
        path: the file (for messages and locators).
        data: the loaded JSON input.
        col: collector; unreadable NDJSON lines and malformed pages are quarantined.
        keys: the page keys holding rows (`data`, or `summaries` for summary responses).

    Returns:
        ((locator, item) pairs, the last page read — its `has_more`/`next_page`).
    """
    name = path.name
    # (locator of the unit, the unit, locator prefix of its rows when it is a page)
    units: list[tuple[str, Any, str]]
    if data.is_ndjson:
        units = [(loc, rec, f"{loc} ") for loc, rec in col.lines(data)]
    else:
        doc = data.document
        if isinstance(doc, dict):
            if doc.get("type") == "error" or (
                isinstance(doc.get("error"), dict) and _page_rows(doc, keys) is None
            ):
                err = doc["error"] if isinstance(doc.get("error"), dict) else {}
                raise InputError(
                    f"{path}: this is an error answer of the API "
                    f"({str(err.get('type') or 'error')[:40]}), not a report",
                    hint="fix the request (key, scope, date) and save the successful response",
                )
            rows = _page_rows(doc, keys)
            if isinstance(rows, str):
                raise InputError(
                    f"{path}: `{rows}` should be an array of rows, got {type_name(doc[rows])}"
                )
            units = [(f"{name}:record 1", doc, f"{name}:")]
        elif isinstance(doc, list):
            many = len(doc) > 1
            units = [
                (f"{name}:record {i}", unit, f"{name}:page {i} " if many else f"{name}:")
                for i, unit in enumerate(doc, 1)
            ]
        else:
            raise InputError(
                f"{path}: expected a JSON response object, an array or NDJSON of rows, "
                f"got {type_name(doc)}"
            )
    items: list[tuple[str, Item]] = []
    last: Mapping[str, Any] = {}
    for loc, unit, prefix in units:
        rows = _page_rows(unit, keys)
        if rows is None:
            items.append((loc, Item(unit, {})))
        elif isinstance(rows, str):
            col.source_rows += 1
            col.reject(loc, "bad_type", rows, "expected an array of rows", unit)
        else:
            last = unit
            items += [(f"{prefix}record {i}", Item(r, unit)) for i, r in enumerate(rows, 1)]
    return items, last


def _page_rows(rec: Any, keys: tuple[str, ...]) -> list[Any] | str | None:
    """A page's row list; the key name when it is not a list; None when not a page."""
    if not isinstance(rec, dict):
        return None
    for key in keys:
        if key in rec:
            value = rec[key]
            if isinstance(value, list):
                return value
            if "has_more" in rec or "next_page" in rec or len(rec) == 1:
                return key
    return None


def more_pages_note(last: Mapping[str, Any]) -> str | None:
    """The note saying the saved response is not the last page.

    Args:
        last: the last page read.

    Returns:
        The note, or None when nothing is missing.
    """
    if last.get("has_more") is True:
        return (
            "the response says has_more: further pages exist and are not in this file; "
            "fetch them (page=next_page) and ingest them too"
        )
    return None


def count(obj: Mapping[str, Any], key: str, where: str) -> int | None:
    """An optional whole count ≥ 0.

    Args:
        obj: the object holding it.
        key: its key.
        where: field path for messages.

    Returns:
        The count, or None when absent/null.
    """
    value = obj.get(key)
    if value is None:
        return None
    return as_count(value, where)


def as_count(value: Any, where: str) -> int:
    """A value that must be a whole count ≥ 0.

    Args:
        value: the parsed value.
        where: field path for messages.

    Returns:
        The count.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError("bad_type", where, f"expected a count, got {type_name(value)}")
    if not math.isfinite(value) or value < 0 or value != int(value) or value > MAX_COUNT:
        raise RecordError("bad_type", where, f"expected a whole count ≥ 0, got {value!r:.30}")
    return int(value)


@lru_cache(maxsize=8192)
def attrs_text(base: str, *pairs: tuple[str, str]) -> str:
    """Canonical JSON of base attrs (JSON text) plus a few keys; cached, as rows repeat them.

    Args:
        base: the shared attrs as canonical JSON text.
        pairs: (key, value) added to them.

    Returns:
        Canonical JSON text.
    """
    return json_text({**json.loads(base), **dict(pairs)})
