"""Themes: labelled clusters, k-safe segment counts, redacted quotes only from big themes."""

from __future__ import annotations

import pytest

from uptake.errors import PrivacyError
from uptake.signals.voice import themes

LOGIN = [
    "the login page times out every morning",
    "login keeps timing out, cannot get in",
    "single sign on login fails again and times out",
    "login timeout is killing my morning",
    "cannot login, the page times out",
    "login times out whenever the vpn is on",
]
PROMPTS = [
    "which prompt template should I use for the report",
    "prompt templates for reports are confusing",
    "need a better prompt template for weekly report",
    "the report prompt template gives odd results",
    "where is the prompt template library for reports",
    "prompt template for the quarterly report please",
]


def _people(n: int, prefix: str) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def test_two_themes_labelled_and_segments_below_k_hidden() -> None:
    texts = LOGIN + PROMPTS
    # Login: 5 people in sales, 1 in legal; prompts: 3 in sales and 3 in legal.
    segments = ["sales"] * 5 + ["legal"] + ["sales"] * 3 + ["legal"] * 3
    people = _people(6, "a") + _people(6, "b")
    found = themes(texts, segments, k=3, n_themes=2, people=people)
    assert len(found) == 2
    by_label = {("login" in t.terms): t for t in found}
    login, prompt = by_label[True], by_label[False]
    assert "prompt" in prompt.terms or "template" in prompt.terms
    assert login.people == 6 and prompt.people == 6
    # Legal's single login author is hidden, and sales with it: the total (6) is public,
    # so a visible 5 would reveal the 1 by subtraction.
    assert login.segments == {"legal": None, "sales": None}
    assert prompt.segments == {"legal": 3, "sales": 3}
    assert 1 <= len(login.quotes) <= 3 and 1 <= len(prompt.quotes) <= 3


def test_counts_are_people_not_texts_and_small_themes_say_nothing() -> None:
    texts = LOGIN + PROMPTS
    segments = ["sales"] * 12
    # Every prompt text is written by the same two people.
    people = _people(6, "a") + ["b0", "b1"] * 3
    found = themes(texts, segments, k=3, n_themes=2, people=people)
    small = [t for t in found if t.people is None]
    assert len(small) == 1
    assert small[0].terms == [] and small[0].quotes == [] and small[0].segments == {}
    assert "prompt" not in small[0].label


def test_quotes_are_redacted() -> None:
    # Every login text carries an e-mail address, so every login quote must show the mask.
    login = [f"{t}, write to jane.doe{i}@example.com" for i, t in enumerate(LOGIN)]
    login[0] += " or call +44 20 7946 0958"
    found = themes([*login, *PROMPTS], ["ops"] * 12, k=3, n_themes=2, people=_people(12, "p"))
    quotes = [q for t in found for q in t.quotes]
    login_quotes = [q for t in found if "login" in t.terms for q in t.quotes]
    assert login_quotes and all("[email]" in q for q in login_quotes)
    assert all("@" not in q and "example.com" not in q and "7946" not in q for q in quotes)
    terms = {term for t in found for term in t.terms}
    assert not terms & {"jane", "doe0", "example", "com", "7946"}


def test_same_input_same_themes_and_k_below_3_refused() -> None:
    texts = LOGIN + PROMPTS
    a = themes(texts, ["x"] * 12, k=3, n_themes=2, seed=1)
    b = themes(texts, ["x"] * 12, k=3, n_themes=2, seed=1)
    assert a == b
    with pytest.raises(PrivacyError):
        themes(texts, ["x"] * 12, k=2)
    assert themes([], [], k=3) == []


def test_the_order_of_the_rows_changes_nothing_and_greetings_label_nothing() -> None:
    import random

    greeted = [f"Hello team, {t}. Thanks!" for t in LOGIN] + [f"Hi all, {t}" for t in PROMPTS]
    rows = list(zip(greeted, _people(6, "a") + _people(6, "b"), strict=True))
    seen = set()
    for seed in range(6):
        mixed = rows[:]
        random.Random(seed).shuffle(mixed)
        found = themes([t for t, _ in mixed], ["x"] * 12, k=3, n_themes=2,
                       people=[p for _, p in mixed])  # fmt: skip
        seen.add(tuple((t.people, t.label, tuple(t.quotes)) for t in found))
    assert len(seen) == 1, seen
    [(first, second)] = [tuple(t[1] for t in s) for s in seen]
    labels = f"{first}, {second}".split(", ")
    assert not {"hello", "team", "thanks", "hi", "all"} & {w for x in labels for w in x.split()}
    # Each theme's label is its own topic's words, none of the other's.
    assert {
        ("login" in first) + ("login" in second),
        ("prompt" in first) + ("prompt" in second),
    } == {1}
