"""What sources read from a vendor's answers: JSON bodies, and lists paged by a cursor.

Kept apart from the HTTP client (`uptake.sync.http`) so that the sources' registry, which
the command line's help lists, loads without an HTTP library or the redaction detectors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from uptake.errors import SyncError


def read_json(source: str, resp: Any, what: str) -> Any:
    """A response's JSON body, or a `SyncError` saying the vendor sent something else.

    Args:
        source: source name for the message.
        resp: the response.
        what: what was asked for ("the report links").

    Returns:
        The decoded JSON.
    """
    try:
        return resp.json()
    except ValueError:
        raise SyncError(
            source,
            f"{what}: the vendor answered with something other than JSON",
            hint="check the source's base URL setting (sync.base_urls)",
        ) from None


def canonical_json(doc: Any) -> bytes:
    """JSON bytes with fixed separators and key order, so equal content gives equal bytes.

    Sources write what they fetched this way, so a re-fetch of unchanged data is recognised
    as the same file and adds nothing.

    Args:
        doc: the document.

    Returns:
        The bytes.
    """
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


def data_pages(
    http: Any,
    source: str,
    url: str,
    query: Mapping[str, Any],
    headers: Mapping[str, str],
    what: str,
    *,
    cursor: tuple[str, str],
    max_pages: int,
) -> list[Any]:
    """Every row of a list paged as `{data, has_more, <cursor>}` (Anthropic and OpenAI).

    Args:
        http: the source's HTTP client.
        source: source name for messages.
        url: the list's URL.
        query: query parameters of every page (including the page size).
        headers: request headers.
        what: what is asked for, for messages.
        cursor: (field of the answer naming the next page, query parameter that takes it),
            e.g. ("next_page", "page") or ("last_id", "after").
        max_pages: give up after this many pages.

    Returns:
        The rows of every page, in order.
    """
    field, param = cursor
    rows: list[Any] = []
    at: str | None = None
    for _ in range(max_pages):
        params = {**query, param: at} if at else dict(query)
        doc = read_json(source, http.get(url, params=params, headers=headers), what)
        if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
            raise SyncError(source, f"{what}: the answer has no 'data' list")
        rows.extend(doc["data"])
        if not doc.get("has_more"):
            return rows
        at = doc.get(field)
        if not isinstance(at, str) or not at:
            raise SyncError(source, f"{what}: 'has_more' is true but '{field}' is empty")
    raise SyncError(source, f"{what}: the pages did not end after {max_pages}")
