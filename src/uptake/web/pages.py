"""Dashboard pages: sign-in with a token, then server-rendered pages over shared data functions.

A page is one data function (shared with its `/v1/...` JSON) plus one template. The session
cookie holds the token itself (HttpOnly, SameSite=Strict), so every page request is
authenticated exactly like an API call and a revoked token signs the browser out at once.
Forms carry a CSRF token: before sign-in a double-submit nonce, after it an HMAC of the session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from uptake.errors import AuthenticationError, InputError, UptakeError
from uptake.web.auth import served_of
from uptake.web.coverage import coverage
from uptake.web.overview import overview
from uptake.web.state import Served
from uptake.workspace import Actor, Workspace

SESSION = "uptake_session"
NONCE = "uptake_csrf"
HERE = Path(__file__).parent
STATIC = HERE / "static"
MAX_FORM = 10_000
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_KEY = secrets.token_bytes(32)  # per process: a restart asks forms to be reloaded, no more
router = APIRouter(include_in_schema=False)
AsOf = Annotated[date | None, Query()]


def _csrf_for(session: str) -> str:
    return hmac.new(_KEY, session.encode(), hashlib.sha256).hexdigest()


def _actor(request: Request) -> Actor | None:
    token = request.cookies.get(SESSION)
    if not token:
        return None
    try:
        return served_of(request).run(lambda ws: ws.authenticate(token))
    except AuthenticationError:
        return None


def _render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _env.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status)


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM:
        raise InputError("the form is too large")
    try:
        parsed = parse_qs(body.decode("utf-8"), max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        raise InputError("the form could not be read") from None
    return {k: v[0] for k, v in parsed.items()}


@router.get("/")
def home(request: Request) -> Response:
    return RedirectResponse("/overview" if _actor(request) else "/sign-in", status_code=303)


@router.get("/sign-in")
def sign_in_page(request: Request, error: str | None = None) -> Response:
    nonce = secrets.token_urlsafe(24)
    page = _render(
        "sign_in.html", title="Sign in", actor=None, charts=False, csrf=nonce, error=error,
        page="sign-in",
    )  # fmt: skip
    page.set_cookie(NONCE, nonce, httponly=True, samesite="strict", path="/sign-in")
    return page


@router.post("/sign-in")
async def sign_in(request: Request, served: Annotated[Served, Depends(served_of)]) -> Response:
    form = await _form(request)
    nonce = request.cookies.get(NONCE, "")
    if not nonce or not hmac.compare_digest(nonce, form.get("csrf", "")):
        return sign_in_page(request, "The form expired: please try again.")
    token = form.get("token", "").strip()
    try:
        served.run(lambda ws: ws.authenticate(token))
    except AuthenticationError as exc:
        return sign_in_page(request, f"Not signed in: {exc.message}.")
    out = RedirectResponse("/overview", status_code=303)
    out.set_cookie(SESSION, token, httponly=True, samesite="strict", path="/")
    out.delete_cookie(NONCE, path="/sign-in")
    return out


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    form = await _form(request)
    session = request.cookies.get(SESSION, "")
    if session and not hmac.compare_digest(_csrf_for(session), form.get("csrf", "")):
        raise InputError("the form expired: reload the page and sign out again")
    out = RedirectResponse("/sign-in", status_code=303)
    out.delete_cookie(SESSION, path="/")
    return out


def _page(
    request: Request,
    name: str,
    title: str,
    data: Callable[[Workspace, Actor], dict[str, Any]],
    charts: bool = False,
    **extra: Callable[[dict[str, Any]], Any],
) -> Response:
    """Render one page: sign-in check, its data function for the actor, its template."""
    actor = _actor(request)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    session = request.cookies.get(SESSION, "")
    common: dict[str, Any] = {"actor": actor, "csrf": _csrf_for(session), "page": name}
    try:
        got = served_of(request).run(lambda ws: data(ws, actor))
    except UptakeError as exc:
        return _render(
            "message.html", status=exc.http_status, title=title, charts=False,
            message=exc.message, **common,
        )  # fmt: skip
    more = {k: fn(got) for k, fn in extra.items()}
    return _render(f"{name}.html", title=title, charts=charts, data=got, **more, **common)


@router.get("/overview")
def overview_page(request: Request, as_of: AsOf = None) -> Response:
    return _page(request, "overview", "Overview", lambda ws, a: overview(ws, a, as_of), charts=True)


@router.get("/coverage")
def coverage_page(request: Request) -> Response:
    return _page(
        request, "coverage", "Data coverage", coverage,
        spans=lambda d: {r["table_name"]: r for r in d["spans"]},
    )  # fmt: skip


@router.get("/teams")
def teams_page(request: Request, as_of: AsOf = None) -> Response:
    served = served_of(request)
    return _page(
        request, "teams", "Teams that need help",
        lambda ws, a: ws.teams_needing_help(as_of, actor=a),
        k=lambda _d: served.settings.privacy.min_group_size,
        voice_days=lambda _d: served.settings.signals.voice_days,
    )  # fmt: skip


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name == "plotly.min.js":
        import plotly

        path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    else:
        path = STATIC / name
        if path.parent != STATIC or not path.is_file():
            return Response(status_code=404)
    media = {".css": "text/css", ".svg": "image/svg+xml"}.get(path.suffix, "text/javascript")
    return FileResponse(path, media_type=media, headers={"cache-control": "max-age=3600"})
