"""The one way uptake quotes names and values into SQL text it builds itself."""

from __future__ import annotations

from datetime import date, datetime


def quote_ident(name: str) -> str:
    """A SQL identifier in double quotes, embedded quotes doubled.

    Args:
        name: a table or column name.

    Returns:
        The quoted identifier.
    """
    return '"' + str(name).replace('"', '""') + '"'


def quote_literal(value: object) -> str:
    """A SQL literal for a string, number, bool, date, datetime or None.

    Args:
        value: the value.

    Returns:
        SQL text: NULL, TRUE/FALSE, a number, or a single-quoted string (quotes doubled).
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"
