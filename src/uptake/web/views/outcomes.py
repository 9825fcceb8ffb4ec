"""Outcomes and ROI: hours and money saved per workflow, with intervals, and the return on licences.

One data function serves the page (`/outcomes`) and its JSON (`/v1/outcomes`). The small
wording helpers here (intervals, "not available", hidden groups) are shared with the trust view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uptake.report.charts import VALUE, caption, hidden_reason
from uptake.schema.tables import TABLES
from uptake.web.figures import STYLE
from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace

# Enough bars to name the workflows that matter without a chart taller than a screen.
TOP_WORKFLOWS = 15
# Shared with the trust view's charts.
BASE_LAYOUT = {**STYLE, "margin": {"l": 10, "r": 30, "t": 10, "b": 40}}
_DOTTED = {"color": "#888", "dash": "dot"}
_COMPARED = {"manual": "runs without AI", "baseline": "the catalogued baseline"}


# -- wording shared with the trust view ------------------------------------------------------


def number(value: float | None, digits: int = 0) -> str:
    """A number as a reader sees it: thousands separated, a true minus sign.

    Args:
        value: the number (None: an em dash, never a zero).
        digits: decimal places.

    Returns:
        e.g. "1,773" or "−2.3".
    """
    if value is None:
        return "—"
    return f"{value:,.{digits}f}".replace("-", "−")


def interval(low: float | None, high: float | None, level: float, digits: int = 0) -> str:
    """An interval in words, or "" when either end is unknown.

    Args:
        low: lower end.
        high: upper end.
        level: confidence level (0.95).
        digits: decimal places.

    Returns:
        e.g. "95 % interval 1,731–1,817" ("−2.3 to 1.8" when an end is negative).
    """
    if low is None or high is None:
        return ""
    sep = "–" if low >= 0 and high >= 0 else " to "
    return f"{100 * level:.0f} % interval {number(low, digits)}{sep}{number(high, digits)}"


def with_interval(value: float | None, low: float | None, high: float | None, what: str,
                  level: float, digits: int = 0) -> str:  # fmt: skip
    """A headline number with its interval, e.g. "1,773 hours a week (95 % interval …)".

    Args:
        value: the estimate.
        low: its interval's lower end.
        high: its interval's upper end.
        what: the unit in words ("hours a week").
        level: confidence level.
        digits: decimal places.

    Returns:
        The sentence fragment ("—" when the value is unknown).
    """
    if value is None:
        return "—"
    ci = interval(low, high, level, digits)
    return f"{number(value, digits)} {what}" + (f" ({ci})" if ci else "")


def missing_text(entry: Mapping[str, Any] | None, k: int | None) -> str | None:
    """Why a metric shows no number, in words; None when it has one.

    Args:
        entry: the metric's entry in the metrics document.
        k: the minimum group size.

    Returns:
        "not available: needs tasks, tasks.minutes", a hidden group's reason, or None.
    """
    if not entry:
        return "not available"
    if entry.get("status") == "not_available":
        needs = entry.get("needs") or []
        return "not available" + (f": needs {', '.join(needs)}" if needs else "")
    return hidden_reason(entry, k)


def to_get_it(needs: list[str]) -> str:
    """What to ingest so a missing metric can be computed.

    Args:
        needs: missing inputs as "table", "table.column" or "table (detail)".

    Returns:
        e.g. "To get it, ingest tasks (one row per run of a catalogued workflow, with
        minutes); for example: uptake ingest tasks <files>."
    """
    tables: dict[str, list[str]] = {}
    for need in needs:
        table, _, column = need.split(" (")[0].partition(".")
        cols = tables.setdefault(table, [])
        if column:
            cols.append(column)
    parts = []
    for table, cols in tables.items():
        spec = TABLES.get(table)
        detail = [f"one row per {spec.grain}"] if spec else []
        detail += [f"with {', '.join(cols)}"] if cols else []
        parts.append(table + (f" ({', '.join(detail)})" if detail else ""))
    commands = "; ".join(f"uptake ingest {t} <files>" for t in tables)
    return f"To get it, ingest {'; '.join(parts)}; for example: {commands}."


def hidden_class(row: Mapping[str, Any]) -> str:
    """The CSS class of a suppressed row ("" when it is shown)."""
    why = row.get("suppressed")
    return f"suppressed-{why}" if why in ("small", "complementary") else ""


def layout(names: list[str], **extra: Any) -> dict[str, Any]:
    """A horizontal chart's layout: every row kept in order (a hidden row stays a gap).

    Args:
        names: the rows, top to bottom.
        **extra: layout keys to add or replace.

    Returns:
        The plotly layout.
    """
    n = len(names)
    axis = {"type": "category", "categoryorder": "array", "categoryarray": names,
            "range": [n - 0.5, -0.5], "automargin": True}  # fmt: skip
    return {**BASE_LAYOUT, "height": max(200, 60 + 30 * n), "yaxis": axis, **extra}


def gap_notes(rows: list[tuple[Any, str | None]]) -> list[dict[str, Any]]:
    """Words drawn in a hidden row's gap, e.g. "fewer than 5 people: not shown".

    Args:
        rows: (the row's y position or name, why it is hidden or None).

    Returns:
        Plotly annotations, one per hidden row.
    """
    return [
        {"xref": "paper", "x": 0.01, "y": y, "text": why, "showarrow": False, "xanchor": "left",
         "font": {"color": "#555", "size": 12}}
        for y, why in rows if why
    ]  # fmt: skip


def error_x(values: list[Any], lows: list[Any], highs: list[Any]) -> dict[str, Any]:
    """Asymmetric error bars from interval ends (gaps stay gaps)."""

    def gap(a: Any, b: Any) -> float | None:
        return None if a is None or b is None else round(abs(a - b), 6)

    return {"type": "data", "symmetric": False, "color": "#333", "thickness": 1.5,
            "array": [gap(h, v) for v, h in zip(values, highs, strict=True)],
            "arrayminus": [gap(v, lo) for v, lo in zip(values, lows, strict=True)]}  # fmt: skip


# -- the view --------------------------------------------------------------------------------


def outcomes(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """Hours and value saved per workflow, ROI, steps retired and wins, with intervals.

    Args:
        ws: the workspace.
        actor: who looks (aggregates: admin or analyst; the Workspace refuses others).
        params: `as_of`.

    Returns:
        {as_of, as_of_rule, window_days, currency, hourly_cost, level, k, available,
        missing, to_get_it, definition, assumption, headline: [...], workflows: [...],
        wins: [...], charts: [...]}.
    """
    doc = ws.metrics(as_of=params.as_of, actor=actor).to_dict()
    m = doc["metrics"]
    k = doc.get("min_group_size")
    level = ws.settings.metrics.confidence_level
    currency = doc.get("currency") or ws.settings.metrics.currency
    out_m = m.get("outcomes") or {}
    cost = out_m.get("hourly_cost", ws.settings.metrics.hourly_cost)
    missing = missing_text(out_m, k)
    needs = out_m.get("needs") or []
    workflows = [] if missing else _workflow_rows(out_m, k, level)
    wins = [] if missing_text(m.get("wins"), k) else _win_rows(m["wins"])
    return {
        "as_of": doc["as_of"],
        "as_of_rule": doc.get("as_of_rule"),
        "window_days": doc.get("window_days"),
        "currency": currency,
        "hourly_cost": cost,
        "hourly_cost_text": f"{number(cost, 2)} {currency}",
        "level": level,
        "k": k,
        "available": missing is None,
        "missing": missing,
        "to_get_it": to_get_it(needs) if needs else None,
        "definition": out_m.get("definition"),
        "roi_definition": (m.get("roi") or {}).get("definition"),
        "assumption": f"each hour saved is valued at {number(cost, 2)} {currency} "
        "(the loaded hourly cost set in uptake.toml, [metrics] hourly_cost)",
        "headline": _headline(m, k, level, currency),
        "workflows": workflows,
        "wins": wins,
        "wins_people": (m.get("wins") or {}).get("n") if wins else None,
        "charts": [] if missing else [c for c in (_savings(doc), _roi(doc, level)) if c],
    }


def _headline(m: Mapping[str, Any], k: int | None, level: float, cur: str) -> list[dict[str, Any]]:
    out, roi, steps, wins = (m.get(n) or {} for n in ("outcomes", "roi", "steps_retired", "wins"))
    est = f"({roi.get('basis')})"
    rows = [
        _line("hours saved per week", out, "hours_per_week", "hours a week", k, level),
        _line("value of those hours per week (estimate: hours × hourly cost)", out,
              "value_per_week", f"{cur} a week", k, level),
        _line(f"return on licence cost {est}", roi, "roi", "", k, level, 2),
        _line(f"value of hours saved in the window {est}", roi, "value_saved", cur, k, level),
        _line("licence cost in the window", roi, "license_cost", cur, k),
        _line("workflows compared", out, "workflows_compared", "workflows", k),
        _line("workflow steps retired by AI in the window", steps, "steps_retired", "steps", k),
    ]  # fmt: skip
    win = _line("workflows where AI already saves time (interval above zero)", wins, "", "", k)
    if win["missing"] is None:
        win["value"] = len(wins.get("workflows") or [])
        win["text"] = f"{win['value']} workflows, {number(wins.get('n'))} people behind them"
    rows.append(win)
    roi_row = rows[2]
    if roi_row["value"] is not None:
        roi_row["text"] += (
            f": each 1 {cur} of licences returned {number(roi_row['value'], 2)} {cur} beyond "
            "its cost — an estimate"
        )
    return rows


def _line(label: str, entry: Mapping[str, Any], key: str, what: str, k: int | None,
          level: float | None = None, digits: int = 0) -> dict[str, Any]:  # fmt: skip
    why = missing_text(entry, k)
    value = None if why or not key else entry.get(key)
    low, high = (None, None)
    if level is not None and not why:
        low, high = entry.get(f"{key}_low"), entry.get(f"{key}_high")
    text = with_interval(value, low, high, what, level or 0, digits).replace("  ", " ").strip()
    if key and value is None and why is None:
        # Shown but unknown (e.g. unpriced seats): the metric's own note says why.
        why = (entry.get("notes") or ["not known"])[0]
    return {"label": label, "key": key, "value": value, "low": low, "high": high,
            "text": None if value is None else text, "missing": why,
            "class": hidden_class(entry)}  # fmt: skip


def _workflow_rows(out: Mapping[str, Any], k: int | None, level: float) -> list[dict[str, Any]]:
    rows = []
    for w in out.get("workflows") or []:
        row = {
            "workflow": w.get("workflow"),
            "name": w.get("name") or w.get("workflow"),
            "people_ai": w.get("people_ai"),
            "ai_runs": w.get("ai_runs"),
            "compared_with": _COMPARED.get(w.get("reference") or ""),
        }
        for key in ("saving_per_run", "hours_per_week", "value_per_week"):
            for end in ("", "_low", "_high"):
                row[key + end] = w.get(key + end)
        row["saving_text"] = with_interval(
            row["saving_per_run"], row["saving_per_run_low"], row["saving_per_run_high"],
            "min", level, 1,
        )  # fmt: skip
        row["suppressed"] = w.get("suppressed") or False
        row["hidden"] = hidden_reason(w, k)
        if not row["hidden"] and row["saving_per_run"] is None:
            row["hidden"] = (
                "not measured: no AI-assisted runs in the window"
                if not w.get("ai_runs")
                else "not measured: needs runs without AI or workflows.baseline_minutes"
            )
        rows.append(row)
    # Biggest weekly saving first; hidden and unmeasured rows after, never ranked as zero.
    return sorted(rows, key=lambda r: (r["hours_per_week"] is None, -(r["hours_per_week"] or 0)))


def _win_rows(wins: Mapping[str, Any]) -> list[dict[str, Any]]:
    keep = ("workflow", "name", "people_ai", "ai_runs", "saving_per_run", "saving_per_run_low",
            "saving_per_run_high", "hours_per_week", "value_per_week")  # fmt: skip
    rows = [{c: w.get(c) for c in keep} for w in wins.get("workflows") or []]
    return sorted(rows, key=lambda r: -(r["hours_per_week"] or 0))


def _savings(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """Minutes saved per run, top workflows, with interval error bars; hidden ones as gaps."""
    out = doc["metrics"]["outcomes"]
    k = doc.get("min_group_size")
    rows = out.get("workflows") or []
    measured = [r for r in rows if not r.get("suppressed") and r.get("saving_per_run") is not None]
    top = sorted(measured, key=lambda r: -r["saving_per_run"])[:TOP_WORKFLOWS]
    if not top:
        return None
    names = [str(r.get("name") or r.get("workflow")) for r in top]
    vals = [r["saving_per_run"] for r in top]
    lows = [r.get("saving_per_run_low") for r in top]
    highs = [r.get("saving_per_run_high") for r in top]
    fig = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": names,
                "x": vals,
                "marker": {"color": VALUE},
                "error_x": error_x(vals, lows, highs),
                "hovertemplate": "%{y}: %{x:.1f} minutes saved per run<extra></extra>",
            }
        ],
        "layout": layout(names, xaxis={"title": {"text": "minutes saved per AI-assisted run"}}),
    }
    under = caption(doc, out.get("n"), what="people running workflows")
    under += f" · the {len(top)} workflows saving most per run of {len(measured)} measured"
    under += " · bars: median saving, whiskers: its interval"
    # Hidden workflows have no value to rank, so they are named, never drawn as zero.
    for why in ("small", "complementary"):
        hidden = [r for r in rows if r.get("suppressed") == why]
        if hidden:
            under += f" · {len(hidden)} not ranked ({hidden_reason(hidden[0], k)})"
    unmeasured = [r for r in rows if not r.get("suppressed") and r.get("saving_per_run") is None]
    if unmeasured:
        under += f" · {len(unmeasured)} not measured (see the table)"
    title = "Minutes saved per AI-assisted run, workflows saving most first"
    return {"title": title, "caption": under, "figure": fig}


def _roi(doc: Mapping[str, Any], level: float) -> dict[str, Any] | None:
    """Return on licence cost as one point with its interval, against break-even at zero."""
    roi = doc["metrics"].get("roi") or {}
    if roi.get("status") == "not_available" or roi.get("suppressed") or roi.get("roi") is None:
        return None
    v, lo, hi = roi["roi"], roi.get("roi_low"), roi.get("roi_high")
    right = max(v, hi if hi is not None else v)
    left = min(0.0, lo if lo is not None else v)
    fig = {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "x": [v],
                "y": ["return on licence cost"],
                "marker": {"color": VALUE, "size": 12},
                "error_x": error_x([v], [lo], [hi]),
                "hovertemplate": "ROI %{x:.2f}<extra></extra>",
            }
        ],
        "layout": {
            **layout(["return on licence cost"]),
            "height": 160,
            "xaxis": {"range": [left - 0.5, right * 1.15 + 0.5], "title": {"text": "ROI"}},
            "shapes": [dict(type="line", x0=0, x1=0, y0=0, y1=1, yref="paper", line=_DOTTED)],
            "annotations": [
                dict(x=0, y=1, yref="paper", text="break-even", showarrow=False, xanchor="left")
            ],
        },
    }
    ci = interval(lo, hi, level, 2)
    title = f"Return on licence cost: {number(v, 2)} (an estimate{'; ' + ci if ci else ''})"
    under = caption(doc, roi.get("n"), what="people holding seats")
    under += " · estimate: (value of hours saved − licence cost) ÷ licence cost"
    return {"title": title, "caption": under, "figure": fig}


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    cols = ("workflow", "name", "compared_with", "saving_per_run", "saving_per_run_low",
            "saving_per_run_high", "hours_per_week", "hours_per_week_low", "hours_per_week_high",
            "value_per_week", "value_per_week_low", "value_per_week_high", "people_ai", "ai_runs",
            "suppressed")  # fmt: skip
    workflows = [{c: r.get(c) for c in cols} for r in d.get("workflows", [])]
    return {"workflows": workflows, "wins": list(d.get("wins", []))}


PAGE = Page(
    slug="outcomes",
    title="Outcomes and ROI",
    summary="Hours and value saved per workflow with intervals, ROI (an estimate) and wins",
    data=outcomes,
    order=40,
    roles=("admin", "analyst"),
    charts=True,
    tables=_tables,
    may_lag=True,
)
