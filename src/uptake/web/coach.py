"""The coach's API: the next card for a person, what they did with it, and their choices.

A host application asks `GET /v1/coach/next` where its user works (a `person` token for the
user, or the host's `coach` token naming the user) and shows the card, if any; it reports
what the user did with `POST /v1/coach/interactions`. Each call is one queued workspace call
whose reply comes after its writes commit.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from uptake.web.api import ActorDep, ServedDep

router = APIRouter(prefix="/v1/coach", tags=["coach"])

Name = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f]*$")]


class Interaction(BaseModel):
    """What a person did with a card."""

    model_config = ConfigDict(extra="forbid")

    card_id: str = Field(max_length=64, description="The card's id (`card_id` of the card).")
    action: str = Field(description="opened, dismissed, acted or snoozed.")
    snooze_days: int | None = Field(
        None, ge=1, le=90, description="Days of a snooze (default: the workspace's setting)."
    )


class Preferences(BaseModel):
    """A person's coaching choices; leave a field out to keep it."""

    model_config = ConfigDict(extra="forbid")

    opt_out: bool | None = Field(None, description="true: no more cards; false: cards again.")
    snooze_days: int | None = Field(
        None, ge=0, le=90, description="No cards for this many days (0 ends a snooze)."
    )


@router.get(
    "/next",
    summary="The next guidance card for a person here, or 204",
    responses={204: {"description": "No card now (capped, quiet hours, opted out, …)."}},
)
def next_card(
    actor: ActorDep,
    served: ServedDep,
    person: Name = None,
    surface: Name = None,
    workflow: Name = None,
) -> Any:
    """At most one card for this person in this surface and workflow, or 204 No Content.

    A `person` token asks for itself (`person` may be left out); a `coach` token for the
    people of its teams; an admin for anyone.
    """
    card = served.run(
        lambda ws: ws.coach_next(person, surface=surface, workflow=workflow, actor=actor)
    )
    if card is None:
        return Response(status_code=204)
    return card


@router.post("/interactions", summary="Record what a person did with a card")
def interaction(body: Interaction, actor: ActorDep, served: ServedDep) -> dict[str, Any]:
    """Opened, dismissed, acted or snoozed; the card's status only moves forward."""
    return served.run(
        lambda ws: ws.coach_interaction(
            body.card_id, body.action, snooze_days=body.snooze_days, actor=actor
        )
    )


@router.get("/preferences", summary="A person's coaching choices")
def get_preferences(actor: ActorDep, served: ServedDep, person: Name = None) -> dict[str, Any]:
    """Whether the person opted out, and until when they snoozed."""
    return served.run(lambda ws: ws.coach_preferences(person, actor=actor))


@router.post("/preferences", summary="Opt out of (or back into) cards, or snooze them")
def set_preferences(
    body: Preferences, actor: ActorDep, served: ServedDep, person: Name = None
) -> dict[str, Any]:
    """Opt-out is honoured by every surface at once; a snooze ends by itself."""
    return served.run(
        lambda ws: ws.coach_preferences(
            person, opt_out=body.opt_out, snooze_days=body.snooze_days, actor=actor
        )
    )


@router.get("/digest", summary="A team's weekly manager digest (JSON, or the HTML e-mail body)")
def digest(
    actor: ActorDep,
    served: ServedDep,
    team: Annotated[str, Query(min_length=1, max_length=200, description="The team.")],
    format: Annotated[str, Query(pattern="^(json|html)$", description="json or html.")] = "json",
) -> Any:
    """Team aggregates at or above k and the one action the data suggests (managers: own team)."""
    doc = served.run(lambda ws: ws.coach_digest(team, actor=actor))
    if format == "html":
        return Response(doc["html"], media_type="text/html; charset=utf-8")
    return doc
