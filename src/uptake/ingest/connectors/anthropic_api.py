"""Anthropic Admin/Analytics API responses: pages of rows, and the checks their numbers need.

Both Anthropic connectors read a saved response (`{"data": [...], "has_more", "next_page"}`),
several pages of it (a JSON array of pages, or one page per NDJSON line), a bare JSON array
of rows, or NDJSON rows; and both need whole counts ≥ 0 and shared attrs written once.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
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


class ResponseRows:
    """The located rows of an Anthropic API response file, each with its page.

    NDJSON is read a line at a time as the rows are iterated, so a connector that handles
    each row as it comes holds no more than the row in hand. A response that is an error
    answer, or whose row list is not a list, is refused here, before any row is read.
    """

    def __init__(
        self, path: Path, data: JsonInput, col: Collector, keys: tuple[str, ...] = ("data",)
    ) -> None:
        self.col, self.keys = col, keys
        self.last: Mapping[str, Any] = {}
        """The last page read (its `has_more`), once the rows have been iterated."""
        self._units = _units(path, data, col, keys)

    def __iter__(self) -> Iterator[tuple[str, Item]]:
        for loc, unit, prefix in self._units:
            rows = _page_rows(unit, self.keys)
            if rows is None:
                yield loc, Item(unit, {})
            elif isinstance(rows, str):
                self.col.source_rows += 1
                self.col.reject(loc, "bad_type", rows, "expected an array of rows", unit)
            else:
                self.last = unit
                for i, r in enumerate(rows, 1):
                    yield f"{prefix}record {i}", Item(r, unit)


def _units(
    path: Path, data: JsonInput, col: Collector, keys: tuple[str, ...]
) -> Iterable[tuple[str, Any, str]]:
    """(locator of the unit, the unit, locator prefix of its rows when it is a page)."""
    name = path.name
    if data.is_ndjson:
        return ((loc, rec, f"{loc} ") for loc, rec in col.lines(data))
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
        return [(f"{name}:record 1", doc, f"{name}:")]
    if isinstance(doc, list):
        many = len(doc) > 1
        return [
            (f"{name}:record {i}", unit, f"{name}:page {i} " if many else f"{name}:")
            for i, unit in enumerate(doc, 1)
        ]
    raise InputError(
        f"{path}: expected a JSON response object, an array or NDJSON of rows, got {type_name(doc)}"
    )


def content_digest(raw: Any) -> bytes:
    """A digest of a row's content: rows with equal fields, in any order, get the same one.

    A connector keeps this for each row it has read, not the row, to tell a page saved twice
    from a second row with other numbers.

    Args:
        raw: the row as parsed.

    Returns:
        16 bytes.
    """
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


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
