"""Flattening vendor aggregate reports (nested counters and breakdown lists) into facts."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from uptake.ingest.connectors.collect import Collector
from uptake.ingest.connectors.fields import RecordError, json_text, type_name

Dims = dict[str, str]

# Names vendors give to counts and measures; such a field holding text is a type error,
# not a label, and must not vanish silently.
_COUNTER_NAME = re.compile(
    r"(_count|_sum|_users|_tokens|_suggestions|_acceptances|_chats|_events|_created|_request)$"
    r"|^(total|median|avg|daily|weekly|monthly)_"
)


def looks_like_counter(key: str) -> bool:
    """Whether a field name is one vendors use for numbers (counts, sums, medians).

    Args:
        key: field name.

    Returns:
        True when a text value under this name is a type error.
    """
    return bool(_COUNTER_NAME.search(key))


def add_fact(
    col: Collector,
    locator: str,
    *,
    day: date,
    source: str,
    tool: str,
    metric: str,
    scope: str | None,
    dims: Mapping[str, Any],
    value: float,
) -> None:
    """Add one `aggregate_facts` row.

    Args:
        col: the collector.
        locator: source locator.
        day: the day the number is for.
        source: connector name.
        tool: tool name such as `github-copilot`.
        metric: metric name.
        scope: whose aggregate it is, e.g. `enterprise:1`.
        dims: breakdown (feature, ide, language, …); stored as canonical JSON.
        value: the number.
    """
    col.add(
        "aggregate_facts",
        locator,
        day=day.isoformat(),
        source=source,
        tool=tool,
        metric=metric,
        scope=scope,
        dims=json_text(dict(dims)),
        value=value,
    )


def numeric(value: Any) -> bool:
    """Whether a parsed JSON value is a count or measure (booleans are not).

    Args:
        value: the value.

    Returns:
        True for int/float that are not bool.
    """
    return isinstance(value, int | float) and not isinstance(value, bool)


Emit = Callable[[str, Dims, float], None]


def flatten_counters(
    obj: Mapping[str, Any],
    emit: Emit,
    *,
    prefix: str = "",
    dims: Dims | None = None,
    skip: frozenset[str] = frozenset(),
    path: str = "",
    dim_name: Callable[[str, Mapping[str, Any]], Dims] | None = None,
) -> None:
    """Emit every numeric leaf of a report object as (metric, dims, value).

    Nested objects extend the metric name (`pull_requests.total_created`); arrays of
    objects are breakdowns whose string fields become dims (`{"feature": "code_completion"}`)
    and whose numbers keep the parent's metric prefix. Unknown fields are therefore kept
    as facts without code changes, which is what tolerant vendor parsing needs.

    Args:
        obj: the object.
        emit: receives (metric, dims, value).
        prefix: metric-name prefix.
        dims: dims inherited from enclosing breakdowns.
        skip: keys to ignore at this level (ids, the day, partition metadata).
        path: field path for messages.
        dim_name: maps (array key, item) to the item's dims; default: its string fields.
    """
    dims = dims or {}
    for key, value in obj.items():
        if key in skip or value is None:
            continue
        where = f"{path}.{key}" if path else key
        if numeric(value):
            if value != value or value in (float("inf"), float("-inf")):
                raise RecordError("bad_type", where, "expected a finite number")
            emit(prefix + key, dims, float(value))
        elif isinstance(value, dict):
            flatten_counters(
                value, emit, prefix=f"{prefix}{key}.", dims=dims, path=where, dim_name=dim_name
            )
        elif isinstance(value, list):
            for i, item in enumerate(value):
                item_path = f"{where}[{i}]"
                if not isinstance(item, dict):
                    raise RecordError(
                        "bad_type", item_path, f"expected an object, got {type_name(item)}"
                    )
                labels = {k for k, v in item.items() if isinstance(v, str | bool)}
                for k in labels:
                    if looks_like_counter(k):
                        raise RecordError(
                            "bad_type",
                            f"{item_path}.{k}",
                            f"expected a number, got {item[k]!r:.40}",
                        )
                item_dims = dim_name(key, item) if dim_name else string_dims(item)
                if not item_dims:
                    raise RecordError(
                        "missing_required", item_path, "breakdown entry names no dimension"
                    )
                flatten_counters(
                    item,
                    emit,
                    prefix=prefix,
                    dims={**dims, **item_dims},
                    skip=frozenset(labels),
                    path=item_path,
                    dim_name=dim_name,
                )
        elif isinstance(value, bool | str):
            if looks_like_counter(key):
                raise RecordError(
                    "bad_type", where, f"expected a number, got {type_name(value)} {value!r:.40}"
                )
            continue
        else:
            raise RecordError("bad_type", where, f"unexpected {type_name(value)}")


def string_dims(item: Mapping[str, Any]) -> Dims:
    """A breakdown entry's dims: its top-level non-empty string fields.

    Args:
        item: the entry.

    Returns:
        field → value.
    """
    return {k: v for k, v in item.items() if isinstance(v, str) and v != ""}


def counters(obj: Mapping[str, Any], *, prefix: str = "", path: str = "") -> dict[str, float]:
    """The numeric leaves of an object without breakdowns, as {metric: value}.

    Args:
        obj: the object (e.g. one `totals_by_feature` entry or `totals_by_cli`).
        prefix: metric-name prefix.
        path: field path for messages.

    Returns:
        metric → value.
    """
    out: dict[str, float] = {}

    def keep(metric: str, dims: Dims, value: float) -> None:
        if not dims:
            out[metric] = value

    flatten_counters(obj, keep, prefix=prefix, path=path)
    return out
