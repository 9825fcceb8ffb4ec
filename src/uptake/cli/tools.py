"""The `uptake tools` command: usage per AI tool, the tool mix and cost per tool."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from uptake.cli.common import AsOfOpt, JsonOpt, WorkspaceOpt, open_workspace, parse_day, print_json
from uptake.cli.tables import COMPLEMENTARY_TEXT, MARK
from uptake.errors import InputError
from uptake.metrics.dimensions import SEGMENTS

# A hidden cell's reason in the table; the complementary mark is explained under the table
# (a bare "hidden" beside "groups below k hidden" read as fewer than k people).
HIDDEN = {"small": "< k", "complementary": f"hidden {MARK}"}


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
        rows: list[_Row] = []
        for r in usage.get("segments") or []:
            if r.get("suppressed"):
                rows.append((str(r["segment"]), [], HIDDEN.get(r["suppressed"], "hidden")))
                continue
            rows.append((str(r["segment"]), [
                str(r.get("grain")), _n(r.get("n")),
                "not available" if r.get("licence_note")
                else _n(r.get("licensed"), r.get("licensed_suppressed")),
                _n(r.get("active"), r.get("active_suppressed")),
                "not available" if r.get("licence_note") and r.get("rate") is None
                else _pct(r.get("rate")),
                r.get("weekly_note") or _n(r.get("weekly_active"),
                                           r.get("weekly_active_suppressed")),
                r.get("daily_note") or _n(r.get("active_days_per_active")),
                r.get("weekly_note") or " / ".join(
                    _n(r.get(lv), r.get(f"{lv}_suppressed")) for lv in LEVELS),
            ], None))  # fmt: skip
        _print_fitted(
            console,
            "Usage per tool (a person in two tools counts in both)",
            ["tool", "reports", "people", "licensed", "active", "rate", "latest week",
             "active days / active", "weeks used: all / some / one"],
            rows,
        )  # fmt: skip
        for note in usage.get("notes") or []:
            console.print(f"  note: {note}")
    if mix.get("status") == "not_available":
        console.print(f"tool mix: not available: needs {', '.join(mix.get('needs', []))}")
    else:
        # The total hidden: each share would give it away (n ÷ share), and so would the
        # merged row (the total less the rows shown), so both are hidden with it.
        total_hidden = mix.get("people") is None and bool(mix.get("people_suppressed"))
        said = (
            "people active in any: hidden"
            if total_hidden
            else f"{_n(mix.get('people'))} people active in any"
        )
        t = Table(title=f"Combinations of tools ({said})")
        t.add_column("combination")
        t.add_column("people")
        t.add_column("share")
        for r in mix.get("combinations") or []:
            share = "hidden" if total_hidden else _pct(r.get("share"))
            t.add_row(str(r["segment"]), _n(r.get("n")), share)
        merged = str(mix.get("merged") or "other combinations")
        if total_hidden:
            t.add_row(merged, "hidden", "hidden")
        for r in mix.get("pairs") or []:
            t.add_row(f"both {r['segment']}", _n(r.get("n")), "")
        console.print(t)
        if total_hidden:
            console.print(
                f"  the total is hidden so a smaller group cannot be worked out, and {merged}"
                " with it (the total less the rows shown)"
            )
        combos = [str(r["segment"]) for r in mix.get("combinations") or []]
        if combos and set(combos) == {merged}:
            console.print(
                f"  every combination is in {merged}: none can be shown without letting a "
                f"group of fewer than {k} be worked out"
            )
        for r in mix.get("segments") or []:
            console.print(f"  {doc.get('by')} {r['segment']}: {r['combination']} {_n(r.get('n'))}")
    _segments(doc["usage_segments"], console)
    if cost.get("status") == "not_available":
        console.print(f"tool cost: not available: needs {', '.join(cost.get('needs', []))}")
        return
    rows = []
    for r in cost.get("segments") or []:
        if r.get("suppressed"):
            rows.append((str(r["segment"]), [], HIDDEN.get(r["suppressed"], "hidden")))
        elif r.get("missing"):
            rows.append((str(r["segment"]), [], str(r["missing"])))
        else:
            h = r.get("seat_cost_suppressed")
            rows.append((str(r["segment"]), [
                _money(r.get("seat_cost_month"), h),
                _money(r.get("spend_window")), _money(r.get("cost_month"), h),
                _money(r.get("cost_per_person_month"), h),
                _money(r.get("cost_per_active_person_month"), h),
            ], None))  # fmt: skip
    _print_fitted(
        console,
        f"Cost per tool ({cost.get('currency')})",
        ["tool", "seats / month", "spend in window", "per month", "per person-month",
         "per active person-month"],
        rows,
    )  # fmt: skip


def _segments(segs: Mapping[str, Any], console: Console) -> None:
    """Each tool's seat holders by usage segment (the recommended variant)."""
    from uptake.metrics.tool_segments import SEGMENT_NAMES

    if segs.get("status") == "not_available":
        console.print(f"usage segments: not available: needs {', '.join(segs.get('needs', []))}")
        return
    weeks = segs.get("weeks_counted")
    rows: list[_Row] = []
    for r in segs.get("segments") or []:
        if r.get("suppressed"):
            rows.append((str(r["segment"]), [], HIDDEN.get(r["suppressed"], "hidden")))
        elif r.get("daily_note"):
            rows.append((str(r["segment"]), [_n(r.get("n"))], str(r["daily_note"])))
        else:
            rows.append((str(r["segment"]), [
                _n(r.get("n")),
                *(_n(r.get(c), r.get(f"{c}_suppressed")) for c in SEGMENT_NAMES),
                HIDDEN.get(str(r.get("habitual_plus_suppressed")))
                or _pct(r.get("habitual_plus_share")),
            ], None))  # fmt: skip
    _print_fitted(
        console,
        f"Usage segments per tool: seat holders by their use of it ({weeks} weeks)",
        ["tool", "seat holders", *(c.replace("_", "-") for c in SEGMENT_NAMES),
         "habitual or power"],
        rows,
    )  # fmt: skip
    # The reason is the shown variant's: why these weeks and not the other variant's.
    console.print(f"  why {weeks} weeks: {segs.get('recommended_reason')}", highlight=False)
    for note in segs.get("notes") or []:
        console.print(f"  note: {note}")


# A table row: the tool, its cells, and a text standing for the cells after those given (a
# whole row hidden below k, a value that cannot be priced, a note), or None.
_Row = tuple[str, list[str], str | None]


def _print_fitted(console: Console, title: str, headers: list[str], rows: list[_Row]) -> None:
    """Print a table whose words and cells are never cut: in parts when the console is narrow.

    Every column is as wide as its widest cell and longest header word (headers wrap, cells
    do not), so a table is as wide as those widths add up to; columns that would not fit
    beside the earlier ones go to a further part, "title (continued)", which repeats the
    tool column and each row's standing text ("as above" where it is too long for the part's
    column). Rich's own narrowing cut words ("licen…", "hidd…") at 80 columns.

    Args:
        console: where to print.
        title: the table's title.
        headers: the tool column's header, then the other columns'.
        rows: the rows (see `_Row`).
    """
    # A long standing text (why a cost is not available) would widen its column for every
    # row: the cell says its first words, and the whole text follows the table.
    notes = [f"  {tool}: {rest}" for tool, _, rest in rows if rest and cell_len(rest) > _LONG]
    rows = [
        (tool, cells, _first_words(rest) if rest and cell_len(rest) > _LONG else rest)
        for tool, cells, rest in rows
    ]
    widths = [_width(headers, rows, col) for col in range(len(headers))]
    # A cell wider than the console beside the tool column wraps at its spaces instead.
    room = max(console.width - _BORDER - widths[0] - 2 * _PER_COLUMN, 1)
    widths = [widths[0], *(min(w, room) for w in widths[1:])]
    # A later part's first column may say "as above" for a row's standing text.
    standing = any(rest is not None for _, _, rest in rows)
    parts: list[list[int]] = [[]]
    used = _BORDER + widths[0] + _PER_COLUMN
    for col in range(1, len(headers)):
        if parts[-1] and used + widths[col] + _PER_COLUMN > console.width:
            parts.append([])
            used = _BORDER + widths[0] + _PER_COLUMN
            if standing:
                widths[col] = max(widths[col], len(_ABOVE))
        parts[-1].append(col)
        used += widths[col] + _PER_COLUMN
    for i, cols in enumerate(parts):
        t = Table(title=title if i == 0 else f"{title} (continued)")
        for col in (0, *cols):
            t.add_column(headers[col], width=widths[col])
        for tool, cells, rest in rows:
            shown = [cells[c - 1] for c in cols if c - 1 < len(cells)]
            if rest is not None and len(shown) < len(cols):
                # Whole in its own column; in a later part's, repeated only where it fits (a
                # longer text squeezed into a narrow column would be cut).
                col = cols[len(shown)]
                home = col == len(cells) + 1
                shown.append(rest if home or cell_len(rest) <= widths[col] else _ABOVE)
            t.add_row(tool, *shown)
        console.print(t)
    for note in notes:
        console.print(note, highlight=False)
    if any(MARK in c for _, cells, rest in rows for c in [*cells, rest or ""]):
        console.print(f"  {MARK} {COMPLEMENTARY_TEXT}", style="dim", highlight=False)


_ABOVE = "as above"
# A row's standing text longer than this is shortened in the table and given whole below it.
_LONG = 24
# A table's left edge, and what each column adds besides its text (padding and a border).
_BORDER, _PER_COLUMN = 1, 3


def _first_words(text: str) -> str:
    """What a long standing text says before its colon ("not available"), else "see below"."""
    head = text.split(":", 1)[0]
    return head if ":" in text and cell_len(head) <= _LONG else "see below"


def _width(headers: list[str], rows: list[_Row], col: int) -> int:
    """A column's width: its widest cell (a row's standing text where it stands), and at
    least its header's longest word."""
    cells: list[str] = []
    for tool, given, rest in rows:
        if col == 0:
            cells.append(tool)
        elif col - 1 < len(given):
            cells.append(given[col - 1])
        elif col - 1 == len(given) and rest is not None:
            cells.append(rest)
    # Terminal cells, not characters: a wide character (CJK, say) takes two.
    return max([1, *(cell_len(w) for w in headers[col].split()), *(cell_len(c) for c in cells)])


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
