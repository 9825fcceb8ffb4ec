"""The roster: teams, management chain, tenure, leave, leavers and identifiers."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from uptake.simulate.roster import ALL_FUNCTIONS, NEVER, build_org


@pytest.fixture(scope="module")
def org():  # type: ignore[no-untyped-def]
    return build_org(seed=3, n=2000, days=120)


def test_teams_have_5_to_12_members_under_one_lead(org) -> None:  # type: ignore[no-untyped-def]
    ics = org.level == 0
    sizes = Counter(org.team[ics].tolist())
    assert len(sizes) > 150
    assert min(sizes.values()) >= 5
    assert max(sizes.values()) <= 12
    for team in sizes:
        managers = set(org.manager[ics & (org.team == team)].tolist())
        assert len(managers) == 1
        (lead,) = managers
        assert org.level[lead] == 1 and org.team[lead] == team


def test_management_chain_reaches_the_chief_executive_without_cycles(org) -> None:  # type: ignore[no-untyped-def]
    ceo = np.flatnonzero(org.manager < 0)
    assert len(ceo) == 1 and org.level[ceo[0]] == 4
    for i in range(org.n):
        seen, j = set(), i
        while org.manager[j] >= 0:
            assert j not in seen
            seen.add(j)
            assert org.level[org.manager[j]] > org.level[j]
            j = org.manager[j]
        assert j == ceo[0]


def test_functions_and_spans(org) -> None:  # type: ignore[no-untyped-def]
    counts = Counter(np.array(ALL_FUNCTIONS)[org.function].tolist())
    assert set(counts) == set(ALL_FUNCTIONS)
    assert counts["customer service"] > counts["legal"]
    spans = Counter(org.manager[org.manager >= 0].tolist())
    assert max(spans.values()) <= 12


def test_tenure_leave_and_leavers_look_like_a_real_company(org) -> None:  # type: ignore[no-untyped-def]
    tenure_years = -org.hire_day / 365
    assert (tenure_years < 0.25).mean() > 0.02  # recent joiners
    assert (tenure_years > 8).mean() > 0.15  # long-serving staff
    assert (org.hire_day >= 0).sum() > 10  # starters during the period
    status = Counter(org.status_at_end().tolist())
    assert status["active"] > 0.9 * org.n
    assert 0 < status["leave"] < 0.06 * org.n
    assert 0 < status["left"] < 0.08 * org.n
    assert (org.left_day[org.left_day < NEVER] > org.hire_day[org.left_day < NEVER]).all()


def test_identifiers_are_unique_and_distinct_kinds(org) -> None:  # type: ignore[no-untyped-def]
    everything = np.concatenate([org.email, org.login, org.employee_number, org.legacy_email])
    assert len(set(everything.tolist())) == 4 * org.n
    assert all("@" in e for e in org.email)
    assert not any("@" in x for x in org.login)
    assert all(x.startswith("E") and x[1:].isdigit() for x in org.employee_number)


def test_structure_depends_on_seed_and_size_not_on_period_length() -> None:
    a, b = build_org(9, 300, 120), build_org(9, 300, 60)
    assert (a.email == b.email).all() and (a.team == b.team).all()
    assert (a.manager == b.manager).all() and (a.role == b.role).all()
    c = build_org(10, 300, 120)
    assert not (a.email == c.email).all()
