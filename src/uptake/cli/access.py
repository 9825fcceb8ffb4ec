"""Access commands: `uptake token create|list|revoke` and `uptake audit`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich import box
from rich.table import Table as RichTable

from uptake.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    err_console,
    open_workspace,
    print_json,
)
from uptake.cli.tables import word_width
from uptake.workspace.access import ROLE_HELP, ROLES
from uptake.workspace.tokens import DEFAULT_EXPIRY

token_app = typer.Typer(
    help="API tokens: create (shown once, stored hashed), list, revoke.",
    no_args_is_help=True,
)
_ROLES_TEXT = "; ".join(f"{r}: {ROLE_HELP[r]}" for r in ROLES)


@token_app.command("create")
def create(
    role: Annotated[str, typer.Option("--role", help=f"One of: {_ROLES_TEXT}.")],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            help="team:NAME (manager: exactly one; coach: one or more) or person:IDENTIFIER "
            "(person: exactly one, e.g. their e-mail). Repeat for several.",
        ),
    ] = None,
    expires: Annotated[
        str,
        typer.Option("--expires", help="A duration (90d, 12h), a date (2027-03-01) or never."),
    ] = DEFAULT_EXPIRY,
    note: Annotated[str | None, typer.Option("--note", help="What the token is for.")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a token. It is shown once: store it now, uptake keeps only its hash."""
    with open_workspace(workspace) as ws:
        got = ws.create_token(role, scope or [], expires=expires, note=note)
    if as_json:
        print_json(got)
        return
    until = got["expires_at"] or "never"
    console.print(
        f"[green]Created[/] {got['role']} token {got['token_id']} "
        f"(scope {got['scope']}, expires {until})"
    )
    # The token alone on stdout's last line, so `| tail -1` captures it in scripts.
    err_console.print("Shown once — uptake stores only its hash:")
    console.print(got["token"], soft_wrap=True, highlight=False)


@token_app.command("list")
def list_tokens(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Every token with its role, scope, expiry and status (never the token itself)."""
    with open_workspace(workspace, read_only=True) as ws:
        rows = ws.tokens()
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No tokens yet: `uptake token create --role ROLE`.")
        return
    t = RichTable(title="Tokens", box=box.SIMPLE_HEAD)
    # Who created each and when: in --json.
    for col in ("id", "role", "status", "expires"):
        t.add_column(col, no_wrap=True)
    # The scope wraps between words, never inside one ("team:ops-wes / t-05"): its column is
    # as wide as its longest word (up to 24 characters, where even a word folds); the note
    # gives way first.
    t.add_column("scope", overflow="fold", min_width=word_width((r["scope"] for r in rows), 12, 24))
    t.add_column("note", overflow="fold", min_width=4)
    for r in rows:
        colour = {"active": "green", "expired": "yellow", "revoked": "red"}[r["status"]]
        t.add_row(
            r["token_id"], r["role"], f"[{colour}]{r['status']}[/]", _day(r["expires_at"]),
            r["scope"], r["note"] or "",
        )  # fmt: skip
    console.print(t)


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "never"


def _day(iso: str | None) -> str:
    # An expiry's day: its time is in --json, and the table needs the width for the note (at
    # 80 columns the note's header had read "no").
    return iso[:10] if iso else "never"


@token_app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (from `token list`).")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Revoke a token at once; it stays listed as revoked."""
    with open_workspace(workspace) as ws:
        changed = ws.revoke_token(token_id)
    console.print(
        f"[green]Revoked[/] token {token_id}"
        if changed
        else f"Token {token_id} was already revoked"
    )


def audit_command(
    since: Annotated[
        str | None, typer.Option("--since", help="Only entries on or after this day (YYYY-MM-DD).")
    ] = None,
    who: Annotated[
        str | None, typer.Option("--actor", help="Only this actor (a user or token:ID).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")] = 50,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Who read individual data (and viewed dashboard pages), what and when, newest first."""
    from uptake.errors import InputError

    day = None
    if since is not None:
        try:
            day = date.fromisoformat(since)
        except ValueError:
            raise InputError(f"--since {since!r}: expected a date as YYYY-MM-DD") from None
    with open_workspace(workspace, read_only=True) as ws:
        rows = ws.audit(since=day, who=who, limit=limit)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("The audit log is empty: no individual reads and no page views yet.")
        return
    t = RichTable(title="Audit log: individual reads and page views", box=box.SIMPLE_HEAD)
    for col in ("when (UTC)", "who", "role", "as of"):
        t.add_column(col, no_wrap=True)
    for col, key in (("what", "action"), ("detail", "detail")):
        t.add_column(col, overflow="fold", min_width=word_width((r.get(key) for r in rows), 6, 24))
    for r in rows:
        t.add_row(_when(r["ts"]), r["actor"], r["role"] or "", r["subject"] or "", r["action"],
                  r["detail"] or "")  # fmt: skip
    console.print(t)
