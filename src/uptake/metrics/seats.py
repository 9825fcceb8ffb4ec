"""Seats: licence data plus the seats usage reports imply, one interval per inferred seat.

A usage report that lists only licensed people (Microsoft 365 Copilot user detail) implies a
seat; its connector stores one `licenses` row per report with `evidence` set. Every metric
reads seats through `seats()`, which:

- keeps licence data (rows without `evidence`) as it is, and drops inferred seats of any
  person and tool that licence data covers (licence data wins);
- merges a person's inferred rows for a tool into one seat, from the earliest report period
  start; the seat ends the day after the last report that listed them when a later report of
  the same tool does not (so a daily poll sees seats removed), and is open otherwise.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import ibis

from uptake.warehouse.engine import Engine, Lru

COLUMNS = ("person_key", "tool", "assigned_at", "removed_at", "monthly_cost", "evidence")
# The person fact that says "listed in a report of this tool on report_date".
LISTED = "licensed"
# Seats built on each engine, by the table expressions they were built from (newest kept);
# forgotten with the engine, whose connection they would otherwise keep open.
_BUILT: weakref.WeakKeyDictionary[Any, Lru[tuple[Any, ...], ibis.Table]] = (
    weakref.WeakKeyDictionary()
)
_BUILT_LOCK = threading.Lock()


def seats(engine: Engine) -> ibis.Table:
    """Every seat: licence data, and inferred seats where licence data is silent.

    Args:
        engine: the compute engine (the `licenses` table must exist).

    Returns:
        Table (person_key, tool, assigned_at, removed_at, monthly_cost, evidence).
    """
    lic = engine.table("licenses")
    # The engine gives the same table expressions while the tables' columns stay the same:
    # the seats built from them are kept (a read asks for them in every family).
    pf = engine.table("person_facts") if engine.has("person_facts") else None
    key = (lic.op(), None if pf is None else pf.op())
    with _BUILT_LOCK:
        built = _BUILT.setdefault(engine, Lru(8))
    known = built.get(key)
    if known is not None:
        return known
    return built.put(key, _seats(lic, pf))


def _seats(lic: ibis.Table, pf: ibis.Table | None) -> ibis.Table:
    explicit = lic.filter(lic.evidence.isnull()).select(*COLUMNS)
    inferred = lic.filter(lic.evidence.notnull())
    covered = explicit.select(x_key=explicit.person_key, x_tool=explicit.tool).distinct()
    inferred = inferred.anti_join(
        covered, (inferred.person_key == covered.x_key) & (inferred.tool == covered.x_tool)
    )
    merged = inferred.group_by("person_key", "tool").aggregate(
        assigned_at=inferred.assigned_at.min(),
        monthly_cost=inferred.monthly_cost.max(),
        evidence=inferred.evidence.max(),
    )
    merged = _ends(pf, merged)
    # Cast to the stored types: the inferred side's derived columns may differ in precision.
    types = explicit.schema()
    return explicit.union(
        merged.select(*(merged[c].cast(types[c]).name(c) for c in COLUMNS)), distinct=False
    )


def _ends(pf: ibis.Table | None, merged: ibis.Table) -> ibis.Table:
    """Add `removed_at`: the day after a person's last listing when a later report exists."""
    null_ts = ibis.null("timestamp")
    if pf is None:
        return merged.mutate(removed_at=null_ts)
    listed = pf.filter(pf.fact == LISTED)
    last = listed.group_by(l_key=listed.person_key, l_tool=listed.tool).aggregate(
        last_listed=listed.report_date.max()
    )
    latest = listed.group_by(t_tool=listed.tool).aggregate(latest=listed.report_date.max())
    j = merged.left_join(last, (merged.person_key == last.l_key) & (merged.tool == last.l_tool))
    j = j.left_join(latest, j.tool == latest.t_tool)
    ended = j.last_listed.notnull() & (j.last_listed < j.latest)
    end = (j.last_listed + ibis.interval(days=1)).cast("timestamp")
    return j.mutate(removed_at=ended.ifelse(end, null_ts)).drop(
        "l_key", "l_tool", "last_listed", "t_tool", "latest"
    )
