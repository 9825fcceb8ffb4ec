"""Teams that need help first: the signals' team aggregates, ranked, with what would help.

One data function serves the page (`/teams`) and its JSON (`/v1/teams`).
"""

from __future__ import annotations

from typing import Any

from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace


def teams(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """Ranked teams at or above k with what would help, themes and each detector's status.

    Args:
        ws: the workspace.
        actor: who looks (aggregates: admin or analyst).
        params: `as_of`.

    Returns:
        The `teams_needing_help` document plus `k` and `voice_days` (what the page states).
    """
    doc = dict(ws.teams_needing_help(params.as_of, actor=actor))
    doc["k"] = ws.settings.privacy.min_group_size
    doc["voice_days"] = ws.settings.signals.voice_days
    return doc


def _rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    keep = ("team", "n", "need", "pressure", "pressure_basis", "l3_plus_share",
            "l3_plus_change", "dominant_friction", "dominant_typology", "intervention")  # fmt: skip
    return [{k: t.get(k) for k in keep} for t in d.get("teams", [])]


PAGE = Page(
    slug="teams",
    title="Teams that need help",
    summary="Teams that need help first (aggregates of the signals)",
    data=teams,
    order=20,
    tables=lambda d: {"teams": _rows(d)},
    may_lag=True,
)
