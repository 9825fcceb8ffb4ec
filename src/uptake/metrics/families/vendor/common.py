"""What both vendor views share: a window's aggregate rows, people counts below k, uptake's side.

Vendor aggregates are the vendor's own numbers and are shown as reported, never mixed into a
person-level number. A vendor number of users between 1 and k−1 is still shown as hidden
("< k people"), like every other people count; a sum over several scopes is hidden when any
of its parts is. uptake's own people counts beside them go through `privacy.suppress` (and the
release noise when it is on), one lone count at a time, and hide what the per-tool release
plan hides of the same groups (a tool's seat holders, its active people), so that no view
shows what another hides.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.facts import PERSON_TOOL_DAY
from uptake.metrics.groups import noisy, suppressed_groups
from uptake.metrics.privacy import SUPPRESSED, TOTAL, reason, table_hidden
from uptake.metrics.result import COMPLEMENTARY, SMALL
from uptake.metrics.seats import seats

VENDOR_AGGREGATE = "vendor aggregate"
# Per mapping of values: field → why it is hidden ("small" or "complementary").
HIDDEN = "hidden"
# Scope kinds, widest first: a sum is taken over the scopes of the widest kind present only,
# since an organisation's numbers are already inside its enterprise's.
SCOPE_KINDS = ("enterprise", "organization", "tenant", "other", "team")


def window(ctx: MetricContext) -> dict[str, str]:
    """The current window as {start, end} (ISO dates).

    Args:
        ctx: metric context.

    Returns:
        The window.
    """
    return {"start": ctx.window_start.isoformat(), "end": ctx.as_of.isoformat()}


def aggregate_rows(ctx: MetricContext, tool: str, keep: ibis.Value | None = None) -> pd.DataFrame:
    """The tool's aggregate facts in the current window.

    Args:
        ctx: metric context.
        tool: the tool (`github-copilot`, `m365-copilot`).
        keep: a further filter over the `aggregate_facts` table, or None.

    Returns:
        Frame (day, source, scope, metric, dims, value) with `day` as a date and `dims` as a
        dict; empty when the table is missing.
    """
    cols = ["day", "source", "scope", "metric", "dims", "value"]
    if not ctx.has("aggregate_facts"):
        return pd.DataFrame(columns=cols)
    t = ctx.engine.table("aggregate_facts")
    t = t.filter((t.tool == tool) & (t.day >= ctx.window_start) & (t.day <= ctx.as_of))
    if keep is not None:
        t = t.filter(keep)
    df = ctx.engine.execute(t.select(*cols))
    df["day"] = pd.to_datetime(df["day"]).dt.date
    df["scope"] = df["scope"].astype(object).where(df["scope"].notna(), "(no scope)")
    df["dims"] = pd.Series([_dims(d) for d in df["dims"]], index=df.index, dtype=object)
    return df


def _dims(text: Any) -> dict[str, str]:
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def count(ctx: MetricContext, expr: ibis.Expr) -> int:
    """The single number an expression yields, as an int (0 when it is null).

    Args:
        ctx: metric context.
        expr: a scalar or one-row, one-column expression.

    Returns:
        The count.
    """
    value: Any = ctx.engine.execute(expr).iloc[0, 0]
    return int(value) if pd.notna(value) else 0


def coverage(ctx: MetricContext, tool: str) -> dict[str, str] | None:
    """First and last day of the tool's aggregate facts over all time (for "outside the window").

    Args:
        ctx: metric context.
        tool: the tool.

    Returns:
        {start, end}, or None when the tool has no aggregate facts at all.
    """
    if not ctx.has("aggregate_facts"):
        return None
    t = ctx.engine.table("aggregate_facts")
    t = t.filter(t.tool == tool)
    got = ctx.engine.execute(t.aggregate(first=t.day.min(), last=t.day.max()))
    first, last = got["first"].iloc[0], got["last"].iloc[0]
    if first is None or pd.isna(first):
        return None
    return {
        "start": pd.Timestamp(first).date().isoformat(),
        "end": pd.Timestamp(last).date().isoformat(),
    }


def scope_kind(scope: str) -> str:
    """The kind of a scope label: enterprise, organization, tenant, team or other.

    Args:
        scope: e.g. `enterprise:1`, `organization:acme`, `organization`, `tenant`.

    Returns:
        One of `SCOPE_KINDS`.
    """
    kind = scope.split(":", 1)[0]
    return kind if kind in SCOPE_KINDS else "other"


def widest_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes of the widest kind present (enterprise before organization before team).

    Args:
        scopes: scope labels.

    Returns:
        Those of the widest kind, sorted.
    """
    present = sorted(set(scopes))
    for kind in SCOPE_KINDS:
        chosen = [s for s in present if scope_kind(s) == kind]
        if chosen:
            return chosen
    return []


def scoped_people(
    per_scope: Mapping[str, Mapping[str, Any]], fields: Iterable[str], k: int
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Vendor user counts summed over scopes, each scope a cell of a table whose sum is shown.

    Per field, the scopes are the cells of one table and the sum its public total, so the
    table rule of `privacy.table_hidden` decides: a scope of 1 … k−1 users is hidden, and
    another with it, so that it cannot be worked out from the sum; a sum below k is hidden.

    Args:
        per_scope: scope → field → the reported number (missing when not reported).
        fields: the fields counting users.
        k: minimum group size.

    Returns:
        (field → shown sum, with a `hidden` map; scope → its shown values and `hidden` map).
    """
    totals: dict[str, Any] = {}
    scopes: dict[str, dict[str, Any]] = {s: {} for s in per_scope}
    for field in fields:
        having = [s for s in per_scope if _number(per_scope[s].get(field)) is not None]
        if not having:
            continue
        cells = np.array([float(per_scope[s][field]) for s in having])
        hidden = table_hidden(cells, k)
        for scope, value, hide in zip(having, cells, hidden, strict=True):
            if hide:
                scopes[scope][field] = None
                why = SMALL if 0 < value < k else COMPLEMENTARY
                scopes[scope].setdefault(HIDDEN, {})[field] = why
            else:
                scopes[scope][field] = _whole(value)
        total = float(cells.sum())
        if 0 < total < k:
            totals[field] = None
            totals.setdefault(HIDDEN, {})[field] = SMALL
        else:
            totals[field] = _whole(total)
    return totals, scopes


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(v) else v


def _whole(value: float) -> int | float:
    """A count as an int; a mean keeps two decimals."""
    return int(value) if float(value).is_integer() else round(float(value), 2)


def last_hidden(values: dict[str, Any]) -> dict[str, Any]:
    """The same values with their `hidden` map moved last (it reads after the numbers).

    Args:
        values: a mapping of values.

    Returns:
        A new dict, nested mappings treated alike.
    """
    out = {
        k: last_hidden(v) if isinstance(v, dict) else v for k, v in values.items() if k != HIDDEN
    }
    if values.get(HIDDEN):
        out[HIDDEN] = dict(values[HIDDEN])
    return out


def uptake_people(
    ctx: MetricContext, counts: Mapping[str, int], question: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """uptake's own people counts, each through suppression (and the noise when it is on).

    Each count is a population of its own (a lone total), hidden below k people.

    Args:
        ctx: metric context.
        counts: field → exact number of people.
        question: the metric's name (part of every noise draw).

    Returns:
        (field → shown count or None, field → why hidden).
    """
    if not counts:
        return {}, {}
    frame = pd.DataFrame(
        {"group": TOTAL, "measure": list(counts), "n": [int(v) for v in counts.values()]}
    )
    out = suppressed_groups(ctx, frame, "group", partition_cols=["measure"])
    out = noisy(ctx, out, ["n"], ["group", "measure"], question)
    values: dict[str, Any] = {}
    hidden: dict[str, str] = {}
    for i, measure in enumerate(out["measure"]):
        if bool(out[SUPPRESSED].iloc[i]):
            values[measure] = None
            hidden[measure] = reason(out, i) or SMALL
        else:
            values[measure] = int(out["n"].iloc[i])
    return values, hidden


def licensed_people(ctx: MetricContext, tool: str) -> int | None:
    """People holding a seat of the tool at the end of `as_of` (licence data and inferred seats).

    Args:
        ctx: metric context.
        tool: the tool.

    Returns:
        The count, or None when no seat data exists at all.
    """
    if not ctx.has("licenses"):
        return None
    end = ibis.literal(datetime.combine(ctx.as_of + timedelta(days=1), time()))
    s = seats(ctx.engine)
    s = s.filter(
        (s.tool == tool) & (s.assigned_at < end) & (s.removed_at.isnull() | (s.removed_at >= end))
    )
    return count(ctx, s.aggregate(n=s.person_key.nunique()))


def active_people(ctx: MetricContext, tool: str) -> int | None:
    """People with at least one event of the tool in the window (licensed or not).

    Args:
        ctx: metric context.
        tool: the tool.

    Returns:
        The count, or None when the tool has no events at all (use not measurable).
    """
    if not ctx.has(PERSON_TOOL_DAY):
        return None
    d = ctx.engine.table(PERSON_TOOL_DAY)
    d = d.filter(d.tool == tool)
    if not count(ctx, d.limit(1).count()):
        return None
    d = d.filter((d.day >= ctx.window_start) & (d.day <= ctx.as_of) & (d.events > 0))
    return count(ctx, d.aggregate(n=d.person_key.nunique()))


def uptake_side(
    ctx: MetricContext, tool: str, question: str, extra: Mapping[str, int] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """uptake's person-level numbers for the tool and window, with what is missing.

    Args:
        ctx: metric context.
        tool: the tool.
        question: the metric's name.
        extra: further exact people counts to show the same way (chat users …).

    Returns:
        (values: `licensed_people`, `active_people`, the extra counts and their `hidden`
        map; notes naming what uptake cannot count and why).
    """
    counts: dict[str, int] = {}
    notes: list[str] = []
    lic = licensed_people(ctx, tool)
    if lic is None:
        notes.append(f"uptake's licensed people: not available: needs licenses ({tool} seats)")
    else:
        counts["licensed_people"] = lic
    act = active_people(ctx, tool)
    if act is None:
        notes.append(f"uptake's active people: not available: needs events (of {tool})")
    else:
        counts["active_people"] = act
    counts.update(extra or {})
    values, hidden = uptake_people(ctx, counts, question)
    _as_planned(ctx, tool, counts, values, hidden)
    if hidden:
        values[HIDDEN] = hidden
    return values, notes


# uptake's counts beside a vendor's that are groups of the per-tool release plan as well: the
# tool's seat holders at the end of as_of, and its people active in the window.
_PLANNED = {"licensed_people": "seats", "active_people": "active"}


def _as_planned(
    ctx: MetricContext,
    tool: str,
    counts: Mapping[str, int],
    values: dict[str, Any],
    hidden: dict[str, str],
) -> None:
    """Hide what the per-tool release hides, and each further count within k of the active.

    The per-tool views (`tool_usage`, `licenses` and `usage_rate` by tool) hide a tool's seat
    holders or active people when another published group would single someone out by
    subtraction; shown here, the same group would undo that. A further count (chat users …)
    is a subset of the active people: 1 … k−1 apart, their difference names a small group.

    Args:
        ctx: metric context.
        tool: the tool.
        counts: field → exact number of people.
        values: field → shown count (changed in place: hidden ones become None).
        hidden: field → why hidden (changed in place).
    """
    from uptake.metrics.tool_mix import shared_plan

    plan = shared_plan(ctx)
    for field, group in _PLANNED.items():
        why = plan.hidden.get(f"{group}:{tool}") if plan is not None else None
        if field in values and field not in hidden and why is not None:
            values[field], hidden[field] = None, why
    active = counts.get("active_people")
    if active is None or "active_people" in hidden:
        return  # no difference with the active people can be taken
    for field, n in counts.items():
        # A count of nobody describes no one (its difference is the active people's count).
        if field in _PLANNED or field in hidden or n == 0:
            continue
        if 0 < active - n < ctx.min_group_size:
            values[field], hidden[field] = None, COMPLEMENTARY


def merge(values: dict[str, Any], part: Mapping[str, Any]) -> None:
    """Add `part`'s fields to `values`, joining their `hidden` maps rather than replacing one.

    Args:
        values: the values being built (changed in place).
        part: more fields, possibly with their own `hidden` map.
    """
    for key, value in part.items():
        if key == HIDDEN:
            values.setdefault(HIDDEN, {}).update(value)
        else:
            values[key] = value
