"""My adoption: a person's own ladder level, their weekly trend, their friction and next step.

One data function serves the page (`/me`) and its JSON (`/v1/me`). It reads only
`Workspace.my_adoption` for the signed-in person, which checks the token and writes the read
to the audit log; nothing here looks at anyone else's rows.
"""

from __future__ import annotations

from typing import Any

from uptake.config.metrics import MetricsSettings
from uptake.report.charts import LADDER, VALUE
from uptake.web.figures import STYLE
from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace

# The level's name as the person would say it (the ladder's own names in brackets).
LEVEL_NAMES = {
    "L1": "not using AI in your work yet (aware)",
    "L2": "using AI sometimes (trial)",
    "L3": "using AI on a good share of your key work (active)",
    "L4": "AI is part of how you work (integrated)",
    "L5": "helping others use AI (advocate)",
}
# What each friction signal noticed, said to the person it is about.
NOTICED = {
    "bounce_loop": "you opened the tool and left again quickly, several times in a row",
    "no_meaningful_use_14d": "you have held a licence for a while without a meaningful use yet",
    "week3_4_drop": "your use dropped in your third and fourth weeks after you started",
    "surface_use": "your AI use has been on low-stakes tasks only",
    "rejection_streak": "you turned down several suggestions in a row",
    "override_spike": "you overrode more AI recommendations than you usually do",
    "distress_language": "your recent feedback sounded frustrated",
}
# Day-based proxies in the Workspace are named this way (see metrics.families.ladder).
PROXY_BASIS = "activity_proxy"


def my_adoption(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """The signed-in person's own adoption picture, in words written to them.

    Args:
        ws: the workspace.
        actor: who looks (a `person` token reads itself; the Workspace refuses the rest).
        params: `as_of`.

    Returns:
        {as_of, as_of_rule, window_days, ladder ("L1".."L5" or None), level_name, headline,
        basis, proxy, basis_text, means, next_level, not_judged, next_step, trend, flags, detectors
        (friction detectors that could run, of all), recent_days, charts}.
    """
    doc = ws.my_adoption(params.as_of, actor=actor)
    s = ws.settings.metrics
    level = doc.get("ladder")
    basis = str(doc.get("basis") or "")
    proxy = basis == PROXY_BASIS or basis.startswith("proxy")
    rules = _rules(s, proxy)
    number = int(level[1:]) if level else 0
    out: dict[str, Any] = {
        "as_of": doc["as_of"],
        "as_of_rule": "given" if params.as_of else ws.default_as_of()[1],
        "window_days": s.window_days,
        "ladder": level,
        "level_name": LEVEL_NAMES.get(level or ""),
        "headline": _headline(level, proxy),
        "basis": basis,
        "proxy": proxy,
        "basis_text": (
            "proxy: worked out from your activity alone (the tool vendor's reports), not "
            "from your tasks"
            if proxy
            else "measured from the workflow tasks you did with and without AI"
        ),
        "means": rules[number - 1] if level else None,
        "next_level": _next_level(number, rules, doc.get("not_judged") or {}),
        "not_judged": doc.get("not_judged") or {},
        "next_step": doc.get("next_step"),
        "trend": doc.get("trend") or [],
        "flags": [_flag(f) for f in doc.get("flags") or []],
        "detectors": doc.get("detectors"),
        "recent_days": ws.settings.signals.recent_days,
    }
    chart = trend_chart(out)
    out["charts"] = [chart] if chart else []
    return out


def _next_level(number: int, rules: list[str], unjudged: dict[str, list[str]]) -> str | None:
    """What the level above takes, or why the workspace cannot show it (None at the top)."""
    if not number or number >= len(rules):
        return None
    above = f"L{number + 1}"
    if above in unjudged:
        return (
            f"{above} is not judged in this workspace: it needs {_NEEDS.get(above, 'more data')}"
            f". Until then L{number} is the highest level it can show."
        )
    return f"To reach {above}: {rules[number]}"


# What an unjudged level needs, in the words of a person's own page.
_NEEDS = {"L5": "records of who helps whom, or feedback naming the use cases people share"}


def _headline(level: str | None, proxy: bool) -> str:
    if not level:
        return "You do not hold a licence for an AI tool on this date, so you have no level yet."
    said = f"You are at {level} ({LEVEL_NAMES[level].split(' (')[0]})"
    return said + (" · proxy: from your activity alone." if proxy else ".")


def _rules(s: MetricsSettings, proxy: bool) -> list[str]:
    """What each level means, L1 to L5, in the person's terms and the workspace's thresholds."""
    w = s.window_days
    weeks = s.ladder_recent_weeks
    top = (
        f"all of the level below, and you helped at least {s.advocate_helped} colleagues or "
        f"shared a use case in the last {s.advocate_weeks} weeks"
    )
    band = f"{s.override_band_low:.0%}–{s.override_band_high:.0%}"
    if proxy:
        return [
            f"no action in an AI tool in the last {w} days",
            f"some actions in an AI tool in the last {w} days",
            f"regular use: actions on at least {s.proxy_active_days} days of the last "
            f"{weeks} weeks, in at least {s.proxy_active_weeks} of those weeks",
            f"actions on at least {s.proxy_integrated_days} days, in at least "
            f"{s.proxy_integrated_weeks} of the last {weeks} weeks; where decisions and "
            f"feedback are recorded, overriding {band} of AI recommendations and having "
            "given feedback",
            top,
        ]
    return [
        f"no AI-assisted workflow run in the last {w} days",
        f"some AI-assisted runs in the last {w} days, but on fewer than "
        f"{s.ladder_trial_share:.0%} of your high-stakes tasks",
        f"at least {s.ladder_trial_share:.0%} of your high-stakes tasks in the last {w} days "
        "done with AI and completed",
        f"at least {s.ladder_integrated_share:.0%} of your high-stakes tasks done with AI, "
        f"active in {s.ladder_active_weeks} of the last {weeks} weeks, overriding {band} of "
        "AI recommendations, and feedback given at least once",
        top,
    ]


def _flag(f: dict[str, Any]) -> dict[str, Any]:
    signal = str(f.get("signal"))
    return {
        "signal": signal,
        "noticed": NOTICED.get(signal, signal.replace("_", " ")),
        "since": f.get("since"),
        "help": f.get("help") or "a champion in your role can suggest what to try next",
        "evidence": f.get("evidence") or {},
    }


def trend_chart(d: dict[str, Any]) -> dict[str, Any] | None:
    """The person's own level week by week (None when there are no complete weeks).

    Args:
        d: this view's document (as_of, window_days, basis, trend).

    Returns:
        {title, caption, figure}.
    """
    trend = d["trend"]
    if not trend:
        return None
    levels = [int(str(w["level"])[1:]) if w.get("level") else None for w in trend]
    under = (
        f"as of {d['as_of']} · your last {len(trend)} complete weeks "
        f"({trend[0]['week']} to {trend[-1]['week']}) · each week's level over the "
        f"{d['window_days']}-day window ending that week · your data only"
    )
    if d["proxy"]:
        under += " · proxy: from your activity alone"
    fig = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "your level",
                "x": [w["week"] for w in trend],
                "y": levels,
                "line": {"color": VALUE, "shape": "hv"},
                "connectgaps": False,
                "hovertemplate": "week of %{x}: L%{y}<extra></extra>",
            }
        ],
        "layout": {
            **STYLE,
            "margin": {"l": 50, "r": 30, "t": 10, "b": 40},
            "height": 260,
            "xaxis": {"type": "date", "tickformat": "%d %b %Y", "title": {"text": "week starting"}},
            "yaxis": {
                "range": [0.5, 5.5],
                "tickvals": [1, 2, 3, 4, 5],
                "ticktext": list(LADDER),
                "title": {"text": "your level"},
            },
            "showlegend": False,
        },
    }
    title = "Your level on the adoption ladder, week by week" + (" (proxy)" if d["proxy"] else "")
    return {"title": title, "caption": under, "figure": fig}


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {"trend": [{"week": w["week"], "level": w["level"]} for w in d["trend"]]}


PAGE = Page(
    slug="me",
    title="My adoption",
    summary="My adoption (person tokens)",
    data=my_adoption,
    order=5,
    roles=("person",),
    charts=True,
    tables=_tables,
)
