"""Plotly figures (plain JSON for plotly.js) from a metrics document; no number is invented.

Each function returns `{"title", "caption", "figure"}` or None when its inputs are not
available or hidden; the caption states as-of, window and n like every chart uptake draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uptake.report.charts import (
    VALUE,
    VANITY,
    caption,
    hidden_reason,
    ladder_levels,
    not_judged,
)

Figure = dict[str, Any]
# Every chart's type and background; each chart adds its own margins, height and axes.
STYLE = {
    "font": {"family": "system-ui, sans-serif", "size": 13},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
}
_LAYOUT = {**STYLE, "margin": {"l": 10, "r": 30, "t": 10, "b": 40}, "height": 260}


def _entry(doc: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    e = doc.get("metrics", {}).get(name)
    if not e or e.get("status") == "not_available" or e.get("suppressed"):
        return None
    return dict(e)


def vanity_vs_value(doc: Mapping[str, Any]) -> Figure | None:
    """Share active (what login dashboards show) against L3+ share and depth (value)."""
    v = _entry(doc, "vanity_vs_value")
    if v is None:
        return None
    rows = [
        ("active in the window (logins)", v.get("active_rate"), VANITY),
        ("at L3+ on the ladder" + _proxy(v.get("ladder_basis")), v.get("l3_plus_share"), VALUE),
        ("depth on high-stakes work", v.get("depth"), VALUE),
    ]
    shown = [(lab, 100 * val, col) for lab, val, col in rows if val is not None]
    if not shown:
        return None
    missing = [lab for lab, val, _ in rows if val is None]
    if v.get("l3_plus_share") is None and str(v.get("ladder_basis") or "").startswith("proxy"):
        # The gap is not drawn against a proxy: the ladder chart shows the proxy levels.
        missing = [
            "L3+ (the ladder is a proxy here: see its chart)" if lab.startswith("at L3+") else lab
            for lab in missing
        ]
    gap = v.get("gap_points")
    title = (
        f"Logins overstate adoption by {gap:.0f} points" if gap is not None else "Vanity vs value"
    )
    under = caption(doc, v.get("n"), what="licensed people")
    if missing:
        under += " · not available: " + ", ".join(missing)
    fig = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [s[0] for s in shown],
                "x": [round(s[1], 1) for s in shown],
                "marker": {"color": [s[2] for s in shown]},
                "text": [f"{s[1]:.0f} %" for s in shown],
                "textposition": "outside",
                "hovertemplate": "%{y}: %{x:.1f} %<extra></extra>",
            }
        ],
        "layout": {
            **_LAYOUT,
            "xaxis": {"range": [0, 110], "title": {"text": "% of licensed people"}},
            # The labels are long; without room for them they were cut off on the left.
            "yaxis": {"automargin": True},
        },
    }
    return {"title": title, "caption": under, "figure": fig}


def ladder(doc: Mapping[str, Any]) -> Figure | None:
    """The adoption ladder now: people at each level, per segment when the report has them."""
    lad = _entry(doc, "adoption_ladder")
    if lad is None:
        return None
    k = doc.get("min_group_size")
    rows = [("everyone", lad)] + [(str(s.get("segment")), s) for s in lad.get("segments", [])]
    names = [name for name, _ in rows]
    hidden = {name: hidden_reason(r, k) for name, r in rows}
    data = []
    levels = ladder_levels(lad)
    for level, colour in levels:
        shares = []
        for name, r in rows:
            total = sum(r.get(lv) or 0 for lv, _ in levels)
            ok = total and not hidden[name]
            shares.append(round(100 * (r.get(level) or 0) / total, 1) if ok else None)
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": level,
                "y": names,
                "x": shares,
                "marker": {"color": colour},
                "hovertemplate": f"%{{y}}: {level} %{{x:.1f}} %<extra></extra>",
            }
        )
    notes = [f"{name}: {why}" for name, why in hidden.items() if why]
    under = caption(doc, lad.get("n"), what="licensed people") + not_judged(lad)
    if notes:
        under += " · hidden — " + "; ".join(notes)
    fig = {
        "data": data,
        "layout": {
            **_LAYOUT,
            "barmode": "stack",
            "height": max(220, 40 + 28 * len(names)),
            "xaxis": {"range": [0, 100], "title": {"text": "% of licensed people"}},
            "yaxis": {"autorange": "reversed", "automargin": True},
            "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "traceorder": "normal"},
            "margin": {"l": 10, "r": 30, "t": 30, "b": 40},
        },
    }
    title = "Where people are on the adoption ladder" + _proxy(lad.get("basis"))
    return {"title": title, "caption": under, "figure": fig}


def weekly_trend(doc: Mapping[str, Any]) -> Figure | None:
    """Weekly active rate against weekly depth; hidden weeks are gaps, never zeros."""
    active = _entry(doc, "weekly_active_rate")
    if active is None or not active.get("weeks"):
        return None
    depth = _entry(doc, "weekly_depth")
    data = [_series(active["weeks"], "rate", "active in the week (logins)", VANITY)]
    under = caption(doc, active.get("n"), what="licensed people", window=False)
    if depth and depth.get("weeks"):
        data.append(_series(depth["weeks"], "depth", "depth on high-stakes work", VALUE))
        # The two lines are shares of different things: people, and runs.
        under += " · depth: % of eligible high-stakes runs done with AI"
    if depth is None:
        needs = (doc.get("metrics", {}).get("weekly_depth") or {}).get("needs") or []
        under += " · depth not available" + (f": needs {', '.join(needs)}" if needs else "")
    fig = {
        "data": data,
        "layout": {
            **_LAYOUT,
            "margin": {"l": 60, "r": 30, "t": 30, "b": 40},
            "xaxis": {"type": "date", "tickformat": "%d %b %Y", "title": {"text": "week starting"}},
            "yaxis": {"range": [0, 100], "title": {"text": "%"}},
            # One line alone had no legend at all (Plotly hides a single trace's): the
            # reader could not tell which of the two it was.
            "showlegend": True,
            "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom"},
        },
    }
    both = len(data) == 2
    title = "Week by week: logins against real use" if both else "Week by week: logins"
    return {"title": title, "caption": under, "figure": fig}


def _series(weeks: list[dict[str, Any]], key: str, name: str, colour: str) -> dict[str, Any]:
    """A weekly line of the share each week's row holds under `key`; hidden weeks are gaps."""
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": [w["week"] for w in weeks],
        "y": [
            None if w.get("suppressed") or w.get(key) is None else round(100 * w[key], 1)
            for w in weeks
        ],
        "line": {"color": colour},
        "connectgaps": False,
    }


def _proxy(basis: Any) -> str:
    b = str(basis or "")
    return f" ({b})" if b.startswith("proxy") else ""
