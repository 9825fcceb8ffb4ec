"""The 90-day adoption sprint (`/sprint`): a timeline of the phases and the milestone table.

One data function serves the page, its JSON (`/v1/sprint`), its CSV and the report:
`Workspace.sprint` (milestones ticked from the data or by hand) plus a timeline chart with
today's marker. No one's data: milestones and their evidence only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from uptake.report.charts import VALUE
from uptake.web.figures import STYLE
from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace
from uptake.workspace.access import AGGREGATE, require

STATUS_COLOURS = {"done": VALUE, "due": "#e6a700", "overdue": "#c0392b", "upcoming": "#9e9e9e"}
PHASE_COLOURS = ("#deebf7", "#c6dbef", "#9ecae1")
DAY_MS = 86_400_000


def sprint(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """The sprint on the as-of day, with its timeline chart and flat milestone rows.

    Args:
        ws: the workspace.
        actor: who looks (organisation aggregates: admin or analyst).
        params: `as_of` (the day statuses are judged on).

    Returns:
        `Workspace.sprint`'s document plus {rows, charts}.
    """
    require(actor, AGGREGATE)
    doc = ws.sprint(as_of=params.as_of, actor=actor)
    out = dict(doc)
    out["rows"] = rows(doc)
    out["charts"] = [c for c in (timeline(doc),) if c]
    return out


def rows(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One flat row per milestone, for the table and CSV.

    Args:
        doc: the sprint document.

    Returns:
        Rows {phase, milestone, title, due, status, how, done_on, who, evidence, needs}.
    """
    out = []
    for p in doc.get("phases") or []:
        for m in p["milestones"]:
            out.append({
                "phase": p["title"], "milestone": m["id"], "title": m["title"], "due": m["due"],
                "day": m["day"], "status": m["status"], "how": m["how"], "done_on": m["done_on"],
                "who": m["who"], "evidence": m["evidence"], "needs": "; ".join(m["needs"]),
            })  # fmt: skip
    return out


def timeline(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The three phases as bars on a date axis, milestones as markers, today as a line.

    Args:
        doc: the sprint document.

    Returns:
        {title, caption, figure}, or None when the sprint has no start.
    """
    phases = doc.get("phases") or []
    if doc.get("status") != "ok" or not phases:
        return None
    names = [p["title"] for p in phases]
    data: list[dict[str, Any]] = [
        {"type": "bar", "orientation": "h", "y": [p["title"]],
         "base": [p["start"]], "x": [(p["last_day"] - p["first_day"] + 1) * DAY_MS],
         "marker": {"color": PHASE_COLOURS[i % len(PHASE_COLOURS)]}, "showlegend": False,
         "name": p["title"],
         "hovertemplate": f"{p['title']}: days {p['first_day']}–{p['last_day']}<extra></extra>"}
        for i, p in enumerate(phases)
    ]  # fmt: skip
    for status, colour in STATUS_COLOURS.items():
        ms = [(p["title"], m) for p in phases for m in p["milestones"] if m["status"] == status]
        if not ms:
            continue
        data.append({
            "type": "scatter", "mode": "markers", "name": status,
            "x": [m["done_on"] or m["due"] for _, m in ms], "y": [t for t, _ in ms],
            "text": [m["title"] for _, m in ms],
            "marker": {"color": colour, "size": 11, "line": {"color": "white", "width": 1},
                       "symbol": "circle" if status == "done" else "diamond"},
            "hovertemplate": "%{text}: %{x}<extra>" + status + "</extra>",
        })  # fmt: skip
    as_of = str(doc["as_of"])
    # The axis reaches the as-of day before the sprint's start or after its end too: a
    # finished sprint showed no as-of line at all.
    day = date.fromisoformat(as_of)
    start = min(date.fromisoformat(str(doc["start"])), day)
    end = max(date.fromisoformat(str(doc["end"])), day) + timedelta(days=1)
    # The label sits on the side of the line with room: centred on a line at the axis's end
    # half of it fell outside the chart ("as of 2026-1").
    late = day >= start + (end - start) / 2
    fig = {
        "data": data,
        "layout": {
            **STYLE, "height": 260, "barmode": "overlay",
            "margin": {"l": 220, "r": 20, "t": 30, "b": 40},
            "xaxis": {"type": "date", "range": [start.isoformat(), end.isoformat()]},
            "yaxis": {"categoryorder": "array", "categoryarray": names[::-1]},
            "legend": {"orientation": "h", "y": -0.25},
            "shapes": [{"type": "line", "x0": as_of, "x1": as_of, "yref": "paper", "y0": 0,
                        "y1": 1, "line": {"color": "#333", "dash": "dot"}}],
            "annotations": [{"x": as_of, "y": 1.08, "yref": "paper", "showarrow": False,
                             "xanchor": "right" if late else "left",
                             "text": f"as of {as_of}"}],
        },
    }  # fmt: skip
    c = doc.get("counts") or {}
    under = (
        f"as of {as_of}" + (f" ({doc['as_of_rule']})" if doc.get("as_of_rule") not in
                            (None, "given") else "")
        + f" · {doc['day_text']} · start {doc['start']} ({doc['start_rule']})"
        + f" · n = {sum(c.values())} milestones: {c.get('done', 0)} done, "
        f"{c.get('overdue', 0)} overdue, {c.get('due', 0)} due within a week, "
        f"{c.get('upcoming', 0)} upcoming · markers at the done date, else the due date"
    )  # fmt: skip
    # Before day 1 or after day 90 the sprint has no day of its own ("day 119 of 90").
    return {"title": f"The 90-day sprint: {doc['day_text']}", "caption": under, "figure": fig}


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """CSV export: one row per milestone."""
    return {"milestones": d["rows"]}


PAGE = Page(
    slug="sprint",
    title="90-day sprint",
    summary="The 90-day adoption sprint: phases, milestones ticked from the data or by hand",
    data=sprint,
    order=92,
    charts=True,
    tables=_tables,
)
