"""The REST API under `/v1`: intake (events, feedback, surveys, interventions); metrics; audit."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Header, Query, Request, Response

from uptake.errors import InputError, PayloadTooLargeError
from uptake.web.auth import actor_of, served_of
from uptake.web.pages import csv_response
from uptake.web.recent import Compute, RecentPages, max_stale
from uptake.web.state import Served
from uptake.web.views import Page, Params, pages
from uptake.workspace import Actor, Workspace
from uptake.workspace.access import ADMINISTER, require

router = APIRouter(prefix="/v1")
# What the API accepts rows for: activity, what people say, and interventions from other tools.
INTAKE = ("events", "feedback", "responses", "interventions")
MAX_ROWS = 50_000

ActorDep = Annotated[Actor, Depends(actor_of)]
ServedDep = Annotated[Served, Depends(served_of)]
AsOf = Annotated[date | None, Query(description="Last day included (default: the as-of rule).")]
By = Annotated[
    str | None, Query(max_length=64, description="Segment dimension (views that segment).")
]
Team = Annotated[
    str | None, Query(max_length=200, description="One team to show alone (views that take it).")
]


CacheControl = Annotated[
    str | None,
    Header(
        description="`max-stale=<seconds>` accepts, while the server is busy, the copy this "
        "token was given at most that long ago (and within `[serve] page_lag_s`) instead of "
        "waiting; the reply then carries `Age`. Without it the call waits for current data."
    ),
]


def _maybe_copy(
    request: Request, response: Response, key: tuple[Any, ...], compute: Compute, asked: str | None
) -> dict[str, Any]:
    """`compute` in the read queue, or the caller's recent copy if it asked for one (max-stale)."""
    accepted = max_stale(asked)
    if accepted is None:
        return served_of(request).read(compute)
    recent: RecentPages = request.app.state.recent
    doc, lag = recent.get(key, compute, max_age_s=accepted)
    if lag is not None:
        response.headers["age"] = str(int(lag.age_s))
    return doc


@router.get("/metrics", summary="Every metric (the `uptake metrics --json` document)")
def metrics(
    request: Request,
    response: Response,
    actor: ActorDep,
    as_of: AsOf = None,
    by: Annotated[str | None, Query(description="Segment dimension, e.g. team.")] = None,
    metric: Annotated[
        list[str] | None,
        Query(description="Only these metrics (repeat for more), e.g. depth_of_use."),
    ] = None,
    cache_control: CacheControl = None,
) -> dict[str, Any]:
    """Every adoption metric as of a date, for the token's role (organisation aggregates)."""
    # An unknown name is a 400 naming the known ones (`Workspace.metrics`), not ignored.
    only = tuple(dict.fromkeys(metric or ()))

    def compute(ws: Workspace) -> dict[str, Any]:
        doc = ws.metrics(as_of=as_of, by=by, actor=actor, metrics=only).to_dict()
        if only:
            doc["metrics"] = {name: doc["metrics"][name] for name in only}
        return doc

    return _maybe_copy(
        request, response, ("v1/metrics", actor, as_of, by, only), compute, cache_control
    )


@router.get("/signals", summary="Every signal (the `uptake signals --json` document)")
def signals(actor: ActorDep, served: ServedDep, as_of: AsOf = None) -> dict[str, Any]:
    """Teams that need help first, friction, risk, typology, champions, managers (admins)."""
    return served.run(lambda ws: ws.signals(as_of, actor=actor).to_dict())


@router.get("/teams/{team}/metrics", summary="One team's aggregates (managers: their own)")
def team_metrics(team: str, actor: ActorDep, served: ServedDep, as_of: AsOf = None) -> Any:
    """Each metric's value for one team, at or above the minimum group size."""
    return served.read(lambda ws: ws.team_metrics(team, as_of, actor=actor))


@router.get("/people/{person}/adoption", summary="One person's adoption (admins, coaches)")
def person_adoption(
    person: str, actor: ActorDep, served: ServedDep, as_of: AsOf = None
) -> dict[str, Any]:
    """A person's ladder, trend, flags and help, by pseudonymous key (audited)."""
    return served.run(lambda ws: ws.my_adoption(as_of, actor=actor, person=person))


def _add_view(view: Page) -> None:
    def doc(
        request: Request,
        response: Response,
        actor: ActorDep,
        as_of: AsOf = None,
        by: By = None,
        team: Team = None,
        cache_control: CacheControl = None,
    ) -> Any:
        params = Params.of(view, as_of, by, team)

        def compute(ws: Workspace) -> dict[str, Any]:
            return view.data(ws, actor, params)

        if not view.may_lag:
            return served_of(request).run(compute)
        key = (f"v1/{view.slug}", actor, params)
        return _maybe_copy(request, response, key, compute, cache_control)

    doc.__doc__ = f"The data of the dashboard's `/{view.slug}` page, for the token's role."
    router.add_api_route(f"/{view.slug}", doc, methods=["GET"], summary=view.summary)
    if view.tables is None and not view.individual:
        return

    def download(
        table: str,
        actor: ActorDep,
        served: ServedDep,
        as_of: AsOf = None,
        by: By = None,
        team: Team = None,
    ) -> Any:
        params = Params.of(view, as_of, by, team)
        return csv_response(served, actor, view, table, params)

    download.__doc__ = (
        f"One table of `/{view.slug}` as CSV (text cells that a spreadsheet would run as a "
        "formula start with a ' instead)."
        + (
            f" Individual rows ({', '.join(view.individual)}): admins only, each download "
            "written to the audit log."
            if view.individual
            else ""
        )
    )
    router.add_api_route(
        f"/{view.slug}/{{table}}.csv", download, methods=["GET"],
        summary=f"{view.summary}: a table as CSV",
        responses={200: {"content": {"text/csv": {}}}},
    )  # fmt: skip


for _view in pages():
    _add_view(_view)


@router.get("/audit", summary="The audit log of individual reads (admins)")
def audit(
    actor: ActorDep,
    served: ServedDep,
    since: Annotated[date | None, Query(description="Entries on or after this day.")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> list[dict[str, Any]]:
    """Who read individual data, what and when, newest first."""
    return served.run(lambda ws: ws.audit(since=since, limit=limit, actor=actor))


@router.post("/refresh", summary="Rebuild the metric facts (admins)")
def refresh(
    actor: ActorDep,
    served: ServedDep,
    full: Annotated[bool, Query(description="Rebuild every fact, not only what changed.")] = False,
) -> dict[str, Any]:
    """Bring the facts up to date (`uptake refresh`); waits its turn behind other writers.

    Intake refreshes what a batch touches by itself: this is for a full rebuild while the
    server holds the warehouse (the command line cannot open it then).
    """
    require(actor, ADMINISTER)
    return served.run(lambda ws: ws.refresh(full=full, actor=actor).to_dict())


# After every fixed `POST /v1/...` path: this one takes any name.
@router.post(
    "/{table}",
    summary="Ingest a batch of rows (events, feedback, survey responses or interventions)",
    responses={413: {"description": "The body is over the size limit."}},
)
async def intake(table: str, request: Request, actor: ActorDep, served: ServedDep) -> Any:
    """Ingest a JSON array of rows as one atomic batch; the reply comes after the commit.

    Each row has the canonical input columns of the table (raw identifiers: they are
    pseudonymised on the way in). Every row is accepted, a duplicate or quarantined; the
    reply counts them and lists each quarantined row by its position (`row N`, from 1).
    """
    if table not in INTAKE:
        raise InputError(f"/v1/{table}: rows are accepted for {', '.join(INTAKE)}")
    body = await _body(request, served)
    rows = _rows(body)
    frame = pd.DataFrame(rows)
    frame["__locator"] = [f"row {i}" for i in range(1, len(rows) + 1)]
    source = f"api:{actor.name}"
    # With the live-path worker running, the friction flags are updated in the background
    # (batches arriving together at once); without it, before the reply.
    live = getattr(request.app.state, "live", None)

    def post() -> dict[str, Any]:
        # Committed with the batches posted while it waited, one refresh for all of them.
        return served.intake.post(table, frame, source=source, actor=actor, live=live is None)

    # The workspace call blocks: it runs in a worker thread, queued behind other writers.
    from starlette.concurrency import run_in_threadpool

    out = await run_in_threadpool(post)
    if live is not None:
        live.poke()
    return out


async def _body(request: Request, served: Served) -> bytes:
    """The request body, refused past the configured size without reading it all."""
    limit = served.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"the body is over {limit / 1_000_000:g} MB: split the batch",
        hint="[serve] max_body_mb sets the limit",
    )


def _rows(body: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"the body is not JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if not isinstance(data, list) or not data:
        raise InputError('expected a non-empty JSON array of rows (or {"rows": [...]})')
    if len(data) > MAX_ROWS:
        raise InputError(f"{len(data):,} rows: send at most {MAX_ROWS:,} per request")
    bad = next((i for i, r in enumerate(data, start=1) if not isinstance(r, dict)), None)
    if bad is not None:
        raise InputError(f"row {bad}: each row must be a JSON object")
    return data
