"""PII redaction of free text: e-mails, phone numbers, credentials, long digit runs."""

from __future__ import annotations

import re

# Order matters: URLs with credentials and tokens go before e-mails (a user:pass@host URL looks
# like an e-mail), e-mails before phone numbers, phone numbers before bare digit runs.
PATTERNS: list[tuple[str, str]] = [
    (r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/@:]+:[^\s/@]+@[^\s]+", "[url]"),
    (r"(?i)\b(?:bearer|token|api[_-]?key|secret|password|passwd|pwd)\s*[:=]\s*\S+", "[secret]"),
    (r"\b(?:ghp|gho|ghu|ghs|github_pat|sk|xox[abpr]|AKIA)[A-Za-z0-9_\-]{12,}", "[token]"),
    (r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", "[token]"),
    (r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}", "[email]"),
    (r"(?:\+\d{1,3}[\s.\-]?)?\(?\d{2,4}\)?[\s.\-]\d{3,4}[\s.\-]\d{3,4}\b", "[phone]"),
    (r"\d{7,}", "[number]"),
]
_COMPILED = [(re.compile(p), r) for p, r in PATTERNS]


def redact(text: str | None) -> str | None:
    """Redact PII from one string.

    Args:
        text: free text, possibly None.

    Returns:
        The text with e-mails, phone numbers, credentials/tokens and long digit runs replaced.
    """
    if text is None:
        return None
    for pattern, repl in _COMPILED:
        text = pattern.sub(repl, text)
    return text


def redact_sql(expr: str) -> str:
    """A DuckDB SQL expression that redacts the text produced by `expr`.

    DuckDB's RE2 lacks look-around, so the patterns above avoid it; the SQL and Python forms
    apply the same patterns in the same order.

    Args:
        expr: SQL expression yielding VARCHAR.

    Returns:
        SQL expression yielding the redacted VARCHAR.
    """
    out = expr
    for pattern, repl in PATTERNS:
        p = pattern.replace("'", "''")
        out = f"regexp_replace({out}, '{p}', '{repl}', 'g')"
    return out
