"""Keeping identifiers out of everything but `identities`: allow-lists and record scrubbing.

A connector keeps an unknown vendor field only when its name is on the connector's
allow-list (`Connector.keep`), and never when the name looks like an identifier. A
quarantined record is stored scrubbed: the values of identifier fields (the connector's
`Connector.identifiers`, plus any field whose name looks like one) become their pseudonym,
the same values are replaced wherever else they occur in the record or its detail (a
profile URL holding the login, a message quoting it), and all remaining text is redacted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from functools import lru_cache
from typing import Any

from uptake.ingest.redact import redact

# Compact key names (lower-case alphanumerics) that name a person in any vendor's export.
_IDENTIFYING = re.compile(
    r"(mail|login|userid|username|userprincipalname|upn|displayname|givenname|familyname|"
    r"middlename|nickname|fullname|firstname|lastname|employeenumber|employeeid|externalid|"
    r"personid|enduser|principal|assignee|reporter|creator|caller|requester|author|owner|"
    r"phone|photo|avatarurl|htmlurl|profileurl|gravatar|nodeid)"
)
_NAME_ONLY = frozenset({"id", "user", "uid", "sub", "oid", "formatted", "ims", "url"})
# Labels beside an identifier (an e-mail's `type`) are not identifiers themselves.
_LABELS = frozenset({"type", "primary"})
WITHHELD = "[withheld: the line could not be read as a record; see the source at the locator]"


@lru_cache(maxsize=4096)
def compact(name: str) -> str:
    """A field name as lower-case alphanumerics: `User Principal Name` → `userprincipalname`.

    Args:
        name: field name, header or attribute key.

    Returns:
        The compact form.
    """
    return re.sub(r"[^a-z0-9]", "", name.lower())


@lru_cache(maxsize=4096)
def looks_identifying(name: str) -> bool:
    """Whether a field name suggests it holds a person's identifier.

    Args:
        name: field name as the vendor wrote it.

    Returns:
        True for e-mails, logins, user ids, names, UPNs, employee numbers and the like.
    """
    key = compact(name.rsplit(":", 1)[-1])
    return key in _NAME_ONLY or bool(_IDENTIFYING.search(key))


def allowed(fields: Mapping[str, Any], keep: Collection[str]) -> tuple[dict[str, Any], list[str]]:
    """Split unknown fields into those kept (allow-listed) and the names of those dropped.

    Args:
        fields: unknown fields of one record.
        keep: the connector's allow-list of non-identifying field names (compared compact).

    Returns:
        (kept fields, names of dropped fields).
    """
    wanted = {compact(k) for k in keep}
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for name, value in fields.items():
        if compact(name) in wanted and not looks_identifying(name):
            kept[name] = value
        else:
            dropped.append(name)
    return kept, dropped


def dropped_note(names: Iterable[str]) -> str | None:
    """The note telling the user which unknown fields were not kept (names only).

    Args:
        names: dropped field names.

    Returns:
        The note, or None when nothing was dropped.
    """
    distinct = sorted(set(names))
    if not distinct:
        return None
    return (
        f"{len(distinct)} unknown field(s) not kept (not on the connector's allow-list of "
        f"non-identifying fields): {', '.join(distinct[:20])}"
    )


class Scrubber:
    """Scrubs quarantined records and their details for one file."""

    def __init__(
        self, pseudonymise: Callable[[str], str], identifiers: Collection[str] = ()
    ) -> None:
        """Prepare a scrubber.

        Args:
            pseudonymise: identifier → person key (the workspace secret's HMAC).
            identifiers: field names the connector declares as identifiers.
        """
        self._key = pseudonymise
        self._names = {compact(n) for n in identifiers}
        self.found: set[str] = set()

    def _identifying(self, name: str) -> bool:
        return compact(name.rsplit(":", 1)[-1]) in self._names or looks_identifying(name)

    def record(self, record: Any) -> str:
        """The record as JSON text, identifiers pseudonymised and free text redacted.

        Args:
            record: the parsed source record (dict, list, value) or an unparsed line.

        Returns:
            JSON text safe to store in the quarantine.
        """
        if record is None:
            return ""
        if isinstance(record, str):
            return WITHHELD
        if isinstance(record, list | tuple) and all(
            not isinstance(v, dict | list | tuple) for v in record
        ):
            # A broken CSV row: its cells have no field names, so none can be told apart.
            return WITHHELD
        self._collect(record, identifying=False, key="")
        safe = self._scrub(record, identifying=False, key="")
        text = json.dumps(safe, default=str, ensure_ascii=False)
        return text[:4000]

    def value(self, value: Any) -> Any:
        """A parsed JSON value of an accepted row, scrubbed but whole (never truncated).

        Values under identifier-like keys become their pseudonym, those identifiers are
        replaced wherever else they occur in the value, every other string (and every key that
        holds personal data) is redacted; numbers, booleans and nulls are kept.

        Args:
            value: a parsed JSON value (object, array or scalar).

        Returns:
            The scrubbed value, of the same shape.
        """
        self._collect(value, identifying=False, key="")
        return self._scrub(value, identifying=False, key="", keys=True)

    def text(self, text: str | None) -> str | None:
        """A detail or message with every identifier seen so far pseudonymised, then redacted.

        Args:
            text: free text.

        Returns:
            The scrubbed text.
        """
        if text is None:
            return None
        return redact(self._replace(text))

    def _collect(self, node: Any, *, identifying: bool, key: str) -> None:
        if isinstance(node, dict):
            name = node.get("key")
            kv = isinstance(name, str) and "value" in node and len(node) <= 2
            for k, v in node.items():
                inner = identifying or self._identifying(k)
                if kv:
                    inner = k == "value" and self._identifying(str(name))
                self._collect(v, identifying=inner, key=k)
        elif isinstance(node, list | tuple):
            for v in node:
                self._collect(v, identifying=identifying, key=key)
        elif key in _LABELS:
            return
        elif identifying and isinstance(node, str | int) and not isinstance(node, bool):
            text = str(node).strip()
            if len(text) >= 2:
                self.found.add(text)

    def _scrub(self, node: Any, *, identifying: bool, key: str, keys: bool = False) -> Any:
        if isinstance(node, dict):
            name = node.get("key")
            kv = isinstance(name, str) and "value" in node and len(node) <= 2
            out: dict[str, Any] = {}
            for k, v in node.items():
                inner = identifying or self._identifying(k)
                if kv:
                    inner = k == "value" and self._identifying(str(name))
                # A key may itself be personal data (`{"ann@corp.example": 3}`).
                name_out = self._replace(redact(k) or "") if keys and isinstance(k, str) else k
                out[name_out] = self._scrub(v, identifying=inner, key=k, keys=keys)
            return out
        if isinstance(node, list | tuple):
            return [self._scrub(v, identifying=identifying, key=key, keys=keys) for v in node]
        if isinstance(node, bool | float) or node is None:
            return node
        if not isinstance(node, str | int):
            node = str(node)
        if identifying and isinstance(node, str | int) and key not in _LABELS:
            text = str(node).strip()
            return self._key(text) if text else node
        if isinstance(node, str):
            # Redacting after the replacement would turn a pseudonym's digits into `[number]`.
            return self._replace(redact(node) or "") if keys else redact(self._replace(node))
        return node

    def _replace(self, text: str) -> str:
        if not self.found:
            return text
        lowered = text.lower()
        for value in sorted(self.found, key=len, reverse=True):
            # The substring test spares compiling a pattern for a value the text lacks.
            if len(value) < 3 or value.lower() not in lowered:
                continue
            pattern = rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])"
            text = re.sub(pattern, self._key(value), text, flags=re.IGNORECASE)
        return text


def scrub_reject(
    pseudonymise: Callable[[str], str],
    identifiers: Collection[str],
    record: Any,
    detail: str,
) -> tuple[str, str]:
    """A quarantined vendor record and its detail, both scrubbed.

    Args:
        pseudonymise: identifier → person key.
        identifiers: the connector's identifier field names.
        record: the raw source record.
        detail: what was expected (may quote a value of the record).

    Returns:
        (record as scrubbed JSON text, scrubbed detail).
    """
    scrubber = Scrubber(pseudonymise, identifiers)
    text = scrubber.record(record)
    return text, scrubber.text(detail) or ""
