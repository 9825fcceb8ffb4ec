"""`uptake proposals`: the use-case backlog — list it, add a proposal, link one to a workflow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from uptake.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, parse_day, print_json

proposals_app = typer.Typer(
    help="Use-case proposals: teams propose workflows for AI with a priority, people vote; "
    "once a proposal is a catalogued workflow its measured outcome is shown.",
    no_args_is_help=True,
)


@proposals_app.command("list")
def list_command(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Last day of the outcome window, YYYY-MM-DD."),
    ] = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """The backlog: open proposals by votes and priority, then catalogued ones with outcomes."""
    day = parse_day(as_of)
    ws = open_workspace(workspace, read_only=True, as_of=day)
    try:
        doc = ws.proposals(day)
    finally:
        ws.close()
    if as_json:
        print_json(doc)
        return
    render(doc, console)


@proposals_app.command("add")
def add_command(
    title: Annotated[str, typer.Argument(help="Which work AI should help with, in a few words.")],
    description: Annotated[
        str | None, typer.Option("--description", help="What happens today and what AI would do.")
    ] = None,
    team: Annotated[
        str | None, typer.Option("--team", help="The proposing team (default: the proposer's).")
    ] = None,
    workflow: Annotated[
        str | None, typer.Option("--workflow", help="The workflow it is about (words or an id).")
    ] = None,
    priority: Annotated[
        int | None,
        typer.Option("--priority", min=1, max=9, help="The team's priority, 1 = first choice."),
    ] = None,
    proposer: Annotated[
        str | None,
        typer.Option("--proposer", help="The proposer's roster identifier (stored as a key)."),
    ] = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Add a proposal to the backlog (as the local admin, optionally naming the proposer)."""
    data = {"title": title, "description": description, "team": team, "workflow": workflow,
            "priority": priority}  # fmt: skip
    ws = open_workspace(workspace)
    try:
        got = ws.propose(data, proposer=proposer)
    finally:
        ws.close()
    if as_json:
        print_json(got)
        return
    team = f"team {got['team']}" if got["team"] else "no team"
    console.print(f"proposed {got['proposal_id']}: {got['title']} ({team})")


@proposals_app.command("link")
def link_command(
    proposal_id: Annotated[str, typer.Argument(help="The proposal (from `proposals list`).")],
    workflow: Annotated[str, typer.Argument(help="The catalogued workflow id it became.")],
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Mark a proposal as a catalogued workflow: the backlog then shows its measured outcome."""
    ws = open_workspace(workspace)
    try:
        got = ws.link_proposal(proposal_id, workflow)
    finally:
        ws.close()
    if as_json:
        print_json(got)
        return
    console.print(
        f"{got['proposal_id']} is now the catalogued workflow {got['catalogued_workflow']}"
    )


def _arm(v: Mapping[str, Any] | None) -> str:
    if not v:
        return "-"
    if "hidden" in v:
        return str(v["hidden"])
    rate = v.get("completion_rate")
    minutes = v.get("median_minutes")
    done = "no finished runs" if rate is None else f"{100 * rate:.0f} % completed"
    mins = "no minutes" if minutes is None else f"median {minutes:.0f} min"
    return f"{done}, {mins} ({v['people']} people)"


def render(doc: Mapping[str, Any], out: Console) -> None:
    """Print the backlog as a table (votes are counts, never who).

    Args:
        doc: `Workspace.proposals`'s document.
        out: where to print.
    """
    out.print(
        f"outcomes over the {doc['window_days']} days to {doc['as_of']} · groups below "
        f"k = {doc['min_group_size']} hidden · votes are counts, never who"
    )
    if not doc["proposals"]:
        out.print("no proposals yet: `uptake proposals add TITLE` or the form /forms/proposal")
        return
    t = Table(title="Use-case backlog")
    t.add_column("rank")
    t.add_column("id", no_wrap=True)  # what `vote` and `link` need, whole
    for c in ("title", "workflow", "team", "priority", "votes", "status"):
        t.add_column(c, overflow="fold")
    outcomes = []
    for p in doc["proposals"]:
        # The catalogued id once linked, else the proposer's words (it had been shown only in
        # the outcome lines below, for linked proposals alone).
        workflow = p.get("catalogued_workflow") or p.get("workflow") or ""
        t.add_row(str(p["rank"] or ""), p["proposal_id"], p["title"], workflow, p["team"] or "",
                  str(p["priority"] or ""), str(p["votes"]), p["status"])  # fmt: skip
        o = p.get("outcome")
        if o is None:
            continue
        if o.get("status") != "ok":
            said = str(o.get("reason") or "not available: needs " + ", ".join(o["needs"]))
        else:
            arms = o["arms"]
            said = (f"with AI {_arm(arms.get('ai_assisted'))}; "
                    f"without AI {_arm(arms.get('without_ai'))}")  # fmt: skip
        outcomes.append(f"{p['proposal_id']} ({p['catalogued_workflow']}): {said}")
    out.print(t)
    if outcomes:
        out.print("Measured outcomes of catalogued proposals:")
        for line in outcomes:
            out.print(f"  {line}", markup=False)
