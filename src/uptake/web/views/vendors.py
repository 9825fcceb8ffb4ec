"""Vendor numbers: what each vendor reports, beside uptake's person-level numbers for the tool.

One data function serves the page (`/vendors`), its JSON (`/v1/vendors`) and its CSV. Every
`vendor_*` metric of the document gets a section: the vendor's own counts as reported (their
definition of active, their scope and days), uptake's licensed and active people for the same
tool, and one sentence on why the two differ; a vendor whose export is missing says what it
needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uptake.metrics import labels
from uptake.report.charts import VALUE, caption, hidden_reason
from uptake.web.figures import STYLE
from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace

PREFIX = "vendor_"
HIDDEN = "hidden"  # a mapping's field -> why it is not shown ("small", "complementary")
VENDOR = "#e6550d"  # the vendor's own count: not uptake's grey "logins" or blue "value"
NAMES = {"vendor_github_copilot": ("GitHub Copilot", "GitHub"),
         "vendor_m365_copilot": ("Microsoft 365 Copilot", "Microsoft")}  # fmt: skip
# The vendor count closest to uptake's window-long "active": a path into the entry, its words.
ACTIVE_PATHS = (
    (("period", "apps", "any", "active_users"), "active users over the report's period"),
    (("monthly_active_users",), "monthly active users on the latest reported day"),
    (("active_users",), "active users on the latest trend day"),
    (("weekly_active_users",), "weekly active users on the latest reported day"),
    (("daily_active_users",), "daily active users on the latest reported day"),
)
# Context rather than numbers to list: shown in the section's header line, or not at all.
NOT_NUMBERS = {"label", "unit", "definition", "basis", "value", "n", "window", "source",
               "scope", "uptake", "noise", "suppressed", "status", "needs", "apps", "period",
               "pull_requests", "apps_day", "first_day", "latest_day", "days_covered",
               "report", "acceptance_source", "hidden", "notes"}  # fmt: skip
WORDS = {"acceptance_rate": "acceptance rate", "active_share": "active share (active ÷ enabled)",
         "acceptance_people": "people in the acceptance rate",
         "active_users": "active users in any app on the latest trend day",
         "enabled_users": "enabled users on the latest trend day"}  # fmt: skip


def _what(key: str, field: str, latest: Any) -> str:
    """A reported number in words: the page's own wording, else the metric's field label.

    A count of one day (as GitHub's user counts are) names that day: the list is of
    everything reported for the window.
    """
    if field in WORDS:
        return WORDS[field]
    label = labels.describe(field, key)
    return f"{label.label} ({latest})" if latest and label.one_day else label.label


def vendors(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """Each vendor's reported numbers beside uptake's licensed and active people for the tool.

    Args:
        ws: the workspace.
        actor: who looks (organisation aggregates: admin or analyst).
        params: `as_of`.

    Returns:
        {as_of, as_of_rule, window_days, vendors: [{key, tool, vendor, available, ...}],
        charts}; an unavailable vendor carries `missing` ("not available: needs …").
    """
    doc = ws.metrics(as_of=params.as_of, actor=actor).to_dict()
    found = [
        _vendor(key, entry, doc.get("window_days"))
        for key, entry in doc.get("metrics", {}).items()
        if key.startswith(PREFIX)
    ]
    chart = comparison(doc, found)
    return {
        "as_of": doc["as_of"],
        "as_of_rule": doc.get("as_of_rule"),
        "window_days": doc.get("window_days"),
        "k": doc.get("min_group_size"),
        "vendors": found,
        "charts": [chart] if chart else [],
    }


def _vendor(key: str, e: Mapping[str, Any], window_days: Any) -> dict[str, Any]:
    tool, vendor = NAMES.get(key, (key[len(PREFIX) :].replace("_", " "), "the vendor"))
    out: dict[str, Any] = {"key": key, "tool": tool, "vendor": vendor, "label": e.get("label"),
                           "definition": e.get("definition"), "basis": e.get("basis")}  # fmt: skip
    if e.get("status") == "not_available" or e.get("suppressed"):
        needs = e.get("needs") or []
        out["available"] = False
        out["needs"] = needs
        out["missing"] = (
            "not available" + (f": needs {', '.join(needs)}" if needs else "")
            if e.get("status") == "not_available"
            else "hidden: too few people to show"
        )
        return out
    path, words = next(
        ((p, w) for p, w in ACTIVE_PATHS if any(x is not None for x in _at(e, p))), ((), "")
    )
    if path and path[0] == "period":
        per = e.get("period") or {}
        words = (
            f"active users in any app over the {per.get('period_days')} days to {per.get('day')}"
        )
    active, active_hidden = _at(e, path) if path else (None, None)
    up = e.get("uptake") or {}
    hidden = e.get(HIDDEN) or {}
    out.update(
        available=True,
        value=e.get("value"),
        # The headline share is hidden with the count it is a share of.
        value_hidden=next((h for f, h in hidden.items() if f.endswith(("_rate", "_share"))), None),
        source=e.get("source"),
        scope=e.get("scope"),
        first_day=e.get("first_day"),
        latest_day=e.get("latest_day"),
        days_covered=e.get("days_covered"),
        report=e.get("report"),
        acceptance_source=e.get("acceptance_source"),
        notes=list(e.get("notes") or []),
        reported=[
            {
                "key": f,
                "what": _what(key, f, e.get("latest_day")),
                "value": v,
                "hidden": hidden.get(f),
            }
            for f, v in e.items()
            if f not in NOT_NUMBERS
            and (_number(v) or f in hidden)
            and not (v is not None and v == e.get("value") and f.endswith(("_rate", "_share")))
        ],
        apps=_apps(e),
        pull_requests=[
            {"what": f.replace("_", " "), "value": v, "hidden": _hidden(e, "pull_requests", f)}
            for f, v in (e.get("pull_requests") or {}).items()
            if f != HIDDEN
        ],
        vendor_active=active,
        vendor_active_hidden=active_hidden,
        vendor_active_what=words or "not reported",
        licensed_people=up.get("licensed_people"),
        licensed_people_hidden=_hidden(up, "licensed_people"),
        active_people=up.get("active_people"),
        active_people_hidden=_hidden(up, "active_people"),
        uptake_other=[
            _pair(f, v, up, e)
            for f, v in up.items()
            if f not in ("licensed_people", "active_people", HIDDEN)
        ],
        why=(
            f"{vendor} counts whoever {vendor} itself defines as active, in its own scope "
            f"({e.get('scope') or 'as exported'}) and period, while uptake counts people on "
            f"the HR roster who hold a {tool} licence and used it in the {window_days}-day "
            "window, so the two differ by people outside the roster, by what counts as "
            "active and by the days covered."
        ),
    )
    return out


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _hidden(m: Mapping[str, Any], *path: str) -> str | None:
    """Why a value of the document is not shown ("small", "complementary"), or None."""
    parent = _dig(m, path[:-1])
    if not isinstance(parent, Mapping):
        return None
    return (parent.get(HIDDEN) or {}).get(path[-1])


def _at(e: Mapping[str, Any], path: tuple[str, ...]) -> tuple[Any, str | None]:
    return _dig(e, path), _hidden(e, *path)


def _pair(key: str, value: Any, up: Mapping[str, Any], e: Mapping[str, Any]) -> dict[str, Any]:
    """One more uptake count, beside the vendor's count of the same kind of user if any."""
    match = next((f for f in e if f.endswith(key) and f != key and f not in NOT_NUMBERS), None)
    return {
        "what": key.replace("_", " ").replace("cli ", "CLI "),
        "value": value,
        "hidden": _hidden(up, key),
        "vendor_value": e.get(match) if match else None,
        "vendor_hidden": _hidden(e, match) if match else None,
        "vendor_what": match.replace("_", " ") if match else None,
    }


def _dig(e: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    cur: Any = e
    for step in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(step)
    return cur


def _apps(e: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Enabled and active users per app: on the latest trend day and over the period."""
    day = e.get("apps") or {}
    period = (e.get("period") or {}).get("apps") or {}
    out = []
    for app in list(day) + [a for a in period if a not in day]:
        d, p = day.get(app) or {}, period.get(app) or {}
        en = "enabled_users"
        out.append({
            "app": app.replace("_", " "),
            "enabled_users": d.get(en) if en in d or _hidden(d, en) else p.get(en),
            "enabled_users_hidden": _hidden(d, en) if en in d else _hidden(p, en),
            "active_users_day": d.get("active_users"),
            "active_users_day_hidden": _hidden(d, "active_users"),
            "active_users_period": p.get("active_users"),
            "active_users_period_hidden": _hidden(p, "active_users"),
        })  # fmt: skip
    return out


def comparison(doc: Mapping[str, Any], found: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Vendor-reported active users against uptake's active people, per tool.

    Args:
        doc: the metrics document (for the caption).
        found: the view's vendor rows.

    Returns:
        {"title", "caption", "figure"}, or None when no vendor's numbers are in.
    """
    shown = [v for v in found if v["available"]]
    if not shown:
        return None
    tools = [v["tool"] for v in shown]
    k = doc.get("min_group_size")
    bars = (
        ("as the vendor reports active", "vendor_active", VENDOR),
        ("uptake: active people on the roster", "active_people", VALUE),
        ("uptake: licensed people on the roster", "licensed_people", "#bdbdbd"),
    )
    data = [
        {
            "type": "bar",
            "name": name,
            "x": tools,
            "y": [v[key] for v in shown],
            "marker": {"color": colour},
            "text": [_bar_text(v[key], v.get(f"{key}_hidden"), k) for v in shown],
            "textposition": "outside",
            "customdata": [
                v["vendor_active_what"] if key == "vendor_active" else name for v in shown
            ],
            "hovertemplate": "%{x}: %{y:,} (%{customdata})<extra></extra>",
        }
        for name, key, colour in bars
    ]
    ns = "; ".join(f"{v['tool']} n = {v['licensed_people']:,} licensed people"
                   for v in shown if v["licensed_people"] is not None)  # fmt: skip
    under = caption(doc, None) + (f" · uptake {ns}" if ns else "")
    under += " · vendor counts: " + "; ".join(
        f"{v['tool']}: {v['vendor_active_what']}, {v['scope'] or 'scope not stated'}, "
        f"{v['days_covered']} days to {v['latest_day']}"
        for v in shown
    )
    gaps = [f"{v['tool']} {what}: {hidden_reason({'suppressed': v[key + '_hidden']}, k)}"
            for v in shown for what, key in (("vendor active", "vendor_active"),
                                             ("uptake active", "active_people"),
                                             ("uptake licensed", "licensed_people"))
            if v.get(key + "_hidden")]  # fmt: skip
    if gaps:
        under += " · not drawn — " + "; ".join(gaps)
    fig = {
        "data": data,
        "layout": {
            "height": 320,
            "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
            **STYLE,
            "barmode": "group",
            "yaxis": {"title": {"text": "people"}, "rangemode": "tozero"},
            "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom"},
        },
    }
    title = "Active users as each vendor counts them, against uptake's active people"
    return {"title": title, "caption": under, "figure": fig}


def _bar_text(value: Any, hidden: str | None, k: Any) -> str:
    if hidden:
        return f"< {k}" if hidden == "small" else "hidden"
    return f"{value:,}" if value is not None else "not reported"


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """One row per vendor: the vendor's active count beside uptake's, or what is missing."""
    rows = []
    for v in d["vendors"]:
        row: dict[str, Any] = {"tool": v["tool"], "metric": v["key"], "available": v["available"]}
        if v["available"]:
            row.update(
                vendor_active=v["vendor_active"], vendor_active_what=v["vendor_active_what"],
                vendor_active_hidden=v["vendor_active_hidden"] or "",
                uptake_active_people=v["active_people"],
                uptake_active_people_hidden=v["active_people_hidden"] or "",
                uptake_licensed_people=v["licensed_people"],
                uptake_licensed_people_hidden=v["licensed_people_hidden"] or "",
                value=v["value"], value_hidden=v["value_hidden"] or "",
                value_means=v["label"], scope=v["scope"], days_covered=v["days_covered"],
                latest_day=v["latest_day"], missing="",
            )  # fmt: skip
        else:
            row["missing"] = v["missing"]
        rows.append(row)
    return {"vendors": rows}


PAGE = Page(
    slug="vendors",
    title="Vendor numbers",
    summary="Vendor-reported aggregates beside uptake's person-level numbers, per tool",
    data=vendors,
    order=80,
    charts=True,
    tables=_tables,
    may_lag=True,
)
