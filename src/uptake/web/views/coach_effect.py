"""The coaching effect: treatment against holdout on the ladder, proficiency and abandonment.

One data function serves the page (`/coach-effect`), its JSON (`/v1/coach-effect`), its CSV
and the report: `Workspace.coach_effect` (aggregates only, each arm at or above the minimum
group size) turned into rows and one chart per outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uptake.errors import InputError
from uptake.report.charts import VALUE, caption
from uptake.web.figures import STYLE
from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace
from uptake.workspace.access import AGGREGATE, require

ARMS = ("treatment", "holdout")
COLOURS = {"treatment": VALUE, "holdout": "#bdbdbd", "difference": "#6a51a3",
           "diff-in-diff": "#9e9ac8"}  # fmt: skip


def coach_effect(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """The effect of coaching between arms, with a chart per outcome.

    Args:
        ws: the workspace.
        actor: who looks (organisation aggregates: admin or analyst).
        params: `as_of`; `by` breaks the effect down by a segment dimension.

    Returns:
        The effect document plus {k, verdict_line, rows, segment_rows, charts}.
    """
    require(actor, AGGREGATE)
    from uptake.metrics.dimensions import SEGMENTS

    if params.by is not None and params.by not in SEGMENTS:
        raise InputError(
            f"?by={params.by!r} is not a segment dimension: expected one of {', '.join(SEGMENTS)}"
        )
    doc = ws.coach_effect(as_of=params.as_of, by=params.by, actor=actor)
    out = dict(doc)
    out["k"] = doc.get("min_group_size")
    out["verdict_line"] = verdict_line(doc)
    out["rows"] = rows(doc, "overall")
    out["segment_rows"] = [
        r for seg in doc.get("segments") or [] for r in rows(seg, str(seg["segment"]))
    ]
    out["charts"] = [c for o in (doc.get("outcomes") or {}).values() if (c := chart(doc, o))]
    return out


def verdict_line(doc: Mapping[str, Any]) -> str:
    """The headline verdict with the people needed when it is too early to tell.

    Args:
        doc: the effect document or one of its segments.

    Returns:
        One sentence.
    """
    verdict = str(doc.get("verdict"))
    needed = doc.get("needed")
    if doc.get("status") != "ok":
        return verdict
    text = f"Moving up the ladder: {verdict}"
    if needed:
        text += (
            f" — about {needed['holdout']:,} people in the holdout and "
            f"{needed['treatment']:,} in treatment would be needed"
        )
    return text + "."


def rows(group: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """One flat row per outcome of a group (overall or a segment), for tables and CSV.

    Args:
        group: the document or one segment of it.
        name: the group's name.

    Returns:
        Rows {group, outcome, label, status, treatment_n, treatment, holdout_n, holdout,
        difference, ci_low, ci_high, p_value, did, did_low, did_high, verdict, needed_*}.
    """
    if group.get("status") != "ok":
        return [{"group": name, "outcome": None, "label": None, "status": "not_available",
                 "verdict": group.get("reason") or group.get("verdict")}]  # fmt: skip
    out = []
    for key, o in (group.get("outcomes") or {}).items():
        row: dict[str, Any] = {"group": name, "outcome": key, "label": o["label"],
                               "unit": o["unit"], "status": o["status"],
                               "verdict": o.get("verdict")}  # fmt: skip
        if o["status"] == "ok":
            d, did = o.get("difference") or {}, o.get("did") or {}
            need = o.get("needed_per_arm") or {}
            row.update(
                treatment_n=o["treatment"]["n"], treatment=o["treatment"]["value"],
                holdout_n=o["holdout"]["n"], holdout=o["holdout"]["value"],
                difference=d.get("value"), ci_low=d.get("ci_low"), ci_high=d.get("ci_high"),
                p_value=d.get("p_value"), did=did.get("value"), did_low=did.get("ci_low"),
                did_high=did.get("ci_high"), needed_treatment=need.get("treatment"),
                needed_holdout=need.get("holdout"),
            )  # fmt: skip
        out.append(row)
    return out


def chart(doc: Mapping[str, Any], o: Mapping[str, Any]) -> dict[str, Any] | None:
    """One outcome: each arm's value with its interval, the difference and the DiD.

    Args:
        doc: the effect document (for the caption).
        o: one outcome of it.

    Returns:
        {title, caption, figure}, or None when the outcome is not available.
    """
    if o.get("status") != "ok":
        return None
    share = o.get("unit") == "share"
    scale = 100.0 if share else 1.0
    bars: list[tuple[str, Mapping[str, Any]]] = [(a, o[a]) for a in ARMS]
    if o.get("difference"):
        bars.append(("difference", o["difference"]))
    if (o.get("did") or {}).get("status") == "ok":
        bars.append(("diff-in-diff", o["did"]))
    x, y, plus, minus, colours = [], [], [], [], []
    for name, v in bars:
        value = v.get("value") or 0.0
        low = v.get("ci_low")
        high = v.get("ci_high")
        x.append(name)
        y.append(round(value * scale, 2))
        plus.append(round(((high if high is not None else value) - value) * scale, 2))
        minus.append(round((value - (low if low is not None else value)) * scale, 2))
        colours.append(COLOURS[name])
    unit = "% of people" if share else "levels"
    diff_unit = "points" if share else "levels"
    fig = {"data": [{"type": "bar", "x": x, "y": y, "marker": {"color": colours},
                     "error_y": {"type": "data", "symmetric": False, "array": plus,
                                 "arrayminus": minus, "color": "#333"},
                     "hovertemplate": "%{x}: %{y}<extra></extra>"}],
           "layout": {**STYLE, "height": 300, "showlegend": False,
                      "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
                      "yaxis": {"title": {"text": f"{unit} (differences in {diff_unit})"},
                                "zeroline": True}}}  # fmt: skip
    n = (o["treatment"].get("n") or 0) + (o["holdout"].get("n") or 0)
    under = caption(doc, n, what="people with an arm in this outcome", window=False)
    under += (
        f" · from each person's assignment to the week ending {doc.get('end')}, against the "
        f"same length before it · treatment n = {o['treatment']['n']:,}, holdout n = "
        f"{o['holdout']['n']:,} · {round(100 * float(doc.get('confidence') or 0.95))} % "
        f"intervals · {o.get('verdict')}"
    )
    if "proxy" in str(doc.get("basis")):
        under += " · ladder on the activity proxy"
    title = o["label"][:1].upper() + o["label"][1:]
    return {"title": title, "caption": under, "figure": fig}


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """CSV export: one row per group and outcome."""
    return {"effect": [*d["rows"], *d["segment_rows"]]}


PAGE = Page(
    slug="coach-effect",
    title="Coaching effect",
    summary="The effect of coaching between treatment and holdout: ladder, proficiency, "
    "abandonment",
    data=coach_effect,
    order=88,
    charts=True,
    tables=_tables,
    takes_by=True,
)
