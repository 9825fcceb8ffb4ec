"""The use-case backlog: teams' proposals ranked by votes and priority, with measured outcomes.

One data function serves the page (`/proposals`), its JSON (`GET /v1/proposals`), its CSV
and the report: `Workspace.proposals` (counts of votes, never who; a catalogued proposal's
outcome for admins and analysts, each arm at or above k people).
"""

from __future__ import annotations

from typing import Any

from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace

ROLES = ("admin", "analyst", "manager", "coach", "person")


def backlog(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """The backlog document, plus whether the actor may vote (a person of their own).

    Args:
        ws: the workspace.
        actor: who looks (anyone who may read the use-case library).
        params: `as_of` ends the outcome window.

    Returns:
        `Workspace.proposals` plus {can_vote, rows}: rows flat for the table and CSV.
    """
    doc = ws.proposals(params.as_of, actor=actor)
    doc["can_vote"] = bool(actor.person_key or actor.manager_key)
    doc["rows"] = [_row(p) for p in doc["proposals"]]
    return doc


def _row(p: dict[str, Any]) -> dict[str, Any]:
    """One proposal as a flat row: its outcome per arm, or why there is none."""
    row = {k: p.get(k) for k in ("rank", "proposal_id", "title", "team", "workflow",
                                 "priority", "votes", "status", "catalogued_workflow",
                                 "proposed_on")}  # fmt: skip
    out = p.get("outcome")
    if out is None:
        return row
    if out.get("status") != "ok":
        row["outcome"] = out.get("reason") or "not available: needs " + ", ".join(
            out.get("needs") or []
        )
        return row
    for arm, v in out["arms"].items():
        if "hidden" in v:
            row[f"{arm}_people"] = v["hidden"]
            continue
        row[f"{arm}_people"] = v["people"]
        row[f"{arm}_completion_rate"] = v["completion_rate"]
        row[f"{arm}_median_minutes"] = v["median_minutes"]
    return row


PAGE = Page(
    slug="proposals",
    title="Proposals",
    summary="The use-case backlog: proposals, votes, priority and measured outcomes",
    data=backlog,
    order=95,
    roles=ROLES,
    tables=lambda d: {"proposals": d["rows"]},
)
