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
from uptake.metrics import compute_all
from uptake.metrics.context import MetricContext
from uptake.metrics.facts import PERSON_TOOL_DAY, person_tool_day_expr
from uptake.metrics.segments import build_dim_person
from uptake.metrics.tool_mix import MIX, OTHER, SEAT_TOTALS, label, plan_tools
from uptake.metrics.tool_presence import DAY, Presence
from uptake.metrics.tool_release import Group, overlap_plan
from uptake.metrics.tool_segments import SEGMENT_NAMES, ToolSegments
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


def singles_out(
    rows: list[np.ndarray], people: int, k: int, headline: list[np.ndarray] | None = None
) -> list[tuple[int, ...]]:
    """Every set of 1 … k−1 people some combination of `rows` is non-zero on alone.

    `headline` rows (the licensed total and the licences' seat counts, also in `rows`) are
    published whatever the plan says: people they alone put in a class of fewer than k (equal
    values in every one of them) are taken as known, their columns removed first.
    """
    if not rows:
        return []
    m = np.vstack(rows).astype(float)
    keep = list(range(people))
    if headline:
        sig = [tuple(col) for col in np.vstack(headline).T.tolist()]
        counted = np.vstack(headline).any(axis=0)
        keep = [i for i in keep if not (counted[i] and sig.count(sig[i]) < k)]
        m = m[:, keep]
    full = np.linalg.matrix_rank(m)
    found = []
    for size in range(1, k):
        for s in combinations(range(len(keep)), size):
            rest = np.delete(m, list(s), axis=1)
            if np.linalg.matrix_rank(rest) < full:
                found.append(tuple(keep[i] for i in s))
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


def _seat_use(spec: list[tuple[set[str], set[str], bool]]) -> pd.DataFrame:
    """The seats held (one per licensed tool), used or not; a tool nobody used is unknown."""
    used_tools = {t for _, used, _ in spec for t in used}
    rows = [{"person_key": f"p{i:02d}", "tool": t, "used": t in used, "known": t in used_tools}
            for i, (lic, used, _) in enumerate(spec) for t in sorted(lic)]  # fmt: skip
    return pd.DataFrame(rows, columns=["person_key", "tool", "used", "known"])


def _seat_rows(spec: list[tuple[set[str], set[str], bool]], keys: list[str]) -> list[np.ndarray]:
    """The licences' seats held, seats of known use and seats used, as counts per person."""
    use = _seat_use(spec)
    at = pd.Index(keys).get_indexer(use["person_key"])
    counted = [np.ones(len(use)), use["known"], use["known"] & use["used"]]
    return [np.bincount(at, weights=np.asarray(c, float), minlength=len(keys)) for c in counted]


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
    # The licences' seat counts join the plan: they add up the tools' seat holders.
    plan = plan_tools(empty_ctx, pres, seat_use=_seat_use(spec) if pres.held_now else None)
    shown = [g.members for name, g in plan.groups.items()
             if plan.shown(name) and g.size and not g.fixed]  # fmt: skip
    total = plan.groups["total"].members
    seat_rows = _seat_rows(spec, plan.keys) if pres.held_now else []
    assert all(name in plan.groups for name in SEAT_TOTALS) == bool(pres.held_now)
    # A licensed total below k is itself hidden by the metrics; then nothing else shows.
    headline = [total, *seat_rows] if total.sum() >= k else []
    published = [*headline, *shown]
    assert not singles_out(published, len(plan.keys), k, headline)
    for name, g in plan.groups.items():
        if plan.shown(name) and not g.fixed:
            assert g.size == 0 or g.size >= k


@settings(max_examples=30, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    spec=st.lists(person, min_size=4, max_size=10),
    classes=st.lists(st.integers(0, 4), min_size=60, max_size=60),
    k=st.sampled_from([3, 4]),
)
def test_usage_segment_groups_single_out_no_one(
    empty_ctx: MetricContext,
    spec: list[tuple[set[str], set[str], bool]],
    classes: list[int],
    k: int,
) -> None:
    """Each tool's seat holders split by usage segment (both variants) join the plan safely."""
    pres = _presence(spec)
    segs = ToolSegments()
    draw = iter(classes)
    for variant in ("12w", "4w"):
        segs.members[variant] = {}
        for tool, holders in pres.held_now.items():
            by: dict[str, list[str]] = {c: [] for c in SEGMENT_NAMES}
            for p in holders:
                by[SEGMENT_NAMES[next(draw, 0)]].append(p)
            segs.members[variant][tool] = by
    empty_ctx.min_group_size = k
    plan = plan_tools(empty_ctx, pres, None, segs)
    shown = [g.members for name, g in plan.groups.items()
             if plan.shown(name) and g.size and not g.fixed]  # fmt: skip
    total = plan.groups["total"].members
    published = [total, *shown] if total.sum() >= k else shown
    assert not singles_out(published, len(plan.keys), k)


Person = tuple[set[str], ...]  # (licensed tools, used tools[, heavily used tools])


def _three(spec: list[Person]) -> list[tuple[set[str], set[str], set[str]]]:
    return [(p[0], p[1], p[2] if len(p) > 2 else set()) for p in spec]


def _scenario(wh: Any, spec: list[Person]) -> None:
    for i, (lic, used, heavy) in enumerate(_three(spec)):
        p = f"p{i:02d}"
        wh.person(p)
        for t in sorted(lic):
            wh.license(p, "2026-01-01", tool=t)
        for t in sorted(used - heavy):
            wh.event(p, "2026-05-20T10:00:00", tool=t)
        for t in sorted(heavy):
            # 20 actions in every 7-day block of the last 12 weeks: a power user of t.
            for b in range(12):
                d = AS_OF - timedelta(days=7 * b + 1)
                wh.events(p, [f"{d.isoformat()}T09:{m:02d}:00" for m in range(20)], tool=t)


def _published(docs: dict[str, Any], spec: list[Person]) -> list[np.ndarray]:
    """The membership of every group the results publish, from the known truth."""
    people = _three(spec)
    n = len(people)

    def who(cond: Any) -> np.ndarray:
        return np.array([bool(cond(lic, used | hv, hv)) for lic, used, hv in people], dtype=bool)

    rows = [who(lambda lic, used, hv: bool(lic))]  # the licensed total, published by usage
    for r in docs["tool_usage"]["segments"]:
        t = r["segment"]
        if r["suppressed"]:
            continue
        rows.append(who(lambda lic, used, hv, t=t: t in lic or t in used))
        if r["licensed"] is not None:
            rows.append(who(lambda lic, used, hv, t=t: t in lic))
        if r["active"] is not None:
            rows.append(who(lambda lic, used, hv, t=t: t in used))
        # Light use falls on one day (one week of use); heavy use on every week.
        if r["one_week"] is not None:
            rows.append(who(lambda lic, used, hv, t=t: t in used and t not in hv))
        if r["every_week"] is not None:
            rows.append(who(lambda lic, used, hv, t=t: t in hv))
        assert r["some_weeks"] in (0, None)
    for r in docs["tool_cost"].get("segments") or []:
        if not r["suppressed"] and r.get("seat_cost_month") is not None:
            rows.append(who(lambda lic, used, hv, t=r["segment"]: t in lic))
    mix = docs["tool_mix"]
    cells = [r["segment"] for r in mix["combinations"] if r["segment"] != OTHER]
    for c in cells:
        rows.append(who(lambda lic, used, hv, c=c: bool(used) and label(used) == c))
    if mix["people"] is not None:
        rows.append(who(lambda lic, used, hv: bool(used)))
    if any(r["segment"] == OTHER for r in mix["combinations"]):
        rows.append(who(lambda lic, used, hv: bool(used) and label(used) not in cells))
    for r in mix["pairs"]:
        a, b = r["segment"].split(" + ")
        rows.append(who(lambda lic, used, hv, a=a, b=b: a in used and b in used))
    for r in (docs.get("usage_rate") or {}).get("segments") or []:
        if r["suppressed"]:
            continue
        rows.append(who(lambda lic, used, hv, t=r["segment"]: t in lic))
        if r["active"] is not None:
            rows.append(who(lambda lic, used, hv, t=r["segment"]: t in lic and t in used))
    for r in (docs.get("licenses") or {}).get("by_tool") or []:
        if not r["suppressed"]:
            rows.append(who(lambda lic, used, hv, t=r["group"]: t in lic))
    for metric in ("usage_segments_12w", "usage_segments_4w"):
        for r in (docs.get(metric) or {}).get("segments") or []:
            if r["suppressed"]:
                continue
            t = r["segment"]
            rows.append(who(lambda lic, used, hv, t=t: t in lic))
            # Light use is one action on one day (low); heavy use makes a power user.
            assert r["habitual"] in (0, None) and r["novice"] in (0, None)
            classes = {
                "power": lambda lic, used, hv, t=t: t in lic and t in hv,
                "low": lambda lic, used, hv, t=t: t in lic and t in used and t not in hv,
                "non_user": lambda lic, used, hv, t=t: t in lic and t not in used,
            }
            for name, cond in classes.items():
                if r[name] is not None:
                    assert r[name] == int(who(cond).sum())
                    rows.append(who(cond))
    assert all(len(x) == n for x in rows)
    return rows


def _headline(docs: dict[str, Any], spec: list[Person]) -> list[np.ndarray]:
    """The licensed total and the licences' seat counts (seats, known, used) per person.

    Seats, not people: someone holding two tools' seats counts twice. Every tool here has
    activity in the window, so every seat's use is known.
    """
    lic_doc = docs["licenses"]
    assert not lic_doc["suppressed"] and lic_doc["unknown"] == 0
    people = _three(spec)
    total = np.array([bool(lic) for lic, _, _ in people], dtype=float)
    held = np.array([len(lic) for lic, _, _ in people], dtype=float)
    used = np.array([len(lic & (u | hv)) for lic, u, hv in people], dtype=float)
    assert (held.sum(), used.sum()) == (lic_doc["seats"], lic_doc["used"])
    return [total, held, held, used]


SPECS: dict[str, list[Person]] = {
    "twelve": [({"copilot"}, {"copilot"})] * 6
    + [({"copilot", "cursor"}, {"copilot", "cursor"})] * 5
    + [({"cursor"}, {"cursor"})],
    "churn": [({"copilot"}, {"copilot"})] * 7
    + [({"copilot"}, set())] * 2
    + [({"copilot", "cursor"}, {"cursor"})] * 4
    + [(set(), {"claude"})] * 2
    + [({"claude"}, {"claude", "copilot"})] * 3,
    # The usage segments split seat holders in a way no other group does: one light user
    # of copilot among power users must not be shown as a class of one.
    "heavy": [({"copilot"}, set(), {"copilot"})] * 6
    + [({"copilot"}, {"copilot"})]
    + [({"copilot", "cursor"}, {"cursor"})] * 4
    + [({"cursor"}, set(), {"cursor"})] * 4,
    # Two tools; one person uses cursor without its seat, so cursor's seat holders are
    # hidden. The licences' seat total is copilot's seats plus cursor's: copilot's shown
    # seats must not give cursor's away by subtraction.
    "seat_sum": [({"copilot"}, {"copilot"})] * 8
    + [({"cursor"}, {"cursor"})] * 5
    + [({"copilot"}, {"copilot", "cursor"})],
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_attack_on_the_published_results(wh: Any, name: str) -> None:
    spec = SPECS[name]
    _scenario(wh, spec)
    k = 4
    ctx = wh.facts_ctx(AS_OF, k=k)
    # One computation `--by tool`: usage_rate, the usage segments and the tools family
    # publish per-tool groups under one plan.
    report = compute_all(ctx.engine, AS_OF, ctx.settings, k, by="tool",
                         families=["usage", "usage_segments", "tools", "licenses"])  # fmt: skip
    docs = {name: r.to_dict() for name, r in report.results.items()}
    assert docs["usage_segments_4w"]["segments"] and docs["usage_rate"]["segments"]
    headline = _headline(docs, spec)
    rows = [*headline, *_published(docs, spec)]
    assert not singles_out(rows, len(spec), k, headline)
    # Something is shown: the plan does not get there by hiding everything. In "twelve"
    # the seats less the licensed people are the five holding both seats, and cursor's six
    # are those five and one more: the tools give way to the licences' numbers.
    shown_tools = any(not r["suppressed"] for r in docs["tool_usage"]["segments"])
    assert shown_tools or name == "twelve"
    assert MIX == "mix"
