"""Hosted forms: the pulse survey, the audit interview and use-case proposals, plus their API.

Server-rendered and working without JavaScript. A form is answered by whoever is signed in
(the dashboard's session cookie): an invitation is the form's address, and the person signs
in there once with the person token it came with. Posts carry the dashboard's CSRF token
(before sign-in a double-submit nonce, after it an HMAC of the session), are refused past the
body limit (413) or without a valid token (403), and are stored by the Workspace through the
normal ingest. `?anonymous=1` (or `[programme] anonymous_forms`) asks for groups instead of
the person.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from uptake.errors import (
    AuthenticationError,
    InputError,
    PayloadTooLargeError,
    PrivacyError,
    UptakeError,
)
from uptake.programme import forms as engine
from uptake.web.auth import actor_of, served_of
from uptake.web.pages import NONCE, SESSION, csrf_for, page_frame, render, session_actor
from uptake.web.state import Served
from uptake.workspace import Actor, Workspace

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/v1", tags=["proposals"])
# A form is a few kilobytes: past this (or the server's own limit, if lower) it is refused.
MAX_FORM_BYTES = 64_000
MAX_FIELDS = 60
FORM_PATHS = ("/forms/pulse", "/forms/audit", "/forms/proposal")
EXPIRED = (
    "The form expired or did not come from this site: reload the page and submit it again. "
    "Nothing was stored."
)

ActorDep = Annotated[Actor, Depends(actor_of)]
ServedDep = Annotated[Served, Depends(served_of)]


async def _body(request: Request, served: Served) -> bytes:
    """The request body, refused past the limit without reading it all."""
    limit = min(served.max_body_bytes, MAX_FORM_BYTES)
    too_large = PayloadTooLargeError(
        f"the form is over {limit:,} bytes: shorten the answers and submit again",
        hint="[serve] max_body_mb sets the server's limit",
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def _posted(request: Request) -> dict[str, str]:
    """The posted form's fields (first value of each)."""
    body = await _body(request, served_of(request))
    try:
        parsed = parse_qs(body.decode("utf-8"), max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise InputError("the form could not be read") from None
    return {k: v[0] for k, v in parsed.items()}


def _message(
    request: Request, title: str, message: str, status: int, actor: Actor | None = None
) -> HTMLResponse:
    """A message page (never called in the workspace's queue without `actor`)."""
    actor = actor or session_actor(request)
    frame = page_frame(request, actor, "forms") if actor else {"actor": None, "csrf": "",
                                                          "page": "forms", "nav": []}  # fmt: skip
    return render("message.html", status=status, title=title, charts=False, message=message,
                   **frame)  # fmt: skip


async def _accepted(
    request: Request, signed_out: Callable[[], Response]
) -> tuple[dict[str, str], Actor] | Response:
    """A posted form's fields and its signed-in sender, or the page that refuses it.

    Args:
        request: the POST.
        signed_out: makes the answer when the session has ended.

    Returns:
        (fields, actor), or the refusal: 413 past the limit, 403 without a valid CSRF token.
    """
    try:
        form = await _posted(request)
    except UptakeError as exc:
        return _message(request, "Not stored", exc.message, exc.http_status)
    if not _csrf_ok(request, form):
        return _message(request, "Not stored", EXPIRED, 403)
    actor = session_actor(request)
    if actor is None:
        return signed_out()
    return form, actor


def _csrf_ok(request: Request, form: dict[str, str]) -> bool:
    session = request.cookies.get(SESSION, "")
    return bool(session) and hmac.compare_digest(csrf_for(session), form.get("csrf", ""))


def _sign_in(request: Request, next_path: str, error: str | None = None) -> HTMLResponse:
    nonce = secrets.token_urlsafe(24)
    page = render(
        "forms/sign_in.html", status=401 if error else 200, title="Sign in to answer",
        actor=None, charts=False, csrf=nonce, error=error, page="forms", nav=[],
        next_path=next_path,
    )  # fmt: skip
    page.set_cookie(NONCE, nonce, httponly=True, samesite="strict", path="/forms")
    return page


@router.post("/forms/sign-in")
async def sign_in(request: Request, served: ServedDep) -> Response:
    """Sign in from an invitation link, then go back to the form."""
    try:
        form = await _posted(request)
    except UptakeError as exc:
        return _message(request, "Sign in", exc.message, exc.http_status)
    target = form.get("next", "")
    path = target.split("?", 1)[0]
    if path not in FORM_PATHS or target not in (path, f"{path}?anonymous=1"):
        target = "/forms/pulse"
    nonce = request.cookies.get(NONCE, "")
    if not nonce or not hmac.compare_digest(nonce, form.get("csrf", "")):
        return _sign_in(request, target, "The form expired: please try again.")
    try:
        served.run(lambda ws: ws.authenticate(form.get("token", "").strip()))
    except AuthenticationError as exc:
        return _sign_in(request, target, f"Not signed in: {exc.message}.")
    out = RedirectResponse(target, status_code=303)
    out.set_cookie(SESSION, form["token"].strip(), httponly=True, samesite="strict", path="/")
    out.delete_cookie(NONCE, path="/forms")
    return out


def _view(
    request: Request,
    ws: Workspace,
    actor: Actor,
    name: str,
    *,
    anonymous: bool,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The form page (fresh, or again with the answers given and what is wrong)."""
    as_whom = ws.may_answer(name, actor)
    return render(
        "forms/form.html", status=status, charts=False,
        title=("Error: " if errors or problem else "") + ws.form_definition(name).title,
        form=ws.form_definition(name), anonymous=anonymous, as_whom=as_whom,
        segments=ws.segment_options() if anonymous else {}, k=ws.settings.privacy.min_group_size,
        values=values or {}, errors=errors or {}, problem=problem, agree=engine.AGREE,
        **page_frame(request, actor, "forms"),
    )  # fmt: skip


def _anonymous(served: Served, asked: str | None) -> bool:
    return served.settings.programme.anonymous_forms or asked == "1"


@router.get("/forms/{name}")
def show(request: Request, name: str, served: ServedDep, anonymous: str | None = None) -> Response:
    """A form, or the sign-in that leads back to it."""
    if name == "proposal":
        return proposal_page(request, served)
    if name not in engine.FORMS:
        return _message(request, "No such form", f"There is no form {name!r}.", 404)
    anon = _anonymous(served, anonymous)
    actor = session_actor(request)
    if actor is None:
        return _sign_in(request, f"/forms/{name}" + ("?anonymous=1" if anonymous == "1" else ""))
    try:
        return served.run(lambda ws: _view(request, ws, actor, name, anonymous=anon))
    except UptakeError as exc:
        return _message(request, "Cannot answer this form", exc.message, exc.http_status)


@router.post("/forms/{name}")
async def submit(request: Request, name: str, served: ServedDep) -> Response:
    """Store a form's answers: 413 past the limit, 403 without a valid CSRF token."""
    if name == "proposal":
        return await propose_form(request, served)
    if name not in engine.FORMS:
        return _message(request, "No such form", f"There is no form {name!r}.", 404)
    again = "You were signed out: sign in and answer again."
    got = await _accepted(request, lambda: _sign_in(request, f"/forms/{name}", again))
    if isinstance(got, Response):
        return got
    form, actor = got
    anon = _anonymous(served, form.get("anonymous"))

    def run(ws: Workspace) -> Response:
        try:
            f = ws.form_definition(name)
            ws.may_answer(name, actor)
            answers = engine.validate(f, form)
            if answers.errors or answers.empty:
                problem = (
                    None if answers.errors else "The form is empty: answer at least one question."
                )
                return _view(request, ws, actor, name, anonymous=anon, values=form,
                             errors=answers.errors, problem=problem, status=400)  # fmt: skip
            got = ws.submit_form(name, form, actor=actor, anonymous=anon)
        except (InputError, PrivacyError) as exc:
            return _view(request, ws, actor, name, anonymous=anon, values=form,
                         problem=exc.message, status=exc.http_status)  # fmt: skip
        except UptakeError as exc:
            return _message(request, "Not stored", exc.message, exc.http_status, actor)
        return render("forms/done.html", title="Thank you", charts=False, result=got,
                       form=f, **page_frame(request, actor, "forms"))  # fmt: skip

    return await run_in_threadpool(served.run, run)


# -- use-case proposals -----------------------------------------------------------------------


def proposal_page(
    request: Request,
    served: Served,
    *,
    values: dict[str, str] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    """The proposal form (signed in: people for their team, or an admin)."""
    actor = session_actor(request)
    if actor is None:
        return _sign_in(request, "/forms/proposal")
    return render(
        "forms/proposal.html", status=status, title="Propose a use case", charts=False,
        values=values or {}, problem=problem, **page_frame(request, actor, "forms"),
    )  # fmt: skip


async def propose_form(request: Request, served: Served) -> Response:
    """Store a proposal from the form, then show the backlog."""
    again = "You were signed out: sign in again."
    got = await _accepted(request, lambda: _sign_in(request, "/forms/proposal", again))
    if isinstance(got, Response):
        return got
    form, actor = got
    fields = {k: form.get(k) for k in ("title", "description", "team", "workflow", "priority")}
    try:
        await run_in_threadpool(served.run, lambda ws: ws.propose(fields, actor=actor))
    except UptakeError as exc:
        return proposal_page(request, served, values=form, problem=exc.message,
                             status=exc.http_status)  # fmt: skip
    return RedirectResponse("/proposals", status_code=303)


@router.post("/forms/proposal/{proposal_id}/vote")
async def vote_form(request: Request, proposal_id: str, served: ServedDep) -> Response:
    """A vote from the backlog page's button."""
    got = await _accepted(request, lambda: RedirectResponse("/sign-in", status_code=303))
    if isinstance(got, Response):
        return got
    _form, actor = got
    try:
        await run_in_threadpool(served.run, lambda ws: ws.vote(proposal_id, actor=actor))
    except UptakeError as exc:
        return _message(request, "Vote not counted", exc.message, exc.http_status)
    return RedirectResponse("/proposals", status_code=303)


async def _json(request: Request, served: Served) -> dict[str, Any]:
    body = await _body(request, served)
    try:
        data = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object")
    return data


@api.post("/proposals", summary="Propose a use case (people for their team, or an admin)")
async def propose(request: Request, actor: ActorDep, served: ServedDep) -> dict[str, Any]:
    """Add a proposal: `{title, description?, team?, workflow?, priority? (1–9, 1 = first)}`.

    The proposer is stored as a person key only; the team defaults to the proposer's.
    """
    data = await _json(request, served)
    return await run_in_threadpool(served.run, lambda ws: ws.propose(data, actor=actor))


@api.post("/proposals/{proposal_id}/vote", summary="Vote for a proposal (one per person)")
def vote(proposal_id: str, actor: ActorDep, served: ServedDep) -> dict[str, Any]:
    """Count the token's person once for a proposal; the backlog shows counts, never who."""
    return served.run(lambda ws: ws.vote(proposal_id, actor=actor))


@api.post("/proposals/{proposal_id}/link", summary="Link a proposal to a catalogued workflow")
async def link(
    proposal_id: str, request: Request, actor: ActorDep, served: ServedDep
) -> dict[str, Any]:
    """Admins: `{workflow}` marks the proposal catalogued; its outcome is measured from then."""
    data = await _json(request, served)
    workflow = data.get("workflow")
    if not isinstance(workflow, str):
        raise InputError('expected {"workflow": "<catalogued workflow id>"}')
    return served.run(lambda ws: ws.link_proposal(proposal_id, workflow, actor=actor))
