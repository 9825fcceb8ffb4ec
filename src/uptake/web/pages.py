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
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from uptake.errors import AuthenticationError, InputError, NotFoundError, UptakeError
from uptake.metrics.labels import signed
from uptake.signals.names import signal_name
from uptake.web.auth import served_of
from uptake.web.csv_export import to_csv
from uptake.web.recent import Lag, RecentPages
from uptake.web.state import Served
from uptake.web.views import Page, Params, offered, pages
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
# A rule's name as words wherever a page shows one ("week 3–4 drop", not "week3 4 drop").
_env.filters["signal_name"] = signal_name


def _breakable(text: object) -> Markup:
    """A file path that may break after each slash or underscore, escaped.

    A path has no spaces to wrap at: the browser either widened its column past the page or,
    allowed to break anywhere, gave it a few letters' width ("demo-" / "vendor/simulate").
    """
    safe = str(escape(str(text)))
    return Markup(safe.replace("/", "/<wbr>").replace("_", "_<wbr>"))


_env.filters["breakable"] = _breakable
# A change that rounds to zero reads "0", not "+0" (the same rule as the CLI's).
_env.filters["signed"] = signed
_KEY = secrets.token_bytes(32)  # per process: a restart asks forms to be reloaded, no more
router = APIRouter(include_in_schema=False)
AsOf = Annotated[date | None, Query()]
By = Annotated[str | None, Query(max_length=64)]
Team = Annotated[str | None, Query(max_length=200)]


def csrf_for(session: str) -> str:
    return hmac.new(_KEY, session.encode(), hashlib.sha256).hexdigest()


def session_actor(request: Request) -> Actor | None:
    token = request.cookies.get(SESSION)
    if not token:
        return None
    try:
        # A token seen before is known without a turn in the queue (as for the API).
        return served_of(request).authenticate(token)
    except AuthenticationError:
        return None


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
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
    actor = session_actor(request)
    return RedirectResponse(_landing(actor) if actor else "/sign-in", status_code=303)


def _landing(actor: Actor) -> str:
    """The first page the navigation offers the actor (a message page if none)."""
    first = offered(actor)
    return f"/{first[0].slug}" if first else "/nothing-to-show"


@router.get("/nothing-to-show")
def nothing(request: Request) -> Response:
    actor = session_actor(request)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    return render(
        "message.html", status=200, title="Nothing to show", charts=False,
        message=f"The {actor.role} role has no dashboard pages: it is for the API only.",
        **page_frame(request, actor, "nothing"),
    )  # fmt: skip


@router.get("/sign-in")
def sign_in_page(request: Request, error: str | None = None) -> Response:
    nonce = secrets.token_urlsafe(24)
    page = render(
        "sign_in.html", title="Sign in", actor=None, charts=False, csrf=nonce, error=error,
        page="sign-in", nav=[],
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
        actor = served.run(lambda ws: ws.authenticate(token))
    except AuthenticationError as exc:
        return sign_in_page(request, f"Not signed in: {exc.message}.")
    out = RedirectResponse(_landing(actor), status_code=303)
    out.set_cookie(SESSION, token, httponly=True, samesite="strict", path="/")
    out.delete_cookie(NONCE, path="/sign-in")
    return out


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    form = await _form(request)
    session = request.cookies.get(SESSION, "")
    if session and not hmac.compare_digest(csrf_for(session), form.get("csrf", "")):
        raise InputError("the form expired: reload the page and sign out again")
    out = RedirectResponse("/sign-in", status_code=303)
    out.delete_cookie(SESSION, path="/")
    return out


def page_frame(request: Request, actor: Actor, name: str) -> dict[str, Any]:
    """What every page's frame needs: who, the navigation, the sign-out form's CSRF token."""
    session = request.cookies.get(SESSION, "")
    return {"actor": actor, "csrf": csrf_for(session), "page": name, "nav": offered(actor)}


def wants_page(request: Request) -> bool:
    """Whether a request is a browser's for a dashboard page rather than a call to the API."""
    path = request.url.path
    api = path.startswith(("/v1/", "/docs", "/openapi", "/healthz", "/readyz", "/static/"))
    return not api and "text/html" in request.headers.get("accept", "")


def not_found(request: Request) -> HTMLResponse:
    """A page saying there is no such page, in the dashboard's frame (the API answers JSON)."""
    actor = session_actor(request)
    frame = page_frame(request, actor, "") if actor else {"actor": None, "csrf": "",
                                                          "page": "", "nav": []}  # fmt: skip
    message = "There is no page at this address: choose one above." if actor else (
        "There is no page at this address. Sign in to see the dashboard's pages."
    )  # fmt: skip
    return render("message.html", status=404, title="Page not found", charts=False,
                  message=message, **frame)  # fmt: skip


def invalid(request: Request, errors: Sequence[Any]) -> HTMLResponse:
    """A page naming the address's parameters that are not valid (the API answers JSON).

    Args:
        request: the page request.
        errors: the validation errors (each with `loc` and `msg`).

    Returns:
        A 422 message page in the dashboard's frame.
    """
    actor = session_actor(request)
    frame = page_frame(request, actor, "") if actor else {"actor": None, "csrf": "",
                                                          "page": "", "nav": []}  # fmt: skip
    # "query.as_of: Input should be a valid date" reads "as_of: …" (where it came from is
    # the address itself).
    said = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'] if p not in ('query', 'path'))}: {e['msg']}"
        for e in errors
    )
    return render("message.html", status=422, title="Not a valid address", charts=False,
                  message=f"This address has a value the page cannot use: {said}.",
                  **frame)  # fmt: skip


def render_view(request: Request, view: Page, params: Params) -> Response:
    """Render one view: sign-in check, its data function for the actor, its template.

    Args:
        request: the page request (its session cookie names the actor).
        view: the registered view.
        params: the query string's parameters.

    Returns:
        The page, a redirect to sign-in, or a message page with the refusal's status.
    """
    actor = session_actor(request)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    frame = page_frame(request, actor, view.slug)
    lag: Lag | None = None
    try:
        if view.may_lag:
            recent: RecentPages = request.app.state.recent
            got, lag = recent.get(
                (view.slug, actor, params), lambda ws: _viewed(ws, view, actor, params)
            )
        else:
            got = served_of(request).run(lambda ws: _viewed(ws, view, actor, params))
    except UptakeError as exc:
        return render(
            "message.html", status=exc.http_status, title=view.title, charts=False,
            message=exc.message, **frame,
        )  # fmt: skip
    # A table with no rows gets no link: a page saying "not available" offered files holding
    # only a header.
    tables = view.tables(got) if view.tables else {}
    page = render(
        "page.html", title=view.title, charts=view.charts, data=got, view=view, params=params,
        tables=sorted(t for t, rows in tables.items() if len(rows)),
        individual=sorted(view.individual) if actor.role in view.individual_roles else [],
        lag=lag.as_dict() if lag is not None else None, **frame,
    )  # fmt: skip
    if lag is not None:
        # The standard header of a response served from a stored copy: its age in seconds.
        page.headers["age"] = str(int(lag.age_s))
    return page


def _viewed(ws: Workspace, view: Page, actor: Actor, params: Params) -> dict[str, Any]:
    """A page's data for the actor, and its view recorded in the audit log once it is served.

    Organisation and team readers' page views are the evidence that the dashboard is
    reviewed (the sprint's milestone); a refused page is not a view.
    """
    got = view.data(ws, actor, params)
    ws.record_page_view(view.slug, actor=actor)
    return got


def _csv_view(request: Request, view: Page, table: str, params: Params) -> Response:
    actor = session_actor(request)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    return csv_response(served_of(request), actor, view, table, params)


def csv_response(served: Served, actor: Actor, view: Page, table: str, params: Params) -> Response:
    """One of a view's tables as a CSV download (cells safe from formula injection).

    Args:
        served: the served workspace.
        actor: who asks (the view's data function checks what they may see).
        view: the view.
        table: which of its tables.
        params: the query string's parameters.

    Returns:
        The CSV file response.

    Raises:
        NotFoundError: the view has no such table.
    """
    if table in view.individual:
        read = view.individual[table]
        rows = served.run(lambda ws: read(ws, actor, params))
        stamp: Any = params.as_of or ""
    else:
        if view.tables is None:
            raise NotFoundError(f"/{view.slug} has no CSV export")
        # A view of ingested data only reads beside the writers (see `Served.read`).
        run = served.read if view.may_lag else served.run
        got = run(lambda ws: view.data(ws, actor, params))
        tables = view.tables(got)
        if table not in tables:
            names = ", ".join(sorted([*tables, *view.individual]))
            raise NotFoundError(f"/{view.slug} has no table {table!r}: expected one of {names}")
        rows, stamp = tables[table], got.get("as_of") or ""
    name = f"uptake-{view.slug}-{table}{'-' + str(stamp) if stamp else ''}.csv"
    return Response(
        to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _add_routes(view: Page) -> None:
    def show(request: Request, as_of: AsOf = None, by: By = None, team: Team = None) -> Response:
        return render_view(request, view, Params.of(view, as_of, by, team))

    def download(
        request: Request, table: str, as_of: AsOf = None, by: By = None, team: Team = None
    ) -> Response:
        return _csv_view(request, view, table, Params.of(view, as_of, by, team))

    router.add_api_route(f"/{view.slug}", show, methods=["GET"], name=f"page:{view.slug}")
    if view.tables is not None or view.individual:
        router.add_api_route(
            f"/{view.slug}/{{table}}.csv", download, methods=["GET"], name=f"csv:{view.slug}"
        )


for _view in pages():
    _add_routes(_view)


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
