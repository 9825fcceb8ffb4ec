"""The `uptake` command line: a thin Typer layer over Workspace, one module per command group.

Every command is registered here, explicitly: a command whose module fails to import breaks
the CLI loudly instead of disappearing from it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from uptake import __version__
from uptake.cli import (
    access,
    backup,
    coach,
    demo,
    digest,
    evaluate,
    export,
    ingest,
    metrics,
    proposals,
    readiness,
    report,
    serve,
    shadow,
    signals,
    simulate,
    sprint,
    sync,
    tools,
    usecases,
    wins,
    workspace,
)
from uptake.cli.edge import UptakeGroup

app = typer.Typer(
    name="uptake",
    cls=UptakeGroup,
    help="AI adoption intelligence: value, not logins.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"uptake {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """AI adoption intelligence: value, not logins."""


app.command("init")(workspace.init)
app.command("status")(workspace.status)
app.command("quarantine")(workspace.quarantine)
app.command("doctor")(workspace.doctor)
app.command("refresh")(workspace.refresh)
app.command("ingest")(ingest.ingest)
app.command("simulate")(simulate.simulate_command)
app.command("export")(export.export_command)
app.command("demo")(demo.demo_command)
app.command("metrics")(metrics.metrics_command)
app.command("evaluate")(evaluate.evaluate_command)
app.command("signals")(signals.signals_command)
app.add_typer(access.token_app, name="token")
app.command("audit")(access.audit_command)
app.command("serve")(serve.serve_command)
app.command("backup")(backup.backup_command)
app.command("restore")(backup.restore_command)
app.command("report")(report.report_command)
app.add_typer(sync.sync_app, name="sync")
app.command("tools")(tools.tools_command)
app.command("shadow-ai")(shadow.shadow_command)
app.add_typer(usecases.usecases_app, name="usecases")
coach.coach_app.command("digest")(digest.digest_command)
app.add_typer(coach.coach_app, name="coach")
app.add_typer(proposals.proposals_app, name="proposals")
app.command("wins")(wins.wins_command)
app.add_typer(wins.redesign_app, name="redesign")
app.add_typer(readiness.readiness_app, name="readiness")
app.add_typer(sprint.sprint_app, name="sprint")
app.command("audit-sample")(sprint.audit_sample_command)


def main(argv: list[str] | None = None) -> None:
    """Run the command line and exit with its code; no traceback reaches the user.

    Args:
        argv: arguments without the program name (default: `sys.argv[1:]`).
    """
    app(args=argv, prog_name="uptake")
