"""Licenses: assigned, used, unused, eligibility-aware reclaim, the saving."""

from __future__ import annotations

from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.results import entries
from uptake.metrics.families import licenses
from uptake.metrics.privacy import TOTAL

AS_OF = "2024-03-31"  # window 03-04..03-31; grace: hired or seated after 03-17 is new


def _org(wh: Any) -> None:
    seats = {
        # person: (status, hire date, seat date, cost, activity day or None)
        "used1": ("active", "2020-01-01", "2024-01-01", 30.0, "2024-03-20"),
        "used2": ("active", "2020-01-01", "2024-01-01", 30.0, "2024-03-05"),
        "idle1": ("active", "2020-01-01", "2024-01-01", 30.0, None),
        "idle2": ("active", "2020-01-01", "2024-01-01", None, "2024-02-01"),  # before window
        "onleave": ("leave", "2020-01-01", "2024-01-01", 30.0, None),
        "newhire": ("active", "2024-03-25", "2024-03-25", 30.0, None),
        "newseat": ("active", "2020-01-01", "2024-03-20", 30.0, None),
        "gone": ("left", "2020-01-01", "2024-01-01", 25.0, "2024-03-10"),
    }
    for p, (status, hired, seat, cost, active) in seats.items():
        wh.person(p, status=status, hire_date=hired)
        wh.license(p, seat, monthly_cost=cost)
        if active:
            wh.event(p, f"{active}T10:00")
    wh.license("old", "2023-01-01", removed_at="2024-02-01")  # not assigned on as_of
    # A second tool nobody's activity reports: its use is unknown, never "unused".
    wh.license("used1", "2024-01-01", tool="dark", monthly_cost=10.0)


def test_assigned_used_unused_and_reclaim(wh: Any) -> None:
    _org(wh)
    e = entries(licenses.compute(wh.facts_ctx(AS_OF)))["licenses"]
    # Seats on 03-31: 8 copilot + 1 "dark" = 9, held by 8 people.
    # copilot used in window: used1, used2, gone → 3; unused: idle1, idle2, onleave,
    # newhire, newseat → 5; dark: unknown 1.
    assert [e[x] for x in ("n", "seats", "used", "unused", "unknown")] == [8, 9, 3, 5, 1]
    assert e["utilisation"] == 3 / 8
    # Reclaim: idle1, idle2 (unused, not new, not on leave) and gone (left) → 3 seats.
    # Kept: onleave (on leave), newhire (hired 03-25), newseat (seated 03-20).
    assert e["reclaim_seats"] == 3
    assert (e["kept_on_leave"], e["kept_new_starters"]) == (1, 2)
    # Saving: idle1 30 + gone 25 = 55 a month; idle2 has no price.
    assert (e["monthly_saving"], e["annual_saving"], e["reclaim_unpriced"]) == (55.0, 660.0, 1)
    assert e["notes"] == [
        "saving covers the 2 seats to reclaim with a price; 1 seat has no price "
        "(licenses.monthly_cost)"
    ]
    tools = {r["group"]: r for r in e["by_tool"]}
    # copilot: 8 people; dark: 1 person → hidden, and copilot with it.
    assert (tools["dark"]["suppressed"], tools["copilot"]["suppressed"]) == (
        "small",
        "complementary",
    )


def test_a_window_past_the_tools_data_is_unknown_use_not_unused(wh: Any) -> None:
    _org(wh)
    # Copilot's events end on 03-20: a window from 05-04 holds none of its data, so nobody
    # can be said not to use it; only the seat of someone who left is to reclaim.
    e = entries(licenses.compute(wh.facts_ctx("2024-05-31")))["licenses"]
    assert [e[x] for x in ("seats", "used", "unused", "unknown")] == [9, 0, 0, 9]
    assert e["utilisation"] is None
    assert e["reclaim_seats"] == 1 and e["monthly_saving"] == 25.0
    assert e["notes"][0].startswith("use unknown for every seat")


def test_candidate_list_for_admins(wh: Any) -> None:
    _org(wh)
    cand = licenses.reclaim_candidates(wh.facts_ctx(AS_OF))
    assert list(zip(cand.person_key, cand.reason, strict=True)) == [
        ("idle1", "unused"),
        ("gone", "left"),
        ("idle2", "unused"),
    ]


def test_last_activity_facts_count_as_use(wh: Any) -> None:
    wh.person("m")
    wh.license("m", "2024-01-01", tool="m365")
    wh.insert(
        "person_facts",
        person_key="m",
        source="m365",
        tool="m365",
        report_date="2024-03-30",
        fact="last_activity",
        value_date="2024-03-28",
    )
    for p in ("x", "y"):
        wh.person(p)
        wh.license(p, "2024-01-01", tool="m365")
    e = entries(licenses.compute(wh.facts_ctx(AS_OF)))["licenses"]
    # m365 use is observable through the facts: m used, x and y unused.
    assert [e[x] for x in ("seats", "used", "unused", "unknown")] == [3, 1, 2, 0]


def test_not_available_without_licenses(wh: Any) -> None:
    wh.event("p", "2024-03-26T09:00")
    (res,) = licenses.compute(wh.facts_ctx(AS_OF))
    assert (res.name, res.needs, res.value, res.n) == ("licenses", ("licenses",), None, None)


def test_saving_unknown_when_no_seat_to_reclaim_has_a_price(wh: Any) -> None:
    # A seats export without prices: three idle seats, one used; nothing says what they cost.
    for p in ("a", "b", "c", "d"):
        wh.person(p)
        wh.license(p, "2024-01-01", monthly_cost=None)
    wh.event("d", "2024-03-20T10:00")
    e = entries(licenses.compute(wh.facts_ctx(AS_OF)))["licenses"]
    assert (e["reclaim_seats"], e["reclaim_unpriced"]) == (3, 3)
    # Unknown, not 0: a saving of 0 would say reclaiming three seats is worth nothing.
    assert (e["monthly_saving"], e["annual_saving"]) == (None, None)
    assert e["notes"] == ["saving unknown: no price for 3 seats to reclaim (licenses.monthly_cost)"]


def test_nothing_to_reclaim_saves_a_true_zero(wh: Any) -> None:
    for p in ("a", "b", "c"):
        wh.person(p)
        wh.license(p, "2024-01-01", monthly_cost=None)
        wh.event(p, "2024-03-20T10:00")
    e = entries(licenses.compute(wh.facts_ctx(AS_OF)))["licenses"]
    assert (e["reclaim_seats"], e["monthly_saving"], e["annual_saving"]) == (0, 0.0, 0.0)
    assert "notes" not in e


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5), st.sampled_from(["a", "b", "c"]), st.booleans(), st.booleans(),
            st.booleans(), st.booleans(), st.sampled_from(["unused", "left", None]),
            st.sampled_from(["active", "leave", None]), st.sampled_from([None, 10.0, 19.5]),
        ),
        max_size=25,
    )
)  # fmt: skip
def test_group_sums_match_each_group_counted_alone(seats: list[tuple[Any, ...]]) -> None:
    """Each group's counts and saving are what its own seats give, counted one group at a time."""
    cols = ["person", "team", "known", "used", "candidate", "new_starter", "reason", "status",
            "monthly_cost"]  # fmt: skip
    df = pd.DataFrame(seats, columns=cols).assign(person_key=lambda d: "p" + d.person.astype(str))
    df = df.astype({"known": bool, "used": bool, "candidate": bool, "new_starter": bool,
                    "monthly_cost": float})  # fmt: skip

    def alone(g: pd.DataFrame) -> dict[str, Any]:
        cand = g[g["candidate"]]
        costed = cand["monthly_cost"].notna()
        return {
            "n": g["person_key"].nunique(), "seats": len(g),
            "used": int((g["known"] & g["used"]).sum()),
            "unused": int((g["known"] & ~g["used"]).sum()),
            "unknown": int((~g["known"]).sum()), "reclaim_seats": len(cand),
            "reclaim_unpriced": int((~costed).sum()),
            "monthly_saving": float(cand.loc[costed, "monthly_cost"].sum())
            if costed.any() or cand.empty else None,
            "kept_new_starters": int((g["new_starter"] & (g["reason"] == "unused")).sum()),
            "kept_on_leave": int((g["status"].eq("leave") & (g["reason"] == "unused")).sum()),
        }  # fmt: skip

    out = licenses._aggregate(df, "team")
    expected = [{"group": TOTAL, **alone(df)}]
    expected += [{"group": str(v), **alone(g)} for v, g in df.groupby("team", sort=True)]
    got = out.drop(columns=["utilisation", "annual_saving"]).to_dict("records")
    assert [list(r) for r in got] == [list(r) for r in expected]
    assert got == expected
