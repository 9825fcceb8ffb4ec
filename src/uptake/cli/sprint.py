"""`uptake sprint` (the 90-day plan, ticks by hand) and `uptake audit-sample` (who to interview)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from uptake.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    open_workspace,
    parse_day,
    print_document,
    print_json,
    read_document,
)
from uptake.cli.edge import UptakeGroup
from uptake.errors import InputError

sprint_app = typer.Typer(
    cls=UptakeGroup,
    help="The 90-day adoption sprint: foundation, shadow mode and trust building, production "
    "activation; milestones ticked from the data or by hand.",
    invoke_without_command=True,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    add_completion=False,
)
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="The day statuses are judged on, YYYY-MM-DD "
                 "(default: last active day)."),
]  # fmt: skip
SampleAsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="The day whose ladder levels the sample spreads across, "
                 "YYYY-MM-DD (default: last active day)."),
]  # fmt: skip
MilestoneArg = Annotated[
    str, typer.Argument(help="A milestone id, as `uptake sprint` lists them (e.g. sponsor_goals).")
]
STATUS_STYLE = {"done": "green", "overdue": "red", "due": "yellow", "upcoming": "dim"}


@sprint_app.callback()
def sprint_command(
    ctx: typer.Context,
    workspace: WorkspaceOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The sprint's plan by phase: each milestone's due date, status and evidence."""
    if ctx.invoked_subcommand is not None:
        return
    day = parse_day(as_of)
    doc = read_document(workspace, lambda ws: ws.sprint(as_of=day))
    print_document(doc, as_json, render)


@sprint_app.command("tick")
def tick_command(
    milestone: MilestoneArg,
    on: Annotated[
        str | None,
        typer.Option("--on", help="The day it was done, YYYY-MM-DD (default: today)."),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="What was done (kept with the tick).")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Tick a milestone by hand: who (you), when, and a note."""
    day = _day(on)
    ws = open_workspace(workspace)
    try:
        got = ws.sprint_tick(milestone, done_on=day, note=note)
    finally:
        ws.close()
    if as_json:
        print_json(got)
        return
    Console().print(f"ticked {got['milestone']}: done on {got['done_on']} by {got['who']}")


@sprint_app.command("untick")
def untick_command(
    milestone: MilestoneArg, workspace: WorkspaceOpt = None, as_json: JsonOpt = False
) -> None:
    """Remove a milestone's tick by hand (evidence from the data still counts)."""
    ws = open_workspace(workspace)
    try:
        got = ws.sprint_untick(milestone)
    finally:
        ws.close()
    if as_json:
        print_json(got)
        return
    Console().print(f"unticked {got['milestone']} (was done on {got['done_on']} by {got['who']})")


def audit_sample_command(
    size: Annotated[
        int | None,
        typer.Option("--size", help="How many people (default: programme.sample_size, 10)."),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="The draw's seed: the same seed gives the same people.")
    ] = 0,
    as_of: SampleAsOfOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """People to invite to the week 1–2 audit interview, with its questions (admin only).

    Across functions, levels and the ladder; the list names people, so the read is audited.
    """
    day = parse_day(as_of)
    if size is not None and not 1 <= size <= 200:
        raise InputError(f"--size {size}: expected 1 to 200 people")
    if seed < 0:
        raise InputError(f"--seed {seed}: expected a whole number ≥ 0")
    ws = open_workspace(workspace)
    try:
        doc = ws.audit_sample(size=size, seed=seed, as_of=day)
    finally:
        ws.close()
    if as_json:
        print_json(doc)
        return
    render_sample(doc, Console())


def _day(text: str | None) -> Any:
    try:
        return parse_day(text)
    except InputError:
        raise InputError(f"--on {text!r}: expected a date as YYYY-MM-DD") from None


def render(doc: Mapping[str, Any], console: Console) -> None:
    """Print the sprint as one table per phase.

    Args:
        doc: `Workspace.sprint`'s document.
        console: where to print.
    """
    if doc.get("status") != "ok":
        console.print(f"as of {doc.get('as_of')}: {doc.get('reason')}")
        return
    c = doc["counts"]
    console.print(
        f"as of {doc['as_of']} ({doc.get('as_of_rule')}) · {doc['day_text']} "
        f"({doc['phase']}) · start {doc['start']} ({doc['start_rule']}) · "
        f"{c['done']} done, {c['overdue']} overdue, {c['due']} due within a week, "
        f"{c['upcoming']} upcoming · tick by hand: {doc['tick']}"
    )
    for p in doc["phases"]:
        t = Table(title=f"{p['title']}: days {p['first_day']}–{p['last_day']} "
                        f"({p['start']} to {p['end']})", title_justify="left")  # fmt: skip
        # A milestone's id is what `sprint tick` takes: its own column, never split
        # ("first_win_documente|d"); what it is and the evidence share the column beside it.
        t.add_column("milestone", no_wrap=True)
        for col in ("due", "status", "what, and the evidence"):
            t.add_column(col, overflow="fold")
        for m in p["milestones"]:
            status = m["status"]
            shown = f"done ({m['how']}) {m['done_on']}" if status == "done" else status
            evidence = m["evidence"] or ""
            # An input the evidence already names is not said twice ("not available: needs
            # decisions (the decision log …) · needs decisions; a tick by hand: …").
            needs = [n for n in m["needs"] or [] if n not in evidence]
            if needs and status != "done":
                evidence += " · needs " + "; ".join(needs)
            t.add_row(
                m["id"],
                m["due"],
                f"[{STATUS_STYLE[status]}]{shown}[/]",
                f"[bold]{escape(m['title'])}[/bold]\n{escape(evidence)}",
            )
        console.print(t)


def render_sample(doc: Mapping[str, Any], console: Console) -> None:
    """Print the people to invite, how the sample covers the strata, and the interview form.

    Args:
        doc: `Workspace.audit_sample`'s document.
        console: where to print.
    """
    cov = doc["coverage"]
    console.print(
        f"audit sample as of {doc['as_of']} · seed {doc['seed']} · {len(doc['people'])} of "
        f"{doc['population']:,} people · {cov['strata_covered']} of {cov['strata']} strata"
    )
    for d in doc["dimensions"]:
        if d["status"] == "ok":
            got, total = cov["values"].get(d["name"], [0, 0])
            console.print(f"  {d['name']}: {got} of {total} values ({d['basis']})")
        else:
            console.print(f"  {d['name']}: not available: needs {', '.join(d['needs'])}")
    t = Table(title="People to invite (individual data: keep this list to yourself)",
              title_justify="left")  # fmt: skip
    for col in ("person", "function", "seniority", "ladder"):
        # Whom to write to stays whole (it had been cut: "gabriel.hansen@meridian-group.exam…");
        # the other columns wrap.
        t.add_column(col, no_wrap=col == "person", overflow="fold")
    for p in doc["people"]:
        t.add_row(
            p["person"] or p["person_key"],
            *[str(p[d]) if p[d] is not None else "—" for d in ("function", "seniority", "ladder")],
        )
    console.print(t)
    for note in doc["notes"]:
        console.print(f"  note: {note}")
    console.print("\nWeek 1–2 interview (the same questions as the hosted form /forms/audit):")
    for i, q in enumerate(doc["questions"], start=1):
        scale = " (0–10)" if q["kind"] == "score" else ""
        console.print(f"  {i}. {q['text']}{scale}")
        if q.get("help"):
            console.print(f"     [dim]{q['help']}[/dim]")
