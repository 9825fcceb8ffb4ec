"""Overlapping tool groups: no published combination singles out fewer than k people.

The attack is independent of the plan's own check: for every set S of fewer than k people,
some combination of the published groups is non-zero only on S exactly when dropping S's
columns lowers the rank of the published membership matrix.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from itertools import combinations
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uptake.config import MetricsSettings
from uptake.metrics.context import MetricContext
from uptake.metrics.facts import PERSON_TOOL_DAY, person_tool_day_expr
from uptake.metrics.families import tools
from uptake.metrics.segments import build_dim_person
from uptake.metrics.tool_mix import MIX, OTHER, label, plan_tools
from uptake.metrics.tool_presence import DAY, Presence
from uptake.metrics.tool_release import Group, overlap_plan
from uptake.schema.migrations import migrate
from uptake.warehouse.engine import DuckDBEngine

AS_OF = date(2026, 5, 31)
TOOLS = ("copilot", "cursor", "claude")


def tools_ctx(wh: Any, *, k: int) -> MetricContext:
    """A context over only the facts tools read (dim_person, person-tool-day)."""
    c: MetricContext = wh.ctx(AS_OF, k=k)
    build_dim_person(c.engine)
    c.engine.materialize(PERSON_TOOL_DAY, person_tool_day_expr(c.engine, 0))
    return c


def singles_out(rows: list[np.ndarray], people: int, k: int) -> list[tuple[int, ...]]:
    """Every set of 1 … k−1 people some combination of `rows` is non-zero on alone."""
    if not rows:
        return []
    m = np.vstack(rows).astype(float)
    full = np.linalg.matrix_rank(m)
    found = []
    for size in range(1, k):
        for s in combinations(range(people), size):
            rest = np.delete(m, list(s), axis=1)
            if np.linalg.matrix_rank(rest) < full:
                found.append(s)
        if found:
            return found
    return found


def _mask(n: int, ix: Any) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    m[list(ix)] = True
    return m


def test_union_minus_one_tool_below_k_hides_it() -> None:
    # 12 licensed: A = 11 (everyone but one), B = 6; |A ∪ B| − |A| = 1 < k.
    n, k = 12, 5
    total = Group("total", np.ones(n, dtype=bool), rank=100, fixed=True)
    a = Group("A", _mask(n, range(11)), rank=50)
    b = Group("B", _mask(n, range(6, 12)), rank=50)
    hidden = overlap_plan([total, a, b], k)
    assert hidden == {"A": "complementary"}
    assert not singles_out([total.members, b.members], n, k)
    # Without the plan, total − A is the one person outside A.
    assert singles_out([total.members, a.members, b.members], n, k) == [(11,)]


def test_lower_rank_gives_way_and_small_groups_are_small() -> None:
    n, k = 20, 4
    total = Group("total", np.ones(n, dtype=bool), rank=100, fixed=True)
    people = Group("people", _mask(n, range(10)), rank=60)
    active = Group("active", _mask(n, range(8)), rank=50)
    tiny = Group("tiny", _mask(n, range(2)), rank=50)
    hidden = overlap_plan([total, people, active, tiny], k)
    assert hidden == {"active": "complementary", "tiny": "small"}


def test_table_rule_hides_a_second_cell() -> None:
    n, k = 15, 5
    cells = [Group("c1", _mask(n, range(2)), 20, table="t"),
             Group("c2", _mask(n, range(2, 8)), 20, table="t"),
             Group("c3", _mask(n, range(8, 15)), 20, table="t")]  # fmt: skip
    t = Group("t", np.ones(n, dtype=bool), 45)
    hidden = overlap_plan([t, *cells], k, totals={"t": "t"})
    assert hidden == {"c1": "small", "c2": "complementary"}


def test_pairwise_against_segment_groups() -> None:
    n, k = 12, 5
    total = Group("total", np.ones(n, dtype=bool), rank=100, fixed=True)
    tool = Group("people:x", _mask(n, range(7)), rank=60)
    team = _mask(n, range(6))  # a published team one person smaller than the tool's group
    assert overlap_plan([total, tool], k, external=team[None, :]) == {"people:x": "complementary"}
    assert overlap_plan([total, tool], k) == {}


@pytest.fixture(scope="module")
def empty_ctx() -> Iterator[MetricContext]:
    con = duckdb.connect(":memory:")
    migrate(con)
    yield MetricContext(DuckDBEngine(con), AS_OF, MetricsSettings(), 3)
    con.close()


def _presence(spec: list[tuple[set[str], set[str], bool]]) -> Presence:
    """Presence from (licensed tools, used tools, used this week) per person."""
    rows = []
    for i, (lic, used, week) in enumerate(spec):
        for t in sorted(lic | used):
            rows.append({"person_key": f"p{i:02d}", "tool": t, "licensed": t in lic,
                         "active": t in used, "active_days": float(t in used),
                         "week_active": week and t in used,
                         "weeks": float(1 + i % 4) if t in used else 0.0})  # fmt: skip
    frame = pd.DataFrame(rows, columns=["person_key", "tool", "licensed", "active",
                                        "active_days", "week_active", "weeks"])  # fmt: skip
    frame["week_active"] = frame["week_active"].astype("boolean")
    now = sorted({f"p{i:02d}" for i, (lic, _, _) in enumerate(spec) if lic})
    held = {t: sorted(f"p{i:02d}" for i, (lic, _, _) in enumerate(spec) if t in lic)
            for t in TOOLS}  # fmt: skip
    held = {t: v for t, v in held.items() if v}
    grains = dict.fromkeys(frame["tool"].unique().tolist(), DAY)
    start = AS_OF - timedelta(days=27)
    return Presence(frame, grains, now, start, AS_OF, AS_OF - timedelta(days=6), held)


person = st.tuples(
    st.sets(st.sampled_from(TOOLS), max_size=3),
    st.sets(st.sampled_from(TOOLS), max_size=3),
    st.booleans(),
)


@settings(max_examples=40, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(spec=st.lists(person, min_size=4, max_size=11), k=st.sampled_from([3, 4]))
def test_no_small_set_is_derivable_from_the_shown_groups(
    empty_ctx: MetricContext, spec: list[tuple[set[str], set[str], bool]], k: int
) -> None:
    pres = _presence(spec)
    empty_ctx.min_group_size = k
    plan = plan_tools(empty_ctx, pres)
    shown = [g.members for name, g in plan.groups.items()
             if plan.shown(name) and g.size and not g.fixed]  # fmt: skip
    total = plan.groups["total"].members
    # A licensed total below k is itself hidden by the metrics; then nothing else shows.
    published = [total, *shown] if total.sum() >= k else shown
    assert not singles_out(published, len(plan.keys), k)
    for name, g in plan.groups.items():
        if plan.shown(name) and not g.fixed:
            assert g.size == 0 or g.size >= k


def _scenario(wh: Any, spec: list[tuple[set[str], set[str]]]) -> None:
    for i, (lic, used) in enumerate(spec):
        p = f"p{i:02d}"
        wh.person(p)
        for t in sorted(lic):
            wh.license(p, tool=t)
        for t in sorted(used):
            wh.event(p, "2026-05-20T10:00:00", tool=t)


def _published(docs: dict[str, Any], spec: list[tuple[set[str], set[str]]]) -> list[np.ndarray]:
    """The membership of every group the three results publish, from the known truth."""
    n = len(spec)

    def who(cond: Any) -> np.ndarray:
        return np.array([bool(cond(lic, used)) for lic, used in spec], dtype=bool)

    rows = [who(lambda lic, used: bool(lic))]  # the licensed total, published by usage
    for r in docs["tool_usage"]["segments"]:
        t = r["segment"]
        if r["suppressed"]:
            continue
        rows.append(who(lambda lic, used, t=t: t in lic or t in used))
        if r["licensed"] is not None:
            rows.append(who(lambda lic, used, t=t: t in lic))
        if r["active"] is not None:
            rows.append(who(lambda lic, used, t=t: t in used))
        # Every use in these scenarios falls on one day: one week of use each.
        if r["one_week"] is not None:
            rows.append(who(lambda lic, used, t=t: t in used))
        assert r["every_week"] in (0, None) and r["some_weeks"] in (0, None)
    for r in docs["tool_cost"].get("segments") or []:
        if not r["suppressed"] and r.get("seat_cost_month") is not None:
            rows.append(who(lambda lic, used, t=r["segment"]: t in lic))
    mix = docs["tool_mix"]
    cells = [r["segment"] for r in mix["combinations"] if r["segment"] != OTHER]
    for c in cells:
        rows.append(who(lambda lic, used, c=c: bool(used) and label(used) == c))
    if mix["people"] is not None:
        rows.append(who(lambda lic, used: bool(used)))
    if any(r["segment"] == OTHER for r in mix["combinations"]):
        rows.append(who(lambda lic, used: bool(used) and label(used) not in cells))
    for r in mix["pairs"]:
        a, b = r["segment"].split(" + ")
        rows.append(who(lambda lic, used, a=a, b=b: a in used and b in used))
    assert all(len(x) == n for x in rows)
    return rows


SPECS = {
    "twelve": [({"copilot"}, {"copilot"})] * 6
    + [({"copilot", "cursor"}, {"copilot", "cursor"})] * 5
    + [({"cursor"}, {"cursor"})],
    "churn": [({"copilot"}, {"copilot"})] * 7
    + [({"copilot"}, set())] * 2
    + [({"copilot", "cursor"}, {"cursor"})] * 4
    + [(set(), {"claude"})] * 2
    + [({"claude"}, {"claude", "copilot"})] * 3,
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_attack_on_the_published_results(wh: Any, name: str) -> None:
    spec = SPECS[name]
    _scenario(wh, spec)
    k = 4
    docs = {r.name: r.to_dict() for r in tools.compute(tools_ctx(wh, k=k))}
    rows = _published(docs, spec)
    assert not singles_out(rows, len(spec), k)
    # Something is shown: the plan does not get there by hiding everything.
    assert any(not r["suppressed"] for r in docs["tool_usage"]["segments"])
    assert MIX == "mix"
