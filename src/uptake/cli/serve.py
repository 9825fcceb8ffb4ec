"""`uptake serve`: the REST API over a workspace, on uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from uptake.cli.common import WorkspaceOpt, console
from uptake.errors import InputError

# The settings' defaults, named in the help (the settings' models load only when a command
# runs; a test holds these equal to them). Written "[serve] host", Rich took it for markup.
HOST, PORT = "127.0.0.1", 8765


def _check_host(host: str) -> None:
    """Refuse what cannot be an address to listen on, before anything starts."""
    import ipaddress

    if host == "localhost":
        return
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise InputError(f"--host {host!r}: expected an IP address such as 127.0.0.1") from None


def serve_command(
    host: Annotated[
        str | None,
        typer.Option("--host", help=f"Address to listen on (default: serve.host, {HOST})."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=1,
            max=65535,
            help=f"Port to listen on (default: serve.port, {PORT}).",
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Serve the API (OpenAPI at /docs) until interrupted; calls need a token."""
    from uptake.workspace import find_workspace

    run_server(find_workspace(workspace), host, port)


def run_server(folder: Path, host: str | None, port: int | None, token: str | None = None) -> None:
    """Serve a workspace's API until interrupted, saying where (and with which token).

    Args:
        folder: the workspace folder.
        host: address to listen on (None: `[serve] host`).
        port: port (None: `[serve] port`).
        token: a token to print beside the address (the demo's admin token).
    """
    import uvicorn

    from uptake.web import create_app

    app = create_app(folder)
    settings = app.state.served.settings.serve
    bind_host, bind_port = host or settings.host, port or settings.port
    _check_host(bind_host)
    base = f"http://{bind_host}:{bind_port}"
    console.print(f"Serving {app.state.served.path}")
    console.print(f"Dashboard: {base}/ (sign in with a token) · API reference: {base}/docs")
    if token:
        console.print(f"Admin token (shown once): {token}", soft_wrap=True, highlight=False)
        console.print(
            f"  curl -H 'Authorization: Bearer {token}' {base}/v1/metrics", soft_wrap=True
        )
    console.print("Ctrl-C stops the server.")
    _log_to_stderr()
    uvicorn.run(app, host=bind_host, port=bind_port, log_level="warning")


def _log_to_stderr() -> None:
    """Send the server's warnings and errors to stderr, each with its time and source."""
    import logging
    import sys

    # Without a handler Python prints bare messages; a time is what matches a failed reply
    # in a client's record to its line here.
    logger = logging.getLogger("uptake")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
