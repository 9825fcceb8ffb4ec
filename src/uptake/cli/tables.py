"""Table layout for `uptake metrics`: group tables that fit the console and weekly pivots.

Each builder returns the renderables to print in order: the table, then a dim line saying
what was left to `--json`, then the legend of any hidden-cell mark the table uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from uptake.metrics import labels
from uptake.metrics.result import COMPLEMENTARY, SMALL, MetricsReport

# Columns that name a row rather than hold a value, in the order they are looked for.
KEYS = ("segment", "group", "workflow", "category", "month", "cohort", "from", "week", "day")
COMPLEMENTARY_TEXT = "hidden so a smaller group cannot be worked out"
MARK = "‡"
# Units whose words a table column's header carries instead of every cell.
_BARE = {"hours", "days", "weeks", "minutes", "money"}
# A row-naming column with a readable name beside it: the name is shown, the id left to JSON.
_NAMED = {"workflow": "name"}
# Widest label column of a pivot; longer labels wrap.
_LEAD = 28
# Width of a pivot's change column ("change, first" over "to last").
_CHANGE = 13

Rows = Sequence[Mapping[str, Any]]


def hidden_text(reason: Any, k: int, *, short: bool = False) -> str:
    """Why a value is hidden, in words.

    Args:
        reason: "small", "complementary", or another true value (reason not recorded).
        k: the minimum group size.
        short: the cell form for complementary (a mark the table's legend explains).

    Returns:
        "< 5 people", "hidden so a smaller group cannot be worked out" (or "hidden ‡"), or
        "hidden" when the reason is not known.
    """
    if reason == SMALL:
        return f"< {k} people"
    if reason == COMPLEMENTARY:
        return f"hidden {MARK}" if short else COMPLEMENTARY_TEXT
    return "hidden"


def legend(rows: Rows) -> list[RenderableType]:
    """The full sentence behind the complementary mark, when any row carries it.

    Args:
        rows: the rows a table shows.

    Returns:
        One dim line, or nothing.
    """
    if any(
        row.get("suppressed") == COMPLEMENTARY
        or any(v == COMPLEMENTARY for c, v in row.items() if c.endswith(_HIDDEN))
        for row in rows
    ):
        return [Text(f"{MARK} {COMPLEMENTARY_TEXT}", style="dim")]
    return []


# A value hidden on a shown row says why in `<field>_suppressed`.
_HIDDEN = "_suppressed"


def cell_hidden(row: Mapping[str, Any], col: str) -> Any:
    """Why one value of a shown row is hidden (a share with the count it divides), or None.

    Args:
        row: a group row.
        col: the column.

    Returns:
        The reason ("small", "complementary"), or None when the value is shown.
    """
    why = row.get(f"{col}{_HIDDEN}")
    if why is None and col.endswith("_share"):
        why = row.get(f"{col.removesuffix('_share')}{_HIDDEN}")
    return why


def cell_value(
    report: MetricsReport,
    metric: str,
    key: str,
    row: Mapping[str, Any],
    *,
    bare: bool = False,
    unit: str | None = None,
) -> str:
    """A field of a row (or of a metric's values) in its unit, with its interval if it has one.

    Args:
        report: the report (currency).
        metric: the metric the field belongs to.
        key: the field.
        row: the row or values holding it (and its `_low`/`_high` ends).
        bare: leave out unit words the column header carries (hours, days, money).
        unit: the unit, when not the field's labelled one.

    Returns:
        e.g. "41.2 hours (34.7 to 48.0)".
    """
    unit = unit or labels.describe(key, metric).unit
    text = labels.format_value(row.get(key), unit, report.currency, bare=bare and unit in _BARE)
    unpriced = row.get(labels.PRICED_BY.get(key, ""))
    if isinstance(unpriced, int | float) and unpriced > 0:
        # An unknown price is unknown, never 0; a partial sum says what it leaves out.
        gap = f"no price for {plural(int(unpriced), 'seat')}"
        if row.get(key) is None:
            return f"unknown ({gap})"
        text = f"{text} ({gap})"
    ends = _ends(metric, key, row)
    if ends is None or ends == (None, None):
        return text
    lo, hi = (labels.format_value(v, unit, report.currency, bare=True) for v in ends)
    return f"{text} ({lo} to {hi})"


def _ends(metric: str, key: str, row: Mapping[str, Any]) -> tuple[Any, Any] | None:
    if f"{key}_low" in row or f"{key}_high" in row:
        return row.get(f"{key}_low"), row.get(f"{key}_high")
    if ("ci_low" in row or "ci_high" in row) and labels.interval_of("ci_low", metric) == (
        key,
        "low",
    ):
        return row.get("ci_low"), row.get("ci_high")
    return None


def row_key(rows: Rows) -> str:
    """The column naming each row (segment, group, workflow …).

    Args:
        rows: group rows.

    Returns:
        The first of `KEYS` any row has, else the first column.
    """
    for key in KEYS:
        if any(key in row for row in rows):
            return key
    return next(iter(rows[0]))


def value_columns(metric: str, rows: Rows, key: str, first: Sequence[str] = ()) -> list[str]:
    """Value columns in row order, `first` (those present) leading; interval ends merged.

    Args:
        metric: the metric the rows belong to.
        rows: group rows.
        key: the row-naming column (left out).
        first: columns to put first when present.

    Returns:
        Column names.
    """
    cols = [c for c in dict.fromkeys(first) if c and c != key and any(c in r for r in rows)]
    for row in rows:
        for c, v in row.items():
            if c in (key, "suppressed") or c in cols or isinstance(v, Mapping | list):
                continue
            base = c.removesuffix(_HIDDEN)
            if c.endswith(_HIDDEN) and any(base in r or f"{base}_share" in r for r in rows):
                # Said in the cell it hides, not in a column of its own.
                continue
            end = labels.interval_of(c, metric)
            if end is not None and any(end[0] in r for r in rows):
                continue
            cols.append(c)
    return cols


def sort_rows(rows: Rows, field: str | None) -> list[Mapping[str, Any]]:
    """Rows by a field, largest first; hidden and missing values last, ties in their order.

    Args:
        rows: group rows.
        field: the field, or None to keep the order.

    Returns:
        The sorted rows.
    """
    if field is None or not any(field in row for row in rows):
        return list(rows)

    def rank(row: Mapping[str, Any]) -> tuple[int, float]:
        v = row.get(field)
        if isinstance(v, int | float) and not isinstance(v, bool) and not row.get("suppressed"):
            return (0, -float(v))
        return (1, 0.0)

    return sorted(rows, key=rank)


def word_width(values: Iterable[Any], least: int = 4, most: int = 28) -> int:
    """The width that holds the longest word of a column's values, so none is split.

    A folded column breaks a word it has no room for ("first_win_documente|d"); given this
    as its minimum width it breaks between words, and other columns give way.

    Args:
        values: the column's cells.
        least: the narrowest it may be.
        most: the widest it claims (longer words still fold).

    Returns:
        The minimum width.
    """
    words = [w for v in values for w in str(v or "").split()]
    return min(max([least, *(len(w) for w in words)]), most)


def plural(n: int, words: str) -> str:
    """A count and words, the last word in the plural unless the count is one ("2 more rows")."""
    return f"{n} {words}" if n == 1 else f"{n} {words}s"


def key_text(v: Any) -> str:
    """A row's name as printed ("(none)" for a missing one, 9 for 9.0)."""
    if v is None:
        return "(none)"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def group_table(
    report: MetricsReport,
    metric: str,
    rows: Rows,
    *,
    title: str,
    key_label: str | None = None,
    first: Sequence[str] = (),
    limit: int | None = None,
    width: int = 100,
) -> list[RenderableType]:
    """One row per group with every value column that fits, and what was left to --json.

    Args:
        report: the report (currency, k).
        metric: the metric the rows belong to.
        rows: group rows, already sorted.
        title: the table's title.
        key_label: header of the row-naming column (default: that field's header).
        first: value columns to put first.
        limit: rows to show (None: all).
        width: console width.

    Returns:
        The table, then notes.
    """
    key = row_key(rows)
    name_col = _NAMED.get(key, "")
    cols = [c for c in value_columns(metric, rows, key, first) if c != name_col]
    shown = list(rows if limit is None else rows[:limit])
    k = report.min_group_size
    cells: dict[str, list[str]] = {}
    if not cols:
        # Every row is hidden and carries only its name: one column says why.
        cells[""] = [hidden_text(row.get("suppressed"), k, short=True) for row in shown]
    for i, c in enumerate(cols):
        # The reason once per hidden row: repeated in every column it hides the table's shape.
        cells[c] = [
            (hidden_text(row["suppressed"], k, short=True) if i == 0 else "")
            if row.get("suppressed")
            else hidden_text(cell_hidden(row, c), k, short=True)
            if cell_hidden(row, c)
            else cell_value(report, metric, c, row, bare=True)
            for row in shown
        ]
    key_label = key_label or labels.describe(key).header
    keys = [key_text(row.get(name_col) or row.get(key)) for row in shown]
    heads = {c: _header(c, metric, report.currency) for c in cells}
    widths = {c: _col_width(heads[c], cells[c]) for c in cells}
    fit = _fit(max(len(s) for s in [key_label, *keys]), list(widths.values()), width)
    used = list(cells)[:fit]
    t = Table(box=box.SIMPLE_HEAD, show_edge=False)
    t.add_column(key_label, no_wrap=True)
    for c in used:
        t.add_column(heads[c], justify="right", width=widths[c])
    for i, name in enumerate(keys):
        t.add_row(name, *[cells[c][i] for c in used])
    out: list[RenderableType] = [Text(), Text(title[:1].upper() + title[1:], style="bold"), t]
    more = []
    if len(shown) < len(rows):
        more.append(f"{plural(len(rows) - len(shown), 'more row')} with --top {len(rows)}")
    if fit < len(cells):
        more.append(f"more columns with --json: {', '.join(heads[c] for c in list(cells)[fit:])}")
    if more:
        out.append(Text("; ".join(more), style="dim"))
    return out + legend(shown)


def _header(col: str, metric: str, currency: str) -> str:
    if not col:
        return ""
    d = labels.describe(col, metric)
    return f"{d.header} ({currency})" if d.unit == "money" else d.header


def _col_width(head: str, cells: Sequence[str]) -> int:
    """A column's width: its widest cell, or its header wrapped onto at most two lines."""
    words = head.split()
    width = max([len(c) for c in cells] + [len(w) for w in words] + [1])
    while _lines(words, width) > 2:
        width += 1
    return width


def _lines(words: Sequence[str], width: int) -> int:
    lines, used = 1, -1
    for w in words:
        if used + 1 + len(w) > width:
            lines, used = lines + 1, len(w)
        else:
            used += 1 + len(w)
    return lines


def _fit(lead: int, widths: Sequence[int], width: int) -> int:
    """How many value columns fit the console (the first always does)."""
    # Three characters of padding and rule per column, so rich never squeezes (and cuts) one.
    used = lead + 4
    for i, w in enumerate(widths):
        if used + w + 3 > width and i > 0:
            return i
        used += w + 3
    return len(widths)


def _change(by_week: Mapping[str, Any], shown: Sequence[str], unit: str, currency: str) -> str:
    """From a row's first shown week with a value (a segment may start later) to the last."""
    values = [by_week.get(w) for w in shown]
    first = next((v for v in values[:-1] if v is not None and not isinstance(v, Hidden)), None)
    if first is None or len(shown) < 2:
        return "—" if len(shown) > 1 else ""
    return labels.format_change(first, values[-1], unit, currency)


@dataclass(frozen=True)
class Hidden:
    """A pivot cell that is hidden, and why."""

    reason: Any


def week_label(v: Any) -> str:
    """A week start as a short column header ("23 Nov")."""
    try:
        return date.fromisoformat(str(v)[:10]).strftime("%d %b")
    except ValueError:
        return str(v)


def pivot(
    report: MetricsReport,
    title: str,
    lead_header: str,
    series: Sequence[tuple[str, str, Mapping[str, Any]]],
    weeks: Sequence[str],
    width: int,
) -> list[RenderableType]:
    """Series of (label, unit, {week: value or Hidden}) as weeks in columns, then the change.

    The latest weeks that fit are shown; the change runs from the first shown to the last.

    Args:
        report: the report (currency, k).
        title: the table's title.
        lead_header: header of the label column.
        series: one row each.
        weeks: every week, oldest first.
        width: console width.

    Returns:
        The table, then notes.
    """
    k = report.min_group_size

    small = f"< {k}"

    def text(v: Any, unit: str) -> str:
        # Week columns are narrow: a small cell is "< 5", spelled out in the legend.
        if isinstance(v, Hidden):
            return small if v.reason == SMALL else hidden_text(v.reason, k, short=True)
        return labels.format_value(v, unit, report.currency)

    # Leading weeks with nothing for any row shown (segments that started later) are left out.
    while len(weeks) > 1 and all(by_week.get(weeks[0]) is None for _, _, by_week in series):
        weeks = weeks[1:]
    cells = [[text(by_week.get(w), unit) for w in weeks] for _, unit, by_week in series]
    lead = max([len(lead_header), *(min(len(s[0]), _LEAD) for s in series)])
    cell = max([6, *(len(c) for row in cells for c in row)])
    room = max(1, (width - lead - 4 - _CHANGE - 3) // (cell + 3))
    shown = list(weeks[-room:])
    skip = len(weeks) - len(shown)
    changes = [_change(by_week, shown, unit, report.currency) for _, unit, by_week in series]
    t = Table(box=box.SIMPLE_HEAD, show_edge=False)
    t.add_column(lead_header, max_width=_LEAD)
    for w in shown:
        t.add_column(week_label(w), justify="right", no_wrap=True)
    change_width = max([_CHANGE, *(len(c) for c in changes)])
    t.add_column("change, first to last", justify="right", width=change_width)
    for (label, _, _), row, change in zip(series, cells, changes, strict=True):
        t.add_row(label, *row[skip:], change)
    out: list[RenderableType] = [Text(), Text(title[:1].upper() + title[1:], style="bold"), t]
    if skip:
        out.append(Text(f"{plural(skip, 'earlier week')} with --json", style="dim"))
    shown_cells = {c for row in cells for c in row[skip:]}
    if small in shown_cells:
        out.append(Text(f"{small}: hidden, {hidden_text(SMALL, k)} in the group", style="dim"))
    if any(MARK in c for c in shown_cells):
        out += legend([{"suppressed": COMPLEMENTARY}])
    return out
