"""My team: a manager's own team's aggregates, at or above the minimum group size.

One data function serves the page (`/my-team`) and its JSON (`/v1/my-team`). It reads only
`Workspace.team_metrics` for the manager's one team: the Workspace refuses other teams, and
refuses the team itself unless it and the team without the manager both reach k. No
organisation-wide value is shown, because a manager may not read one.
"""

from __future__ import annotations

from typing import Any

from uptake.errors import PermissionDeniedError
from uptake.report.charts import caption, ladder_levels, not_judged
from uptake.web.figures import STYLE
from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace

# The team's key numbers: (metric, field of the team's row, unit, what it is in words).
KEY_NUMBERS = (
    ("usage_rate", "rate", "share", "active in the window (what login dashboards show)"),
    ("weekly_active_rate", "rate", "share", "active in the latest complete week"),
    ("adoption_ladder", "l3_plus_share", "share", "at L3+ on the adoption ladder"),
    ("depth_of_use", "depth", "share", "depth: high-stakes tasks done with AI and completed"),
    ("vanity_vs_value", "gap_points", "points", "gap between active and L3+"),
    ("usage_segments_12w", "habitual_plus_share", "share", "habitual or power users (12 weeks)"),
    ("confidence", "mean", "score", "mean confidence of surveyed people (0–10)"),
    ("override_rate", "override_rate", "share", "AI recommendations overridden"),
    ("outcomes", "hours_per_week", "hours", "hours saved per week"),
    ("time_to_proficiency", "median_days", "days", "median days from licence to L3"),
    ("licenses", "utilisation", "share", "assigned seats in use"),
)


def my_team(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """The manager's own team: key numbers, the ladder, and why anything is missing.

    Args:
        ws: the workspace.
        actor: who looks (a manager; the Workspace decides, and applies the k rule).
        params: `as_of`.

    Returns:
        {as_of, as_of_rule, window_days, min_group_size, privacy, team, numbers: [...],
        charts: [...]}; each number has label, unit, basis, value, text, n, week, and
        `hidden` ("small" or "complementary") or `missing` (words) when there is no value.

    Raises:
        PermissionDeniedError: the token names no team (only managers have "my team").
    """
    if not actor.teams:
        raise PermissionDeniedError(
            f"My team is for manager tokens: this {actor.role} token names no team"
        )
    doc = ws.team_metrics(actor.teams[0], params.as_of, actor=actor)
    k = doc.get("min_group_size")
    out: dict[str, Any] = {
        key: doc.get(key) for key in ("as_of", "as_of_rule", "window_days", "min_group_size")
    }
    out["privacy"] = (doc.get("privacy") or {}).get("statement")
    out["team"] = doc["team"]
    out["numbers"] = [
        _number(doc["metrics"].get(name) or {}, name, field, unit, label, k)
        for name, field, unit, label in KEY_NUMBERS
    ]
    chart = ladder_chart(doc)
    out["charts"] = [chart] if chart else []
    return out


def _number(
    m: dict[str, Any], name: str, field: str, unit: str, label: str, k: Any
) -> dict[str, Any]:
    """One key number of the team, or why it is not shown (never a 0 for a missing value)."""
    basis = str(m.get("basis") or "")
    proxy = basis.startswith("proxy")
    row: dict[str, Any] = {
        "metric": name,
        "label": label + (f" ({basis})" if proxy else ""),
        "unit": unit,
        "basis": basis or None,
        "value": None,
        "text": None,
        "n": None,
    }
    team = m.get("team_value")
    if m.get("status") == "not_available":
        needs = m.get("needs") or []
        row["missing"] = "not available" + (f": needs {', '.join(needs)}" if needs else "")
    elif not m:
        row["missing"] = "not available: this workspace does not compute it"
    elif team is None:
        row["missing"] = "not available for one team: uptake computes it organisation-wide only"
    elif team.get("status") == "no_data":
        row["missing"] = "no data for your team: nothing this counts happened there"
    elif team.get("suppressed"):
        row["hidden"] = str(team["suppressed"])
        row["missing"] = (
            "hidden so a smaller group cannot be worked out"
            if team["suppressed"] == "complementary"
            else f"hidden: fewer than {k} people"
        )
    elif team.get(field) is None and name == "time_to_proficiency" and team.get("n"):
        low = team.get("ci_low")
        row["missing"] = "fewer than half have reached L3 yet" + (
            f": the median is at least {low:.0f} days" if low is not None else ""
        )
    elif team.get(field) is None:
        row["missing"] = "not available: no value for your team in this window"
    else:
        value = team[field]
        row.update(value=value, text=_text(value, unit), n=team.get("n"), week=team.get("week"))
    return row


def _text(value: float, unit: str) -> str:
    if unit == "share":
        return f"{100 * value:.0f} %"
    if unit == "points":
        return f"{value:.0f} points"
    if unit == "score":
        return f"{value:.1f}"
    return f"{value:,.0f} {unit}"


def ladder_chart(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The team's people at each ladder level, as shares (None when hidden or not available).

    Args:
        doc: the `team_metrics` document.

    Returns:
        {title, caption, figure}.
    """
    lad = doc["metrics"].get("adoption_ladder") or {}
    team = lad.get("team_value")
    if lad.get("status") == "not_available" or not team or team.get("suppressed"):
        return None
    levels = ladder_levels(lad)
    counts = [team.get(level) or 0 for level, _ in levels]
    total = sum(counts)
    if not total:
        return None
    shares = [round(100 * c / total, 1) for c in counts]
    basis = str(lad.get("basis") or "")
    proxy = f" ({basis})" if basis.startswith("proxy") else ""
    fig = {
        "data": [
            {
                "type": "bar",
                "x": [level for level, _ in levels],
                "y": shares,
                "marker": {"color": [colour for _, colour in levels]},
                "text": [f"{s:.0f} %" for s in shares],
                "textposition": "outside",
                "hovertemplate": "%{x}: %{y:.1f} %<extra></extra>",
            }
        ],
        "layout": {
            **STYLE,
            "margin": {"l": 60, "r": 30, "t": 10, "b": 40},
            "height": 260,
            "yaxis": {"range": [0, 110], "title": {"text": "% of licensed people"}},
            "xaxis": {"title": {"text": "level: L1 aware … L5 advocate"}},
        },
    }
    under = caption(doc, team.get("n"), what=f"licensed people in {doc['team']}")
    under += not_judged(lad)
    title = f"Where {doc['team']} is on the adoption ladder{proxy}"
    return {"title": title, "caption": under, "figure": fig}


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    keep = ("label", "value", "n", "basis", "hidden", "missing")
    return {"team": [{"team": d["team"], **{k: r.get(k) for k in keep}} for r in d["numbers"]]}


PAGE = Page(
    slug="my-team",
    title="My team",
    summary="My team's aggregates (manager tokens, at or above the minimum group size)",
    data=my_team,
    order=6,
    roles=("manager",),
    charts=True,
    tables=_tables,
    may_lag=True,
)
