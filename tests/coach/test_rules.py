"""The card rules fire for the right signals, in priority order, and not otherwise."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from uptake.coach.rules import Peers, Person, Where, pick
from uptake.config.coach import RULES

TODAY = date(2026, 6, 10)


@dataclass
class Case:
    id: str
    workflow: str | None
    minutes_saved: float
    title: str = "a use case"
    surface: str | None = None
    steps: list[str] = field(default_factory=lambda: ["one", "two"])
    prompt: str = "Summarise {document}"
    practice: str | None = None


CASES = [
    Case("var", "fin.variance_analysis", 30, practice="Try it on last quarter's numbers."),
    Case("board", "fin.board_pack", 90),
    Case("recon", "fin.reconciliation", 20),
]
PEERS = Peers(
    ranking={"financial analyst": ["fin.reconciliation", "fin.variance_analysis"]},
    stats={("financial analyst", "fin.reconciliation"): {"people": 7, "completion": 0.8,
                                                          "minutes_saved": 20.0}},
    champion_roles={"financial analyst"},
)  # fmt: skip


def flag(signal: str, days_ago: int, places: set[Any] | None = None) -> dict[str, Any]:
    return {"signal": signal, "since": TODAY - timedelta(days=days_ago), "evidence": {"n": 3},
            "places": places or set()}  # fmt: skip


def person(**kw: Any) -> Person:
    return Person(key="p_me", role="financial analyst", team="fin-1", **kw)


def choose(p: Person, where: Where = Where(), rules: tuple[str, ...] = RULES,
           recent: set[str] | None = None) -> Any:  # fmt: skip
    return pick(p, where, TODAY, rules, CASES, PEERS, recent or set(), 2)


def test_recovery_first_for_an_active_friction_flag() -> None:
    c = choose(person(flags=[flag("bounce_loop", 2)], typology="competence_anxiety"))
    assert c.kind == "recovery_help" and c.signal == "bounce_loop"
    assert c.evidence["since"] == (TODAY - timedelta(days=2)).isoformat()
    # With recovery switched off, the next rule in order fires.
    c = choose(person(flags=[flag("bounce_loop", 2)], typology="competence_anxiety"),
               rules=("practice", "use_case"))  # fmt: skip
    assert c.kind == "practice_task" and c.use_case.id == "var"


def test_an_old_flag_is_not_active() -> None:
    c = choose(person(flags=[flag("bounce_loop", 15)]))
    assert c.kind == "use_case"


def test_recovery_only_where_the_struggle_happened() -> None:
    p = person(flags=[flag("rejection_streak", 1, {("excel", "fin.variance_analysis")})])
    assert choose(p, Where("excel", "fin.variance_analysis")).kind == "recovery_help"
    assert choose(p, Where(None, "fin.board_pack")).kind == "use_case"
    assert choose(p, Where("excel", None)).kind == "recovery_help"
    assert choose(p, Where()).kind == "recovery_help"


def test_use_case_ranked_by_peers_then_not_repeated() -> None:
    c = choose(person())
    # Peers in the role succeed most with reconciliation: first, whatever the minutes.
    assert c.kind == "use_case" and c.use_case.id == "recon"
    assert c.evidence["peers"]["people"] == 7 and "7 financial analysts" in c.body
    c = choose(person(), recent={"recon"})
    assert c.use_case.id == "var"
    c = choose(person(), recent={"recon", "var", "board"}, rules=("use_case",))
    assert c is None


def test_champion_intro_after_repeated_struggle_names_no_colleague() -> None:
    p = person(flags=[flag("bounce_loop", 20), flag("rejection_streak", 18)])
    c = choose(p, rules=("recovery", "champion_intro", "use_case"))
    assert c.kind == "champion_intro"
    assert "financial analyst" in c.body and "p_" not in c.body
    assert c.evidence == {"flags": 2, "signals": ["bounce_loop", "rejection_streak"]}
    # One flag is not repeated struggle; no champion in the role or team: no intro.
    assert choose(person(flags=[flag("bounce_loop", 20)]), rules=("champion_intro",)) is None
    other = Person(key="p_x", role="paralegal", team="legal-1",
                   flags=[flag("bounce_loop", 20), flag("bounce_loop", 10)])  # fmt: skip
    assert pick(other, Where(), TODAY, ("champion_intro",), [], PEERS, set(), 2) is None


@pytest.mark.parametrize(("level", "champion", "fires"),
                         [(4, False, True), (5, False, True), (3, False, False),
                          (None, False, False), (5, True, False)])  # fmt: skip
def test_champion_invite_at_l4_plus(level: int | None, champion: bool, fires: bool) -> None:
    c = choose(person(level=level, champion=champion), rules=("champion_invite",))
    assert (c is not None and c.kind == "champion_invite") == fires


def test_practice_needs_competence_anxiety_and_a_practice_task() -> None:
    assert choose(person(typology="trust_deficit"), rules=("practice",)) is None
    c = choose(person(typology="competence_anxiety"), rules=("practice",))
    assert c.kind == "practice_task" and c.use_case.practice


def test_no_role_no_library_no_card() -> None:
    lone = Person(key="p_y")
    assert pick(lone, Where(), TODAY, RULES, [], Peers(), set(), 2) is None


def test_the_invite_says_core_work_only_when_the_level_measures_it() -> None:
    # From vendor activity alone L4 is regular use: the card does not claim core work.
    measured = choose(person(level=4), rules=("champion_invite",))
    proxied = choose(person(level=4, level_proxy=True), rules=("champion_invite",))
    assert measured is not None and proxied is not None
    assert measured.body.startswith("You use AI on core work, regularly.")
    assert proxied.body.startswith("You use AI regularly, week after week.")
    assert "core work" not in proxied.body
