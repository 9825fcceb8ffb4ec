"""PII and credential redaction of free text: one path for every stored string.

Accepted rows' free text (through the SQL function `redact_sql` names) and quarantine records
and details (through `redact`) go through the same Python function. Detection runs on a
normalised view of the text (NFKC, every Unicode digit as ASCII, every space as a plain space,
zero-width characters gone), so a non-breaking space or Arabic-Indic digits hide nothing; the
output keeps the original characters everywhere outside a redacted span, so ordinary text is
returned byte for byte.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from uptake.ingest.redact.detectors import Span

__all__ = ["SQL_FUNCTION", "normalise", "redact", "redact_sql", "register_sql"]

SQL_FUNCTION = "uptake_redact"


def _normal_char(ch: str) -> str:
    out = []
    for c in unicodedata.normalize("NFKC", ch):
        cat = unicodedata.category(c)
        if cat == "Nd":
            out.append(str(unicodedata.decimal(c)))
        elif cat in ("Zs", "Zl", "Zp") or c.isspace():
            out.append(" ")
        elif cat == "Pd":
            out.append("-")
        elif cat != "Cf":
            out.append(c)
    return "".join(out)


def normalise(text: str) -> tuple[str, list[int]]:
    """The detection view of a text and, for each of its characters, the original index.

    Args:
        text: original text.

    Returns:
        The normalised text and a list mapping each normalised position to the index of the
        original character it came from.
    """
    if text.isascii():
        return text, list(range(len(text)))
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        n = ch if ch.isascii() else _normal_char(ch)
        chars.append(n)
        index.extend([i] * len(n))
    return "".join(chars), index


# Which placeholder names a span found by several finders: the checked kinds (a Luhn-valid
# card, a valid IBAN) say more than a phone-shaped or bare number.
_RANK = {"[secret]": 0, "[card]": 1, "[iban]": 2, "[email]": 3, "[id]": 4, "[phone]": 5}


def _merge(spans: list[Span]) -> list[Span]:
    """Overlapping spans joined; the earliest, then longest, then best-ranked names the result."""
    merged: list[Span] = []
    for start, end, label in sorted(spans, key=lambda s: (s[0], -s[1], _RANK.get(s[2], 9))):
        if merged and start < merged[-1][1]:
            s0, e0, l0 = merged[-1]
            merged[-1] = (s0, max(e0, end), l0)
        else:
            merged.append((start, end, label))
    return merged


@cache
def _finders() -> tuple[Callable[[str], Iterable[Span]], ...]:
    """The finders, loaded at the first text to redact.

    Their libraries (detect-secrets, phonenumbers, schwifty) take about a third of a second
    to import: a command that stores or shows no free text (`uptake status`, `uptake metrics`)
    does without them.
    """
    from uptake.ingest.redact.detectors import FINDERS

    return tuple(FINDERS)


def _redact_text(text: str) -> str:
    view, index = normalise(text)
    spans = [s for find in _finders() for s in find(view) if s[1] > s[0]]
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for start, end, label in _merge(spans):
        o_start, o_end = index[start], index[end - 1] + 1
        if o_start < pos:
            pos = max(pos, o_end)
            continue
        out.append(text[pos:o_start])
        out.append(label)
        pos = o_end
    out.append(text[pos:])
    return "".join(out)


# Feedback repeats itself (templates, "thanks!"); short texts are cached, long ones are not, so
# the cache stays a few megabytes.
_cached = lru_cache(maxsize=16384)(_redact_text)


def _redact(text: str) -> str:
    return _cached(text) if len(text) <= 512 else _redact_text(text)


def redact(text: str | None) -> str | None:
    """Redact personal data and credentials from one string.

    Args:
        text: free text, possibly None.

    Returns:
        The text with e-mails, phone numbers, credentials, IBANs, card numbers, national and
        employee identifiers and long digit runs replaced by placeholders such as `[email]`.
    """
    if text is None:
        return None
    return _redact(text)


def register_sql(con: duckdb.DuckDBPyConnection) -> None:
    """Make `redact` callable from SQL on `con` as `SQL_FUNCTION` (idempotent).

    Args:
        con: DuckDB connection.
    """
    exists = con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = ?", [SQL_FUNCTION]
    ).fetchone()
    if exists and exists[0]:
        return
    # A native (row-at-a-time) function: DuckDB passes no NULLs to it, and the cache in
    # `_redact` makes repeated texts cost a lookup.
    con.create_function(SQL_FUNCTION, _redact, ["varchar"], "varchar", side_effects=False)


def redact_sql(expr: str) -> str:
    """A DuckDB SQL expression that redacts the text produced by `expr` with `redact`.

    The connection running it must have had `register_sql` called on it.

    Args:
        expr: SQL expression yielding VARCHAR.

    Returns:
        SQL expression yielding the redacted VARCHAR.
    """
    return f"{SQL_FUNCTION}({expr})"
