"""Typed access to fields of one parsed source record, failing with a precise reason."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from uptake.errors import InputError


class RecordError(Exception):
    """One source record cannot become canonical rows; becomes a `Reject`.

    `reason` uses the pipeline's vocabulary (`missing_required`, `bad_type`, `bad_timestamp`,
    `bad_enum`, `bad_json`, `malformed_record`) or a connector-specific one.
    """

    def __init__(self, reason: str, field: str | None, detail: str) -> None:
        super().__init__(f"{reason}: {field}: {detail}" if field else f"{reason}: {detail}")
        self.reason = reason
        self.field = field
        self.detail = detail


def type_name(value: Any) -> str:
    """JSON-style name of a value's type, for messages.

    Args:
        value: any parsed JSON value.

    Returns:
        `object`, `array`, `string`, `number`, `boolean` or `null`.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def require_object(value: Any, field: str) -> dict[str, Any]:
    """The value as a JSON object.

    Args:
        value: parsed value.
        field: its field path, for the message.

    Returns:
        The dict.
    """
    if not isinstance(value, dict):
        raise RecordError("bad_type", field, f"expected an object, got {type_name(value)}")
    return value


def opt_object(rec: Mapping[str, Any], key: str, field: str | None = None) -> dict[str, Any]:
    """An optional nested object; absent or null gives an empty dict.

    Args:
        rec: the record.
        key: the key.
        field: path for messages (default: key).

    Returns:
        The object or {}.
    """
    value = rec.get(key)
    if value is None:
        return {}
    return require_object(value, field or key)


def opt_list(rec: Mapping[str, Any], key: str, field: str | None = None) -> list[dict[str, Any]]:
    """An optional array of objects; absent or null gives an empty list.

    Args:
        rec: the record.
        key: the key.
        field: path for messages (default: key).

    Returns:
        The list of dicts.
    """
    where = field or key
    value = rec.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError("bad_type", where, f"expected an array, got {type_name(value)}")
    for i, item in enumerate(value):
        require_object(item, f"{where}[{i}]")
    return value


def opt_number(rec: Mapping[str, Any], key: str, field: str | None = None) -> float | None:
    """An optional finite number (JSON int or float, not boolean).

    Args:
        rec: the record.
        key: the key.
        field: path for messages (default: key).

    Returns:
        The number as float, or None when absent/null.
    """
    value = rec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(
            "bad_type", field or key, f"expected a number, got {type_name(value)} {_shown(value)}"
        )
    if not math.isfinite(value):
        raise RecordError("bad_type", field or key, f"expected a finite number, got {value}")
    return float(value)


def opt_bool(rec: Mapping[str, Any], key: str, field: str | None = None) -> bool | None:
    """An optional JSON boolean.

    Args:
        rec: the record.
        key: the key.
        field: path for messages (default: key).

    Returns:
        The boolean, or None when absent/null.
    """
    value = rec.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise RecordError(
            "bad_type", field or key, f"expected true/false, got {type_name(value)} {_shown(value)}"
        )
    return value


def opt_str(rec: Mapping[str, Any], key: str, field: str | None = None) -> str | None:
    """An optional non-empty string; numbers are accepted and written as text.

    Args:
        rec: the record.
        key: the key.
        field: path for messages (default: key).

    Returns:
        The stripped string, or None when absent, null or blank.
    """
    value = rec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(
            "bad_type", field or key, f"expected a string, got {type_name(value)} {_shown(value)}"
        )
    text = str(value).strip()
    return text or None


def req_str(rec: Mapping[str, Any], key: str, field: str | None = None) -> str:
    """A required non-empty string.

    Args:
        rec: the record.
        key: the key.
        field: path for messages (default: key).

    Returns:
        The stripped string.
    """
    value = opt_str(rec, key, field)
    if value is None:
        raise RecordError("missing_required", field or key, "field is absent or empty")
    return value


def parse_day(value: Any, field: str) -> date:
    """A calendar day written `YYYY-MM-DD` (a full timestamp is cut to its date).

    Args:
        value: the raw value.
        field: its path, for messages.

    Returns:
        The date.
    """
    if value is None or value == "":
        raise RecordError("missing_required", field, "expected a date YYYY-MM-DD")
    if not isinstance(value, str):
        raise RecordError("bad_timestamp", field, f"expected a date string, got {type_name(value)}")
    text = value.strip()
    try:
        if len(text) > 10 and text[10] in "T ":
            return parse_timestamp(text, field).date()
        return date.fromisoformat(text)
    except (ValueError, RecordError):
        raise RecordError(
            "bad_timestamp", field, f"expected a date YYYY-MM-DD, got {_shown(value)}"
        ) from None


def opt_day(rec: Mapping[str, Any], key: str, field: str | None = None) -> date | None:
    """An optional day; absent, null and "" (the vendors' "no activity") give None.

    Args:
        rec: the record.
        key: the key.
        field: path for messages (default: key).

    Returns:
        The date or None.
    """
    value = rec.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_day(value, field or key)


def parse_timestamp(value: Any, field: str) -> datetime:
    """An ISO 8601 timestamp; one without an offset is taken as UTC (vendor APIs send UTC).

    Args:
        value: the raw value.
        field: its path, for messages.

    Returns:
        A tz-aware datetime in UTC.
    """
    if not isinstance(value, str) or not value.strip():
        raise RecordError(
            "bad_timestamp", field, f"expected an ISO 8601 timestamp, got {type_name(value)}"
        )
    try:
        ts = datetime.fromisoformat(value.strip())
    except ValueError:
        raise RecordError(
            "bad_timestamp", field, f"expected an ISO 8601 timestamp, got {_shown(value)}"
        ) from None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


def opt_timestamp(rec: Mapping[str, Any], key: str, field: str | None = None) -> datetime | None:
    """An optional ISO 8601 timestamp in UTC.

    Args:
        rec: the record.
        key: the key.
        field: path for messages (default: key).

    Returns:
        The UTC datetime or None.
    """
    value = rec.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_timestamp(value, field or key)


def iso_utc(ts: datetime) -> str:
    """A UTC timestamp as ISO 8601 text ending in `Z`.

    Args:
        ts: tz-aware datetime.

    Returns:
        e.g. `2025-10-01T00:00:00Z`.
    """
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def day_start(day: date) -> str:
    """Midnight UTC of a report day, the timestamp of daily-grain events.

    Args:
        day: the day.

    Returns:
        ISO 8601 text.
    """
    return f"{day.isoformat()}T00:00:00Z"


def json_text(value: Any) -> str:
    """Canonical JSON (sorted keys, compact) so equal content gives equal text and keys.

    Args:
        value: a JSON-serialisable value.

    Returns:
        The JSON text.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """Lower-case snake_case name for a vendor label, e.g. `Microsoft Teams` → `microsoft_teams`.

    Args:
        text: the label.

    Returns:
        The slug.
    """
    return _SLUG.sub("_", text.lower()).strip("_")


def price_param(text: str | None, name: str = "monthly_cost") -> float | None:
    """A price given as a connector parameter: a finite number ≥ 0, or None when not given.

    Args:
        text: the parameter's text.
        name: the parameter's name, for the message.

    Returns:
        The price, or None (unknown: never 0).
    """
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InputError(f"parameter {name}: expected a price ≥ 0, got {text!r}")
    return value
