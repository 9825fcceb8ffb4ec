"""Wins and workflow redesign: measured improvements, redesigns with before/after, roles.

One data function serves the page (`/wins`), its JSON (`/v1/wins`), its CSV (the wins table)
and the report: `Workspace.wins`, `Workspace.redesigns` and `Workspace.role_redesign`
(aggregates only, every group at or above k), with one chart of the minutes saved per run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uptake.report.charts import VALUE, caption
from uptake.web.views import Page, Params
from uptake.web.views.outcomes import error_x, layout
from uptake.workspace import Actor, Workspace
from uptake.workspace.access import AGGREGATE, require

LISTS = ("wins", "mixed", "promising", "others")
COLOURS = {"win": VALUE, "mixed": "#fd8d3c", "promising": "#9ecae1"}
# Enough bars to name the workflows that matter without a chart taller than a screen.
TOP = 15
COLUMNS = (
    "workflow",
    "name",
    "verdict",
    "compared_with",
    "roles",
    "people_ai",
    "runs_ai",
    "people_other",
    "runs_other",
    "minutes_ai",
    "minutes_ai_low",
    "minutes_ai_high",
    "minutes_other",
    "minutes_other_low",
    "minutes_other_high",
    "baseline_minutes",
    "saving_vs_baseline",
    "saving_vs_baseline_low",
    "saving_vs_baseline_high",
    "saving_per_run",
    "saving_per_run_low",
    "saving_per_run_high",
    "minutes_saved",
    "started_ai",
    "started_other",
    "completion_ai",
    "completion_other",
    "completion_diff",
    "completion_diff_low",
    "completion_diff_high",
    "steps_before",
    "steps_after",
)


def wins_view(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """The wins, the redesigns with their measured change, and role redesign evidence.

    Args:
        ws: the workspace.
        actor: who looks (organisation aggregates: admin or analyst).
        params: `as_of`.

    Returns:
        The wins document plus {k, level, rows, chart, redesigns, redesigns_missing, roles}.
    """
    require(actor, AGGREGATE)
    doc = ws.wins(as_of=params.as_of, actor=actor)
    out = dict(doc)
    out["k"] = doc.get("min_group_size")
    out["level"] = float(doc.get("confidence") or ws.settings.metrics.confidence_level)
    out["rows"] = rows(doc)
    out["chart"] = chart(doc)
    red = ws.redesigns(as_of=params.as_of, actor=actor)
    out["redesigns"] = red["redesigns"]
    out["redesigns_missing"] = red.get("message") if red.get("status") != "ok" else None
    out["roles"] = ws.role_redesign(as_of=params.as_of, actor=actor)
    return out


def rows(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every shown workflow as one flat row (wins first), for the table and the CSV.

    Args:
        doc: the wins document.

    Returns:
        Rows with `COLUMNS` (roles joined by "; ").
    """
    out = []
    for key in LISTS:
        for r in doc.get(key) or []:
            row = {c: r.get(c) for c in COLUMNS}
            row["roles"] = "; ".join(r.get("roles") or [])
            out.append(row)
    return out


def chart(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """Minutes saved per run with intervals: wins, mixed and promising workflows.

    Args:
        doc: the wins document.

    Returns:
        {title, caption, figure}, or None when nothing is shown.
    """
    # The workflows saving the most minutes in the window, whatever their verdict.
    found = [r for key in ("wins", "mixed", "promising") for r in doc.get(key) or []]
    timed = [r for r in found if r.get("saving_per_run") is not None]
    shown = sorted(timed, key=lambda r: -(r.get("minutes_saved") or 0.0))[:TOP]
    if not shown:
        return None
    names = [r["name"] for r in shown]
    values = [round(r["saving_per_run"], 2) for r in shown]
    lows = [r.get("saving_per_run_low") for r in shown]
    highs = [r.get("saving_per_run_high") for r in shown]
    fig = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": names,
                "x": values,
                "marker": {"color": [COLOURS[r["verdict"]] for r in shown]},
                "error_x": error_x(values, lows, highs),
                "customdata": [r["verdict"] for r in shown],
                "hovertemplate": "%{y}: %{x:.1f} min saved per run (%{customdata})<extra></extra>",
            }
        ],
        "layout": layout(
            names, xaxis={"title": {"text": "minutes saved per run"}, "zeroline": True}
        ),
    }
    runs = sum(r.get("runs_ai") or 0 for r in shown)
    under = caption(doc, runs, what="AI-assisted runs")
    under += (
        f" · the {len(shown)} of {len(timed)} workflows saving the most minutes in the window, "
        f"most first, each compared arm ≥ {doc.get('min_group_size')} people · "
        f"{100 * float(doc.get('confidence') or 0.95):.0f} % intervals · blue: win, orange: "
        "mixed (completion worse), light blue: promising"
    )
    return {"title": "Minutes saved per run with AI, per workflow", "caption": under, "figure": fig}


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """CSV export: the wins table."""
    return {"wins": d["rows"]}


PAGE = Page(
    slug="wins",
    title="Wins",
    summary="Workflows where AI already delivers a measured improvement, redesigns and "
    "role redesign evidence",
    data=wins_view,
    order=86,
    charts=True,
    tables=_tables,
    may_lag=True,
)
