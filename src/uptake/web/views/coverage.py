"""Data coverage: what was ingested, over which dates, how much was quarantined, who is linked.

One data function serves the page (`/coverage`) and its JSON (`/v1/coverage`).
"""

from __future__ import annotations

from typing import Any

from uptake.web.views import Page
from uptake.workspace import Actor, Workspace


def coverage(ws: Workspace, actor: Actor) -> dict[str, Any]:
    """Sources, date spans, identity coverage, quarantine and the latest ingests.

    Args:
        ws: the workspace.
        actor: who looks (aggregates: admin or analyst).

    Returns:
        {tables, spans, identity: [...], quarantine, quarantined_total, last_ingests}.
    """
    s = ws.status(actor=actor)
    ident = s["identity_coverage"]
    sources = [
        {
            "source": name,
            "seen": f["seen"],
            "linked": f["linked"],
            "linked_share": f["linked_share"],
            "below_threshold": f["below_threshold"],
            "hint": f["hint"],
        }
        for name, f in (ident.get("formats") or {}).items()
    ]
    return {
        "tables": s["tables"],
        "spans": s["spans"],
        "roster_people": ident.get("roster_people"),
        "identity_threshold": ident.get("threshold"),
        "identity": sources,
        "quarantine": s["quarantine"],
        "quarantined_total": s["quarantined_total"],
        "last_ingests": s["last_ingests"],
    }


PAGE = Page(
    slug="coverage",
    title="Data coverage",
    summary="The data coverage page's data",
    data=lambda ws, actor, _p: coverage(ws, actor),
    order=90,
    tables=lambda d: {
        "spans": d["spans"],
        "identity": d["identity"],
        "quarantine": d["quarantine"],
        "ingests": d["last_ingests"],
    },
)
