"""The coach widget: `/coach.js` for host web apps, a demo host page, and CORS for the coach API.

A host app on another origin includes `/coach.js` and calls `/v1/coach/*` from its users'
browsers with a bearer token. Browsers allow that only if the server answers the preflight
for that origin: origins are listed in `coach.origins`, the requesting origin is echoed back
exactly (never `*`), and no cookie is ever honoured cross-origin (the widget sends none).
Every other path keeps the app's own headers and gets no CORS header at all.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HERE = Path(__file__).parent
SCRIPT = HERE / "static" / "coach.js"
PREFIX = "/v1/coach/"
ALLOW_METHODS = "GET, POST"
ALLOW_HEADERS = "authorization, content-type"
MAX_AGE = "600"
# Hosts pick up a new widget within minutes; the ETag makes a revalidation cheap.
SCRIPT_CACHE = "public, max-age=300"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
router = APIRouter(include_in_schema=False)


@router.get("/coach.js")
def coach_script() -> FileResponse:
    """The widget script (a host page includes it; it may be cached for a few minutes)."""
    return FileResponse(
        SCRIPT,
        media_type="text/javascript; charset=utf-8",
        headers={
            "cache-control": SCRIPT_CACHE,
            # A host page with cross-origin isolation may still load it.
            "cross-origin-resource-policy": "cross-origin",
        },
    )


@router.get("/demo/host", response_class=HTMLResponse)
def demo_host() -> HTMLResponse:
    """A pretend business app embedding the widget; the token comes from the URL fragment."""
    return HTMLResponse(_env.get_template("demo_host.html").render())


class CoachCORS:
    """CORS for `/v1/coach/*` only: the origins of `coach.origins`, echoed back exactly.

    Pure ASGI (no buffering of bodies). The origin list is read from the served workspace's
    settings on each request, so it is whatever the server was started with.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = origin in _origins(scope)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await _preflight(origin, allowed, headers)(scope, receive, send)
            return
        if not allowed:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["access-control-allow-origin"] = origin
                out.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _origins(scope: Scope) -> list[str]:
    """The configured host origins (none when the app serves no workspace)."""
    app = scope.get("app")
    served = getattr(getattr(app, "state", None), "served", None)
    if served is None:
        return []
    origins: list[str] = served.settings.coach.origins
    return origins


def _preflight(origin: str, allowed: bool, headers: Headers) -> Response:
    """The answer to a browser's preflight: allowed for listed origins, GET/POST only."""
    method = headers.get("access-control-request-method", "").upper()
    asked = {
        h.strip().lower()
        for h in headers.get("access-control-request-headers", "").split(",")
        if h.strip()
    }
    if not allowed:
        message = f"origin {origin} may not call the coach API: add it to coach.origins"
    elif method not in ("GET", "POST"):
        message = f"method {method or '(none)'} is not allowed: GET or POST"
    elif not asked <= {"authorization", "content-type"}:
        message = "only the authorization and content-type headers are allowed"
    else:
        return Response(
            status_code=204,
            headers={
                "access-control-allow-origin": origin,
                "access-control-allow-methods": ALLOW_METHODS,
                "access-control-allow-headers": ALLOW_HEADERS,
                "access-control-max-age": MAX_AGE,
                "vary": "Origin",
            },
        )
    return JSONResponse({"error": "CORSError", "message": message}, status_code=403)


def install(app: FastAPI) -> None:
    """Serve the widget and the demo host page, and answer CORS for the coach API.

    Args:
        app: the uptake application (`create_app`), before it starts serving.
    """
    app.include_router(router)
    app.add_middleware(CoachCORS)
