"""Time to proficiency: how long from a licence to L3 on the ladder, and last week's moves.

One data function serves the page (`/proficiency`) and its JSON (`/v1/proficiency`). The
median comes from the metrics' Kaplan–Meier estimate; when fewer than half have reached L3
the page says so with a lower bound and never draws a median that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uptake.report.charts import VALUE, VANITY, caption, hidden_reason, ladder_levels, not_judged
from uptake.web.figures import STYLE
from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace

_LAYOUT = {**STYLE, "margin": {"l": 60, "r": 30, "t": 30, "b": 50}, "height": 300}
# The segment dimensions the metrics know, offered as links on the page.
DIMENSIONS = ("function", "role", "team", "manager", "level", "location", "cohort", "tenure")


def proficiency(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """The time-to-L3 estimate, its curve, per-segment medians and last week's ladder moves.

    Args:
        ws: the workspace.
        actor: who looks (organisation aggregates: admin or analyst).
        params: `as_of`, and `by` (a segment dimension, or None for the whole organisation).

    Returns:
        {as_of, as_of_rule, window_days, k, by, dimensions, median, curve, groups,
        transitions, charts}; numbers exactly as in the metrics document.
    """
    doc = ws.metrics(as_of=params.as_of, by=params.by, actor=actor).to_dict()
    k = doc.get("min_group_size")
    ttp = doc["metrics"].get("time_to_proficiency") or {}
    lt = doc["metrics"].get("ladder_transitions") or {}
    median = _median(ttp, k)
    curve = [
        {
            "day": p["day"],
            "not_proficient": p["not_proficient"],
            "reached_share": round(1 - p["not_proficient"], 6),
        }
        for p in (ttp.get("curve") or [])
        if median["status"] != "not_available"
    ]
    groups = [_group(r, k) for r in (ttp.get("segments") or [])] if params.by else []
    transitions = _transitions(lt, k)
    charts = [
        c
        for c in (
            _curve_chart(doc, median, curve),
            _groups_chart(doc, median, groups, params.by),
            _moves_chart(doc, transitions),
        )
        if c is not None
    ]
    return {
        "as_of": doc["as_of"],
        "as_of_rule": doc.get("as_of_rule"),
        "window_days": doc.get("window_days"),
        "k": k,
        "by": params.by,
        "dimensions": list(DIMENSIONS),
        "median": median,
        "curve": curve,
        "groups": groups,
        "transitions": transitions,
        "charts": charts,
    }


def _missing(entry: Mapping[str, Any]) -> str:
    needs = entry.get("needs") or []
    return "not available" + (f": needs {', '.join(needs)}" if needs else "")


def _proxy(basis: Any) -> str:
    b = str(basis or "")
    return f" ({b})" if b.startswith("proxy") else ""


def _days(x: Any) -> str:
    return f"{x:,.0f}"


def _median(ttp: Mapping[str, Any], k: Any) -> dict[str, Any]:
    """The median and how to say it: reached (with its interval), not reached, or missing."""
    keep = ("median_days", "ci_low", "ci_high", "n", "reached", "censored", "left_truncated")
    out: dict[str, Any] = {k: ttp.get(k) for k in keep}
    out["basis"] = ttp.get("basis")
    out["label"] = (ttp.get("label") or "median days from licence to L3") + _proxy(ttp.get("basis"))
    out["method"] = ttp.get("method")
    out["notes"] = list(ttp.get("notes") or [])
    if not ttp or ttp.get("status") == "not_available":
        return {**out, "status": "not_available", "text": _missing(ttp)}
    if ttp.get("suppressed"):
        why = hidden_reason(ttp, k) or "hidden"
        return {**out, "status": "suppressed", "text": f"not shown: {why}"}
    counts = (
        f"{_days(ttp.get('reached') or 0)} people have reached L3, "
        f"{_days(ttp.get('censored') or 0)} have not yet (censored)"
    )
    if ttp.get("median_days") is not None:
        return {**out, "status": "reached", "text": _with_interval(ttp) + f"; {counts}"}
    curve = ttp.get("curve") or []
    floor = ttp.get("ci_low")
    floor = floor if floor is not None else (curve[-1]["day"] if curve else None)
    out["at_least_days"] = floor
    bound = f": the median is at least {_days(floor)} days" if floor is not None else ""
    text = f"fewer than half have reached L3 yet{bound}; {counts}"
    return {**out, "status": "not_reached", "text": text}


def _with_interval(row: Mapping[str, Any]) -> str:
    low, high = row.get("ci_low"), row.get("ci_high")
    text = f"median {_days(row['median_days'])} days"
    if low is not None and high is not None:
        return text + f" (interval {_days(low)}–{_days(high)} days)"
    if low is not None:
        return text + f" (interval from {_days(low)} days, no upper bound yet)"
    return text + " (interval not known yet)"


def _group(row: Mapping[str, Any], k: Any) -> dict[str, Any]:
    """One segment's median in words, or why it is hidden."""
    keep = ("group", "n", "reached", "censored", "median_days", "ci_low", "ci_high")
    out: dict[str, Any] = {c: row.get(c) for c in keep}
    out["suppressed"] = row.get("suppressed") or False
    why = hidden_reason(row, k)
    if why:
        out["text"] = why
    elif row.get("median_days") is not None:
        out["text"] = _with_interval(row)
    elif row.get("ci_low") is not None:
        out["text"] = f"not reached yet: at least {_days(row['ci_low'])} days"
    else:
        out["text"] = "not reached yet: too few have reached L3 to bound it"
    return out


def _transitions(lt: Mapping[str, Any], k: Any) -> dict[str, Any]:
    """Last week's moves on the ladder, per starting level (suppressed rows say why)."""
    head = ("from_week", "to_week", "n", "up", "down", "same", "basis")
    out: dict[str, Any] = {c: lt.get(c) for c in head}
    out["proxy"] = _proxy(lt.get("basis"))
    # The levels people are counted at (L5 is left out where the data cannot judge it).
    levels = [level for level, _ in ladder_levels(lt)]
    out["levels"], out["not_judged"] = levels, not_judged(lt)
    if not lt or lt.get("status") == "not_available":
        return {**out, "status": "not_available", "text": _missing(lt), "rows": []}
    out["status"] = "suppressed" if lt.get("suppressed") else "ok"
    rows = []
    for r in lt.get("rows") or []:
        row = {c: r.get(c) for c in ("from", "n", "up", "down")}
        row.update({f"to_{lv}": r.get(f"to_{lv}") for lv in levels})
        row["suppressed"] = r.get("suppressed") or False
        row["hidden"] = hidden_reason(r, k)
        rows.append(row)
    out["rows"] = rows
    if lt.get("suppressed"):
        out["text"] = f"not shown: {hidden_reason(lt, k) or 'hidden'}"
    return out


def _curve_chart(
    doc: Mapping[str, Any], median: Mapping[str, Any], curve: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The share who reached L3 by each day since their licence, with the median marked."""
    if median["status"] not in ("reached", "not_reached") or not curve:
        return None
    xs = [p["day"] for p in curve]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "reached L3",
            "x": xs,
            "y": [round(100 * p["reached_share"], 1) for p in curve],
            "line": {"shape": "hv", "color": VALUE},
            "hovertemplate": "day %{x}: %{y:.1f} % reached L3<extra></extra>",
        }
    ]
    shapes: list[dict[str, Any]] = [
        {
            "type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 50, "y1": 50,
            "line": {"color": "#999", "dash": "dot", "width": 1},
        }
    ]  # fmt: skip
    notes: list[dict[str, Any]] = []
    med = median.get("median_days")
    if med is not None:
        low, high = median.get("ci_low"), median.get("ci_high")
        if low is not None:
            # An interval open at the top is shaded to the chart's right edge.
            shapes.append(
                {
                    "type": "rect", "yref": "paper", "y0": 0, "y1": 1, "x0": low,
                    "x1": high if high is not None else max(xs), "fillcolor": VALUE,
                    "opacity": 0.12, "line": {"width": 0},
                }
            )  # fmt: skip
        shapes.append(
            {
                "type": "line", "yref": "paper", "y0": 0, "y1": 1, "x0": med, "x1": med,
                "line": {"color": VALUE, "width": 2},
            }
        )  # fmt: skip
        notes.append(
            {"x": med, "y": 1, "yref": "paper", "text": _with_interval(median),
             "showarrow": False, "xanchor": "left", "yanchor": "bottom"}
        )  # fmt: skip
        title = f"Half of licensed people reach L3 within {_days(med)} days"
    else:
        notes.append(
            {"x": 0, "xref": "paper", "y": 1, "yref": "paper", "showarrow": False,
             "xanchor": "left", "yanchor": "bottom",
             "text": "median not reached: " + median["text"].split(";")[0]}
        )  # fmt: skip
        title = "Fewer than half of licensed people have reached L3 yet"
    under = caption(doc, median.get("n"), what="licensed people", window=False)
    reached, censored = median.get("reached") or 0, median.get("censored") or 0
    under += f" · {reached:,} reached, {censored:,} not yet (censored)"
    if median.get("left_truncated"):
        under += f" · {median['left_truncated']:,} licensed before the data start (entered late)"
    fig = {
        "data": data,
        "layout": {
            **_LAYOUT,
            "shapes": shapes,
            "annotations": notes,
            "showlegend": False,
            "xaxis": {"title": {"text": "days since the licence"}, "rangemode": "tozero"},
            "yaxis": {"range": [0, 100], "title": {"text": "% who reached L3"}},
        },
    }
    return {"title": title + _proxy(median.get("basis")), "caption": under, "figure": fig}


def _groups_chart(
    doc: Mapping[str, Any], median: Mapping[str, Any], groups: list[dict[str, Any]], by: Any
) -> dict[str, Any] | None:
    """Median days to L3 per segment with its interval; what has no median is said in words.

    Every group keeps its row: a hidden group or one whose median is not reached has no dot
    (a gap, never 0) and a note on its row saying why; a known lower bound is an open
    triangle, apart from the medians.
    """
    if not any(not g["suppressed"] for g in groups):
        return None
    names = [str(g["group"]) for g in groups]
    med = [None if g["suppressed"] else g["median_days"] for g in groups]

    def arm(g: dict[str, Any], end: str) -> float | None:
        if g["suppressed"] or g["median_days"] is None or g[end] is None:
            return None
        return float(abs(g[end] - g["median_days"]))

    floor = [g["ci_low"] if not g["suppressed"] and g["median_days"] is None else None
             for g in groups]  # fmt: skip
    xmax = max([x for g in groups for x in (g["ci_high"], g["ci_low"], g["median_days"])
                if x is not None and not g["suppressed"]] or [1])  # fmt: skip
    notes = []
    for g in groups:
        if g["suppressed"]:
            text, at = g["text"], 0
        elif g["median_days"] is None:
            text, at = g["text"], g["ci_low"] or 0
        elif g["ci_high"] is None:
            text, at = "no upper bound yet", g["median_days"]
        else:
            continue
        notes.append(
            {"x": at, "y": str(g["group"]), "text": text, "showarrow": False, "xanchor": "left",
             "xshift": 10, "font": {"size": 11, "color": "#555"}}
        )  # fmt: skip
    data = [
        {
            "type": "scatter", "mode": "markers", "name": "median (with its interval)",
            "y": names, "x": med, "marker": {"color": VALUE, "size": 8},
            "error_x": {"type": "data", "symmetric": False,
                        "array": [arm(g, "ci_high") for g in groups],
                        "arrayminus": [arm(g, "ci_low") for g in groups], "color": VALUE},
            "hovertemplate": "%{y}: median %{x} days<extra></extra>",
        },
        {
            "type": "scatter", "mode": "markers", "name": "median not reached: at least …",
            "y": names, "x": floor,
            "marker": {"color": "#555", "symbol": "triangle-right-open", "size": 9},
            "hovertemplate": "%{y}: median not reached, at least %{x} days<extra></extra>",
        },
    ]  # fmt: skip
    under = caption(doc, median.get("n"), what="licensed people", window=False)
    open_ = sum(1 for g in groups if not g["suppressed"] and g["median_days"] is None)
    if open_:
        under += f" · {open_} not reached yet (no dot; a triangle is a lower bound, not a median)"
    hidden = sum(1 for g in groups if g["suppressed"])
    if hidden:
        k = doc.get("min_group_size")
        under += f" · {hidden} hidden (fewer than {k} people, or to protect a small group)"
    fig = {
        "data": data,
        "layout": {
            **_LAYOUT,
            "height": max(240, 80 + 22 * len(names)),
            "margin": {"l": 10, "r": 30, "t": 30, "b": 50},
            "xaxis": {"title": {"text": "days from licence to L3"}, "range": [0, 1.4 * xmax]},
            "yaxis": {"autorange": "reversed", "automargin": True, "type": "category"},
            "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom"},
            "annotations": notes,
        },
    }
    title = f"Median days to L3 by {by}" + _proxy(median.get("basis"))
    return {"title": title, "caption": under, "figure": fig}


def _moves_chart(doc: Mapping[str, Any], tr: Mapping[str, Any]) -> dict[str, Any] | None:
    """People who moved up and down a level last week, by the level they started at."""
    if tr.get("status") != "ok" or all(r["suppressed"] for r in tr.get("rows") or []):
        return None  # nothing to draw: the table says why each row is hidden
    rows = tr["rows"]
    levels = [r["from"] for r in rows]

    def counts(key: str) -> list[Any]:
        return [None if r["suppressed"] else r[key] for r in rows]

    data = [
        {"type": "bar", "name": "moved up", "x": levels, "y": counts("up"),
         "marker": {"color": VALUE}},
        {"type": "bar", "name": "moved down", "x": levels, "y": counts("down"),
         "marker": {"color": VANITY}},
    ]  # fmt: skip
    under = caption(doc, tr.get("n"), what="people licensed both weeks", window=False)
    under += f" · week of {tr.get('from_week')} to week of {tr.get('to_week')}"
    hidden = [f"{r['from']}: {r['hidden']}" for r in rows if r["hidden"]]
    if hidden:
        under += " · hidden — " + "; ".join(hidden)
    fig = {
        "data": data,
        "layout": {
            **_LAYOUT,
            "barmode": "group",
            "xaxis": {"title": {"text": "level in the first week"}},
            "yaxis": {"title": {"text": "people"}, "rangemode": "tozero"},
            "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom"},
        },
    }
    title = f"Last week {tr.get('up')} people moved up a level and {tr.get('down')} moved down"
    return {"title": title + str(tr.get("proxy") or ""), "caption": under, "figure": fig}


def _tables(d: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    basis = d["median"].get("basis")
    curve = [
        {"day": p["day"], "reached_l3_share": p["reached_share"], "basis": basis}
        for p in d["curve"]
    ]
    groups = [
        {"by": d["by"], **{c: g[c] for c in g if c != "text"}, "median_in_words": g["text"]}
        for g in d["groups"]
    ]
    tr = d["transitions"]
    moves = [
        {"from_week": tr.get("from_week"), "to_week": tr.get("to_week"), "basis": tr.get("basis"),
         **{c: v for c, v in r.items() if c != "hidden"}}
        for r in tr.get("rows", [])
    ]  # fmt: skip
    return {"curve": curve, "groups": groups, "transitions": moves}


PAGE = Page(
    slug="proficiency",
    title="Proficiency",
    summary="Time from a licence to L3 (Kaplan–Meier) and last week's ladder moves",
    data=proficiency,
    order=60,
    charts=True,
    tables=_tables,
    takes_by=True,
    may_lag=True,
)
