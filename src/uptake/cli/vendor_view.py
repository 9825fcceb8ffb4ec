"""How a vendor metric reads: the vendor's own numbers, then uptake's beside them.

`vendor_github_copilot` and `vendor_m365_copilot` hold two kinds of numbers that must never
read as one list: what GitHub or Microsoft report (aggregates, as reported, with their scope
and days) and what uptake counts itself (people). Each gets its own block; a hidden number
says why, in the words of `tables.hidden_text`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from uptake.cli.tables import COMPLEMENTARY_TEXT, MARK, cell_value, hidden_text, plural
from uptake.metrics import labels
from uptake.metrics.result import COMPLEMENTARY, MetricsReport

# Whose numbers a vendor metric shows, and the tool uptake counts beside them.
VENDORS = {
    "vendor_github_copilot": ("GitHub", "github-copilot"),
    "vendor_m365_copilot": ("Microsoft", "m365-copilot"),
}
# Vendor fields printed in the grid, in order (people counts not listed follow them).
_VENDOR_GRID = (
    "acceptance_rate", "daily_active_users", "weekly_active_users", "monthly_active_users",
    "mean_daily_active_users", "enabled_users", "active_users", "active_share",
)  # fmt: skip
_COUNTS = ("acceptances", "generations")
_UPTAKE_GRID = ("licensed_people", "active_people", "chat_users", "agent_users", "cli_users")


def vendor_block(report: MetricsReport, metric: str, values: Mapping[str, Any]) -> list[Any]:
    """A vendor metric as two blocks: the vendor's own numbers, then uptake's beside them.

    Args:
        report: the report (k, currency).
        metric: `vendor_github_copilot` or `vendor_m365_copilot`.
        values: the result's values.

    Returns:
        Renderables to print in order.
    """
    who, tool = VENDORS.get(metric, ("The vendor", "the tool"))
    window = values.get("window") or {}
    out: list[Any] = []
    if values.get("days_covered"):
        days = plural(int(values["days_covered"]), "day")
        out.append(
            Text(
                f"{who} reports (vendor aggregate, {values.get('scope')}): {days} in the "
                f"window, {values.get('first_day')} to {values.get('latest_day')}",
                style="bold",
            )
        )
    else:
        per_user = "; from its per-user report" if values.get("acceptance_source") else ""
        out.append(Text(f"{who} reports: no aggregate day in the window{per_user}", style="bold"))
    users = sorted(
        f for f in values if f.endswith("_users") and f not in _VENDOR_GRID and f != "hidden"
    )
    # A field without a value and not hidden has nothing to show (its note says why).
    hidden_here = values.get("hidden") or {}
    fields = [
        f
        for f in (*_VENDOR_GRID, *users)
        if f in values and (values[f] is not None or f in hidden_here)
    ]
    grid = _vendor_grid(report, metric, values, fields)
    if grid.row_count:
        out.append(grid)
    if values.get("acceptance_source"):
        out.append(Text(f"Acceptance rate read from the {values['acceptance_source']}.", "dim"))
    prs = values.get("pull_requests")
    if isinstance(prs, Mapping) and prs:
        counts = {k: v for k, v in prs.items() if not str(k).startswith("median_")}
        medians = {
            str(k).removeprefix("median_minutes_to_merge").removesuffix("_latest_day") or "all": v
            for k, v in prs.items()
            if str(k).startswith("median_minutes_to_merge")
        }
        out.append(Text("Pull requests in the window: " + _pairs(counts, "count")))
        if medians:
            out.append(Text("Median minutes to merge, latest day: " + _pairs(medians, "number")))
    scopes = values.get("by_scope")
    if isinstance(scopes, Mapping):
        for scope, one in scopes.items():
            shown = [f for f in fields if f in one]
            parts = [
                f"{labels.describe(f, metric).header} {_vendor_cell(report, metric, one, f)}"
                for f in shown
            ]
            out.append(Text(f"  {scope} (latest {one.get('latest_day')}): " + "; ".join(parts)))
    apps, period = values.get("apps"), values.get("period")
    if isinstance(apps, Mapping):
        title = f"{who} users per app on {values.get('apps_day')}"
        out += _apps_table(report, metric, apps, title)
    if isinstance(period, Mapping) and isinstance(period.get("apps"), Mapping):
        title = (
            f"{who} users per app over the {period.get('period_days')} days to {period.get('day')}"
        )
        out += _apps_table(report, metric, period["apps"], title)
    side = values.get("uptake")
    if isinstance(side, Mapping):
        out.append(Text())
        out.append(
            Text(
                f"uptake sees (person-level, {tool}, {window.get('start')} to {window.get('end')})",
                style="bold",
            )
        )
        grid = _vendor_grid(report, metric, side, [f for f in _UPTAKE_GRID if f in side])
        if grid.row_count:
            out.append(grid)
    hidden = [
        r
        for m in (values, side or {}, *(v for v in (scopes or {}).values()))
        if isinstance(m, Mapping)
        for r in (m.get("hidden") or {}).values()
    ]
    if COMPLEMENTARY in hidden:
        out.append(Text(f"{MARK} {COMPLEMENTARY_TEXT}", style="dim"))
    return out


def _vendor_cell(report: MetricsReport, metric: str, values: Mapping[str, Any], f: str) -> str:
    why = (values.get("hidden") or {}).get(f)
    if why:
        return hidden_text(why, report.min_group_size, short=True)
    unit = "people" if f.endswith("_users") else labels.describe(f, metric).unit
    return cell_value(report, metric, f, values, unit=unit)


def _vendor_grid(
    report: MetricsReport, metric: str, values: Mapping[str, Any], fields: Sequence[str]
) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column()
    for f in fields:
        words = labels.describe(f, metric).label
        if f == "acceptance_rate" and values.get("generations") is not None:
            acc, gen = (labels.format_value(values.get(c), "count") for c in _COUNTS)
            words = words.removesuffix(")") + f": {acc} of {gen})"
        grid.add_row(_vendor_cell(report, metric, values, f), words)
    return grid


def _pairs(values: Mapping[str, Any], unit: str) -> str:
    return "; ".join(
        f"{labels.humanise(str(k)).strip().removeprefix('total ')} {labels.format_value(v, unit)}"
        for k, v in values.items()
    )


def _apps_table(
    report: MetricsReport, metric: str, apps: Mapping[str, Any], title: str
) -> list[RenderableType]:
    t = Table(box=box.SIMPLE_HEAD, show_edge=False)
    t.add_column("app", no_wrap=True)
    cols = ("enabled_users", "active_users", "active_share")
    for c in cols:
        t.add_column(labels.describe(c, metric).header, justify="right")
    for app, one in apps.items():
        if isinstance(one, Mapping):
            t.add_row(str(app), *[_vendor_cell(report, metric, one, c) for c in cols])
    return [Text(), Text(title, style="bold"), t]
