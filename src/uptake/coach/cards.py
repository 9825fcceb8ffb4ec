"""Guidance cards: what a person sees, written to them, about their own work only.

A card never carries another person's data: peers appear only as aggregates of at least k
people, and a champion introduction names a role and a team, never a colleague (the coach
or the host app makes the introduction).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

RECOVERY, PRACTICE, USE_CASE, INTRO, INVITE = (
    "recovery_help",
    "practice_task",
    "use_case",
    "champion_intro",
    "champion_invite",
)
KINDS = (RECOVERY, PRACTICE, USE_CASE, INTRO, INVITE)

# What each friction signal means, said to the person it was raised on.
RECOVERY_TEXT: dict[str, tuple[str, str]] = {
    "bounce_loop": (
        "Getting started takes one good task",
        "You opened the assistant a few times this week and left quickly. Here is one task "
        "it does well in your work, step by step.",
    ),
    "no_meaningful_use_14d": (
        "A first task worth doing with AI",
        "You have had the assistant for a couple of weeks. Start with one task people in your "
        "role save time on.",
    ),
    "week3_4_drop": (
        "Pick it back up where it helps most",
        "You used the assistant less in the last two weeks. This is the task where it pays "
        "off soonest for your role.",
    ),
    "surface_use": (
        "Try it on the work that matters",
        "You use the assistant for small tasks. Here is how people in your role use it on "
        "core work, with a check at each step.",
    ),
    "rejection_streak": (
        "Steer the suggestions",
        "You turned down several suggestions in a row. Giving the assistant this context "
        "first usually makes them fit.",
    ),
    "override_spike": (
        "When the recommendation looks wrong",
        "You overrode more recommendations than usual. Note why when you do: it is how the "
        "recommendations get better, and your reasons are reviewed.",
    ),
    "distress_language": (
        "Help is one message away",
        "Your recent feedback sounded frustrated. Here is a walk-through of the task, and a "
        "champion in your role can help.",
    ),
    "abandonment_risk": (
        "Make the next use count",
        "Here is the one task where people in your role get the most from the assistant.",
    ),
}


class UseCaseLike(Protocol):
    """What a card needs of a use case (`uptake.coach.library` provides it)."""

    id: str
    title: str
    workflow: str | None
    surface: str | None
    steps: list[str]
    prompt: str
    minutes_saved: float


@dataclass
class Card:
    """One guidance card, as `GET /v1/coach/next` returns it.

    Attributes:
        card_id: the intervention id (interactions refer to it).
        kind: one of `KINDS`.
        title: a short heading.
        body: one or two sentences to the person.
        steps: what to do, in order.
        prompt: a prompt to start from (may be empty).
        use_case: the use case's id, or None.
        reason: why this card: the signal and its evidence (the person's own data only).
        expires: when the card stops being shown (UTC, ISO).
    """

    card_id: str
    kind: str
    title: str
    body: str
    steps: list[str] = field(default_factory=list)
    prompt: str = ""
    use_case: str | None = None
    reason: dict[str, Any] = field(default_factory=dict)
    expires: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def ref_of(kind: str, use_case: str | None, signal: str | None) -> str:
    """The `interventions.ref` of a card: what it was about, enough to rebuild it.

    Args:
        kind: the card kind.
        use_case: its use case id, if any.
        signal: the signal behind it, if any.

    Returns:
        `signal|use_case` (either side may be empty).
    """
    return f"{signal or ''}|{use_case or ''}"


def parse_ref(ref: str | None) -> tuple[str | None, str | None]:
    """The (signal, use case id) of an `interventions.ref` written by `ref_of`."""
    signal, _, case = (ref or "").partition("|")
    return signal or None, case or None


def expiry(now: datetime, days: int) -> str:
    """The ISO time a card delivered at `now` expires."""
    from datetime import timedelta

    return (now + timedelta(days=days)).isoformat(timespec="seconds") + "Z"
