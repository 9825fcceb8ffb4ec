"""`uptake coach digest`: each manager's weekly digest, as JSON and as an HTML e-mail body.

Sending is the host's job: this writes one `<team>.html` and `<team>.json` per team into a
folder (the file sink), or prints the JSON document (the stdout sink).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from uptake.cli.common import AsOfOpt, JsonOpt, WorkspaceOpt, open_workspace, parse_day, print_json
from uptake.cli.tables import plural
from uptake.errors import InputError

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def digest_command(
    workspace: WorkspaceOpt = None,
    team: Annotated[
        str | None, typer.Option("--team", help="One team (default: every team that reaches k).")
    ] = None,
    as_of: AsOfOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write <team>.html and <team>.json into."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Weekly manager digests: team aggregates at or above k and the one action to take."""
    day = parse_day(as_of)
    if team is not None and not team.strip():
        raise InputError("--team: give a team name as on the roster")
    if out is not None and out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: not a folder")
    ws = open_workspace(workspace, read_only=True, as_of=day)
    try:
        docs = [ws.coach_digest(team, day)] if team is not None else ws.coach_digests(day)
    finally:
        ws.close()
    if not docs and (out is not None or not as_json):
        typer.echo("No teams yet: digests need a roster with teams (`uptake ingest people`).")
        return
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        written = 0
        for d in docs:
            if "skipped" in d:
                continue
            name = _SAFE.sub("_", str(d["team"])) or "team"
            (out / f"{name}.html").write_text(d["html"], encoding="utf-8")
            body = {k: v for k, v in d.items() if k != "html"}
            (out / f"{name}.json").write_text(json.dumps(body, indent=2), encoding="utf-8")
            written += 1
        skipped = len(docs) - written
        typer.echo(f"{plural(written, 'digest')} written to {out}" + (
                   f"; {plural(skipped, 'team')} skipped "
                   "(under the minimum group size with or without their manager)"
                   if skipped else ""))  # fmt: skip
        return
    if as_json:
        print_json(docs if team is None else docs[0])
        return
    for line in summary_lines(docs):
        typer.echo(line)


def summary_lines(docs: list[dict[str, Any]]) -> list[str]:
    """The digests in the terminal: each team's one action, then the skipped teams by reason.

    The as-of day is said once when every digest shares it; the skipped teams, eight lines of
    the same reason among the actions on the demo, are one line per reason.

    Args:
        docs: `Workspace.coach_digests`' documents (or one team's).

    Returns:
        The lines to print.
    """
    made = [d for d in docs if "skipped" not in d]
    days = {str(d.get("as_of")) for d in made}
    one_day = len(days) == 1 and len(made) > 1
    out = [f"as of {days.pop()}: {plural(len(made), 'digest')}"] if one_day else []
    for d in made:
        day = "" if one_day else f" (as of {d['as_of']})"
        out.append(f"{d['team']}{day}: {d['action']['text']}")
    by_reason: dict[str, list[str]] = {}
    for d in docs:
        if "skipped" in d:
            by_reason.setdefault(str(d["skipped"]), []).append(str(d["team"]))
    for reason, teams in by_reason.items():
        if len(teams) == 1:
            out.append(f"{teams[0]}: skipped — {reason}")
        else:
            # The reason speaks of one team ("this team is shown only when …").
            said = reason.replace("this team", "a team", 1)
            out.append(f"skipped {plural(len(teams), 'team')}: {', '.join(teams)} — {said}")
    return out
