"""Who is asking: the bearer token of a request, resolved to an actor by the workspace."""

from __future__ import annotations

from fastapi import Request

from uptake.errors import AuthenticationError
from uptake.web.state import Served
from uptake.workspace import Actor


def served_of(request: Request) -> Served:
    """The served workspace of the app handling the request."""
    served: Served = request.app.state.served
    return served


def actor_of(request: Request) -> Actor:
    """The actor of a request's `Authorization: Bearer <token>` header.

    Args:
        request: the incoming request.

    Returns:
        The token's actor.

    Raises:
        AuthenticationError: no token, or one the workspace does not accept.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError(
            "this needs a token: send 'Authorization: Bearer <token>'",
            hint="an admin creates one with `uptake token create --role ROLE`",
        )
    return served_of(request).authenticate(token.strip())
