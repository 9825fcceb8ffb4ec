"""A one-page case study of one workflow's win: before and after, intervals, n, chart, method.

The case study is built from the wins document (`programme.wins.wins`), never recomputed, so
its numbers are the wins page's numbers. "Before" is the workflow without AI (runs without AI
in the same window, or its catalogued baseline); "after" is its AI-assisted runs. It renders
to Markdown or to one self-contained HTML page (an inline SVG chart, no script, no network).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from uptake.errors import NotAvailableError, NotFoundError
from uptake.metrics.labels import signed as with_sign

LISTS = ("wins", "mixed", "promising", "others")
VERDICTS = {
    "win": "a measured win: an interval excludes zero in the good direction",
    "mixed": "mixed: one measure is better and another worse (both intervals exclude zero)",
    "promising": "promising, not yet significant: the estimate is better but its interval "
    "still includes zero",
    "no difference": "no measured improvement",
    "worse": "worse with AI: an interval excludes zero in the bad direction",
}
_BAR = "#2171b5"
_GREY = "#bdbdbd"


def find_row(doc: Mapping[str, Any], workflow: str) -> dict[str, Any]:
    """The wins document's row of a workflow.

    Args:
        doc: the wins document.
        workflow: the workflow id.

    Returns:
        The row (from wins, mixed, promising or others).

    Raises:
        NotAvailableError: the document is not available, or the workflow is hidden (below k).
        NotFoundError: the workflow has no runs in the window.
    """
    if doc.get("status") != "ok":
        raise NotAvailableError(
            str(doc.get("message") or "not available"), needs=list(doc.get("needs") or [])
        )
    for key in LISTS:
        for row in doc.get(key) or []:
            if row["workflow"] == workflow:
                return dict(row)
    for row in doc.get("hidden") or []:
        if row["workflow"] == workflow:
            raise NotAvailableError(f"{workflow}: {row['reason']}")
    raise NotFoundError(
        f"{workflow}: no runs of this workflow in the window",
        hint="`uptake wins` lists the workflows with runs in the window",
    )


def case_study(
    doc: Mapping[str, Any], workflow: str, redesign: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The case study document of one workflow, from the wins document.

    Args:
        doc: the wins document (with its head: as_of, as_of_rule, window_days, privacy).
        workflow: the workflow id.
        redesign: the workflow's redesign with its measured change, if recorded.

    Returns:
        {title, workflow, name, roles, verdict, verdict_text, evidence, as_of, as_of_rule,
        start, end, window_days, min_group_size, confidence, table: [{measure, unit,
        before, after, difference, difference_low, difference_high, n_before, n_after}],
        chart: {title, caption, bars}, method: [..], redesign}.
    """
    row = find_row(doc, workflow)
    level = float(doc.get("confidence") or 0.95)
    before_what = row.get("compared_with") or "no comparison"
    minutes_before = (
        row.get("minutes_other")
        if row.get("reference") == "manual"
        else row.get("baseline_minutes")
    )
    steps_diff = (
        None
        if row.get("steps_before") is None or row.get("steps_after") is None
        else row["steps_before"] - row["steps_after"]
    )
    manual = row.get("reference") == "manual"
    table = [
        {
            "measure": "minutes per completed run (median)",
            "unit": "minutes",
            "before": minutes_before,
            "after": row.get("minutes_ai"),
            "difference": row.get("saving_per_run"),
            "difference_low": row.get("saving_per_run_low"),
            "difference_high": row.get("saving_per_run_high"),
            "difference_means": "minutes saved per run",
            "n_before": _n(row.get("runs_other"), row.get("people_other"))
            if manual
            else "catalogued baseline",
            "n_after": _n(row.get("runs_ai"), row.get("people_ai")),
        },
        {
            "measure": "completion rate (completed ÷ started runs)",
            "unit": "share",
            "before": row.get("completion_other"),
            "after": row.get("completion_ai"),
            "difference": row.get("completion_diff"),
            "difference_low": row.get("completion_diff_low"),
            "difference_high": row.get("completion_diff_high"),
            "difference_means": "completed with AI",
            "n_before": _n(row.get("started_other"), None, "started runs"),
            "n_after": _n(row.get("started_ai"), None, "started runs"),
            "note": row.get("completion_note"),
        },
        {
            "measure": "steps in the procedure (catalogued)",
            "unit": "steps",
            "before": row.get("steps_before"),
            "after": row.get("steps_after"),
            "difference": steps_diff,
            "difference_low": None,
            "difference_high": None,
            "difference_means": "steps retired",
            "n_before": "catalogue",
            "n_after": "catalogue",
        },
    ]
    # People in both arms are counted in each: the arms are described, never summed.
    n_text = f"n = {row.get('runs_ai'):,} AI-assisted runs by {row.get('people_ai'):,} people"
    if manual:
        n_text += (
            f", {row.get('runs_other'):,} runs without AI by {row.get('people_other'):,} people"
        )
    caption = (
        f"as of {doc.get('as_of')} · {doc.get('window_days')}-day window "
        f"({doc.get('start')} to {doc.get('end')}) · {n_text} · {100 * level:.0f} % "
        f"intervals · groups of fewer than {doc.get('min_group_size')} people are never shown"
    )
    privacy = doc.get("privacy") or {}
    if privacy.get("noise"):
        caption += (
            f" · people counts ±{privacy.get('error_bar')} (noise, ε = {privacy.get('epsilon')})"
        )
    bars = [
        {
            "label": "without AI" if manual else "catalogued baseline",
            "value": minutes_before,
            "low": row.get("minutes_other_low") if manual else None,
            "high": row.get("minutes_other_high") if manual else None,
        },
        {
            "label": "with AI",
            "value": row.get("minutes_ai"),
            "low": row.get("minutes_ai_low"),
            "high": row.get("minutes_ai_high"),
        },
    ]
    return {
        "title": f"Case study: {row['name']}",
        "workflow": row["workflow"],
        "name": row["name"],
        "roles": row.get("roles") or [],
        "ai_mode": row.get("ai_mode"),
        "stakes": row.get("stakes"),
        "verdict": row["verdict"],
        "verdict_text": VERDICTS.get(row["verdict"], row["verdict"]),
        "evidence": row.get("evidence") or [],
        "compared_with": before_what,
        "minutes_saved": row.get("minutes_saved"),
        "minutes_saved_low": row.get("minutes_saved_low"),
        "minutes_saved_high": row.get("minutes_saved_high"),
        "as_of": doc.get("as_of"),
        "as_of_rule": doc.get("as_of_rule"),
        "start": doc.get("start"),
        "end": doc.get("end"),
        "window_days": doc.get("window_days"),
        "min_group_size": doc.get("min_group_size"),
        "confidence": level,
        "table": table,
        "chart": {
            "title": "Minutes per completed run, before and after AI",
            "caption": caption,
            "bars": bars,
        },
        "method": [f"{k}: {v}" for k, v in (doc.get("methods") or {}).items()],
        "redesign": dict(redesign) if redesign else None,
    }


def _n(runs: Any, people: Any, what: str = "runs") -> str:
    if runs is None:
        return "not compared"
    return f"{runs:,} {what}" + (f" by {people:,} people" if people is not None else "")


# -- rendering -------------------------------------------------------------------------------


def fmt(value: Any, unit: str, *, signed: bool = False) -> str:
    """A table value as the case study prints it (the same text in Markdown and HTML).

    Args:
        value: the number (None: "—").
        unit: "minutes", "share" or "steps".
        signed: print the sign (differences).

    Returns:
        e.g. "12.3", "96.1 %", "+4.2 pts", "3".
    """
    if value is None:
        return "—"
    v = float(value)
    if unit == "share":
        return f"{with_sign(100 * v, 1)} pts" if signed else f"{100 * v:.1f} %"
    if unit == "steps":
        return with_sign(v) if signed else f"{v:.0f}"
    return with_sign(v, 1) if signed else f"{v:.1f}"


def interval_text(row: Mapping[str, Any]) -> str:
    """The difference's interval in words, or why there is none."""
    low, high = row.get("difference_low"), row.get("difference_high")
    if low is None or high is None:
        if row["unit"] == "steps":
            return "catalogued, not measured"
        return row.get("note") or "no interval"
    return f"{fmt(low, row['unit'], signed=True)} to {fmt(high, row['unit'], signed=True)}"


def to_markdown(case: Mapping[str, Any], chart_file: str | None = None) -> str:
    """The case study as Markdown.

    Args:
        case: `case_study`'s document.
        chart_file: the chart's SVG file to link (written beside the Markdown), if any.

    Returns:
        The Markdown text.
    """
    out = [f"# {case['title']}", ""]
    roles = ", ".join(case["roles"]) or "not catalogued"
    out += [
        f"**Workflow:** `{case['workflow']}` · **for:** {roles}"
        + (f" · **AI mode:** {case['ai_mode']}" if case.get("ai_mode") else ""),
        "",
    ]
    out += [f"**Verdict:** {case['verdict_text']}.", ""]
    out += [
        f"As of {case['as_of']} · {case['window_days']}-day window ({case['start']} to "
        f"{case['end']}) · before = {case['compared_with']}, after = AI-assisted runs.",
        "",
    ]
    out += [
        "| measure | before | after | difference | interval | n before | n after |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in case["table"]:
        out.append(
            f"| {r['measure']} | {fmt(r['before'], r['unit'])} | {fmt(r['after'], r['unit'])} | "
            f"{fmt(r['difference'], r['unit'], signed=True)} {r['difference_means']} | "
            f"{interval_text(r)} | {r['n_before']} | {r['n_after']} |"
        )
    out.append("")
    if chart_file:
        out += [f"![{case['chart']['title']}]({chart_file})", ""]
    out += [f"*{case['chart']['caption']}*", ""]
    out += ["## What was measured", ""] + [f"- {e}" for e in case["evidence"]] + [""]
    red = case.get("redesign")
    if red:
        out += ["## Redesigned procedure", ""]
        out += [
            f"Redesigned on {red['redesigned_on']}: {red['steps_before']} steps before, "
            f"{red['steps_after']} after (AI substitutes {red['substitute']}, augments "
            f"{red['augment']}, creates {red['create']})."
        ]
        out += [f"Change since the redesign: {red['change']['verdict']}.", ""]
    out += ["## How it was measured", ""] + [f"- {m}" for m in case["method"]] + [""]
    return "\n".join(out)


def to_html(case: Mapping[str, Any]) -> str:
    """The case study as one self-contained HTML page (inline SVG chart, no script).

    Args:
        case: `case_study`'s document.

    Returns:
        The HTML text.
    """
    e = html.escape
    rows = "".join(
        f"<tr><th scope='row'>{e(r['measure'])}</th><td>{e(fmt(r['before'], r['unit']))}</td>"
        f"<td>{e(fmt(r['after'], r['unit']))}</td>"
        f"<td>{e(fmt(r['difference'], r['unit'], signed=True))} {e(r['difference_means'])}</td>"
        f"<td>{e(interval_text(r))}</td><td>{e(r['n_before'])}</td><td>{e(r['n_after'])}</td></tr>"
        for r in case["table"]
    )
    roles = ", ".join(case["roles"]) or "not catalogued"
    evidence = "".join(f"<li>{e(x)}</li>" for x in case["evidence"])
    method = "".join(f"<li>{e(x)}</li>" for x in case["method"])
    red = case.get("redesign")
    red_html = ""
    if red:
        red_html = (
            f"<h2>Redesigned procedure</h2><p>Redesigned on {e(str(red['redesigned_on']))}: "
            f"{red['steps_before']} steps before, {red['steps_after']} after (AI substitutes "
            f"{red['substitute']}, augments {red['augment']}, creates {red['create']}). "
            f"Change since the redesign: {e(str(red['change']['verdict']))}.</p>"
        )
    chart = case["chart"]
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{e(case['title'])}</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}"
        "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.3rem .5rem;"
        "text-align:left}.caption{color:#555;font-size:.85rem}@media print{body{margin:0}}"
        "</style></head><body>"
        f"<h1>{e(case['title'])}</h1>"
        f"<p><strong>Workflow:</strong> <code>{e(case['workflow'])}</code> · "
        f"<strong>for:</strong> {e(roles)}"
        + (f" · <strong>AI mode:</strong> {e(case['ai_mode'])}" if case.get("ai_mode") else "")
        + f"</p><p><strong>Verdict:</strong> {e(case['verdict_text'])}.</p>"
        f"<p>As of {e(str(case['as_of']))} · {case['window_days']}-day window "
        f"({e(str(case['start']))} to {e(str(case['end']))}) · before = "
        f"{e(case['compared_with'])}, after = AI-assisted runs.</p>"
        "<table><thead><tr><th scope='col'>measure</th><th scope='col'>before</th>"
        "<th scope='col'>after</th><th scope='col'>difference</th><th scope='col'>interval</th>"
        "<th scope='col'>n before</th><th scope='col'>n after</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        f"<figure><figcaption><strong>{e(chart['title'])}</strong><br>"
        f"<span class='caption'>{e(chart['caption'])}</span></figcaption>"
        f"{chart_svg(chart)}</figure>"
        f"<h2>What was measured</h2><ul>{evidence}</ul>{red_html}"
        f"<h2>How it was measured</h2><ul>{method}</ul></body></html>\n"
    )


def chart_svg(chart: Mapping[str, Any], width: int = 480, height: int = 260) -> str:
    """Bars of minutes per run before and after, with interval whiskers, as inline SVG.

    Args:
        chart: the case study's chart ({title, caption, bars: [{label, value, low, high}]}).
        width: pixels.
        height: pixels.

    Returns:
        An `<svg>` element with a title (its accessible name) and value labels.
    """
    e = html.escape
    bars = [b for b in chart["bars"] if b.get("value") is not None]
    top = max([float(b.get("high") or b["value"]) for b in bars] + [1.0]) * 1.15
    left, bottom, plot_h = 60, 40, height - 60
    slot = (width - left - 20) / max(len(bars), 1)
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}'><title>{e(chart['title'])}. {e(chart['caption'])}"
        "</title>",
        f"<line x1='{left}' y1='{height - bottom}' x2='{width - 10}' y2='{height - bottom}' "
        "stroke='#333'/>",
        f"<text x='12' y='{20 + plot_h / 2:.0f}' font-size='11' transform='rotate(-90 12 "
        f"{20 + plot_h / 2:.0f})' text-anchor='middle'>minutes per completed run</text>",
    ]

    def y(v: float) -> float:
        return height - bottom - plot_h * v / top

    for i, b in enumerate(bars):
        v = float(b["value"])
        x = left + i * slot + slot * 0.2
        w = slot * 0.6
        colour = _BAR if b["label"] == "with AI" else _GREY
        parts.append(
            f"<rect x='{x:.1f}' y='{y(v):.1f}' width='{w:.1f}' "
            f"height='{height - bottom - y(v):.1f}' fill='{colour}'/>"
        )
        if b.get("low") is not None and b.get("high") is not None:
            cx = x + w / 2
            parts.append(
                f"<line x1='{cx:.1f}' y1='{y(float(b['low'])):.1f}' x2='{cx:.1f}' "
                f"y2='{y(float(b['high'])):.1f}' stroke='#333' stroke-width='2'/>"
            )
        label_at = y(max(v, float(b.get("high") or v))) - 6
        parts.append(
            f"<text x='{x + w / 2:.1f}' y='{label_at:.1f}' font-size='12' "
            f"text-anchor='middle'>{v:.1f}</text>"
        )
        parts.append(
            f"<text x='{x + w / 2:.1f}' y='{height - bottom + 16}' font-size='12' "
            f"text-anchor='middle'>{e(b['label'])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
