"""The `uptake tools` command: usage per AI tool, the tool mix and cost per tool."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from uptake.cli.common import AsOfOpt, JsonOpt, WorkspaceOpt, open_workspace, parse_day, print_json
from uptake.errors import InputError
from uptake.metrics.dimensions import SEGMENTS

HIDDEN = {"small": "< k", "complementary": "hidden"}


def tools_command(
    workspace: WorkspaceOpt = None,
    as_of: AsOfOpt = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help=f"Split the tool mix by one of: {', '.join(SEGMENTS)}."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Usage per AI tool, which tools people combine, and cost per tool (k-safe aggregates)."""
    day = parse_day(as_of)
    if by is not None and by not in (*SEGMENTS, "tool"):
        raise InputError(f"--by {by!r}: expected one of {', '.join(SEGMENTS)}")
    ws = open_workspace(workspace, read_only=True, as_of=day)
    try:
        doc = ws.tools(as_of=day, by=by)
    finally:
        ws.close()
    if as_json:
        print_json(doc)
        return
    render(doc, Console())


def render(doc: Mapping[str, Any], console: Console) -> None:
    """Print the tools document as four tables with their captions.

    Args:
        doc: `Workspace.tools`'s document.
        console: where to print.
    """
    # Imported here, as in `_segments`: the metric modules bring Ibis and pandas.
    from uptake.metrics.tool_presence import LEVELS

    k = doc.get("min_group_size")
    privacy = doc.get("privacy") or {}
    noise = (
        f"counts ±{privacy.get('error_bar')} (noise, ε = {privacy.get('epsilon')})"
        if privacy.get("noise")
        else "exact counts"
    )
    console.print(
        f"as of {doc.get('as_of')} ({doc.get('as_of_rule')}) · {doc.get('window_days')}-day "
        f"window · groups below k = {k} hidden · {noise}"
    )
    usage, mix, cost = doc["tool_usage"], doc["tool_mix"], doc["tool_cost"]
    if usage.get("status") == "not_available":
        console.print(f"tool usage: not available: needs {', '.join(usage.get('needs', []))}")
    else:
        t = Table(title="Usage per tool (a person in two tools counts in both)")
        for c in ("tool", "reports", "people", "licensed", "active", "rate", "latest week",
                  "active days / active", "weeks used: all / some / one"):  # fmt: skip
            t.add_column(c)
        for r in usage.get("segments") or []:
            if r.get("suppressed"):
                t.add_row(str(r["segment"]), HIDDEN.get(r["suppressed"], "hidden"))
                continue
            t.add_row(
                str(r["segment"]), str(r.get("grain")), _n(r.get("n")),
                _n(r.get("licensed"), r.get("licensed_suppressed")),
                _n(r.get("active"), r.get("active_suppressed")),
                _pct(r.get("rate")),
                r.get("weekly_note") or _n(r.get("weekly_active"),
                                           r.get("weekly_active_suppressed")),
                r.get("daily_note") or _n(r.get("active_days_per_active")),
                r.get("weekly_note") or " / ".join(
                    _n(r.get(lv), r.get(f"{lv}_suppressed")) for lv in LEVELS),
            )  # fmt: skip
        console.print(t)
        for note in usage.get("notes") or []:
            console.print(f"  note: {note}")
    if mix.get("status") == "not_available":
        console.print(f"tool mix: not available: needs {', '.join(mix.get('needs', []))}")
    else:
        t = Table(title=f"Combinations of tools ({_n(mix.get('people'))} people active in any)")
        t.add_column("combination")
        t.add_column("people")
        t.add_column("share")
        for r in mix.get("combinations") or []:
            t.add_row(str(r["segment"]), _n(r.get("n")), _pct(r.get("share")))
        for r in mix.get("pairs") or []:
            t.add_row(f"both {r['segment']}", _n(r.get("n")), "")
        console.print(t)
        for r in mix.get("segments") or []:
            console.print(f"  {doc.get('by')} {r['segment']}: {r['combination']} {_n(r.get('n'))}")
    _segments(doc["usage_segments"], console)
    if cost.get("status") == "not_available":
        console.print(f"tool cost: not available: needs {', '.join(cost.get('needs', []))}")
        return
    t = Table(title=f"Cost per tool ({cost.get('currency')})")
    for c in ("tool", "seats / month", "spend in window", "per month", "per person-month",
              "per active person-month"):  # fmt: skip
        t.add_column(c)
    for r in cost.get("segments") or []:
        if r.get("suppressed"):
            t.add_row(str(r["segment"]), HIDDEN.get(r["suppressed"], "hidden"))
        elif r.get("missing"):
            t.add_row(str(r["segment"]), str(r["missing"]))
        else:
            h = r.get("seat_cost_suppressed")
            t.add_row(
                str(r["segment"]), _money(r.get("seat_cost_month"), h),
                _money(r.get("spend_window")), _money(r.get("cost_month"), h),
                _money(r.get("cost_per_person_month"), h),
                _money(r.get("cost_per_active_person_month"), h),
            )  # fmt: skip
    console.print(t)


def _segments(segs: Mapping[str, Any], console: Console) -> None:
    """Each tool's seat holders by usage segment (the recommended variant)."""
    from uptake.metrics.tool_segments import SEGMENT_NAMES

    if segs.get("status") == "not_available":
        console.print(f"usage segments: not available: needs {', '.join(segs.get('needs', []))}")
        return
    weeks = segs.get("weeks_counted")
    t = Table(title=f"Usage segments per tool: seat holders by their use of it ({weeks} weeks)")
    for c in ("tool", "seat holders", *(c.replace("_", "-") for c in SEGMENT_NAMES),
              "habitual or power"):  # fmt: skip
        t.add_column(c)
    for r in segs.get("segments") or []:
        if r.get("suppressed"):
            t.add_row(str(r["segment"]), HIDDEN.get(r["suppressed"], "hidden"))
        elif r.get("daily_note"):
            t.add_row(str(r["segment"]), _n(r.get("n")), str(r["daily_note"]))
        else:
            t.add_row(
                str(r["segment"]), _n(r.get("n")),
                *(_n(r.get(c), r.get(f"{c}_suppressed")) for c in SEGMENT_NAMES),
                HIDDEN.get(str(r.get("habitual_plus_suppressed")))
                or _pct(r.get("habitual_plus_share")),
            )  # fmt: skip
    console.print(t)
    console.print(f"  recommended: {segs.get('recommended_reason')}")
    for note in segs.get("notes") or []:
        console.print(f"  note: {note}")


def _n(v: Any, hidden: Any = None) -> str:
    if hidden:
        return HIDDEN.get(str(hidden), "hidden")
    if v is None:
        return "—"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _pct(v: Any) -> str:
    return "—" if v is None else f"{100 * float(v):.1f} %"


def _money(v: Any, hidden: Any = None) -> str:
    if hidden:
        return HIDDEN.get(str(hidden), "hidden")
    return "—" if v is None else f"{float(v):,.2f}"
