"""Trust: how often people override the AI, and whether their overrides turned out right.

One data function serves the page (`/trust`) and its JSON (`/v1/trust`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uptake.metrics.labels import format_value
from uptake.report.charts import VALUE, caption, hidden_reason
from uptake.web.views import Page, Params
from uptake.web.views.outcomes import (
    BASE_LAYOUT,
    error_x,
    gap_notes,
    hidden_class,
    interval,
    layout,
    missing_text,
    number,
    to_get_it,
)
from uptake.workspace import Actor, Workspace

OVERRIDDEN = "#d95f02"
_OUTCOME_COLS = ("followed_decisions", "overridden_decisions", "followed_mean", "followed_mean_low",
                 "followed_mean_high", "overridden_mean", "overridden_mean_low",
                 "overridden_mean_high", "difference", "welch_t", "welch_p",
                 "mannwhitney_p")  # fmt: skip


def trust(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """Override rate and its trend, outcomes followed vs overridden, and override accuracy.

    Args:
        ws: the workspace.
        actor: who looks (aggregates: admin or analyst; the Workspace refuses others).
        params: `as_of`.

    Returns:
        {as_of, as_of_rule, window_days, level, k, higher_is_better, available, missing,
        to_get_it, rate, outcomes_missing, outcome_window_days, accuracy, definitions,
        workflows: [...], readings: [...], charts: [...]}.
    """
    doc = ws.metrics(as_of=params.as_of, actor=actor).to_dict()
    m = doc["metrics"]
    k = doc.get("min_group_size")
    level = ws.settings.metrics.confidence_level
    rate = m.get("override_rate") or {}
    oo = m.get("override_outcomes") or {}
    acc = m.get("override_accuracy") or {}
    hib = bool(oo.get("higher_is_better", ws.settings.metrics.outcome_higher_is_better))
    missing = missing_text(rate, k)
    needs = sorted({*rate.get("needs", []), *oo.get("needs", [])})
    oo_missing = missing_text(oo, k)
    rows = [] if missing else _rows(rate, {} if oo_missing else oo, k, level, hib)
    if not missing and oo_missing:
        for r in rows:
            r["outcome_hidden"] = oo_missing
    charts = (
        []
        if missing
        else [_outcome_chart(doc, rows, level), _rate_chart(doc, rows), _weekly_chart(doc, level)]
    )
    return {
        "as_of": doc["as_of"],
        "as_of_rule": doc.get("as_of_rule"),
        "window_days": doc.get("window_days"),
        "level": level,
        "k": k,
        "higher_is_better": hib,
        "available": missing is None,
        "missing": missing,
        "to_get_it": to_get_it(needs) if needs else None,
        "rate": _rate(rate, k, level),
        "outcomes_missing": oo_missing,
        "outcome_window_days": oo.get("window_days"),
        "accuracy": _accuracy(acc, k, level),
        "definitions": {
            "override rate": rate.get("definition"),
            "outcome when followed vs overridden": oo.get("definition"),
            "override accuracy": acc.get("definition"),
        },
        "workflows": rows,
        "readings": [r["reading"] for r in rows if r.get("reading")],
        "charts": [c for c in charts if c],
    }


def p_text(p: float | None) -> str:
    """A p-value as a reader sees it: "p = 0.28", "p = 0.0011" or "p < 0.001"."""
    if p is None:
        return "p not known"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.2f}" if p >= 0.01 else f"p = {p:.3f}"


def p_value(p: float | None) -> str:
    """A p-value for a table's cell as the command line writes it: "0.124", "< 0.001", "—".

    Args:
        p: the p-value.

    Returns:
        The cell's text (never "0").
    """
    return "—" if p is None else format_value(p, "p")


def trend_words(slope: float | None, p: float | None, level: float) -> str:
    """The weekly trend of a share in words: rising, falling or no clear trend, with its p.

    Args:
        slope: least-squares change of the share per week.
        p: the slope's p-value.
        level: confidence level (a trend is clear when p < 1 − level).

    Returns:
        e.g. "rising (+1.2 points a week, p = 0.003)" or "no clear trend (p = 0.28)".
    """
    if slope is None or p is None:
        return "trend not known (too few weeks)"
    if p < 1 - level and slope != 0:
        way = "rising" if slope > 0 else "falling"
        return f"{way} ({number(100 * slope, 1).replace('−', '')} points a week, {p_text(p)})"
    return f"no clear trend ({p_text(p)})"


def workflow_words(workflow: str) -> str:
    """A workflow id as words: "cs.claim_assessment" -> "claim assessment"."""
    return workflow.split(".", 1)[-1].replace("_", " ")


def reading(w: Mapping[str, Any], level: float, higher_is_better: bool) -> str | None:
    """The sponsor's sentence for one workflow; a difference only where its interval excludes 0.

    Args:
        w: a merged workflow row (`difference`, `difference_low`, `difference_high`).
        level: confidence level.
        higher_is_better: whether a higher outcome is better.

    Returns:
        e.g. "In claim assessment, decisions that overrode the AI scored 6.0 points lower
        than those that followed it (95 % interval 3.6–8.5 points lower): …", or None.
    """
    d, lo, hi = w.get("difference"), w.get("difference_low"), w.get("difference_high")
    if d is None:
        return None
    name = workflow_words(str(w["workflow"]))
    pct = f"{100 * level:.0f} %"
    if lo is None or hi is None:
        return f"In {name}, the difference cannot be judged yet (its interval is not known)."
    if lo > 0 or hi < 0:
        way = "higher" if d > 0 else "lower"
        a, b = sorted((abs(lo), abs(hi)))
        better = (d > 0) == higher_is_better
        verdict = (
            "here the people who overrode the AI were right more often than it"
            if better
            else "here following the AI gave the better outcome"
        )
        return (
            f"In {name}, decisions that overrode the AI scored {abs(d):.1f} points {way} than "
            f"those that followed it ({pct} interval {a:.1f}–{b:.1f} points {way}): {verdict}."
        )
    return (
        f"In {name}, no clear difference between decisions that overrode the AI and those "
        f"that followed it ({number(d, 1)} points, {interval(lo, hi, level, 1)})."
    )


def _rate(rate: Mapping[str, Any], k: int | None, level: float) -> dict[str, Any]:
    why = missing_text(rate, k)
    if why:
        return {
            "value": None,
            "text": None,
            "missing": why,
            "trend": None,
            "class": hidden_class(rate),
        }
    v = rate.get("override_rate")
    text = None if v is None else f"{100 * v:.0f} % of {number(rate.get('decisions'))} decisions"
    slope, p = rate.get("slope"), rate.get("slope_p")
    return {"value": v, "text": text, "missing": None if text else "not known",
            "decisions": rate.get("decisions"), "n": rate.get("n"), "slope": slope,
            "slope_p": p, "trend": trend_words(slope, p, level), "class": ""}  # fmt: skip


def _accuracy(acc: Mapping[str, Any], k: int | None, level: float) -> dict[str, Any]:
    why = missing_text(acc, k)
    v = None if why else acc.get("mean")
    lo, hi = (None, None) if why else (acc.get("mean_low"), acc.get("mean_high"))
    text = None
    if v is not None:
        ci = interval(None if lo is None else 100 * lo, None if hi is None else 100 * hi, level)
        text = (
            f"on average {100 * v:.0f} % of a person's overrides beat following the AI"
            + (f" ({ci} %)" if ci else "")
            + f", over {number(acc.get('n'))} people with at least {acc.get('min_overrides')} "
            "overrides whose outcome is known"
        )
    return {"value": v, "low": lo, "high": hi, "text": text,
            "missing": why or (None if text else "not known"),
            "class": hidden_class(acc)}  # fmt: skip


def _rows(
    rate: Mapping[str, Any], oo: Mapping[str, Any], k: int | None, level: float, hib: bool
) -> list[dict[str, Any]]:
    by_rate = {r["workflow"]: r for r in rate.get("workflows") or []}
    by_out = {r["workflow"]: r for r in oo.get("workflows") or []}
    rows = []
    for wf in sorted({*by_rate, *by_out}):
        r, o = by_rate.get(wf, {}), by_out.get(wf, {})
        row: dict[str, Any] = {"workflow": wf, "label": workflow_words(wf)}
        rate_hidden = hidden_reason(r, k) if r else "no decisions in the window"
        row.update(
            rate_suppressed=r.get("suppressed") or False,
            rate_hidden=rate_hidden,
            people_deciding=None if rate_hidden else r.get("n"),
            decisions=None if rate_hidden else r.get("decisions"),
            override_rate=None if rate_hidden else r.get("override_rate"),
            slope=None if rate_hidden else r.get("slope"),
            slope_p=None if rate_hidden else r.get("slope_p"),
            trend=None if rate_hidden else trend_words(r.get("slope"), r.get("slope_p"), level),
        )
        out_hidden = hidden_reason(o, k) if o else "no decisions with a recorded outcome"
        row.update(
            outcome_suppressed=o.get("suppressed") or False,
            outcome_hidden=out_hidden,
            people_with_outcomes=None if out_hidden else o.get("n"),
            **{c: None if out_hidden else o.get(c) for c in _OUTCOME_COLS},
        )
        for end in ("difference_low", "difference_high"):
            row[end] = None if out_hidden else o.get(end)
        for test in ("welch_p", "mannwhitney_p"):
            row[f"{test}_text"] = p_value(row[test])
        row["reading"] = None if out_hidden else reading(row, level, hib)
        rows.append(row)
    return rows


def _outcome_chart(
    doc: Mapping[str, Any], rows: list[dict[str, Any]], level: float
) -> dict[str, Any] | None:
    """Dot-and-whisker: mean outcome followed vs overridden per workflow; hidden ones are gaps."""
    oo = doc["metrics"].get("override_outcomes") or {}
    shown = [r for r in rows if r["outcome_hidden"] != "no decisions with a recorded outcome"]
    if not any(r["difference"] is not None for r in shown):
        return None
    names = [r["label"] for r in shown]
    data = []
    # The two arms sit just above and below their workflow's line, so neither hides the other.
    for arm, colour, shift in (("followed", VALUE, -0.15), ("overridden", OVERRIDDEN, 0.15)):
        x = [r[f"{arm}_mean"] for r in shown]
        lows, highs = [r[f"{arm}_mean_low"] for r in shown], [r[f"{arm}_mean_high"] for r in shown]
        data.append({"type": "scatter", "mode": "markers", "name": f"{arm} the AI",
                     "y": [i + shift for i in range(len(names))], "x": x, "customdata": names,
                     "marker": {"color": colour, "size": 10}, "error_x": error_x(x, lows, highs),
                     "hovertemplate": f"%{{customdata}}, {arm}: mean %{{x:.1f}}<extra></extra>",
                     })  # fmt: skip
    better = "higher" if oo.get("higher_is_better", True) else "lower"
    fig = {
        "data": data,
        "layout": layout(
            names,
            xaxis={"title": {"text": f"mean outcome ({better} is better)"}},
            yaxis={"tickvals": list(range(len(names))), "ticktext": names, "zeroline": False,
                   "range": [len(names) - 0.5, -0.5], "automargin": True},
            legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
            margin={"l": 10, "r": 30, "t": 30, "b": 40},
            annotations=gap_notes([(i, r["outcome_hidden"]) for i, r in enumerate(shown)]),
        ),
    }  # fmt: skip
    under = caption(doc, oo.get("n"), what="people with decided outcomes", window=False)
    under += f" · {oo.get('window_days')}-day window of decisions whose outcome is recorded"
    under += f" · dots: mean outcome, whiskers: {100 * level:.0f} % interval"
    under += _hidden_note([(r["label"], r["outcome_hidden"]) for r in shown])
    title = "Outcome when people followed the AI and when they overrode it, per workflow"
    return {"title": title, "caption": under, "figure": fig}


def _rate_chart(doc: Mapping[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Share of AI recommendations overridden per workflow; hidden workflows are gaps."""
    rate = doc["metrics"]["override_rate"]
    shown = [r for r in rows if r["rate_hidden"] != "no decisions in the window"]
    if not any(r["override_rate"] is not None for r in shown):
        return None
    x = [None if r["override_rate"] is None else round(100 * r["override_rate"], 1) for r in shown]
    names = [r["label"] for r in shown]
    bars = {"type": "bar", "orientation": "h", "y": names, "x": x,
            "marker": {"color": OVERRIDDEN},
            "hovertemplate": "%{y}: %{x:.1f} %<extra></extra>"}  # fmt: skip
    fig = {
        "data": [bars],
        "layout": layout(
            names,
            xaxis={"range": [0, 100], "title": {"text": "% of decisions overridden"}},
            annotations=gap_notes([(r["label"], r["rate_hidden"]) for r in shown]),
        ),
    }
    under = caption(doc, rate.get("n"), what="people deciding")
    under += _hidden_note([(r["label"], r["rate_hidden"]) for r in shown])
    title = "Share of AI recommendations overridden, per workflow"
    return {"title": title, "caption": under, "figure": fig}


def _weekly_chart(doc: Mapping[str, Any], level: float) -> dict[str, Any] | None:
    """The weekly override rate, hidden weeks as gaps, with the trend in the caption."""
    rate = doc["metrics"]["override_rate"]
    weeks = rate.get("weeks") or []
    y = [
        None
        if w.get("suppressed") or w.get("override_rate") is None
        else round(100 * w["override_rate"], 1)
        for w in weeks
    ]
    if not any(v is not None for v in y):
        return None
    line = {"type": "scatter", "mode": "lines+markers", "name": "overridden", "y": y,
            "x": [w["week"] for w in weeks], "line": {"color": OVERRIDDEN}, "connectgaps": False,
            "hovertemplate": "week of %{x}: %{y:.1f} %<extra></extra>"}  # fmt: skip
    fig = {
        "data": [line],
        "layout": {
            **BASE_LAYOUT,
            "height": 260,
            "margin": {"l": 60, "r": 30, "t": 10, "b": 40},
            "xaxis": {"type": "date", "tickformat": "%d %b %Y", "title": {"text": "week starting"}},
            "yaxis": {"range": [0, 100], "title": {"text": "% of decisions overridden"}},
        },
    }
    under = caption(doc, rate.get("n"), what="people deciding", window=False)
    trend = trend_words(rate.get("slope"), rate.get("slope_p"), level)
    under += f" · {len(weeks)} weeks · trend: {trend}"
    hidden = sum(1 for w in weeks if w.get("suppressed"))
    if hidden:
        under += f" · {hidden} weeks hidden (fewer than {doc.get('min_group_size')} people)"
    title = "Week by week: share of AI recommendations overridden"
    return {"title": title, "caption": under, "figure": fig}


def _hidden_note(pairs: list[tuple[str, str | None]]) -> str:
    notes = [f"{name}: {why}" for name, why in pairs if why]
    return " · hidden — " + "; ".join(notes) if notes else ""


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    cols = ("workflow", "override_rate", "decisions", "people_deciding", "slope", "slope_p",
            "rate_suppressed", *_OUTCOME_COLS[:-3], "difference_low", "difference_high",
            *_OUTCOME_COLS[-3:], "people_with_outcomes",
            "outcome_suppressed")  # fmt: skip
    return {"workflows": [{c: r.get(c) for c in cols} for r in d.get("workflows", [])]}


PAGE = Page(
    slug="trust",
    title="Trust",
    summary="How often people override the AI, its trend, and whether overrides were right",
    data=trust,
    order=50,
    roles=("admin", "analyst"),
    charts=True,
    tables=_tables,
    may_lag=True,
)
