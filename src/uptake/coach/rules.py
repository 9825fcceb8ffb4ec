"""The rules that pick a person's next card, in the configured priority order.

1. `recovery` — an active friction signal (raised in the last `ACTIVE_DAYS`) where the person
   is now (the flag's surfaces and workflows; anywhere when the data names none): the best use
   case for this context, with words about what was noticed.
2. `practice` — competence anxiety (the resistance typology): a private practice task.
3. `use_case` — a high-value use case for the person's role and this workflow, ranked by what
   works for peers in the role (completion of AI-assisted runs, then minutes saved); one not
   shown to them recently.
4. `champion_intro` — repeated struggle (at least `struggle_flags` friction flags in the
   window) and a champion in their role or team: an introduction, naming no colleague.
5. `champion_invite` — at L4 or above and not yet a champion: an invitation to become one.

A rule that does not fire passes to the next; none firing means no card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from uptake.coach.cards import (
    INTRO,
    INVITE,
    PRACTICE,
    RECOVERY,
    RECOVERY_TEXT,
    USE_CASE,
    UseCaseLike,
)

# A friction flag is "active" for this many days after it was last raised.
ACTIVE_DAYS = 14
COMPETENCE = "competence_anxiety"


@dataclass(frozen=True)
class Where:
    """Where the person is when the host asks: a surface and a workflow (either may be None)."""

    surface: str | None = None
    workflow: str | None = None


@dataclass
class Person:
    """What the rules know about one person (their own data, pseudonymous).

    Attributes:
        key: the person key.
        role: roster role, or None.
        team: roster team, or None.
        level: ladder level 0–5, or None when not placed.
        level_proxy: whether the level comes from activity alone (vendor data), which says
            how regularly someone uses AI but not on what work.
        flags: friction flags: {signal, since (date), evidence, places: set of (surface,
            workflow) where it happened (empty: anywhere)}.
        typology: the resistance typology's name, or None.
        champion: whether they are a selected champion.
    """

    key: str
    role: str | None = None
    team: str | None = None
    level: int | None = None
    level_proxy: bool = False
    flags: list[dict[str, Any]] = field(default_factory=list)
    typology: str | None = None
    champion: bool = False


@dataclass(frozen=True)
class Choice:
    """A rule's pick, before it becomes a card."""

    kind: str
    title: str
    body: str
    use_case: UseCaseLike | None
    signal: str | None
    evidence: dict[str, Any]


@dataclass
class Peers:
    """What the organisation knows about peers, as aggregates only.

    Attributes:
        ranking: role → workflows in the order peers succeed with them (k-anonymous).
        stats: (role, workflow) → {people, completion, minutes_saved} (k-anonymous).
        champion_roles: roles with a selected champion.
        champion_teams: teams with a selected champion.
    """

    ranking: dict[str, list[str]] = field(default_factory=dict)
    stats: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    champion_roles: set[str] = field(default_factory=set)
    champion_teams: set[str] = field(default_factory=set)


def active_flags(person: Person, where: Where, today: date) -> list[dict[str, Any]]:
    """The person's friction flags raised recently that concern this place, newest first.

    Args:
        person: the person.
        where: the host's surface and workflow.
        today: the person's local date.

    Returns:
        The flags.
    """
    out = []
    for f in person.flags:
        since: date = f["since"]
        if not today - timedelta(days=ACTIVE_DAYS) <= since <= today:
            continue
        places: set[tuple[str | None, str | None]] = f.get("places") or set()
        if places and not _matches(places, where):
            continue
        out.append(f)
    return sorted(out, key=lambda f: f["since"], reverse=True)


def _matches(places: set[tuple[str | None, str | None]], where: Where) -> bool:
    if where.surface is None and where.workflow is None:
        return True
    for surface, workflow in places:
        if where.workflow is not None and workflow == where.workflow:
            return True
        if where.workflow is None and where.surface is not None and surface == where.surface:
            return True
    return False


def best_case(
    cases: Sequence[UseCaseLike], person: Person, peers: Peers, recent: set[str]
) -> UseCaseLike | None:
    """The use case peers in the role succeed with most, not shown to the person recently.

    Args:
        cases: the library's use cases for the role and place.
        person: the person.
        peers: the peers' aggregates.
        recent: use case ids delivered to the person recently.

    Returns:
        The use case, or None.
    """
    ranked = peers.ranking.get(person.role or "", [])
    order = {wf: i for i, wf in enumerate(ranked)}

    def key(c: UseCaseLike) -> tuple[int, float, str]:
        return (order.get(c.workflow or "", len(order)), -float(c.minutes_saved), c.id)

    fresh = [c for c in cases if c.id not in recent]
    return min(fresh, key=key) if fresh else None


def pick(
    person: Person,
    where: Where,
    today: date,
    rules: Sequence[str],
    cases: Sequence[UseCaseLike],
    peers: Peers,
    recent: set[str],
    struggle_flags: int,
) -> Choice | None:
    """The first rule, in priority order, that fires for this person here.

    Args:
        person: what is known about the person.
        where: the host's surface and workflow.
        today: the person's local date.
        rules: rule names in priority order (`uptake.config.coach.RULES`).
        cases: use cases for the person's role (and this place first).
        peers: aggregates about peers.
        recent: use case ids delivered to the person recently (not repeated).
        struggle_flags: friction flags in the window that mean repeated struggle.

    Returns:
        The choice, or None when no rule fires.
    """
    for rule in rules:
        choice = _RULES[rule](person, where, today, cases, peers, recent, struggle_flags)
        if choice is not None:
            return choice
    return None


def _recovery(person: Person, where: Where, today: date, cases: Sequence[UseCaseLike],
              peers: Peers, recent: set[str], struggle: int) -> Choice | None:  # fmt: skip
    flags = [f for f in active_flags(person, where, today) if f["signal"] in RECOVERY_TEXT]
    if not flags:
        return None
    flag = flags[0]
    title, body = RECOVERY_TEXT[flag["signal"]]
    # Recovery may repeat a use case: it is help with the task at hand, not something new.
    case = best_case(cases, person, peers, set())
    evidence = {"since": flag["since"].isoformat(), **_plain(flag.get("evidence") or {})}
    return Choice(RECOVERY, title, body, case, flag["signal"], evidence)


def _practice(person: Person, where: Where, today: date, cases: Sequence[UseCaseLike],
              peers: Peers, recent: set[str], struggle: int) -> Choice | None:  # fmt: skip
    if person.typology != COMPETENCE:
        return None
    with_practice = [c for c in cases if getattr(c, "practice", None)]
    case = best_case(with_practice, person, peers, recent) or best_case(
        with_practice, person, peers, set()
    )
    if case is None:
        return None
    return Choice(
        PRACTICE,
        "A private practice task",
        "Try this on your own, with nothing at stake: nobody sees the result but you.",
        case,
        COMPETENCE,
        {"typology": COMPETENCE},
    )


def _use_case(person: Person, where: Where, today: date, cases: Sequence[UseCaseLike],
              peers: Peers, recent: set[str], struggle: int) -> Choice | None:  # fmt: skip
    case = best_case(cases, person, peers, recent)
    if case is None:
        return None
    stats = peers.stats.get((person.role or "", case.workflow or ""))
    role = person.role or "your role"
    if stats:
        body = (
            f"What works for people in your role: {stats['people']} {role}s use AI on this, "
            f"and {round(100 * stats['completion'])} % of their AI-assisted runs complete."
        )
    else:
        # The library's expectation, said as one: no peers' measurement stands behind it.
        body = (
            f"A task the use-case library expects to save about {case.minutes_saved:g} minutes "
            "a run for your role."
        )
    evidence = {"peers": stats} if stats else {"minutes_saved": float(case.minutes_saved)}
    return Choice(USE_CASE, case.title, body, case, None, evidence)


def _intro(person: Person, where: Where, today: date, cases: Sequence[UseCaseLike],
           peers: Peers, recent: set[str], struggle: int) -> Choice | None:  # fmt: skip
    if person.champion:
        return None
    window = [f for f in person.flags if today - timedelta(days=28) <= f["since"] <= today]
    if len(window) < struggle:
        return None
    if person.role in peers.champion_roles:
        who = f"a champion who works as a {person.role}"
    elif person.team in peers.champion_teams:
        who = "a champion in your team"
    else:
        return None
    return Choice(
        INTRO,
        "Someone who has been there can help",
        f"You have hit a few snags lately. {who[0].upper() + who[1:]} has helped others "
        "through the same: ask for an introduction and twenty minutes of their time.",
        None,
        "repeated_struggle",
        {"flags": len(window), "signals": sorted({str(f["signal"]) for f in window})},
    )


def _invite(person: Person, where: Where, today: date, cases: Sequence[UseCaseLike],
            peers: Peers, recent: set[str], struggle: int) -> Choice | None:  # fmt: skip
    if person.champion or person.level is None or person.level < 4:
        return None
    return Choice(
        INVITE,
        "Would you help others get there?",
        (
            "You use AI regularly, week after week."
            if person.level_proxy
            else "You use AI on core work, regularly."
        )
        + " Colleagues learn fastest from someone in their own role: would you be a champion "
        "for a few hours a month?",
        None,
        "ladder",
        {"level": f"L{person.level}"},
    )


def _plain(evidence: dict[str, Any]) -> dict[str, Any]:
    """Evidence without session lists (long, and ids mean nothing to the person)."""
    return {k: v for k, v in evidence.items() if k not in ("sessions",)}


# The rule that makes each kind of card (to rebuild a card from the log).
RULE_OF = {RECOVERY: "recovery", PRACTICE: "practice", USE_CASE: "use_case",
           INTRO: "champion_intro", INVITE: "champion_invite"}  # fmt: skip

_RULES = {
    "recovery": _recovery,
    "practice": _practice,
    "use_case": _use_case,
    "champion_intro": _intro,
    "champion_invite": _invite,
}
