"""`Workspace.readiness_assessment` and `record_readiness`: aggregates, k, the ingest path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from factories import FROZEN_NOW
from programme.readiness_org import AS_OF, EVERYONE, fill
from uptake.errors import InputError, PermissionDeniedError
from uptake.workspace import Workspace
from uptake.workspace.access import Actor

ON = datetime(2026, 5, 30, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    with Workspace.init(tmp_path_factory.mktemp("ws-readiness") / "ws") as w:
        fill(w)
        yield w
    mp.undo()


def _cond(doc: dict, key: str) -> dict:  # type: ignore[type-arg]
    return next(c for c in doc["conditions"] if c["condition"] == key)


def test_assessment_head_and_hand_numbers(ws: Workspace) -> None:
    doc = ws.readiness_assessment(as_of=AS_OF)
    assert doc["as_of"] == "2026-05-31" and doc["as_of_rule"] == "given"
    assert doc["window_days"] == 28 and doc["min_group_size"] == 5
    assert doc["gap_below"] == ws.settings.programme.gap_below == 60
    assert _cond(doc, "management_activation")["score"] == 60.0
    assert _cond(doc, "override_architecture")["score"] == 70.0
    # The signals found nobody asking for help: the champion network says what it needs.
    champ = _cond(doc, "champion_network")
    assert champ["status"] == "not_available" and champ["needs"] == ["help_edges"]
    assert champ["score"] is None
    # Asked again: the same answer (remembered until new data).
    assert ws.readiness_assessment(as_of=AS_OF) == doc


@pytest.mark.parametrize("role", ["manager", "coach", "person", "ingest"])
def test_only_aggregate_readers(ws: Workspace, role: str) -> None:
    scope = {"manager": ("t1",), "coach": ("t1",)}.get(role, ())
    actor = Actor("x", role, teams=scope, person_key="p_x" if role == "person" else None)
    with pytest.raises(PermissionDeniedError):
        ws.readiness_assessment(as_of=AS_OF, actor=actor)
    analyst = ws.readiness_assessment(as_of=AS_OF, actor=Actor("a", "analyst"))
    assert analyst["conditions"]


def test_the_leads_answers_go_through_ingest_without_a_person(ws: Workspace) -> None:
    before = ws.readiness_assessment(as_of=AS_OF)
    assert _cond(before, "role_redesign")["status"] == "not_available"
    got = ws.record_readiness({"role_redesign_1": 2, "role_redesign_2": 3}, ts=ON, now=FROZEN_NOW)
    assert (got["accepted"], got["quarantined"], got["person_stored"]) == (2, 0, False)
    rows = ws.con.execute(
        "SELECT person_key, instrument FROM responses WHERE item LIKE 'role_redesign_%'"
    ).fetchall()
    assert rows == [(None, "readiness"), (None, "readiness")]
    after = ws.readiness_assessment(as_of=AS_OF)
    role = _cond(after, "role_redesign")
    # (2 + 3) / 2 = 2.5 on 1–5 → 37.5, the questionnaire alone: a gap.
    assert (role["score"], role["status"], role["basis"]) == (37.5, "gap", "questionnaire")
    assert after["questionnaire"]["lead_answered"] is True
    # Answers after the as-of date do not count on it.
    earlier = ws.readiness_assessment(as_of=AS_OF.replace(day=29))
    assert _cond(earlier, "role_redesign")["status"] == "not_available"


def test_respondents_are_pseudonymised_and_averaged_from_k(ws: Workspace) -> None:
    for p in EVERYONE[:4]:
        ws.record_readiness({"management_1": 5}, person=p, ts=ON, now=FROZEN_NOW)
    got = ws.con.execute("SELECT person_key FROM responses WHERE item = 'management_1'")
    keys = {r[0] for r in got.fetchall()}
    assert keys == {ws.pseudonymise(p) for p in EVERYONE[:4]}
    stored = ws.con.execute("SELECT string_agg(response_id, ' ') FROM responses").fetchone()
    assert stored is not None and "@" not in str(stored[0])
    few = ws.readiness_assessment(as_of=AS_OF)
    item = next(i for i in few["questionnaire"]["items"] if i["item"] == "management_1")
    assert item["status"] == "hidden" and item["mean"] is None
    assert few["questionnaire"]["respondents"] is None
    note = few["questionnaire"]["respondents_note"]
    assert note == "fewer than 5 respondents besides the programme lead"
    ws.record_readiness({"management_1": 3}, person=EVERYONE[4], ts=ON, now=FROZEN_NOW)
    enough = ws.readiness_assessment(as_of=AS_OF)
    item = next(i for i in enough["questionnaire"]["items"] if i["item"] == "management_1")
    assert (item["n"], item["mean"], item["source"]) == (5, pytest.approx(4.6), "respondents")
    mgmt = _cond(enough, "management_activation")
    # Data 60 and questionnaire (4.6 − 1) / 4 × 100 = 90, blended.
    assert mgmt["score"] == 75.0 and mgmt["basis"] == "data and questionnaire (equal weights)"
    # Per function: three respondents in finance and two in sales, both below k.
    segs = {s["segment"]: s["suppressed"] for s in enough["questionnaire"]["segments"]}
    assert segs == {"finance": "small", "sales": "small"}


def test_bad_answers_are_refused_before_anything_is_written(ws: Workspace) -> None:
    n = ws.con.execute("SELECT count(*) FROM responses").fetchone()
    with pytest.raises(InputError, match="unknown readiness item"):
        ws.record_readiness({"shoe_size": 3}, ts=ON, now=FROZEN_NOW)
    with pytest.raises(InputError, match="from 1 to 5"):
        ws.record_readiness({"override_1": 0}, ts=ON, now=FROZEN_NOW)
    assert ws.con.execute("SELECT count(*) FROM responses").fetchone() == n
    with pytest.raises(PermissionDeniedError):
        ws.record_readiness({"override_1": 3}, ts=ON, now=FROZEN_NOW, actor=Actor("a", "analyst"))


def test_a_day_outside_the_workspace_dates_is_bad_input(ws: Workspace) -> None:
    with pytest.raises(InputError, match="outside the dates this workspace holds"):
        ws.readiness_assessment(as_of=AS_OF.replace(year=1))


def test_answers_given_today_count_by_default(ws: Workspace) -> None:
    # The default as-of is the last day with data, which lags what the lead records today:
    # `readiness answer` then `readiness` had shown the item "not answered yet".
    def item(doc: dict, name: str) -> dict:  # type: ignore[type-arg]
        return next(i for i in doc["questionnaire"]["items"] if i["item"] == name)

    last = date.fromisoformat(ws.readiness_assessment()["as_of"])
    assert item(ws.readiness_assessment(), "transparency_2")["mean"] is None
    ws.record_readiness({"transparency_2": 4})  # given now
    assert item(ws.readiness_assessment(), "transparency_2")["mean"] == 4.0
    # An as-of that is given still judges on that day.
    assert item(ws.readiness_assessment(as_of=last), "transparency_2")["mean"] is None
