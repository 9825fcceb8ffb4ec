"""The web application: the API, health checks, security headers and JSON errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from uptake import __version__
from uptake.errors import UptakeError
from uptake.web import api, coach, docs, forms, pages, widget
from uptake.web.live import LiveWorker
from uptake.web.recent import RecentPages
from uptake.web.state import Served
from uptake.web.warm import Warmer

log = logging.getLogger("uptake.web")
SECURITY_HEADERS = {
    # Pages load nothing from elsewhere and run no inline script. plotly.js writes its styles
    # into the page: inline styles are allowed, inline scripts never.
    "content-security-policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every response that does not set them itself.

    A plain ASGI middleware: it touches only the response's start message, so a request
    costs no extra task or body copy (the coach's latency budget is a few milliseconds).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in SECURITY_HEADERS.items():
                    # setdefault: a static asset's own cache-control (it may be cached) is kept.
                    headers.setdefault(k, v)
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(workspace: Path | str, *, max_body_mb: float | None = None) -> FastAPI:
    """The uptake web application over one workspace.

    Args:
        workspace: the workspace folder (opened on the first request, closed at shutdown).
        max_body_mb: request body limit (default: the workspace's `[serve] max_body_mb`).

    Returns:
        The FastAPI application (serve it with uvicorn; test it with TestClient).
    """
    served = Served(Path(workspace))
    if max_body_mb is not None:
        served.max_body_bytes = int(max_body_mb * 1_000_000)

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        warmer = None
        if served.settings.serve.warm:
            warmer = Warmer(served, served.settings.serve.warm_quiet_s)
            app_.state.warmer = warmer
            warmer.start()
        worker = None
        if served.settings.signals.live:
            worker = LiveWorker(served, served.settings.serve.live_delay_s)
            app_.state.live = worker
            worker.start()
        yield
        if worker is not None:
            app_.state.live = None
            worker.stop()
        if warmer is not None:
            app_.state.warmer = None
            warmer.stop()
        recent.stop()
        served.close()

    app = FastAPI(
        title="uptake",
        version=__version__,
        description="AI adoption intelligence: value, not logins. Every call but the health "
        "checks needs `Authorization: Bearer <token>` (`uptake token create`).",
        lifespan=lifespan,
        # FastAPI's interactive pages load their scripts from a CDN: /docs is ours instead.
        docs_url=None,
        redoc_url=None,
    )
    app.state.served = served
    # Dashboard pages shown from their recent copy while the server is busy.
    recent = RecentPages(served, served.settings.serve.page_lag_s)
    app.state.recent = recent
    # The live-path worker, while the server runs (None: posted batches update inline).
    app.state.live = None
    # The pages' warmer, while the server runs with `[serve] warm` (see `uptake.web.warm`).
    app.state.warmer = None
    app.include_router(coach.router)
    # Before the API's `POST /v1/{table}` intake, which would otherwise take /v1/proposals.
    app.include_router(forms.api)
    app.include_router(forms.router)
    app.include_router(api.router)
    app.include_router(pages.router)
    widget.install(app)

    @app.get("/healthz", summary="The process is up", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="The workspace is open and its facts are current", tags=["health"])
    def readyz() -> Response:
        doc = served.run(lambda ws: ws.readiness())
        # Informational: a server still warming answers, its first visitors may just wait.
        warmer = app.state.warmer
        doc.update(warmer.state() if warmer is not None else {"warm_up": "off"})
        return JSONResponse(doc, status_code=200 if doc["ready"] else 503)

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def reference() -> str:
        return docs.render(app.openapi())

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(UptakeError)
    async def uptake_error(request: Request, exc: UptakeError) -> JSONResponse:
        if exc.http_status >= 500:
            # The server's fault, not the caller's (a commit that failed or came too late, a
            # broken workspace): whoever runs it must be able to find it in the log.
            log.error("%s %s: %s: %s", request.method, request.url.path,
                      type(exc).__name__, exc.message)  # fmt: skip
        return JSONResponse(exc.to_dict(), status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        if pages.wants_page(request):
            # A dashboard address with a bad parameter gets a page saying which, not JSON.
            return pages.invalid(request, exc.errors())
        return JSONResponse({"error": "InputError", "message": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and pages.wants_page(request):
            # A mistyped dashboard address gets a page, not the API's JSON.
            return pages.not_found(request)
        segment = request.url.path.removeprefix("/v1/")
        if exc.status_code == 405 and request.method == "GET" and "/" not in segment:
            # Any `/v1/NAME` matches the intake's `POST /v1/{table}`: for a name it does not
            # take, a GET is a path that does not exist, not a wrong method.
            if segment not in api.INTAKE:
                return JSONResponse(
                    {
                        "error": "NotFoundError",
                        "message": f"/v1/{segment}: no such path (see /docs)",
                    },
                    status_code=404,
                )
            message = f"/v1/{segment} takes rows: POST a JSON array of them"
            return JSONResponse({"error": "HTTPError", "message": message}, status_code=405)
        return JSONResponse(
            {"error": "HTTPError", "message": str(exc.detail)}, status_code=exc.status_code
        )

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        # The trace goes to the server log, never to the client.
        log.error("%s %s: internal error", request.method, request.url.path, exc_info=exc)
        return JSONResponse(
            {"error": "InternalError", "message": "internal error: see the server log"},
            status_code=500,
        )

    return app
