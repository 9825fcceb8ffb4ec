"""The `uptake` command line: a thin Typer layer over Workspace, one module per command group."""

from __future__ import annotations

import sys

import typer

from uptake.cli import demo, export, ingest, metrics, simulate, workspace
from uptake.cli.common import err_console
from uptake.errors import UptakeError

app = typer.Typer(
    name="uptake",
    help="AI adoption intelligence: value, not logins.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

app.command("init")(workspace.init)
app.command("status")(workspace.status)
app.command("quarantine")(workspace.quarantine)
app.command("doctor")(workspace.doctor)
app.command("ingest")(ingest.ingest)
app.command("simulate")(simulate.simulate_command)
app.command("export")(export.export_command)
app.command("demo")(demo.demo_command)
app.command("metrics")(metrics.metrics_command)


def main() -> None:
    """Entry point: run the app, translating uptake errors into a red message and exit code."""
    try:
        app(standalone_mode=False)
    except UptakeError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}")
        if exc.hint:
            err_console.print(f"[yellow]hint:[/] {exc.hint}")
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("[red]aborted[/]")
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in standalone_mode=False
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
