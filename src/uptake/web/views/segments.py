"""Segments side by side: each segment's key metrics as a heatmap and a table, suppression marked.

One data function serves the page (`/segments`), its JSON (`/v1/segments`) and its CSV.
`?by=` picks the dimension (default: team). Suppression is per metric and per segment (a
team may be shown for activity and hidden for confidence), so every cell says why it is
empty: fewer than k people (primary) or hidden so a smaller group cannot be worked out
(complementary); a segment that has no rows for a metric has "no data", never a zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from uptake.errors import InputError
from uptake.metrics.dimensions import BY_CHOICES, TOOL
from uptake.report.charts import caption, hidden_reason
from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace
from uptake.workspace.access import AGGREGATE, require

DEFAULT_BY = "team"
SMALL, COMPLEMENTARY, NO_DATA = "small", "complementary", "no data"
BY_LABELS = {
    "role": "role",
    "function": "function",
    "team": "team",
    "manager": "manager (their reports)",
    "level": "management level",
    "location": "location",
    "cohort": "cohort (start of licence)",
    "tenure": "tenure",
    TOOL: "tool (seats of each tool, not people)",
}
# Low values pale yellow, high dark blue: a low value never looks like the white of a gap.
COLOURS = [[0.0, "#ffffcc"], [0.35, "#a1dab4"], [0.65, "#41b6c4"], [1.0, "#253494"]]


@dataclass(frozen=True)
class Column:
    """One metric of the heatmap: where its segment value lives in the document."""

    key: str
    metric: str
    field: str
    label: str
    short: str
    unit: str  # "share" (drawn as %) or "score" (0–10)


# The first column that a document has is the sort order (L3+ share: value, not logins).
COLUMNS = (
    Column("l3_plus_share", "adoption_ladder", "l3_plus_share", "at L3+ on the adoption ladder",
           "L3+ share", "share"),
    Column("active_rate", "usage_rate", "rate", "active in the window (logins)", "active",
           "share"),
    Column("depth", "depth_of_use", "depth", "depth on high-stakes work", "depth", "share"),
    Column("habitual_plus_12w", "usage_segments_12w", "habitual_plus_share",
           "habitual or power users (12 weeks)", "habitual+ (12 w)", "share"),
    Column("seats_in_use", "licenses", "utilisation", "assigned seats in use", "seats in use",
           "share"),
    Column("override_rate", "override_rate", "override_rate", "AI recommendations overridden",
           "overridden", "share"),
    Column("confidence", "confidence", "mean", "confidence (mean, 0–10)", "confidence (0–10)",
           "score"),
)  # fmt: skip
SCORE_MAX = 10
N_METRIC = "usage_rate"


def segments(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """Every segment of a dimension against the key metrics, with each hidden cell's reason.

    Args:
        ws: the workspace.
        actor: who looks (organisation aggregates: admin or analyst).
        params: `as_of`, and `by` (one of the metrics' segment dimensions; default team).

    Returns:
        {as_of, as_of_rule, window_days, k, by, by_label, by_choices, columns, unavailable,
        sort, rows: [{segment, n, cells: {column: {value, text, suppressed}}}], counts,
        per_column, charts}.

    Raises:
        PermissionDeniedError: the actor may not read organisation aggregates.
        InputError: `by` is not a dimension the metrics segment by.
    """
    # Who may look is decided before what they asked for, so a refusal never leaks choices.
    require(actor, AGGREGATE)
    by = params.by or DEFAULT_BY
    if by not in BY_CHOICES:
        raise InputError(
            f"?by={by!r} is not a segment dimension: expected one of {', '.join(BY_CHOICES)} "
            f"(default {DEFAULT_BY})"
        )
    # Remembered as built (with a thousand teams, copying the whole by-team document on every
    # view cost more than the page itself); the permission was checked above.
    return ws.remember("segments", (params.as_of, by), lambda: _build(ws, actor, params.as_of, by))


def _build(ws: Workspace, actor: Actor, as_of: Any, by: str) -> dict[str, Any]:
    doc = ws.metrics(as_of=as_of, by=by, actor=actor).to_dict()
    k = doc.get("min_group_size")
    columns, unavailable = _columns(doc, by)
    rows = _rows(doc, columns, k)
    sort = columns[0] if columns else None
    rows.sort(key=lambda r: _order(r, sort))
    out: dict[str, Any] = {
        "as_of": doc["as_of"],
        "as_of_rule": doc.get("as_of_rule"),
        "window_days": doc.get("window_days"),
        "k": k,
        "by": by,
        "by_label": BY_LABELS.get(by, by),
        "by_choices": [{"value": c, "label": BY_LABELS.get(c, c)} for c in BY_CHOICES],
        "columns": columns,
        "unavailable": unavailable,
        "sort": sort["label"] if sort else None,
        "rows": rows,
        "counts": _counts(rows, sort),
        "per_column": [_column_counts(rows, c) for c in columns],
        # Shares of noised counts over a noised n can pass 100 % in small groups: said, not hidden.
        "over_100": sum(
            1
            for r in rows
            for c in columns
            if c["unit"] == "share" and (r["cells"][c["key"]]["value"] or 0) > 1
        ),
    }
    chart = heatmap(doc, out)
    out["charts"] = [chart] if chart else []
    return out


def _columns(doc: Mapping[str, Any], by: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The columns the document can fill, and why each other one is missing."""
    shown: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    metrics = doc.get("metrics", {})
    for col in COLUMNS:
        e = metrics.get(col.metric)
        basis = str((e or {}).get("basis") or "")
        proxy = basis.startswith("proxy")
        label = col.label + (f" ({basis})" if proxy else "")
        if not e or e.get("status") == "not_available":
            needs = (e or {}).get("needs") or []
            why = "not available" + (f": needs {', '.join(needs)}" if needs else "")
        elif not e.get("segments"):
            why = f"not broken down by {by}"
            if e.get("suppressed"):
                why = "hidden: " + (hidden_reason(e, doc.get("min_group_size")) or "suppressed")
        else:
            short = col.short + (f"<br>({basis})" if proxy else "")
            shown.append({"key": col.key, "metric": col.metric, "field": col.field,
                          "label": label, "short": short, "unit": col.unit, "basis": basis,
                          "proxy": proxy, "definition": e.get("definition")})  # fmt: skip
            continue
        missing.append({"key": col.key, "metric": col.metric, "label": label, "missing": why})
    return shown, missing


def _rows(doc: Mapping[str, Any], columns: list[dict[str, Any]], k: Any) -> list[dict[str, Any]]:
    """One row per segment that any column names, each cell its value or why it is empty."""
    metrics = doc.get("metrics", {})
    found: dict[str, dict[str, Any]] = {}
    for col in columns:
        for r in metrics[col["metric"]]["segments"]:
            name = str(r.get("segment", r.get("group")))
            found.setdefault(name, {}).setdefault(col["key"], r)
    rows = []
    for name, by_col in found.items():
        cells = {c["key"]: _cell(by_col.get(c["key"]), c, k) for c in columns}
        hidden = [by_col[key] for key, c in cells.items() if c["suppressed"]]
        if hidden and not any(c["value"] is not None for c in cells.values()):
            # A segment shown nowhere is a small group: "no data" beside "< k" had told
            # whether its few people had, say, answered the pulse. Its empty cells read as
            # hidden, for the reason its other cells are.
            small = next((r for r in hidden if r["suppressed"] == SMALL), hidden[0])
            for key, c in cells.items():
                if c.get("no_data"):
                    cells[key] = {"value": None, "text": hidden_reason(small, k),
                                  "suppressed": small["suppressed"]}  # fmt: skip
        # n is the segment's licensed people (activity's population) where activity shows it.
        order = sorted(columns, key=lambda c: c["metric"] != N_METRIC)
        n = next((by_col[c["key"]].get("n") for c in order if c["key"] in by_col
                  and not by_col[c["key"]].get("suppressed")), None)  # fmt: skip
        rows.append({"segment": name, "n": n, "cells": cells})
    return rows


def _cell(r: Mapping[str, Any] | None, col: Mapping[str, Any], k: Any) -> dict[str, Any]:
    if r is None:
        return {"value": None, "text": NO_DATA, "suppressed": False, "no_data": True}
    if r.get("suppressed"):
        return {"value": None, "text": hidden_reason(r, k), "suppressed": r["suppressed"]}
    v = r.get(col["field"])
    if v is None:
        return {"value": None, "text": NO_DATA, "suppressed": False, "no_data": True}
    text = f"{100 * v:.0f} %" if col["unit"] == "share" else f"{v:.1f}"
    return {"value": v, "text": text, "suppressed": False}


def _order(row: Mapping[str, Any], sort: Mapping[str, Any] | None) -> tuple[int, float, str]:
    """Shown values first, highest first; then complementary, small, no data; then by name."""
    if sort is None:
        return (0, 0.0, row["segment"])
    c = row["cells"][sort["key"]]
    if c["value"] is not None:
        return (0, -float(c["value"]), row["segment"])
    rank = {COMPLEMENTARY: 1, SMALL: 2}.get(str(c["suppressed"]), 3)
    return (rank, 0.0, row["segment"])


def _counts(rows: list[dict[str, Any]], sort: Mapping[str, Any] | None) -> dict[str, Any]:
    """How many segments, and how many of them the sort column shows, hides and why."""
    if sort is None:
        return {"segments": len(rows), "shown": 0, "small": 0, "complementary": 0, "no_data": 0}
    got = _column_counts(rows, sort)
    return {"segments": len(rows), **{k: got[k] for k in ("shown", "small", "complementary",
                                                          "no_data")}}  # fmt: skip


def _column_counts(rows: list[dict[str, Any]], col: Mapping[str, Any]) -> dict[str, Any]:
    cells = [r["cells"][col["key"]] for r in rows]
    return {
        "key": col["key"],
        "label": col["label"],
        "shown": sum(c["value"] is not None for c in cells),
        "small": sum(c["suppressed"] == SMALL for c in cells),
        "complementary": sum(c["suppressed"] == COMPLEMENTARY for c in cells),
        "no_data": sum(bool(c.get("no_data")) for c in cells),
    }


def heatmap(doc: Mapping[str, Any], d: Mapping[str, Any]) -> dict[str, Any] | None:
    """Segments × metrics, colour = value; hidden cells are gaps labelled by their reason.

    Args:
        doc: the metrics document (for the caption).
        d: the view's document (columns, sorted rows, k).

    Returns:
        {"title", "caption", "figure"}, or None when no column or no segment is there.
    """
    columns, rows, k = d["columns"], d["rows"], d["k"]
    if not columns or not rows:
        return None
    names = [r["segment"] for r in rows]
    # One trace, so every column shares one axis: a score is coloured as its share of the
    # scale (confidence 7.5 of 10 like 75 %); the text in the cell is the value itself.
    z = [[_z(r["cells"][c["key"]], c["unit"]) for c in columns] for r in rows]
    text = [[r["cells"][c["key"]]["text"] if r["cells"][c["key"]]["value"] is not None
             else "" for c in columns] for r in rows]  # fmt: skip
    traces: list[dict[str, Any]] = [{
        "type": "heatmap", "x": [c["short"] for c in columns], "y": names, "z": z,
        "text": text, "texttemplate": "%{text}", "zmin": 0, "zmax": 100,
        "colorscale": COLOURS, "xgap": 2, "ygap": 1, "hoverongaps": False,
        "colorbar": {"title": {"text": "% (of scale)"}, "thickness": 12, "lenmode": "pixels",
                     "len": 200, "y": 1, "yanchor": "top"},
        "hovertemplate": "%{y} · %{x}: %{text}<extra></extra>",
    }]  # fmt: skip
    marks = (
        (SMALL, f"< {k}", f"fewer than {k} people (not shown)", "#555555"),
        (COMPLEMENTARY, "hidden", "hidden so a smaller group cannot be worked out", "#4b3b6b"),
        (NO_DATA, "no data", "no data for this group", "#8a5a00"),
    )
    for kind, mark, name, colour in marks:
        xs, ys = [], []
        for r in rows:
            for c in columns:
                cell = r["cells"][c["key"]]
                hit = cell.get("no_data") if kind == NO_DATA else cell["suppressed"] == kind
                if hit:
                    xs.append(c["short"])
                    ys.append(r["segment"])
        if xs:
            traces.append({
                "type": "scatter", "mode": "text", "name": f"{mark}: {name}", "x": xs,
                "y": ys, "text": [mark] * len(xs), "textfont": {"color": colour, "size": 11},
                "hovertemplate": f"%{{y}} · %{{x}}: {name}<extra></extra>",
            })  # fmt: skip
    n = next((doc["metrics"][c["metric"]].get("n") for c in columns), None)
    under = caption(doc, n, what="licensed people") + (
        f" · '< {k}': fewer than {k} people, not shown · 'hidden': hidden so a smaller group "
        "cannot be worked out · 'no data': the group has none for that metric"
    )
    if d.get("over_100"):
        under += " · a share over 100 % is the counts' noise in a small group"
    if any(c["unit"] == "score" for c in columns):
        under += f" · confidence (0–{SCORE_MAX}) is coloured as a share of its scale"
    fig = {
        "data": traces,
        "layout": {
            "height": max(300, 140 + 22 * len(names)),
            "margin": {"l": 10, "r": 10, "t": 90, "b": 10},
            "font": {"family": "system-ui, sans-serif", "size": 12},
            "paper_bgcolor": "white",
            "plot_bgcolor": "#f4f4f4",
            # Fixed ranges: the text marks would otherwise pad the axes with empty rows.
            "xaxis": {
                "type": "category",
                "side": "top",
                "automargin": True,
                "range": [-0.5, len(columns) - 0.5],
            },
            "yaxis": {"type": "category", "automargin": True, "range": [len(names) - 0.5, -0.5]},
            "legend": {
                "orientation": "h",
                "x": 0,
                "y": 1,
                "yref": "container",
                "yanchor": "top",
            },
        },
    }
    title = f"Each {d['by']} on the key metrics, sorted by {d['sort']} (highest first)"
    return {"title": title, "caption": under, "figure": fig}


def _z(cell: Mapping[str, Any], unit: str) -> float | None:
    v = cell["value"]
    if v is None:
        return None
    return round(100 * (v if unit == "share" else v / SCORE_MAX), 1)


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """One row per segment: each metric's value and, beside it, why it is empty if it is."""
    out = []
    for r in d["rows"]:
        row: dict[str, Any] = {d["by"]: r["segment"], "n": r["n"]}
        for c in d["columns"]:
            cell = r["cells"][c["key"]]
            row[c["key"]] = cell["value"]
            row[f"{c['key']}_suppressed"] = cell["suppressed"] or (
                NO_DATA if cell.get("no_data") else ""
            )
        out.append(row)
    return {"segments": out}


PAGE = Page(
    slug="segments",
    title="Segments",
    summary="Each segment (?by=team, role, …) on the key metrics, with suppression marked",
    data=segments,
    order=30,
    charts=True,
    tables=_tables,
    takes_by=True,
    may_lag=True,
)
