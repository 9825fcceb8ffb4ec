"""The `uptake shadow-ai` command: AI tools used outside what the company provides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from uptake.cli.common import (
    AsOfOpt,
    JsonOpt,
    WorkspaceOpt,
    parse_day,
    parse_segment,
    print_document,
    read_document,
)
from uptake.metrics.dimensions import SEGMENTS

HIDDEN = {"small": "hidden (< k)", "complementary": "hidden (complementary)"}


def shadow_command(
    workspace: WorkspaceOpt = None,
    as_of: AsOfOpt = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help=f"Split by one of: {', '.join(SEGMENTS)}."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Shadow AI: unsanctioned AI tools from proxy logs and the pulse survey (groups ≥ k only)."""
    day = parse_day(as_of)
    by = parse_segment(by)
    doc = read_document(workspace, lambda ws: ws.shadow_ai(as_of=day, by=by))
    print_document(doc, as_json, render)


def _n(v: Any) -> str:
    return "—" if v is None else f"{int(v):,}"


def _pct(v: Any) -> str:
    return "—" if v is None else f"{100 * float(v):.1f} %"


def _why(text: Any) -> str:
    return "hidden (< k)" if "fewer than k" in str(text) else "hidden (complementary)"


def _tools(items: list[Mapping[str, Any]]) -> str:
    return (
        ", ".join(
            f"{t['tool']}{' [sanctioned]' if t.get('sanctioned') else ''} ({_n(t['people'])})"
            for t in items
        )
        or "—"
    )


def render(doc: Mapping[str, Any], console: Console) -> None:
    """Print the shadow-AI document: one table per source, hidden cells saying why.

    Args:
        doc: `Workspace.shadow_ai`'s document.
        console: where to print.
    """
    privacy = doc.get("privacy") or {}
    noise = (
        f"counts ±{privacy.get('error_bar')} (noise, ε = {privacy.get('epsilon')})"
        if privacy.get("noise")
        else "exact counts"
    )
    console.print(
        f"as of {doc.get('as_of')} ({doc.get('as_of_rule')}) · groups below k = "
        f"{doc.get('min_group_size')} hidden · {noise}"
    )
    console.print(
        "hidden (< k): fewer than k people, or fewer than k without · hidden (complementary): "
        "would reveal a smaller group by subtraction"
    )
    cat = doc.get("catalogue") or {}
    console.print(
        f"catalogue: {cat.get('source')} ({cat.get('domains')} domains) · sanctioned: "
        f"{', '.join(cat.get('sanctioned') or []) or 'none'}"
    )
    if doc.get("status") != "ok":
        console.print(f"[yellow]not available: needs {', '.join(doc.get('needs') or [])}[/]")
        return
    _proxy(doc["proxy"], doc.get("by"), console)
    _survey(doc["survey"], doc.get("by"), console)


def _rows(block: Mapping[str, Any], by: Any) -> list[Mapping[str, Any]]:
    return (
        [block["organisation"], *(block.get("segments") or [])] if by else [block["organisation"]]
    )


def _proxy(block: Mapping[str, Any], by: Any, console: Console) -> None:
    if block.get("status") != "ok":
        console.print(f"proxy logs: not available: needs {', '.join(block.get('needs') or [])}")
        return
    t = Table(
        title=f"Proxy logs: people on unsanctioned AI tools, {block['start']} to {block['end']}"
    )
    for c in (by or "group", "roster", "people", "share", "days with a visit", "top tools"):
        # The group's name stays whole ("(organisati…" had been cut); numbers and tools wrap.
        t.add_column(c, no_wrap=c == (by or "group"), overflow="fold")
    for r in _rows(block, by):
        if r.get("suppressed"):
            t.add_row(str(r["segment"]), HIDDEN.get(str(r["suppressed"]), "hidden"))
            continue
        people = r.get("people")
        t.add_row(
            str(r["segment"]),
            _n(r.get("roster")),
            _n(people) if people is not None else _why(r.get("people_hidden")),
            _pct(r.get("share")),
            _n(r.get("visit_days")),
            _tools(r.get("tools") or []),
        )
    console.print(t)
    if block.get("note"):
        console.print(f"note: {block['note']}")


def _survey(block: Mapping[str, Any], by: Any, console: Console) -> None:
    if block.get("status") != "ok":
        console.print(f"pulse survey: not available: needs {', '.join(block.get('needs') or [])}")
        return
    t = Table(
        title=f"Pulse survey: used an AI tool the company does not provide, {block['start']} "
        f"to {block['end']}"
    )
    for c in (by or "group", "respondents", "yes", "share", "tools named (people)"):
        t.add_column(c, no_wrap=c == (by or "group"), overflow="fold")
    for r in _rows(block, by):
        if r.get("suppressed"):
            t.add_row(str(r["segment"]), HIDDEN.get(str(r["suppressed"]), "hidden"))
            continue
        yes = r.get("yes")
        t.add_row(
            str(r["segment"]),
            _n(r.get("respondents")),
            _n(yes) if yes is not None else _why(r.get("yes_hidden")),
            _pct(r.get("share")),
            _tools(r.get("tools_named") or []),
        )
    console.print(t)
