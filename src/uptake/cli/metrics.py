"""The `uptake metrics` command: every metric as rich tables or JSON, via Workspace."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from uptake.cli.common import JsonOpt, WorkspaceOpt, open_workspace, print_json
from uptake.errors import InputError

SEGMENT_CHOICES = ("role", "function", "team", "manager", "level", "location", "cohort", "tenure")
# Bookkeeping fields never shown as headline values.
_SKIP = {
    "n",
    "suppressed",
    "status",
    "needs",
    "by",
    "segments",
    "weeks",
    "rows",
    "curve",
    "window",
    "definition",
    "rules",
    "method",
    "basis",
    "unit",
    "reclaim_rule",
    "by_role",
    "by_cohort",
    "by_tool",
    "workflows",
    "not_available",
}


def metrics_command(
    workspace: WorkspaceOpt = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Last day included, YYYY-MM-DD (default: last active day)."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help=f"Segment by one of: {', '.join(SEGMENT_CHOICES)}."),
    ] = None,
    engine: Annotated[
        str | None, typer.Option("--engine", help="Compute engine: duckdb or spark.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Every adoption metric; groups below the minimum size are shown as "< k"."""
    day = _parse_day(as_of)
    if by is not None and by not in SEGMENT_CHOICES:
        raise InputError(f"--by {by!r}: expected one of {', '.join(SEGMENT_CHOICES)}")
    ws = open_workspace(workspace)
    try:
        doc = ws.metrics(as_of=day, by=by, engine=engine)
    finally:
        ws.close()
    if as_json:
        print_json(doc)
        return
    render(doc, Console())


def _parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of {text!r}: expected a date as YYYY-MM-DD") from None


def render(doc: dict[str, Any], console: Console) -> None:
    """Print a metrics document as rich tables.

    Args:
        doc: the `compute_all` document.
        console: where to print.
    """
    k = doc["min_group_size"]
    console.print(
        f"Metrics as of [bold]{doc['as_of']}[/] · window {doc['window_days']} days · "
        f"groups below {k} people are shown as [dim]< {k}[/]"
    )
    summary = Table(title="Metrics")
    summary.add_column("metric", no_wrap=True)
    summary.add_column("n", justify="right")
    summary.add_column("values", overflow="fold")
    for name, entry in doc["metrics"].items():
        if entry.get("status") == "not_available":
            summary.add_row(
                name, "", f"[yellow]not available[/] — needs {', '.join(entry['needs'])}"
            )
        elif entry.get("suppressed"):
            summary.add_row(name, f"[dim]< {k}[/]", "[dim]suppressed[/]")
        else:
            summary.add_row(name, _fmt(entry.get("n")), _headline(entry))
    console.print(summary)
    for name, entry in doc["metrics"].items():
        rows = entry.get("segments")
        if rows:
            console.print(f"\n[bold]{name}[/] by {entry.get('by')}")
            console.print(_segment_table(rows, k))


def _headline(entry: dict[str, Any]) -> str:
    parts = []
    for key, value in entry.items():
        if key in _SKIP or isinstance(value, (dict, list)) or value is None:
            continue
        parts.append(f"{key} {_fmt(value)}")
        if len(parts) == 8:
            break
    return " · ".join(parts)


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.3f}".rstrip("0").rstrip(".") if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _segment_table(rows: list[dict[str, Any]], k: int) -> Table:
    key = next(c for c in ("segment", "group") if c in rows[0])
    cols: list[str] = []
    for r in rows:
        for c, v in r.items():
            if (
                c not in (key, "suppressed", "week")
                and c not in cols
                and not isinstance(v, (dict, list))
            ):
                cols.append(c)
    # A readable table: the count and the first few values (--json has them all).
    cols = ["n", *[c for c in cols if c != "n"][:6]]
    has_week = any("week" in r for r in rows)
    t = Table()
    t.add_column(key)
    if has_week:
        t.add_column("week")
    for c in cols:
        t.add_column(c, justify="right")
    for r in rows:
        lead = [str(r[key])] + ([str(r.get("week", ""))] if has_week else [])
        if r.get("suppressed"):
            t.add_row(*lead, *[f"[dim]< {k}[/]"] * len(cols))
        else:
            t.add_row(*lead, *[_fmt(r.get(c)) for c in cols])
    return t
