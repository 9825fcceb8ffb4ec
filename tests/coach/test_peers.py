"""Peers' use cases: k-anonymous (role, workflow) rows ranked by completion, then minutes saved."""

from __future__ import annotations

import json

from metrics.conftest import Warehouse, wh  # noqa: F401
from uptake.coach.library import load_library
from uptake.coach.peers import BASELINE, PEERS, peer_use_cases, ranked_use_cases

AS_OF = "2026-05-31"
DAY = "2026-05-20T10:00:00"


def fill(w: Warehouse) -> None:
    """Financial analysts (f0..f5) and counsel (c0..c2) with hand-counted runs."""
    for i in range(6):
        w.person(f"f{i}", role="financial analyst", team="fin")
    for i in range(3):
        w.person(f"c{i}", role="counsel", function="legal", team="legal")
    w.workflow("fin.variance_analysis", name="Variance analysis", baseline_minutes=120)
    w.workflow("fin.board_pack", name="Board pack", baseline_minutes=180)
    # Variance: 4 people with AI, all completed in 60 min; 3 people without AI (6 runs), 100.
    for i in range(4):
        w.task(f"f{i}", "fin.variance_analysis", DAY, minutes=60)
    for i in (3, 4, 5):
        w.task(f"f{i}", "fin.variance_analysis", DAY, ai_assisted=False, minutes=100)
        w.task(f"f{i}", "fin.variance_analysis", DAY, ai_assisted=False, minutes=100)
    # Board pack: 3 people with AI, 8 runs, 4 completed (a run without status or end is not);
    # no runs without AI → the catalogue baseline.
    for i in range(3):
        w.task(f"f{i}", "fin.board_pack", DAY, minutes=120)
        w.task(f"f{i}", "fin.board_pack", DAY, minutes=None, status=(None if i else "abandoned"))
    w.task("f1", "fin.board_pack", DAY, status="abandoned", minutes=None)
    w.task("f2", "fin.board_pack", DAY, minutes=120)
    # Not catalogued: 3 people, all completed, no baseline → minutes saved not available.
    for i in range(3):
        w.task(f"f{i}", "fin.uncatalogued", DAY, minutes=50)
    # Reconciliation: only 2 people with AI → never shown.
    for i in range(2):
        for _ in range(5):
            w.task(f"f{i}", "fin.reconciliation", DAY, minutes=30)
    # Before the window: does not count.
    for i in range(3, 6):
        w.task(f"f{i}", "fin.reconciliation", "2026-03-01T10:00:00", minutes=30)
    for i in range(3):
        w.task(f"c{i}", "legal.contract_review", DAY, minutes=90)


def test_rows_rank_by_completion_then_minutes_saved(wh: Warehouse) -> None:  # noqa: F811
    fill(wh)
    doc = peer_use_cases(wh.ctx(AS_OF, k=3))
    assert doc["status"] == "ok" and doc["start"] == "2026-05-04" and doc["days"] == 28
    roles = {r["role"]: r["workflows"] for r in doc["roles"]}
    assert set(roles) == {"counsel", "financial analyst"}
    fa = roles["financial analyst"]
    assert [w["workflow"] for w in fa] == [
        "fin.variance_analysis",
        "fin.uncatalogued",
        "fin.board_pack",
    ]
    var, unc, board = fa
    assert (var["rank"], var["people"], var["ai_runs"], var["completion_rate"]) == (1, 4, 4, 1.0)
    assert (var["minutes_saved"], var["basis"], var["name"]) == (40.0, PEERS, "Variance analysis")
    assert (unc["minutes_saved"], unc["basis"], unc["name"]) == (None, None, "fin.uncatalogued")
    assert (board["people"], board["ai_runs"], board["completed"]) == (3, 8, 4)
    assert board["completion_rate"] == 0.5
    assert (board["minutes_saved"], board["basis"]) == (60.0, BASELINE)


def test_k_holds_and_no_person_appears(wh: Warehouse) -> None:  # noqa: F811
    fill(wh)
    doc = peer_use_cases(wh.ctx(AS_OF, k=4))
    roles = {r["role"]: r["workflows"] for r in doc["roles"]}
    # Only variance analysis has 4 people with AI; its runs without AI (3 people) are below
    # k, so the saving falls back to the catalogue baseline.
    assert list(roles) == ["financial analyst"]
    [var] = roles["financial analyst"]
    assert (var["workflow"], var["minutes_saved"], var["basis"]) == (
        "fin.variance_analysis",
        60.0,
        BASELINE,
    )
    text = json.dumps(doc)
    assert not any(f'"{p}"' in text for p in ("f0", "f1", "f2", "f3", "c0", "person_key"))


def test_one_role_case_insensitive_and_roles_from_dim_person(wh: Warehouse) -> None:  # noqa: F811
    fill(wh)
    wh.license("f0", "2026-01-01")
    wh.event("f0", DAY)
    doc = peer_use_cases(wh.facts_ctx(AS_OF, k=3), role="COUNSEL")
    assert [r["role"] for r in doc["roles"]] == ["counsel"]
    [row] = doc["roles"][0]["workflows"]
    assert (row["workflow"], row["people"], row["basis"]) == ("legal.contract_review", 3, None)
    assert peer_use_cases(wh.ctx(AS_OF), role="recruiter")["roles"] == []


def test_the_lookback_can_be_longer_than_the_window(wh: Warehouse) -> None:  # noqa: F811
    fill(wh)
    doc = peer_use_cases(wh.ctx(AS_OF, k=3), days=120)
    fa = {w["workflow"]: w for w in doc["roles"][1]["workflows"]}
    assert fa["fin.reconciliation"]["people"] == 5


def test_not_available_without_tasks(wh: Warehouse) -> None:  # noqa: F811
    wh.person("f0", role="financial analyst")
    wh.license("f0")
    doc = peer_use_cases(wh.ctx(AS_OF))
    assert doc["status"] == "not_available"
    assert doc["needs"] == ["tasks"] and doc["message"] == "not available: needs tasks"
    assert doc["roles"] == []


def test_not_available_without_roles(wh: Warehouse) -> None:  # noqa: F811
    for i in range(3):
        wh.person(f"p{i}", role=None)
        wh.task(f"p{i}", "eng.bug_fix", DAY)
    doc = peer_use_cases(wh.ctx(AS_OF))
    assert doc["message"] == "not available: needs people.role"


def test_use_cases_on_workflows_that_work_for_peers_come_first(wh: Warehouse) -> None:  # noqa: F811
    fill(wh)
    peers = peer_use_cases(wh.ctx(AS_OF, k=3))
    lib = load_library()
    plain = [c.id for c in lib.for_role("financial analyst")]
    ranked = ranked_use_cases(lib, peers, "Financial Analyst")
    assert sorted(c["id"] for c in ranked) == sorted(plain)
    # Variance analysis ranks 1st for peers, board pack 3rd; the rest keep the library order.
    assert [c["id"] for c in ranked[:2]] == ["fa-variance-first-draft", "fa-board-pack-commentary"]
    assert ranked[0]["peers"]["rank"] == 1 and ranked[1]["peers"]["rank"] == 3
    assert [c["id"] for c in ranked[2:]] == [
        i for i in plain if i not in {c["id"] for c in ranked[:2]}
    ]
    assert all(c["peers"] is None for c in ranked[2:])
    gone = {"status": "not_available", "roles": []}
    assert [c["id"] for c in ranked_use_cases(lib, gone, "financial analyst")] == plain
