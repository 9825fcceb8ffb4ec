"""The human form of a `MetricsReport`: labelled values with units, tables a lead can read.

Words and units come from `uptake.metrics.labels`; this module only lays them out. Group
tables show one row per segment; weekly series are pivoted (weeks as columns, then the change
from the first shown week to the last). Hidden cells say why, in the words of `hidden_text`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rich import box
from rich.console import Console, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from uptake.cli import tables, vendor_view
from uptake.cli.tables import COMPLEMENTARY_TEXT, hidden_text
from uptake.metrics import labels
from uptake.metrics.result import MetricResult, MetricsReport

__all__ = [
    "COMPLEMENTARY_TEXT",
    "RenderOptions",
    "header",
    "headline_table",
    "headline_value",
    "hidden_text",
    "people_count",
    "render",
    "selected",
    "sortable_fields",
]

# Group rows shown in a nested table (workflows, roles …) when --top does not say.
NESTED_ROWS = 10
# Fields of the whole-population values that restate what the result already carries.
_BOOKKEEPING = {"n", "suppressed", "status", "needs", "by", "segments", "unit"}
# A yes/no field `x` may carry its reason in `x_reason`, printed beside it rather than apart.
_REASON = "_reason"
# Field → why its value is hidden below the minimum group size (null in the values).
_HIDDEN = "hidden"


@dataclass(frozen=True)
class RenderOptions:
    """What the reader asked for.

    Attributes:
        metrics: metric names to show (empty: all, in report order).
        sort: field to sort group rows by, descending.
        top: how many group rows to show per table (None: every segment, and
            `NESTED_ROWS` of other group tables).
    """

    metrics: tuple[str, ...] = ()
    sort: str | None = None
    top: int | None = None


def selected(report: MetricsReport, options: RenderOptions) -> list[MetricResult]:
    """The results to show, in the order asked for (or report order).

    Args:
        report: the metrics report.
        options: the reader's options.

    Returns:
        The chosen results.

    Raises:
        ValueError: naming an unknown metric and listing the known ones.
    """
    if not options.metrics:
        return list(report.results.values())
    unknown = [m for m in options.metrics if m not in report.results]
    if unknown:
        raise ValueError(
            f"unknown metric {', '.join(unknown)}; known metrics: {', '.join(report.results)}"
        )
    return [report.results[m] for m in dict.fromkeys(options.metrics)]


def sortable_fields(results: Sequence[MetricResult]) -> list[str]:
    """Fields `--sort` accepts: every value field of the shown group rows.

    Args:
        results: the results being shown.

    Returns:
        Field names, sorted.
    """
    fields: set[str] = set()
    for r in results:
        for rows in _row_tables(r).values():
            for row in rows:
                fields.update(c for c in row if c not in tables.KEYS and c != "suppressed")
    return sorted(fields)


def render(report: MetricsReport, console: Console, options: RenderOptions | None = None) -> None:
    """Print a report: the header, a headline table, then every field of each metric.

    Args:
        report: the metrics report.
        console: where to print.
        options: metric choice, sorting and row limit.

    Raises:
        ValueError: for an unknown metric or sort field (the message lists the known ones).
    """
    options = options or RenderOptions()
    results = selected(report, options)
    if options.sort is not None:
        fields = sortable_fields(results)
        if not fields:
            raise ValueError(
                f"cannot sort by {options.sort!r}: no group rows are shown"
                + ("" if report.by else " (group rows come with --by, e.g. --by team)")
            )
        if options.sort not in fields:
            raise ValueError(f"cannot sort by {options.sort!r}; fields: {', '.join(fields)}")
    for line in header(report):
        console.print(line)
    console.print(Text("\nHeadlines", style="bold"))
    console.print(headline_table(report, results))
    for r in results:
        if r.available and not r.suppressed:
            _print_metric(report, r, console, options)


def header(report: MetricsReport) -> list[Text]:
    """The lines above the tables: as-of and its rule, the window, k, currency and the noise.

    Args:
        report: the metrics report.

    Returns:
        Lines of text.
    """
    day = report.as_of.isoformat()
    if report.as_of_rule == "given":
        when = f"as of {day} (the date given)"
    else:
        when = f"as of {day}, {report.as_of_rule}"
    start = report.as_of - timedelta(days=report.window_days - 1)
    lines = [
        Text.assemble(("Metrics ", "bold"), (when, "bold")),
        Text(
            f"Window: the {report.window_days} days {start.isoformat()} to {day}"
            + (f" · by {report.by}" if report.by else "")
            + f" · money in {report.currency}"
        ),
        Text(
            f"Groups under {report.min_group_size} people are hidden (“< "
            f"{report.min_group_size} people”); brackets are confidence intervals.",
            style="dim",
        ),
    ]
    statement = report.privacy.get("statement")
    if statement:
        # One line on every report: whether counts are noisy (and by how much) or exact.
        lines.append(Text(f"Privacy: {statement}.", style="dim"))
    return lines


def people_count(report: MetricsReport, r: MetricResult) -> str:
    """A result's n for display, with its error bar (“1,843 ±3”) when it carries noise.

    Args:
        report: the report (its privacy statement holds the error bar).
        r: one result.

    Returns:
        The formatted count, or "" when there is none.
    """
    if r.n is None or not r.available:
        return ""
    shown = labels.format_value(r.n, "people")
    bar = r.noise.get("error_bar") if r.noisy else None
    return f"{shown} ±{bar}" if bar is not None else shown


def headline_value(report: MetricsReport, r: MetricResult) -> str:
    """A metric's headline in words: value, unit and label, or why there is none.

    Args:
        report: the report (currency, k).
        r: one result.

    Returns:
        e.g. "38 % of eligible high-stakes runs AI-assisted", "not available: needs tasks".
    """
    if not r.available:
        return f"not available: needs {', '.join(r.needs)}"
    if r.suppressed:
        return f"hidden: {hidden_text(r.suppressed, report.min_group_size)}"
    head = r.spec.headline
    if head is None:
        return f"{r.spec.label} (table below)"
    if head not in r.values:
        return "no data in this window"
    why = (r.values.get(_HIDDEN) or {}).get(head)
    if r.values[head] is None and why:
        # A vendor's number below k people is hidden like any other count of people.
        return f"hidden: {hidden_text(why, report.min_group_size)}"
    if r.values[head] is None and r.notes:
        # A value that does not exist yet (a median not reached) says why, not "—".
        return r.notes[0]
    # The field's own wording reads after the number; the spec's label is the fallback.
    known = labels.known(head, r.name)
    words = labels.describe(head, r.name).label if known else r.spec.label
    shown = tables.cell_value(report, r.name, head, r.values, unit=_unit(r, head))
    text = f"{shown} {labels.agree(shown, words)}"
    if r.values.get("recommended") is False:
        # A variant shown beside the recommended one says at once why it is not the one to read.
        why = r.values.get("recommended_reason")
        text += f" (not recommended: {why})" if why else " (not recommended)"
    return text


def headline_table(report: MetricsReport, results: Sequence[MetricResult]) -> Table:
    """One row per metric: its name, headline, people counted and basis.

    Args:
        report: the metrics report.
        results: the results shown.

    Returns:
        The table.
    """
    t = Table(box=box.SIMPLE_HEAD, show_edge=False)
    t.add_column("metric", no_wrap=True)
    t.add_column("value")
    t.add_column("n", justify="right")
    t.add_column("basis")
    for r in results:
        n = people_count(report, r)
        basis = (r.basis or r.spec.basis) if r.available else ""
        t.add_row(r.name, headline_value(report, r), n, basis)
    return t


def _print_metric(
    report: MetricsReport, r: MetricResult, console: Console, options: RenderOptions
) -> None:
    console.print()
    title = Text.assemble((r.name, "bold"), f" — {r.spec.label}")
    if title.cell_len + 4 > console.width:
        # A rule cuts a title longer than the line ("… latest complete w… ─"): the label
        # then goes under it, whole.
        console.print(Rule(Text(r.name, style="bold"), align="left"))
        console.print(Text(r.spec.label))
    else:
        console.print(Rule(title, align="left"))
    n = f"n = {people_count(report, r)} people" if r.n is not None else ""
    basis = r.basis or r.spec.basis
    console.print(Text(" · ".join(p for p in (n, f"basis: {basis}") if p), style="dim"))
    if r.name in vendor_view.VENDORS:
        # Vendor numbers and uptake's own are two blocks side by side, never one list.
        for item in vendor_view.vendor_block(report, r.name, r.values):
            console.print(item)
        console.print(Text(f"Definition: {r.spec.definition}", style="dim"))
        for note in r.notes:
            console.print(Text(f"Note: {note}", style="italic"))
        return
    grid, lines, nested = _values_layout(report, r)
    if grid.row_count:
        console.print(grid)
    for line in lines:
        console.print(line)
    console.print(Text(f"Definition: {r.spec.definition}", style="dim"))
    for note in r.notes:
        console.print(Text(f"Note: {note}", style="italic"))
    first = ("n", r.spec.headline or "")
    out: list[RenderableType] = []
    for key, rows in nested.items():
        out += tables.group_table(
            report,
            r.name,
            tables.sort_rows(rows, options.sort),
            title=labels.describe(key, r.name).label,
            first=first,
            limit=options.top or NESTED_ROWS,
            width=console.width,
        )
    if r.weeks:
        out += _pivot_fields(report, r, console.width)
    if r.segments and any("week" in row for row in r.segments):
        out += _pivot_segments(report, r, console.width, options)
    elif r.segments:
        dim = r.by or report.by or "segment"
        out += tables.group_table(
            report,
            r.name,
            tables.sort_rows(r.segments, options.sort),
            title=f"by {dim}",
            key_label=dim,
            first=first,
            limit=options.top,
            width=console.width,
        )
    elif (
        report.by is not None
        and r.segments is None
        and not nested
        and not r.weeks
        and not any(n.startswith("not broken down") for n in r.notes)
    ):
        # Asked --by, this metric has no breakdown by it: said, not silently the total alone.
        out.append(Text(f"Not broken down by {report.by}: the organisation's value only.",
                        style="italic"))  # fmt: skip
    for item in out:
        console.print(item)


def _values_layout(
    report: MetricsReport, r: MetricResult
) -> tuple[Table, list[Text], dict[str, list[Mapping[str, Any]]]]:
    """The scalar values as a value/label grid, text values as lines, row lists apart."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column()
    lines: list[Text] = []
    nested: dict[str, list[Mapping[str, Any]]] = {}
    values = r.values
    order = list(values)
    head = r.spec.headline
    if head in values:
        order.remove(head)
        order.insert(0, head)
    for key in order:
        v = values[key]
        if key in _BOOKKEEPING or (labels.interval_of(key, r.name) and _has_base(key, r, values)):
            continue
        if key.endswith(_REASON) and key.removesuffix(_REASON) in values:
            continue  # shown beside its yes/no field
        if key.endswith("_suppressed") and v is None:
            continue  # why a number is hidden, when it is not
        if isinstance(v, Mapping) and not v:
            continue  # nothing to list (no exchange rate was needed, say)
        if key == _HIDDEN and isinstance(v, Mapping):
            continue  # each reason is shown in place of the value it hides
        if key == "definition" and v == r.spec.definition:
            continue
        if _is_rows(v):
            nested[key] = list(v)
            continue
        if isinstance(v, Mapping) and labels.describe(key, r.name).unit != "period":
            lines.extend(_mapping_lines(report, r.name, key, v, indent=0))
            continue
        label = labels.describe(key, r.name)
        if key == head and not labels.known(key, r.name):
            label = labels.FieldLabel(r.spec.label, r.spec.unit)
        if label.unit in ("text", "period") or isinstance(v, list):
            shown = "none shown" if isinstance(v, list) and not v else None
            if key.endswith("_suppressed") and isinstance(v, str):
                # The reason's code ("complementary") in words, as a hidden cell says it.
                shown = hidden_text(v, report.min_group_size)
            shown = shown or labels.format_value(v, label.unit, report.currency)
            lines.append(Text(f"{label.label.capitalize()}: {shown}"))
            continue
        style = "bold" if key == head else ""
        value = tables.cell_value(report, r.name, key, values, unit=label.unit)
        why = (values.get(_HIDDEN) or {}).get(key) if v is None else None
        if why:
            value = f"hidden: {hidden_text(why, report.min_group_size)}"
        words = labels.agree(value, label.label)
        if values.get(key + _REASON):
            words = f"{words} ({values[key + _REASON]})"
        grid.add_row(Text(value, style), Text(words, style))
    return grid, lines, nested


def _mapping_lines(
    report: MetricsReport, metric: str, key: str, value: Mapping[str, Any], indent: int
) -> list[Text]:
    pad = "  " * indent
    label = labels.describe(key, metric).label
    scalars = []
    out: list[Text] = []
    for k, v in value.items():
        if isinstance(v, Mapping):
            out.extend(_mapping_lines(report, metric, k, v, indent + 1))
            continue
        sub = labels.describe(k, metric)
        if key == "coefficients" and isinstance(v, int | float):
            # Weights of a model: signed, so their direction reads at a glance.
            scalars.append(f"{sub.label} {v:+.2f}")
        elif key == "not_available" and isinstance(v, list):
            # A field withheld for want of inputs (named as tables, to ingest).
            scalars.append(f"{sub.label}: needs {', '.join(map(str, v))}")
        else:
            shown = labels.format_value(v, sub.unit, report.currency)
            scalars.append(f"{sub.label} {shown}" if sub.unit != "text" else shown)
    return [Text(f"{pad}{label.capitalize()}: {'; '.join(scalars)}"), *out]


def _unit(r: MetricResult, key: str) -> str:
    """A field's unit; an unlabelled headline takes the unit its spec declares."""
    if key == r.spec.headline and not labels.known(key, r.name):
        return r.spec.unit
    return labels.describe(key, r.name).unit


def _has_base(key: str, r: MetricResult, values: Mapping[str, Any]) -> bool:
    end = labels.interval_of(key, r.name)
    return end is not None and end[0] in values


def _is_rows(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, Mapping) for x in v)


def _row_tables(r: MetricResult) -> dict[str, list[Mapping[str, Any]]]:
    found: dict[str, list[Mapping[str, Any]]] = {
        k: list(v) for k, v in r.values.items() if _is_rows(v)
    }
    if r.segments:
        found["segments"] = list(r.segments)
    if r.weeks:
        found["weeks"] = list(r.weeks)
    return found


def _pivot_fields(report: MetricsReport, r: MetricResult, width: int) -> list[RenderableType]:
    """The whole population's weekly series: one row per field, weeks as columns."""
    rows = list(r.weeks or [])
    weeks = [str(row.get("week")) for row in rows]
    cols = tables.value_columns(r.name, rows, "week", first=(r.spec.headline or "",)) or ["n"]
    series = []
    for c in cols:
        by_week = {
            str(row.get("week")): (
                tables.Hidden(row["suppressed"]) if row.get("suppressed") else row.get(c)
            )
            for row in rows
        }
        d = labels.describe(c, r.name)
        series.append((d.label, d.unit, by_week))
    return tables.pivot(report, "By week", "", series, weeks, width)


def _pivot_segments(
    report: MetricsReport, r: MetricResult, width: int, options: RenderOptions
) -> list[RenderableType]:
    """Segments by week on one field (the headline): one row per segment, weeks as columns."""
    rows = list(r.segments or [])
    key = tables.row_key([{c: v for c, v in row.items() if c != "week"} for row in rows])
    weeks = sorted({str(row.get("week")) for row in rows})
    cols = tables.value_columns(r.name, rows, key)
    others = [c for c in cols if c not in ("week", "n")]
    field = r.spec.headline if r.spec.headline in cols else (others or ["n"])[0]
    grid: dict[str, dict[str, Any]] = {}
    latest: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        name, week = tables.key_text(row.get(key)), str(row.get("week"))
        hidden = row.get("suppressed")
        grid.setdefault(name, {})[week] = tables.Hidden(hidden) if hidden else row.get(field)
        if week == weeks[-1]:
            latest[name] = row
    # Segments in the engine's order of the latest week, then any that left before it; a sort
    # ranks them by the latest week.
    names = list(latest) + [n for n in grid if n not in latest]
    if options.sort is not None:
        ranked = tables.sort_rows(
            [{**latest.get(n, {"suppressed": True}), "_name": n} for n in names], options.sort
        )
        names = [str(row["_name"]) for row in ranked]
    shown = names if options.top is None else names[: options.top]
    d = labels.describe(field, r.name)
    dim = r.by or report.by or "segment"
    series = [(n, d.unit, grid[n]) for n in shown]
    out = tables.pivot(report, f"{d.header} by {dim} and week", dim, series, weeks, width)
    more = []
    if len(shown) < len(names):
        more.append(
            f"{tables.plural(len(names) - len(shown), 'more segment')} with --top {len(names)}"
        )
    if len(cols) > 1:
        more.append("the other fields per week with --json")
    if more:
        out.insert(3, Text("; ".join(more), style="dim"))
    return out
