"""Licences and reclaim: seats in use, seats to reclaim and what reclaiming them saves.

One data function serves the page (`/licences`) and its JSON (`/v1/licences`). Aggregates
only: totals, per tool and per segment; the page lists no one. A seat without a price is
counted apart and said in words, never priced at 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uptake.report.charts import VALUE, VANITY, caption, hidden_reason
from uptake.web.figures import STYLE
from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace

_LAYOUT = {**STYLE, "margin": {"l": 10, "r": 30, "t": 30, "b": 50}}
UNKNOWN = "#fdd0a2"  # use not visible to uptake: neither used nor unused
COUNTS = ("n", "seats", "used", "unused", "unknown", "utilisation", "reclaim_seats",
          "reclaim_unpriced", "monthly_saving", "annual_saving", "kept_new_starters",
          "kept_on_leave")  # fmt: skip


def licences(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """Seats, use, reclaim candidates and the saving: in total, per tool and per segment.

    Args:
        ws: the workspace.
        actor: who looks (organisation aggregates: admin or analyst).
        params: `as_of`, and `by` (a segment dimension such as team, or None).

    Returns:
        {as_of, as_of_rule, window_days, k, by, currency, status, totals, words, by_tool,
        segments, charts}; numbers exactly as in the metrics document's `licenses`.
    """
    doc = ws.metrics(as_of=params.as_of, by=params.by, actor=actor).to_dict()
    k = doc.get("min_group_size")
    cur = str(doc.get("currency") or "")
    lic = doc["metrics"].get("licenses") or {}
    out: dict[str, Any] = {
        "as_of": doc["as_of"],
        "as_of_rule": doc.get("as_of_rule"),
        "window_days": doc.get("window_days"),
        "k": k,
        "by": params.by,
        "currency": cur,
        "basis": lic.get("basis"),
        "label": lic.get("label"),
        "window": None,
        "totals": {},
        "by_tool": [],
        "segments": [],
        "charts": [],
    }
    if not lic or lic.get("status") == "not_available":
        needs = lic.get("needs") or []
        missing = "not available" + (f": needs {', '.join(needs)}" if needs else "")
        return {**out, "status": "not_available", "missing": missing}
    if lic.get("suppressed"):
        return {**out, "status": "suppressed", "missing": f"not shown: {hidden_reason(lic, k)}"}
    totals = {c: lic.get(c) for c in COUNTS}
    tools = [_row(r, k, cur) for r in lic.get("by_tool") or []]
    segments = [_row(r, k, cur) for r in lic.get("segments") or []] if params.by else []
    out.update(
        status="ok",
        totals=totals,
        window=lic.get("window"),
        reclaim_rule=lic.get("reclaim_rule"),
        notes=list(lic.get("notes") or []),
        saving_text=saving_text(totals, cur),
        unpriced_text=unpriced_text(totals.get("reclaim_unpriced")),
        by_tool=tools,
        segments=segments,
    )
    out["charts"] = [
        c for c in (_use_chart(doc, lic, tools), _reclaim_chart(doc, lic, tools, cur)) if c
    ]
    return out


def money(value: Any, cur: str) -> str:
    """An amount in the document's currency, whole units (e.g. "USD 13,411").

    Args:
        value: the amount (not None).
        cur: the currency code.

    Returns:
        The amount in words for the page.
    """
    return f"{cur} {value:,.0f}".strip()


def saving_text(row: Mapping[str, Any], cur: str) -> str:
    """What reclaiming saves, in words: a sum over priced seats only, or why it is unknown.

    Args:
        row: totals, a tool's or a segment's row (reclaim_seats, reclaim_unpriced, savings).
        cur: the currency code.

    Returns:
        e.g. "USD 13,411 a month (USD 160,932 a year) for 574 priced seats".
    """
    seats = row.get("reclaim_seats") or 0
    unpriced = row.get("reclaim_unpriced") or 0
    monthly = row.get("monthly_saving")
    if monthly is None:
        return "saving unknown: no seat to reclaim has a price" if seats else "nothing to reclaim"
    text = f"{money(monthly, cur)} a month"
    if row.get("annual_saving") is not None:
        text += f" ({money(row['annual_saving'], cur)} a year)"
    if unpriced:
        priced = max(seats - unpriced, 0)
        text += f" for the {priced:,} priced seat{'s' if priced != 1 else ''}"
    return text


def unpriced_text(unpriced: Any) -> str | None:
    """The sentence for seats to reclaim without a price (None when every one has a price).

    Args:
        unpriced: how many seats to reclaim have no price.

    Returns:
        e.g. "335 reclaimable seats have no price: add prices to count their saving".
    """
    if not unpriced:
        return None
    if unpriced == 1:
        return "1 reclaimable seat has no price: add its price to count its saving"
    return f"{unpriced:,} reclaimable seats have no price: add prices to count their saving"


def _row(r: Mapping[str, Any], k: Any, cur: str) -> dict[str, Any]:
    """A tool's or segment's row with its saving in words, or why it is hidden."""
    out: dict[str, Any] = {"group": r.get("group"), **{c: r.get(c) for c in COUNTS}}
    out["suppressed"] = r.get("suppressed") or False
    out["hidden"] = hidden_reason(r, k)
    out["saving_text"] = None if out["hidden"] else saving_text(r, cur)
    return out


def _use_chart(
    doc: Mapping[str, Any], lic: Mapping[str, Any], tools: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """Seats per tool: used, unused and of unknown use, stacked (hidden tools are gaps)."""
    if all(t["hidden"] for t in tools):
        # Nothing to draw: the per-tool table says why each tool is hidden.
        return None
    names = [str(t["group"]) for t in tools]
    parts = (("in use", "used", VALUE), ("unused", "unused", VANITY),
             ("use not visible", "unknown", UNKNOWN))  # fmt: skip
    data = [
        {
            "type": "bar", "orientation": "h", "name": name, "y": names,
            "x": [None if t["hidden"] else t[key] for t in tools], "marker": {"color": colour},
            "hovertemplate": f"%{{y}}: %{{x}} seats {name}<extra></extra>",
        }
        for name, key, colour in parts
    ]  # fmt: skip
    under = caption(doc, lic.get("n"), what="licensed people")
    under += f" · {lic.get('seats'):,} seats"
    hidden = [f"{t['group']}: {t['hidden']}" for t in tools if t["hidden"]]
    if hidden:
        under += " · hidden — " + "; ".join(hidden)
    used, seats = lic.get("used"), lic.get("seats")
    title = f"{used:,} of {seats:,} seats are in use" if used is not None and seats else "Seats"
    if lic.get("utilisation") is not None:
        title += f" ({100 * lic['utilisation']:.0f} % of seats whose use is known)"
    fig = {
        "data": data,
        "layout": {
            **_LAYOUT,
            "barmode": "stack",
            "height": max(220, 90 + 40 * len(names)),
            "xaxis": {"title": {"text": "seats"}, "rangemode": "tozero"},
            "yaxis": {"autorange": "reversed", "automargin": True},
            "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "traceorder": "normal"},
        },
    }
    return {"title": title, "caption": under, "figure": fig}


def _reclaim_chart(
    doc: Mapping[str, Any], lic: Mapping[str, Any], tools: list[dict[str, Any]], cur: str
) -> dict[str, Any] | None:
    """Seats to reclaim per tool, each bar labelled with its monthly saving or why unknown."""
    if all(t["hidden"] for t in tools):
        return None
    names = [str(t["group"]) for t in tools]
    labels = []
    for t in tools:
        if t["hidden"]:
            labels.append("")
        elif t["monthly_saving"] is None:
            labels.append("saving unknown: no price" if t["reclaim_seats"] else "")
        else:
            extra = f" ({t['reclaim_unpriced']} unpriced)" if t["reclaim_unpriced"] else ""
            labels.append(f"{money(t['monthly_saving'], cur)} a month{extra}")
    data = [
        {
            "type": "bar", "orientation": "h", "name": "seats to reclaim", "y": names,
            "x": [None if t["hidden"] else t["reclaim_seats"] for t in tools],
            "marker": {"color": VALUE}, "text": labels, "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": "%{y}: %{x} seats to reclaim, %{text}<extra></extra>",
        }
    ]  # fmt: skip
    under = caption(doc, lic.get("n"), what="licensed people")
    under += f" · rule: {lic.get('reclaim_rule')}"
    unpriced = unpriced_text(lic.get("reclaim_unpriced"))
    if unpriced:
        under += f" · {unpriced}"
    seats = lic.get("reclaim_seats") or 0
    if lic.get("monthly_saving") is None:
        title = f"{seats:,} seats could be reclaimed (saving unknown: no prices)"
    elif lic.get("reclaim_unpriced"):
        title = (
            f"{seats:,} seats could be reclaimed: {money(lic['monthly_saving'], cur)} a month "
            "on the priced ones"
        )
    else:
        saving = money(lic["monthly_saving"], cur)
        title = f"{seats:,} seats could be reclaimed, saving {saving} a month"
    top = max([t["reclaim_seats"] or 0 for t in tools if not t["hidden"]] or [0])
    fig = {
        "data": data,
        "layout": {
            **_LAYOUT,
            "height": max(200, 80 + 40 * len(names)),
            "margin": {"l": 10, "r": 200, "t": 30, "b": 50},
            "xaxis": {"title": {"text": "seats to reclaim"}, "range": [0, max(1, top) * 1.1]},
            "yaxis": {"autorange": "reversed", "automargin": True},
            "showlegend": False,
        },
    }
    return {"title": title, "caption": under, "figure": fig}


def _tables(d: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    cur = d.get("currency")

    def rows(items: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
        return [
            {what: r["group"], **{c: r[c] for c in COUNTS}, "currency": cur,
             "suppressed": r["suppressed"], "saving_in_words": r["saving_text"] or r["hidden"]}
            for r in items
        ]  # fmt: skip

    return {
        "by_tool": rows(d["by_tool"], "tool"),
        "segments": rows(d["segments"], d["by"] or "segment"),
    }


def reclaim(ws: Workspace, actor: Actor, params: Params) -> list[dict[str, Any]]:
    """The seats to reclaim with each holder's roster identifier (admins; audited).

    Args:
        ws: the workspace.
        actor: who downloads (the Workspace refuses anyone but an admin).
        params: `as_of`.

    Returns:
        One row per seat: person, tool, monthly cost, reason (the list to act on).
    """
    frame = ws.reclaim_candidates(params.as_of, actor=actor, reveal=True)
    rows = frame[["person", "tool", "monthly_cost", "reason"]].astype(object)
    return rows.where(rows.notna(), None).to_dict("records")  # type: ignore[return-value]


PAGE = Page(
    slug="licences",
    title="Licences",
    summary="Seats in use, seats to reclaim and the saving (aggregates)",
    data=licences,
    order=70,
    charts=True,
    tables=_tables,
    takes_by=True,
    individual={"reclaim_seats": reclaim},
    may_lag=True,
)
