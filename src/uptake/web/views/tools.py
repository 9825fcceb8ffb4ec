"""AI tools side by side: who uses which tool, which combinations, and what each costs.

One data function serves the page (`/tools`), its JSON (`/v1/tools`), its CSVs and the
report: `Workspace.tools` (aggregates at or above the minimum group size, decided by one
overlap-aware plan, since a person using two tools is in both tools' groups) turned into
rows and charts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uptake.errors import InputError
from uptake.metrics.tool_presence import LEVELS
from uptake.metrics.tool_segments import SEGMENT_NAMES
from uptake.report.charts import VALUE, caption
from uptake.web.figures import STYLE
from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace
from uptake.workspace.access import AGGREGATE, require

GREY = "#bdbdbd"
WHY = {"small": "fewer than {k} people: not shown",
       "complementary": "hidden so a smaller group cannot be worked out"}  # fmt: skip


def tools(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """Per-tool usage, the tool mix and cost per tool, with charts.

    Args:
        ws: the workspace.
        actor: who looks (organisation aggregates: admin or analyst).
        params: `as_of`; `by` splits the tool mix by a segment dimension.

    Returns:
        {as_of, as_of_rule, window_days, k, by, currency, privacy, tools, mix, pairs,
        segment_mix, costs, segments (usage segments per tool), segment_weeks,
        segment_reason, segment_notes, notes, missing, charts}.
    """
    require(actor, AGGREGATE)
    from uptake.metrics.dimensions import BY_CHOICES

    if params.by is not None and params.by not in BY_CHOICES:
        raise InputError(
            f"?by={params.by!r} is not a segment dimension: expected one of {', '.join(BY_CHOICES)}"
        )
    doc = ws.tools(as_of=params.as_of, by=params.by, actor=actor)
    k = doc["min_group_size"]
    usage, mix, cost = doc["tool_usage"], doc["tool_mix"], doc["tool_cost"]
    segs = doc["usage_segments"]
    out: dict[str, Any] = {
        key: doc.get(key)
        for key in ("as_of", "as_of_rule", "window_days", "by", "currency", "privacy")
    }
    out["k"] = k
    out["missing"] = {
        name: _missing(e)
        for name, e in (("tools", usage), ("mix", mix), ("costs", cost), ("segments", segs))
        if e.get("status") == "not_available"
    }  # fmt: skip
    out["tools"] = [_tool_row(r, k) for r in usage.get("segments") or []]
    out["window"] = usage.get("window")
    out["week"] = usage.get("week")
    out["mix_people"] = mix.get("people")
    # Why the total is hidden (then every share and the merged row are too: each gives it away).
    out["mix_hidden"] = _why(mix.get("people_suppressed"), k) if mix.get("people") is None else None
    out["mix_merged"] = mix.get("merged") or "other combinations"
    out["mix"] = [_plain(r) for r in mix.get("combinations") or []]
    # Every combination merged into one row: the chart and the page's sentence both read it.
    out["mix_all_merged"] = all_merged(out["mix"], out["mix_merged"])
    out["pairs"] = [_plain(r) for r in mix.get("pairs") or []]
    out["segment_mix"] = [_plain(r) for r in mix.get("segments") or []]
    out["costs"] = [_cost_row(r, k) for r in cost.get("segments") or []]
    out["segments"] = [_segment_row(r, k) for r in segs.get("segments") or []]
    out["segment_weeks"] = segs.get("weeks_counted")
    out["segment_reason"] = segs.get("recommended_reason")
    out["segment_notes"] = list(segs.get("notes", []))
    out["notes"] = [*usage.get("notes", []), *cost.get("notes", [])]
    out["charts"] = [c for c in (usage_chart(doc, out), mix_chart(doc, out),
                                 segments_chart(doc, out), cost_chart(doc, out)) if c]  # fmt: skip
    return out


def _missing(e: Mapping[str, Any]) -> str:
    needs = e.get("needs") or []
    return "not available" + (f": needs {', '.join(needs)}" if needs else "")


def _why(reason: Any, k: Any) -> str | None:
    return WHY[reason].format(k=k) if reason in WHY else None


def _plain(r: Mapping[str, Any]) -> dict[str, Any]:
    return {("label" if key == "segment" else key): v for key, v in r.items()}


def _tool_row(r: Mapping[str, Any], k: Any) -> dict[str, Any]:
    hidden = r.get("suppressed")
    row: dict[str, Any] = {"tool": r.get("segment"), "hidden": _why(hidden, k)}
    if hidden:
        return row
    row.update({key: r.get(key) for key in (
        "grain", "n", "licensed", "active", "rate", "weekly_active", "weekly_active_rate",
        "active_days_per_active", "daily_note", "weekly_note", "licence_note",
        *LEVELS)})  # fmt: skip
    for f in ("licensed", "active", "weekly_active", *LEVELS):
        row[f"{f}_hidden"] = _why(r.get(f"{f}_suppressed"), k)
    return row


def _segment_row(r: Mapping[str, Any], k: Any) -> dict[str, Any]:
    hidden = r.get("suppressed")
    row: dict[str, Any] = {"tool": r.get("segment"), "hidden": _why(hidden, k)}
    if hidden:
        return row
    row.update({key: r.get(key) for key in ("n", "history_weeks", "daily_note")})
    for c in SEGMENT_NAMES:
        row[c] = r.get(c)
        row[f"{c}_share"] = r.get(f"{c}_share")
        row[f"{c}_hidden"] = _why(r.get(f"{c}_suppressed"), k)
    row["habitual_plus_share"] = r.get("habitual_plus_share")
    row["habitual_plus_hidden"] = _why(r.get("habitual_plus_suppressed"), k)
    return row


def _cost_row(r: Mapping[str, Any], k: Any) -> dict[str, Any]:
    hidden = r.get("suppressed")
    row: dict[str, Any] = {"tool": r.get("segment"), "hidden": _why(hidden, k)}
    if hidden:
        return row
    row.update({key: r.get(key) for key in (
        "currency", "seat_cost_month", "spend_window", "cost_month", "cost_per_person_month",
        "cost_per_active_person_month", "sources", "missing", "n", "active")})  # fmt: skip
    row["seat_cost_hidden"] = _why(r.get("seat_cost_suppressed"), k)
    return row


def usage_chart(doc: Mapping[str, Any], view: Mapping[str, Any]) -> dict[str, Any] | None:
    """People per tool: in its population, licensed and active in the window."""
    shown = [t for t in view["tools"] if not t["hidden"]]
    if not shown:
        return None
    names = [t["tool"] for t in shown]
    bars = (("people (licensed or active)", "n", GREY), ("licensed", "licensed", "#9ecae1"),
            ("active in the window", "active", VALUE))  # fmt: skip
    data = [{"type": "bar", "name": name, "x": names, "y": [t.get(key) for t in shown],
             "marker": {"color": colour},
             "hovertemplate": "%{x}: %{y:,} " + name + "<extra></extra>"}
            for name, key, colour in bars]  # fmt: skip
    ns = "; ".join(f"{t['tool']} n = {t['n']:,}" for t in shown if t.get("n") is not None)
    under = caption(doc, None) + (f" · {ns} people" if ns else "")
    hidden = [t["tool"] for t in view["tools"] if t["hidden"]]
    if hidden:
        under += f" · not drawn (too few people to show): {', '.join(hidden)}"
    # A bar hidden for privacy is a gap, never a zero: say which, and why.
    gaps: dict[str, list[str]] = {}
    for t in shown:
        for key, word in (("licensed", "licensed"), ("active", "active")):
            why = t.get(f"{key}_hidden")
            if why:
                gaps.setdefault(why, []).append(f"{t['tool']} {word}")
    if gaps:
        under += " · hidden — " + "; ".join(f"{', '.join(c)}: {why}" for why, c in gaps.items())
    unknown = [t["tool"] for t in shown if t.get("licence_note")]
    if unknown:
        under += f" · licensed not drawn (no seat of them is known): {', '.join(unknown)}"
    periodic = [t["tool"] for t in shown if t.get("grain") not in (None, "day")]
    if periodic:
        under += f" · counted at the period grain they report: {', '.join(periodic)}"
    fig = {"data": data, "layout": {**STYLE, "height": 320, "barmode": "group",
           "margin": {"l": 60, "r": 20, "t": 40, "b": 60},
           "yaxis": {"title": {"text": "people"}, "rangemode": "tozero"},
           "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom"}}}  # fmt: skip
    return {"title": "People in each AI tool and how many used it", "caption": under,
            "figure": fig}  # fmt: skip


def all_merged(rows: list[dict[str, Any]], merged: str) -> bool:
    """Whether every combination shown is the merged row (none could be shown on its own).

    Args:
        rows: the mix rows (`label`, `n`).
        merged: the merged row's label.

    Returns:
        True when there are rows and all of them are the merged one.
    """
    return bool(rows) and all(r["label"] == merged for r in rows)


def mix_chart(doc: Mapping[str, Any], view: Mapping[str, Any]) -> dict[str, Any] | None:
    """People by the combination of tools they used."""
    rows = [r for r in view["mix"] if r.get("n") is not None]
    # Every combination merged: one bar of everyone says nothing a chart should (the table
    # says why instead).
    if not rows or view["mix_all_merged"]:
        return None
    rows = list(reversed(rows))
    fig = {"data": [{"type": "bar", "orientation": "h", "y": [r["label"] for r in rows],
                     "x": [r["n"] for r in rows], "marker": {"color": VALUE},
                     "text": [f"{r['n']:,}" for r in rows], "textposition": "outside",
                     "hovertemplate": "%{y}: %{x:,} people<extra></extra>"}],
           "layout": {**STYLE, "height": 80 + 32 * len(rows),
                      "margin": {"l": 220, "r": 40, "t": 10, "b": 40},
                      # Room beyond the longest bar for its number ("1,43…" was cut).
                      "xaxis": {"title": {"text": "people"},
                                "range": [0, 1.18 * max(int(r["n"]) for r in rows)]}}}  # fmt: skip
    total = view.get("mix_people")
    if total is None:
        # The total is hidden (it would single someone out): n counts the bars shown.
        shown = sum(int(r["n"]) for r in rows)
        under = caption(doc, shown, what="people in the combinations shown; the total is hidden")
    else:
        under = caption(doc, total, what="people active in any tool")
    under += (
        f" · combinations of fewer than {view['k']} people are merged into other combinations, "
        "with those that would let them be worked out by subtraction"
    )
    return {"title": "Which AI tools people combine", "caption": under, "figure": fig}


# Power darkest: the segments read from most to least use.
SEGMENT_COLOURS = {"power": "#08519c", "habitual": "#3182bd", "novice": "#9ecae1",
                   "low": "#deebf7", "non_user": "#fdae6b"}  # fmt: skip
SEGMENT_WORDS = {"power": "power", "habitual": "habitual", "novice": "novice", "low": "low",
                 "non_user": "non-user"}  # fmt: skip


def segments_chart(doc: Mapping[str, Any], view: Mapping[str, Any]) -> dict[str, Any] | None:
    """Each tool's seat holders by usage segment (shares), hidden classes drawn as one grey."""
    shown = [t for t in view["segments"] if not t["hidden"] and not t.get("daily_note")
             and t.get("n")]  # fmt: skip
    if not shown:
        return None
    names = [t["tool"] for t in shown]
    data = []
    for c in SEGMENT_NAMES:
        word = SEGMENT_WORDS[c]
        data.append({"type": "bar", "orientation": "h", "name": word, "y": names,
                     "x": [t.get(f"{c}_share") for t in shown],
                     "marker": {"color": SEGMENT_COLOURS[c]},
                     "hovertemplate": f"%{{y}}: %{{x:.0%}} {word}<extra></extra>"})  # fmt: skip
    rest = [max(0.0, 1.0 - sum(float(t.get(f"{c}_share") or 0) for c in SEGMENT_NAMES))
            if any(t[f"{c}_hidden"] for c in SEGMENT_NAMES) else 0.0 for t in shown]  # fmt: skip
    if any(rest):
        data.append({"type": "bar", "orientation": "h", "name": "hidden classes", "y": names,
                     "x": rest, "marker": {"color": GREY},
                     "hovertemplate": "%{y}: %{x:.0%} in classes too small to show"
                                      "<extra></extra>"})  # fmt: skip
    weeks = view.get("segment_weeks")
    fig = {"data": data, "layout": {**STYLE, "height": 110 + 40 * len(shown), "barmode": "stack",
           "margin": {"l": 160, "r": 20, "t": 40, "b": 50},
           "xaxis": {"title": {"text": "share of the tool's seat holders"}, "tickformat": ".0%",
                     "range": [0, 1]},
           "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom",
                      "traceorder": "normal"}}}  # fmt: skip
    ns = "; ".join(f"{t['tool']} n = {t['n']:,}" for t in shown)
    under = caption(doc, None) + f" · the last {weeks} weeks · {ns} seat holders"
    skipped = [t["tool"] for t in view["segments"] if t.get("daily_note")]
    if skipped:
        under += f" · not drawn (no daily counts): {', '.join(skipped)}"
    gone = [t["tool"] for t in view["segments"] if t["hidden"]]
    if gone:
        under += f" · not drawn (too few people to show): {', '.join(gone)}"
    return {"title": f"How each tool's seat holders use it ({weeks}-week usage segments)",
            "caption": under, "figure": fig}  # fmt: skip


def cost_chart(doc: Mapping[str, Any], view: Mapping[str, Any]) -> dict[str, Any] | None:
    """Cost per active person-month per tool, in the reporting currency."""
    shown = [c for c in view["costs"]
             if not c["hidden"] and c.get("cost_per_active_person_month") is not None]  # fmt: skip
    if not shown:
        return None
    cur = view.get("currency")
    fig = {"data": [{"type": "bar", "x": [c["tool"] for c in shown],
                     "y": [c["cost_per_active_person_month"] for c in shown],
                     "marker": {"color": VALUE},
                     "hovertemplate": "%{x}: %{y:,.2f} " + str(cur) + "<extra></extra>"}],
           "layout": {**STYLE, "height": 300, "margin": {"l": 60, "r": 20, "t": 10, "b": 60},
                      "yaxis": {"title": {"text": f"{cur} per active person-month"},
                                "rangemode": "tozero"}}}  # fmt: skip
    ns = "; ".join(f"{c['tool']} n = {c['active']:,} active" for c in shown
                   if c.get("active") is not None)  # fmt: skip
    under = caption(doc, None) + (f" · {ns}" if ns else "") + f" · in {cur}"
    gone = [c["tool"] for c in view["costs"] if not c["hidden"] and c.get("missing")]
    if gone:
        under += f" · not drawn (a currency without a rate): {', '.join(gone)}"
    return {"title": f"Cost per active person-month ({cur})", "caption": under, "figure": fig}


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """CSV exports: tools, mix (with pairs) and costs."""
    tool_rows = [{**t, "hidden": t.get("hidden") or ""} for t in d["tools"]]
    mix = [{"kind": "combination", "label": r["label"], "n": r.get("n"),
            "share": r.get("share")} for r in d["mix"]]  # fmt: skip
    mix += [{"kind": "pair", "label": r["label"], "n": r.get("n"), "share": None}
            for r in d["pairs"]]  # fmt: skip
    costs = [{**c, "hidden": c.get("hidden") or ""} for c in d["costs"]]
    segments = [{**t, "hidden": t.get("hidden") or ""} for t in d["segments"]]
    out = {"tools": tool_rows, "mix": mix, "costs": costs, "usage_segments": segments}
    if d.get("segment_mix"):
        out["segment_mix"] = [dict(r) for r in d["segment_mix"]]
    return out


PAGE = Page(
    slug="tools",
    title="AI tools",
    summary="Usage per AI tool, the combinations of tools people use, and cost per tool",
    data=tools,
    order=85,
    charts=True,
    tables=_tables,
    takes_by=True,
    may_lag=True,
)
