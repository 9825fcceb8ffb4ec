"""The overview: vanity against value, the ladder, the weekly trend, and whether it is improving.

One data function serves the page (`/overview`) and its JSON (`/v1/overview`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from uptake.report.charts import hidden_reason
from uptake.web import figures
from uptake.web.views import Page
from uptake.workspace import Actor, Workspace

# "This month against last": the last four complete weeks against the four before them.
MONTH_WEEKS = 4


def overview(ws: Workspace, actor: Actor, as_of: date | None = None) -> dict[str, Any]:
    """The overview's numbers and charts for an actor (organisation aggregates).

    Args:
        ws: the workspace.
        actor: who looks (admin or analyst; others are refused by the Workspace).
        as_of: evaluation date (default: the as-of rule).

    Returns:
        {as_of, as_of_rule, window_days, headline: [...], better: [...], charts: [...]}.
    """
    doc = ws.metrics(as_of=as_of, actor=actor).to_dict()
    m = doc["metrics"]
    vv = m.get("vanity_vs_value") or {}
    lad = m.get("adoption_ladder") or {}
    lic = m.get("licenses") or {}
    # The seats assigned are the licences' own number: it needs no activity in the window,
    # which an as-of past the data lacks (the comparison was then "not available: needs
    # events …" for the licences too).
    assigned = vv.get("licenses") if vv.get("licenses") is not None else lic.get("seats")
    headline = [
        _number("licences assigned", assigned, "people"),
        _number(
            "active in the window (what login dashboards show)", vv.get("active_rate"), "share"
        ),
        _number("at L3+ on the ladder", lad.get("l3_plus_share"), "share", lad.get("basis")),
        _number("depth on high-stakes work", vv.get("depth"), "share"),
        _number("hours saved per week", vv.get("hours_saved_per_week"), "hours"),
    ]
    for row in headline:
        if row["value"] is None and (why := (vv.get("hidden") or {}).get(row["key"])):
            row["missing"] = hidden_reason({"suppressed": why}, doc.get("min_group_size"))
        elif row["value"] is None:
            own = lic.get("needs") if row["label"] == "licences assigned" else None
            needs = own or (vv.get("not_available") or {}).get(row["key"]) or vv.get("needs") or []
            row["missing"] = "not available" + (f": needs {', '.join(needs)}" if needs else "")
    better = [
        _change("active in the week", m.get("weekly_active_rate"), "rate"),
        _change("depth on high-stakes work", m.get("weekly_depth"), "depth"),
    ]
    charts = [
        c
        for c in (figures.vanity_vs_value(doc), figures.ladder(doc), figures.weekly_trend(doc))
        if c is not None
    ]
    return {
        "as_of": doc["as_of"],
        "as_of_rule": doc.get("as_of_rule"),
        "window_days": doc.get("window_days"),
        "headline": headline,
        "better": better,
        "charts": charts,
    }


def _number(label: str, value: Any, unit: str, basis: Any = None) -> dict[str, Any]:
    key = {"depth on high-stakes work": "depth", "hours saved per week": "hours_saved_per_week"}
    text = None
    if value is not None:
        text = f"{100 * value:.0f} %" if unit == "share" else f"{value:,.0f}"
    proxy = str(basis or "").startswith("proxy")
    return {
        "label": label + (f" ({basis})" if proxy else ""),
        "key": key.get(label, label),
        "value": value,
        "text": text,
    }


def _change(label: str, entry: dict[str, Any] | None, key: str) -> dict[str, Any]:
    """This month (last four complete weeks) against the month before, in points.

    Args:
        label: what the row says.
        entry: a weekly metric's document (its `weeks` rows).
        key: the share each week's row holds (`rate`, `depth`).

    Returns:
        The row: now, before and the change, or what is missing.
    """
    out: dict[str, Any] = {"label": label, "now": None, "before": None, "change_points": None}
    if not entry or entry.get("status") == "not_available":
        out["missing"] = "not available" + (
            f": needs {', '.join(entry['needs'])}" if entry and entry.get("needs") else ""
        )
        return out
    weeks = [
        w for w in entry.get("weeks", []) if not w.get("suppressed") and w.get(key) is not None
    ]
    if len(weeks) < 2 * MONTH_WEEKS:
        out["missing"] = f"too early to tell: needs {2 * MONTH_WEEKS} complete weeks"
        return out
    now = sum(w[key] for w in weeks[-MONTH_WEEKS:]) / MONTH_WEEKS
    before = sum(w[key] for w in weeks[-2 * MONTH_WEEKS : -MONTH_WEEKS]) / MONTH_WEEKS
    out.update(
        now=round(now, 4),
        before=round(before, 4),
        change_points=round(100 * (now - before), 1),
        weeks=[weeks[-2 * MONTH_WEEKS]["week"], weeks[-1]["week"]],
    )
    return out


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    head = [
        {"what": r["label"], "value": r["value"], "missing": r.get("missing")}
        for r in d["headline"]
    ]
    return {"headline": head, "change": d["better"]}


PAGE = Page(
    slug="overview",
    title="Overview",
    summary="The overview page's data",
    data=lambda ws, actor, p: overview(ws, actor, p.as_of),
    order=10,
    charts=True,
    tables=_tables,
    may_lag=True,
)
