"""`uptake serve`: the REST API over a workspace, on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from uptake.cli.common import WorkspaceOpt, console
from uptake.errors import InputError
from uptake.workspace import find_workspace


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
        str | None, typer.Option("--host", help="Address to listen on ([serve] host).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="Port to listen on ([serve] port)."),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Serve the API (OpenAPI at /docs) until interrupted; calls need a token."""
    import uvicorn

    from uptake.web import create_app

    app = create_app(find_workspace(workspace))
    settings = app.state.served.settings.serve
    bind_host, bind_port = host or settings.host, port or settings.port
    _check_host(bind_host)
    console.print(
        f"Serving {app.state.served.path} on http://{bind_host}:{bind_port} "
        f"(API docs: http://{bind_host}:{bind_port}/docs) · Ctrl-C stops"
    )
    uvicorn.run(app, host=bind_host, port=bind_port, log_level="warning")
