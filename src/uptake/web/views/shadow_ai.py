"""Shadow AI: AI tools used outside what the company provides, per segment, groups ≥ k only.

One data function serves the page (`/shadow-ai`), its JSON (`/v1/shadow-ai`), its CSV and
the report: `Workspace.shadow_ai` (aggregates only: each shown count and its complement in
its parent at least k) turned into flat rows and one chart per source.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uptake.errors import InputError
from uptake.report.charts import VALUE, caption
from uptake.web.figures import STYLE
from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace
from uptake.workspace.access import AGGREGATE, require

HIDDEN = {"small": "hidden: fewer than k people",
          "complementary": "hidden: would reveal a smaller group by subtraction"}  # fmt: skip


def shadow_ai(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """The shadow-AI document with flat rows and a chart per source.

    Args:
        ws: the workspace.
        actor: who looks (organisation aggregates: admin or analyst).
        params: `as_of`; `by` splits by a segment dimension.

    Returns:
        The document plus {k, proxy_rows, survey_rows, charts}.
    """
    require(actor, AGGREGATE)
    from uptake.metrics.dimensions import SEGMENTS

    if params.by is not None and params.by not in SEGMENTS:
        raise InputError(
            f"?by={params.by!r} is not a segment dimension: expected one of {', '.join(SEGMENTS)}"
        )
    doc = ws.shadow_ai(as_of=params.as_of, by=params.by, actor=actor)
    out = dict(doc)
    out["k"] = doc.get("min_group_size")
    out["proxy_rows"] = rows(doc.get("proxy") or {}, doc.get("by"), "proxy")
    out["survey_rows"] = rows(doc.get("survey") or {}, doc.get("by"), "survey")
    charts = [
        chart(doc, doc.get("proxy") or {}, "proxy"),
        chart(doc, doc.get("survey") or {}, "survey"),
    ]
    out["charts"] = [c for c in charts if c is not None]
    return out


def rows(block: Mapping[str, Any], by: Any, source: str) -> list[dict[str, Any]]:
    """One flat row per group of a source (the organisation first), for tables and CSV.

    Args:
        block: the document's `proxy` or `survey` block.
        by: the segment dimension (None: the organisation only).
        source: `proxy` or `survey`.

    Returns:
        Rows {group, of, count, share, hidden, visit_days, tools}; hidden counts are None
        with the reason in `hidden`.
    """
    if block.get("status") != "ok":
        return []
    groups = [block["organisation"], *(block.get("segments") or [])]
    parent, count = ("roster", "people") if source == "proxy" else ("respondents", "yes")
    tools_key = "tools" if source == "proxy" else "tools_named"
    out = []
    for g in groups:
        row: dict[str, Any] = {"group": g["segment"], "dimension": by or "organisation"}
        if g.get("suppressed"):
            why = HIDDEN.get(str(g["suppressed"]), str(g["suppressed"]))
            out.append({**row, "of": None, "count": None, "share": None, "hidden": why,
                        "visit_days": None, "tools": ""})  # fmt: skip
            continue
        tools = "; ".join(
            f"{t['tool']}{' (sanctioned)' if t.get('sanctioned') else ''}: {t['people']}"
            for t in g.get(tools_key) or []
        )
        out.append({**row, "of": g.get(parent), "count": g.get(count), "share": g.get("share"),
                    "hidden": g.get(f"{count}_hidden"), "visit_days": g.get("visit_days"),
                    "tools": tools})  # fmt: skip
    return out


def chart(doc: Mapping[str, Any], block: Mapping[str, Any], source: str) -> dict[str, Any] | None:
    """The share per group of one source, hidden groups named with why.

    Args:
        doc: the shadow-AI document (for the caption).
        block: its `proxy` or `survey` block.
        source: `proxy` or `survey`.

    Returns:
        {title, caption, figure}, or None when the source is not available.
    """
    if block.get("status") != "ok":
        return None
    flat = rows(block, doc.get("by"), source)
    shown = [r for r in flat if r["share"] is not None]
    hidden = [r["group"] for r in flat if r["share"] is None]
    fig = {"data": [{"type": "bar", "orientation": "h",
                     "y": [str(r["group"]) for r in shown],
                     "x": [round(100 * float(r["share"]), 1) for r in shown],
                     "marker": {"color": VALUE},
                     "hovertemplate": "%{y}: %{x} %<extra></extra>"}],
           "layout": {**STYLE, "height": 120 + 28 * len(shown), "showlegend": False,
                      "margin": {"l": 160, "r": 30, "t": 10, "b": 40},
                      "yaxis": {"autorange": "reversed"},
                      "xaxis": {"title": {"text": "% of people"}, "range": [0, 100]}}}  # fmt: skip
    org = block.get("organisation") or {}
    if source == "proxy":
        title = "People seen on an unsanctioned AI tool (web-proxy logs)"
        n, what = org.get("roster"), "people in the roster"
        window = f"{block['start']} to {block['end']}"
    else:
        title = "People answering they used an AI tool the company does not provide (pulse)"
        n, what = org.get("respondents"), "respondents"
        window = f"answers from {block['start']} to {block['end']}"
    under = caption(doc, n, what=what, window=source == "proxy") + f" · {window}"
    if hidden:
        under += f" · not shown (fewer than k people, or complementary): {', '.join(hidden)}"
    return {"title": title, "caption": under, "figure": fig}


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """CSV export: one table per source."""
    return {"proxy": d["proxy_rows"], "survey": d["survey_rows"]}


PAGE = Page(
    slug="shadow-ai",
    title="Shadow AI",
    summary="AI tools used outside what the company provides: proxy logs and the pulse "
    "survey, per segment, groups of at least k people only",
    data=shadow_ai,
    order=93,
    charts=True,
    tables=_tables,
    takes_by=True,
    may_lag=True,
)
