"""Friction, live: flags raised in the recent window, current to the last batch.

One data function serves the page (`/live`), its JSON (`/v1/live`) and its CSV. It reads
`Workspace.live_flags`, which the live path keeps current as batches arrive (a flag shows
within a minute of the event that completes it), checks the coach's scope per team and
audits the read. People appear by pseudonymous key only.
"""

from __future__ import annotations

from typing import Any

from uptake.report.charts import VALUE, caption
from uptake.web.figures import STYLE
from uptake.web.views import Page, Params
from uptake.web.views.coaching import NOTICED, need_line
from uptake.workspace import Actor, Workspace

# The page reloads itself this often, so a flag appears without anyone pressing reload.
RELOAD_S = 30


def live(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """The live friction flags of the actor's teams, with what each noticed in words.

    Args:
        ws: the workspace.
        actor: a coach (its teams) or an admin (everyone); the Workspace refuses others.
        params: ignored: the live flags are always as of the last batch.

    Returns:
        `Workspace.live_flags`'s document with `noticed` per flag, `reload_s`, `needs` (the
        rules that could not run, in words) and `charts` (flags per rule).
    """
    doc = ws.live_flags(actor=actor)
    for f in doc["flags"]:
        f["noticed"] = NOTICED.get(f["signal"], f["signal"].replace("_", " "))
    doc["reload_s"] = RELOAD_S
    doc["needs"] = [
        need_line(NOTICED.get(rule, rule), st)
        for rule, st in (doc.get("signals") or {}).items()
        if st.get("status") != "available"
    ]
    doc["charts"] = [c for c in (_chart(doc),) if c is not None]
    return doc


def _chart(doc: dict[str, Any]) -> dict[str, Any] | None:
    """Flags per rule in the window (the live path's counts)."""
    counts = (doc.get("counts") or {}).get("by_signal") or {}
    if doc.get("status") != "available" or not counts:
        return None
    rules = sorted(counts, key=lambda r: -counts[r])
    fig = {"data": [{"type": "bar", "orientation": "h",
                     "y": [NOTICED.get(r, r) for r in rules], "x": [counts[r] for r in rules],
                     "marker": {"color": VALUE},
                     "hovertemplate": "%{y}: %{x}<extra></extra>"}],
           "layout": {**STYLE, "height": 120 + 34 * len(rules), "showlegend": False,
                      "margin": {"l": 420, "r": 30, "t": 10, "b": 40},
                      "yaxis": {"autorange": "reversed"},
                      "xaxis": {"title": {"text": "flags"}, "rangemode": "tozero"}}}  # fmt: skip
    n = doc["counts"]["people"]
    under = (
        caption(doc, n, what="people with a flag", window=False)
        + f" · episodes that began {doc['window_from']} to {doc['as_of']}"
        f" ({doc['recent_days']} days) · updated {str(doc['updated_at']).replace('T', ' ')} UTC"
    )
    return {"title": "Friction flags raised in the window, by what was noticed",
            "caption": under, "figure": fig}  # fmt: skip


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """One row per flag."""
    return {
        "flags": [
            {
                "person": f["person"],
                "team": f["team"] or "",
                "signal": f["signal"],
                "since": f["since"],
                "raised_at_utc": f["raised_at"],
                "batch_arrived_at_utc": f["arrived_at"] or "",
                "seconds_to_flag": f["seconds_to_flag"],
            }
            for f in d["flags"]
        ]
    }


PAGE = Page(
    slug="live",
    title="Friction, live",
    summary="Friction flags of the recent window, current to the last batch (coaches: their "
    "teams; admins: everyone; audited)",
    data=live,
    order=96,
    roles=("coach", "admin"),
    charts=True,
    tables=_tables,
    report=False,
    reload_s=RELOAD_S,
)
