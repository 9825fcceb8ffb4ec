"""Readiness: the eight organisational conditions scored, their evidence, gaps, resistance.

One data function serves the page (`/readiness`), its JSON (`/v1/readiness`), its CSV and the
report: `Workspace.readiness_assessment` (aggregates only) plus flat evidence rows and one
labelled bar chart of the scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uptake.report.charts import VALUE, caption
from uptake.web.figures import STYLE
from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace
from uptake.workspace.access import AGGREGATE, require

GAP_COLOUR = "#d95f02"
STATUS_TEXT = {"ok": "ok", "gap": "gap", "not_available": "not available"}


def readiness(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """Readiness as of a date, with evidence rows and the scores' chart.

    Args:
        ws: the workspace.
        actor: who looks (organisation aggregates: admin or analyst).
        params: `as_of`.

    Returns:
        The readiness document plus {k, evidence (one row per component), charts}.
    """
    require(actor, AGGREGATE)
    doc = ws.readiness_assessment(as_of=params.as_of, actor=actor)
    out = dict(doc)
    out["k"] = doc.get("min_group_size")
    out["evidence"] = evidence_rows(doc)
    fig = chart(doc)
    out["charts"] = [fig] if fig else []
    return out


def evidence_rows(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One flat row per piece of evidence of every condition (table and CSV).

    Args:
        doc: the readiness document.

    Returns:
        Rows {condition, label, component, kind, status, value, score, n, n_what, numerator,
        denominator, note}; a hidden or missing component says why in `note`.
    """
    rows = []
    for c in doc.get("conditions") or []:
        for x in c["components"]:
            d = x.get("detail") or {}
            if x["status"] != "ok":
                note = x.get("reason")
            elif x["kind"] == "questionnaire":
                items = ", ".join(f"{k} {v:g}" for k, v in (d.get("items") or {}).items())
                note = f"{items} ({d.get('source')}; scale {d.get('scale')})"
            else:
                note = d.get("note") or (
                    f"window {d['window'][0]} to {d['window'][1]}" if d.get("window") else None
                )
                if str(d.get("basis") or "").startswith("proxy"):
                    # A proxy is said wherever its number is shown.
                    proxy = str(d["basis"]).partition(":")[2].strip()
                    said = f"a proxy: levels from {proxy}, not measured work"
                    note = f"{note} · {said}" if note else said
            rows.append(
                {
                    "condition": c["condition"],
                    "label": c["label"],
                    "component": x["label"],
                    "kind": x["kind"],
                    "status": x["status"],
                    "value": x.get("value"),
                    "score": x.get("score"),
                    "n": x.get("n"),
                    "n_what": x.get("n_what"),
                    "numerator": d.get("numerator"),
                    "denominator": d.get("denominator"),
                    "counts": d.get("counts"),
                    "note": note,
                }
            )
    return rows


def chart(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The scores as horizontal bars, gaps in their own colour, the threshold marked.

    Args:
        doc: the readiness document.

    Returns:
        {title, caption, figure}, or None when no condition could be scored.
    """
    conds = [c for c in doc.get("conditions") or [] if c.get("score") is not None]
    if not conds:
        return None
    labels = [c["label"] for c in conds]
    scores = [c["score"] for c in conds]
    colours = [GAP_COLOUR if c["status"] == "gap" else VALUE for c in conds]
    # A basis may carry its own brackets ("data (proxy)"): in brackets it read "(data (proxy))".
    text = [f"{c['score']:.1f} · {c['basis']}" for c in conds]
    gap = doc.get("gap_below")
    fig = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": scores,
                "y": labels,
                "text": text,
                "textposition": "auto",
                "marker": {"color": colours},
                "hovertemplate": "%{y}: %{x:.0f}<extra></extra>",
            }
        ],
        "layout": {
            **STYLE,
            "height": 60 + 40 * len(conds),
            "showlegend": False,
            "margin": {"l": 200, "r": 20, "t": 10, "b": 40},
            "xaxis": {"range": [0, 100], "title": {"text": "score (0-100)"}},
            "yaxis": {"autorange": "reversed"},
            "shapes": [
                {
                    "type": "line",
                    "x0": gap,
                    "x1": gap,
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "line": {"dash": "dot", "color": GAP_COLOUR},
                }
            ],
        },
    }
    ns = [
        x["n"]
        for c in conds
        for x in c["components"]
        if x["status"] == "ok" and x["kind"] == "data" and x.get("n") is not None
    ]
    under = caption(doc, max(ns) if ns else None, what="people in the largest evidence group")
    missing = [c["label"] for c in doc.get("conditions") or [] if c.get("score") is None]
    under += f" · a gap is a score below {gap} (dotted line)"
    if missing:
        under += " · not available: " + ", ".join(missing)
    return {"title": "Readiness against the eight conditions", "caption": under, "figure": fig}


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """CSV exports: the evidence rows, and the conditions with their score and status."""
    conds = [
        {
            "condition": c["condition"],
            "label": c["label"],
            "score": c["score"],
            "status": c["status"],
            "basis": c["basis"],
            "needs": "; ".join(c["needs"]),
            "intervention": c["intervention"],
        }
        for c in d.get("conditions") or []
    ]
    return {"conditions": conds, "evidence": d["evidence"]}


PAGE = Page(
    slug="readiness",
    title="Readiness",
    summary="Readiness against the eight organisational conditions: scores, evidence, gaps "
    "with their intervention, and the dominant resistance per population",
    data=readiness,
    order=91,
    charts=True,
    tables=_tables,
)
