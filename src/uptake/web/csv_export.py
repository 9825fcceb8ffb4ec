"""CSV exports that a spreadsheet cannot mistake for formulas.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
Excel, LibreOffice and Google Sheets (CSV injection). Such text cells get a leading `'`, which
the spreadsheet shows as text; numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A cell value a spreadsheet shows as written.

    Args:
        value: any value from a data document.

    Returns:
        The value, with a leading `'` when it is text a spreadsheet would evaluate; lists
        and mappings become text first (they are text in a spreadsheet anyway).
    """
    if value is None or isinstance(value, bool | int | float):
        return "" if value is None else value
    text = value if isinstance(value, str) else _text(value)
    return "'" + text if text.startswith(_TRIGGERS) else text


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def to_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows as CSV text: the union of their keys as the header, in first-seen order.

    Args:
        rows: one mapping per row.

    Returns:
        The CSV document (RFC 4180 quoting, `\\r\\n` line ends), every cell made safe.
    """
    rows = list(rows)
    header: list[str] = []
    for row in rows:
        header.extend(k for k in row if k not in header)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(row.get(h)) for h in header])
    return out.getvalue()
