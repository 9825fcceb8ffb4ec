"""`uptake usecases`: list, validate and import the use-case library; peers' measured use cases."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from uptake.cli.common import (
    AsOfOpt,
    JsonOpt,
    WorkspaceOpt,
    console,
    err_console,
    open_workspace,
    print_json,
)
from uptake.cli.tables import plural
from uptake.errors import InputError, WorkspaceError

usecases_app = typer.Typer(
    help="The use-case library: role-specific ways to use AI, with steps and prompts "
    "(bundled starter library + the workspace's usecases/ folder), and what works for "
    "peers in each role.",
    no_args_is_help=True,
)

RoleOpt = Annotated[
    str | None,
    typer.Option("--role", help="A roster role, as in people.role (e.g. 'financial analyst')."),
]
PathsArg = Annotated[
    list[Path],
    typer.Argument(help="Use-case YAML files or folders of them.", show_default=False),
]


@usecases_app.command("list")
def list_command(
    role: RoleOpt = None,
    workflow: Annotated[
        str | None,
        typer.Option("--workflow", help="A workflow id (e.g. fin.variance_analysis)."),
    ] = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """List the use cases for a role and workflow (without a workspace: the bundled library)."""
    from uptake.coach.library.schema import check_key, check_role

    role = _check(check_role, role, "--role")
    workflow = _check(check_key, workflow, "--workflow")
    doc = _list(role, workflow, workspace)
    if as_json:
        print_json(doc)
        return
    render_list(doc, console)


def _list(role: str | None, workflow: str | None, workspace: Path | None) -> dict[str, Any]:
    from uptake.coach.library import load_library
    from uptake.workspace import find_workspace

    try:
        find_workspace(workspace)
    except WorkspaceError:
        if workspace is not None:
            raise
        # No workspace here: the bundled starter library alone.
        return {**load_library().listing(role, workflow), "folder": None}
    ws = open_workspace(workspace, read_only=True)
    try:
        return ws.usecases(role, workflow)
    finally:
        ws.close()


def render_list(doc: Mapping[str, Any], out: Console) -> None:
    """Print the use cases as a table, then each one's steps and prompt.

    Args:
        doc: `Workspace.usecases`'s document.
        out: where to print.
    """
    folder = doc.get("folder")
    where = f"bundled + {folder}" if folder else "bundled library only (no workspace)"
    out.print(f"{plural(doc['count'], 'use case')} · library: {where}", markup=False)
    asked = doc.get("role")
    known = {str(r).casefold() for r in doc.get("roles") or []}
    if asked and str(asked).casefold() not in known:
        # An unknown role gets the cases for any role, which had looked like its own.
        out.print(f"no use case is written for the role {asked!r}: these are for any role "
                  "(--json lists the roles that have their own)", markup=False)  # fmt: skip
    # One role asked for: its column says nothing; a narrow terminal keeps title and minutes.
    roles = {c["role"] for c in doc["use_cases"]}
    wide = out.width >= 120
    cols = ["id", *(["role"] if len(roles) > 1 else []), "title",
            *(["workflow", "surface"] if wide else []), "min saved"]  # fmt: skip
    t = Table(title=None)
    for c in cols:
        # A workflow's id is kept on one line while the table fits (the other columns wrap
        # first), folded when it cannot, never cut short: other commands take it.
        t.add_column(c, no_wrap=c in ("id", "workflow", "min saved"),
                     justify="right" if c == "min saved" else "left",
                     overflow="fold" if c == "workflow" else "ellipsis")  # fmt: skip
    for c in doc["use_cases"]:
        cells = {"id": c["id"], "role": c["role"], "title": c["title"],
                 "workflow": c.get("workflow") or "any", "surface": c.get("surface") or "any",
                 "min saved": f"{c['minutes_saved']:g}"}  # fmt: skip
        t.add_row(*(cells[x] for x in cols))
    out.print(t)
    if not wide:
        out.print("workflow and surface: wider terminal or --json", style="dim", markup=False)


@usecases_app.command("validate")
def validate_command(paths: PathsArg, as_json: JsonOpt = False) -> None:
    """Check use-case files (no workspace needed): exit 0 if valid, else 2, one line a problem."""
    from uptake.coach.library import validate_paths

    doc = validate_paths(paths)
    if as_json:
        print_json(doc)
        if not doc["valid"]:
            raise typer.Exit(2)
        return
    if not doc["valid"]:
        _problems(doc["problems"])
        raise typer.Exit(2)
    console.print(
        f"valid: {plural(doc['files'], 'file')}, {plural(doc['use_cases'], 'use case')}, "
        f"{plural(doc['roles'], 'role')}",
        markup=False,
    )


@usecases_app.command("import")
def import_command(paths: PathsArg, workspace: WorkspaceOpt = None) -> None:
    """Validate use-case files and copy them into the workspace's library folder (admins)."""
    from uptake.coach.library import LibraryError

    ws = open_workspace(workspace)
    try:
        doc = ws.import_usecases(paths)
    except LibraryError as exc:
        _problems(exc.problems)
        raise typer.Exit(2) from None
    finally:
        ws.close()
    console.print(
        f"imported {plural(len(doc['imported']), 'file')}, {len(doc['unchanged'])} unchanged, into "
        f"{doc['folder']}; {doc['library']} use cases in force",
        markup=False,
    )
    # On stderr, so the one line above stays what a script reads; the exit stays 0: the
    # files are valid and imported, and the data may yet arrive.
    for line in doc.get("warnings") or []:
        err_console.print("warning:", style="yellow", end=" ")
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    for line in doc.get("unchecked") or []:
        err_console.print("note:", style="yellow", end=" ")
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)


@usecases_app.command("peers")
def peers_command(
    role: RoleOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """What works for people in each role: workflows whose AI-assisted runs succeed most."""
    from uptake.coach.library.schema import check_role

    role = _check(check_role, role, "--role")
    day = _day(as_of)
    ws = open_workspace(workspace, read_only=True)
    try:
        doc = ws.peer_usecases(role, day)
    finally:
        ws.close()
    if as_json:
        print_json(doc)
        return
    render_peers(doc, console)


def render_peers(doc: Mapping[str, Any], out: Console) -> None:
    """Print peers' use cases, one table per role.

    Args:
        doc: `Workspace.peer_usecases`'s document.
        out: where to print.
    """
    if doc.get("status") == "not_available":
        out.print(f"peer use cases: {doc['message']}", markup=False)
        return
    out.print(
        f"{doc['start']} to {doc['as_of']} · rows only where at least k = "
        f"{doc['min_group_size']} people ran the workflow with AI",
        markup=False,
    )
    if not doc["roles"]:
        out.print("no workflow reaches k people with AI-assisted runs yet", markup=False)
    for r in doc["roles"]:
        t = Table(title=f"What works for {r['role']}")
        for c in ("#", "workflow", "people", "AI runs", "completion", "min saved", "basis"):
            t.add_column(c)
        for w in r["workflows"]:
            saved = w["minutes_saved"]
            t.add_row(
                str(w["rank"]), str(w["name"]), str(w["people"]), str(w["ai_runs"]),
                f"{100 * w['completion_rate']:.0f} %",
                "not available" if saved is None else f"{saved:g}",
                w["basis"] or "needs workflows.baseline_minutes",
            )  # fmt: skip
        out.print(t)
    out.print(f"  {doc['basis_note']}", markup=False)


def _problems(problems: list[str]) -> None:
    """Each problem on its own line of stderr (one problem: one error line)."""
    if len(problems) == 1:
        err_console.print(f"error: {problems[0]}", markup=False, highlight=False, soft_wrap=True)
        return
    err_console.print(
        f"error: {len(problems)} problems in the use-case files:", markup=False, soft_wrap=True
    )
    for p in problems:
        err_console.print(p, markup=False, highlight=False, soft_wrap=True)


def _check(check: Any, value: str | None, option: str) -> str | None:
    if value is None:
        return None
    try:
        return str(check(value))
    except ValueError as exc:
        raise InputError(f"{option} {value!r}: {exc}") from None


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of {text!r}: expected a date as YYYY-MM-DD") from None
