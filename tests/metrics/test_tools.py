"""One person across tools: per-tool usage, the tool mix and cost, on hand-built warehouses."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from uptake.config.costs import CostSettings
from uptake.metrics.context import MetricContext
from uptake.metrics.facts import PERSON_TOOL_DAY, person_tool_day_expr
from uptake.metrics.families import licenses, tools
from uptake.metrics.result import MetricResult
from uptake.metrics.segments import build_dim_person

AS_OF = "2026-05-31"


def ctx(wh: Any, *, by: str | None = None, k: int = 3) -> MetricContext:
    """A context over only the facts tools read (dim_person, person-tool-day): fast."""
    c = wh.ctx(AS_OF, by=by, k=k)
    build_dim_person(c.engine)
    c.engine.materialize(PERSON_TOOL_DAY, person_tool_day_expr(c.engine, 0))
    return c


def _docs(results: list[MetricResult]) -> dict[str, dict[str, Any]]:
    return {r.name: r.to_dict() for r in results}


def _rows(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["segment"]: r for r in doc["segments"]}


def twelve(wh: Any) -> None:
    """12 people: 6 use Copilot only, 5 use Copilot and Cursor, 1 uses Cursor only."""
    for i in range(12):
        p = f"p{i:02d}"
        wh.person(p, team="t1" if i < 6 else "t2")
        if i < 11:
            wh.license(p, tool="copilot", monthly_cost=19.0)
            wh.event(p, "2026-05-20T10:00:00", tool="copilot")
        if i >= 6:
            wh.license(p, tool="cursor", monthly_cost=40.0)
            wh.event(p, "2026-05-21T10:00:00", tool="cursor")


def test_twelve_people_k5_known_cells(wh: Any) -> None:
    twelve(wh)
    docs = _docs(tools.compute(ctx(wh, k=5)))
    # Copilot's 11 people are the licensed total (12) minus the one Cursor-only person. And
    # the licences publish 17 seats for these 12 people: 5 hold two, and Cursor's 6 less
    # those 5 is the Cursor-only person again. Every tool row gives way to the licences.
    hidden = {"suppressed": "complementary"}
    assert _rows(docs["tool_usage"]) == {t: {"segment": t, **hidden} for t in ("copilot", "cursor")}
    assert _rows(docs["tool_cost"]) == {t: {"segment": t, **hidden} for t in ("copilot", "cursor")}
    mix = docs["tool_mix"]
    assert (mix["people"], mix["combinations"], mix["pairs"]) == (None, [], [])
    lic = _docs(licenses.compute(ctx(wh, k=5)))["licenses"]
    assert (lic["n"], lic["seats"]) == (12, 17)


def test_twelve_people_without_the_seat_count_show_cursor(wh: Any) -> None:
    """The same twelve when the licences' seat count says nothing more: no second seats.

    Cursor is used without seats by p06..p11, so the seats are Copilot's 11 and nobody holds
    two: Cursor's row shows, and "Copilot + Cursor" (5) merges into other combinations, as it
    differs from Cursor's 6 by the Cursor-only person.
    """
    for i in range(12):
        p = f"p{i:02d}"
        wh.person(p)
        if i < 11:
            wh.license(p, tool="copilot", monthly_cost=19.0)
            wh.event(p, "2026-05-20T10:00:00", tool="copilot")
        if i >= 6:
            wh.event(p, "2026-05-21T10:00:00", tool="cursor")
    docs = _docs(tools.compute(ctx(wh, k=5)))
    cur = _rows(docs["tool_usage"])["cursor"]
    # No seat of Cursor is known: its licensed people are unknown, not 0, and its people are
    # only those active in it, so a rate (6 of 6, 100 %) would say nothing.
    assert (cur["n"], cur["active"], cur["licensed"], cur["rate"]) == (6, 6, None, None)
    assert cur["licence_note"] == (
        "not available: needs licences for cursor (a seat list or licences naming it)"
    )
    cop = _rows(docs["tool_usage"])["copilot"]
    assert cop["licence_note"] is None and cop["rate"] == 1.0
    [note] = [n for n in docs["tool_usage"]["notes"] if n.startswith("no seat of")]
    assert note.startswith("no seat of cursor is known")
    cells = {r["segment"]: r["n"] for r in docs["tool_mix"]["combinations"]}
    assert "copilot + cursor" not in cells and "cursor only" not in cells
    assert docs["tool_mix"]["pairs"] == []


def test_larger_groups_show_every_cell(wh: Any) -> None:
    # 8 Copilot only, 6 both, 7 Cursor only; everyone licensed for what they use.
    for i in range(21):
        p = f"q{i:02d}"
        wh.person(p)
        use = ["copilot"] if i < 8 else ["copilot", "cursor"] if i < 14 else ["cursor"]
        for t in use:
            wh.license(p, tool=t)
            wh.event(p, "2026-05-27T09:00:00", tool=t)
    docs = _docs(tools.compute(ctx(wh, k=5)))
    cells = {r["segment"]: r["n"] for r in docs["tool_mix"]["combinations"]}
    assert cells == {"copilot only": 8, "copilot + cursor": 6, "cursor only": 7}
    assert [(r["segment"], r["n"]) for r in docs["tool_mix"]["pairs"]] == [("copilot + cursor", 6)]
    usage = _rows(docs["tool_usage"])
    assert (usage["copilot"]["n"], usage["cursor"]["n"]) == (14, 13)
    # The latest complete week (from 2026-05-25) holds every event.
    assert usage["copilot"]["weekly_active"] == 14
    levels = [usage["copilot"][lv] for lv in ("every_week", "some_weeks", "one_week")]
    assert levels == [0, 0, 14]


def copilot_user(wh: Any, person: str) -> None:
    """A Copilot seat holder with one event in the window's last week."""
    wh.person(person)
    wh.license(person, tool="copilot")
    wh.event(person, "2026-05-26T09:00:00", tool="copilot")


def chatgpt_period(wh: Any, person: str, start: str, end: str, grain: str, messages: float) -> None:
    """One user row of a ChatGPT Enterprise export, as its connector stores it."""
    attrs = json.dumps({"granularity": grain, "period_start": start, "period_end": end})
    facts = {"is_active": float(messages > 0), "messages": messages, "credits": 3.0}
    for fact, value in facts.items():
        wh.insert("person_facts", person_key=person, source="chatgpt-enterprise",
                  tool="chatgpt-enterprise", report_date=start, fact=f"{grain}.{fact}",
                  value=value, attrs=attrs)  # fmt: skip


@pytest.mark.parametrize("grain", ["week", "month"])
def test_period_grain_counts_at_its_grain(wh: Any, grain: str) -> None:
    span = ("2026-05-25", "2026-05-31") if grain == "week" else ("2026-05-01", "2026-05-31")
    for i in range(10):
        p = f"c{i:02d}"
        copilot_user(wh, p)
        # 7 of 10 sent messages in the period; 3 are listed with none.
        chatgpt_period(wh, p, *span, grain, 5.0 if i < 7 else 0.0)
    docs = _docs(tools.compute(ctx(wh, k=3)))
    row = _rows(docs["tool_usage"])["chatgpt-enterprise"]
    # Listed members, inactive ones too, are its people: the rate stands; no seat of it is
    # known, so its licensed people are not available (they had read 0).
    assert (row["grain"], row["n"], row["active"], row["rate"]) == (grain, 10, 7, 0.7)
    assert row["licensed"] is None and row["licence_note"].startswith("not available: needs")
    assert (
        row["daily_note"] == f"not available at daily grain: chatgpt-enterprise reports {grain}ly"
    )
    assert row["active_days_per_active"] is None
    if grain == "week":
        assert row["weekly_active"] == 7 and row["weekly_note"] is None
        assert (row["every_week"], row["some_weeks"], row["one_week"]) == (0, 0, 7)
    else:
        assert row["weekly_active"] is None and row["every_week"] is None
        assert row["weekly_note"] == (
            "not available at weekly grain: chatgpt-enterprise reports monthly"
        )
    assert f"chatgpt-enterprise: {grain}" in docs["tool_usage"]["grains"]
    assert any("reports" in n for n in docs["tool_usage"]["notes"])
    cells = {r["segment"]: r["n"] for r in docs["tool_mix"]["combinations"]}
    assert cells["chatgpt-enterprise + copilot"] == 7


def test_periods_are_found_among_daily_facts_whatever_their_json_layout(wh: Any) -> None:
    # Facts whose attributes cannot be a period's are left in the warehouse, never parsed; the
    # periods beside them are found however their JSON is laid out.
    for i in range(10):
        p = f"j{i:02d}"
        copilot_user(wh, p)
        period = {"period_end": "2026-05-31", "granularity": "week", "period_start": "2026-05-25"}
        attrs = (
            json.dumps(period, indent=2, separators=(" , ", " : ")) if i % 2 else json.dumps(period)
        )
        wh.insert("person_facts", person_key=p, source="chatgpt-enterprise",
                  tool="chatgpt-enterprise", report_date="2026-05-25", fact="week.messages",
                  value=4.0 if i < 7 else 0.0, attrs=attrs)  # fmt: skip
        for day, note in (("2026-05-26", "day"), ("2026-05-27", "weekly digest")):
            wh.insert("person_facts", person_key=p, source="m365", tool="chatgpt-enterprise",
                      report_date=day, fact="day.messages", value=1.0,
                      attrs=json.dumps({"granularity": "day", "note": note}))  # fmt: skip
    row = _rows(_docs(tools.compute(ctx(wh, k=3)))["tool_usage"])["chatgpt-enterprise"]
    assert (row["grain"], row["n"], row["active"], row["weekly_active"]) == ("week", 10, 7, 7)


def test_period_outside_the_window_is_not_counted(wh: Any) -> None:
    for i in range(6):
        p = f"o{i}"
        copilot_user(wh, p)
        chatgpt_period(wh, p, "2026-03-01", "2026-03-31", "month", 9.0)
    docs = _docs(tools.compute(ctx(wh, k=3)))
    assert set(_rows(docs["tool_usage"])) == {"copilot"}


def _priced(wh: Any) -> None:
    for i in range(6):
        p = f"m{i}"
        wh.person(p)
        wh.license(p, tool="cursor", monthly_cost=20.0)
        wh.event(p, "2026-05-26T09:00:00", tool="cursor")
        wh.insert("person_facts", person_key=p, source="cursor-spend", tool="cursor",
                  report_date="2026-05-20", fact="cost", value=14.0,
                  attrs=json.dumps({"currency": "EUR"}))  # fmt: skip
    wh.insert("aggregate_facts", day="2026-05-21", source="cursor-spend", tool="cursor",
              metric="cost", scope="api keys", dims=json.dumps({"currency": "USD"}),
              value=16.0)  # fmt: skip


def test_cost_in_one_currency(wh: Any) -> None:
    _priced(wh)
    costs = CostSettings(currency="USD", rates={"EUR": 1.5})
    row = _rows(_docs(tools.compute(ctx(wh), costs))["tool_cost"])["cursor"]
    assert row["seat_cost_month"] == 120.0
    # 6 × 14 EUR × 1.5 + 16 USD = 142 USD in the 28-day window, scaled to a month.
    assert row["spend_window"] == 142.0
    month = round(120.0 + 142.0 * 30.4375 / 28, 2)
    assert row["cost_month"] == month
    assert row["cost_per_person_month"] == round(month / 6, 2)
    assert row["cost_per_active_person_month"] == round(month / 6, 2)
    assert row["currency"] == "USD" and row["missing"] is None


def test_cost_in_a_currency_without_a_rate_is_not_summed(wh: Any) -> None:
    _priced(wh)
    doc = _docs(tools.compute(ctx(wh, k=3), CostSettings()))["tool_cost"]
    row = _rows(doc)["cursor"]
    assert row["missing"] == "not available: needs a rate for EUR in costs.rates"
    assert row["cost_month"] is None and row["seat_cost_month"] is None
    assert doc["notes"] == ["not available: needs a rate for EUR in costs.rates"]


def test_a_tool_in_use_without_any_price_is_listed_as_not_available(wh: Any) -> None:
    _priced(wh)
    for i in range(6):
        wh.person(f"c{i}")
        wh.license(f"c{i}", tool="copilot", monthly_cost=None)  # no price, no spend report
        wh.event(f"c{i}", "2026-05-26T09:00:00", tool="copilot")
    costs = CostSettings(currency="USD", rates={"EUR": 1.5})
    rows = _rows(_docs(tools.compute(ctx(wh, k=3), costs))["tool_cost"])
    assert rows["cursor"]["missing"] is None
    assert rows["copilot"]["missing"].startswith("not available: needs a price")
    assert rows["copilot"]["cost_month"] is None and rows["copilot"]["seat_cost_month"] is None


def test_cost_settings_validate() -> None:
    assert CostSettings(rates={"eur": 2}).rate("EUR") == 2.0
    assert CostSettings(currency="EUR").rate("eur") == 1.0
    assert CostSettings().rate(None) is None
    for bad in ({"EURO": 1.0}, {"EUR": 0}, {"EUR": "x"}):
        with pytest.raises(ValueError):
            CostSettings(rates=bad)


def test_no_data_is_not_available(wh: Any) -> None:
    docs = _docs(tools.compute(ctx(wh, k=3)))
    assert docs["tool_usage"]["status"] == "not_available"
    assert docs["tool_mix"]["status"] == "not_available"
    assert docs["tool_cost"]["status"] == "not_available"


def test_mix_by_segment_only_where_k_holds(wh: Any) -> None:
    # Team a: 6 Copilot only; team b: 2 Copilot only (below k=3, hidden), 6 both. Only
    # Copilot has seats: with Cursor seats too, the licences' 20 seats for 14 people would
    # say that 6 hold two, and team b less those 6 would be its 2 (team a then goes too).
    for i in range(14):
        p = f"s{i:02d}"
        wh.person(p, team="a" if i < 6 else "b")
        wh.license(p, tool="copilot")
        use = ["copilot"] if i < 8 else ["copilot", "cursor"]
        for t in use:
            wh.event(p, "2026-05-27T09:00:00", tool=t)
    res = tools.compute(ctx(wh, by="team", k=3))
    doc = _docs(res)["tool_mix"]
    assert doc["by"] == "team"
    seen = {(r["segment"], r["combination"]): r["n"] for r in doc["segments"]}
    assert seen[("a", "copilot only")] == 6
    assert ("b", "copilot only") not in seen
    assert all(n >= 3 for n in seen.values())


def test_with_noise_shown_counts_stay_at_or_above_k(wh: Any) -> None:
    from uptake.metrics.noise import Noise

    for i in range(21):
        p = f"n{i:02d}"
        wh.person(p)
        use = ["copilot"] if i < 8 else ["copilot", "cursor"] if i < 14 else ["cursor"]
        for t in use:
            wh.license(p, tool=t)
            wh.event(p, "2026-05-27T09:00:00", tool=t)
    c = ctx(wh, k=5)
    c.noise = Noise(enabled=True, key=b"k" * 32, as_of=c.as_of)
    res = {r.name: r for r in tools.compute(c)}
    assert res["tool_usage"].noisy and res["tool_mix"].noisy
    docs = {n: r.to_dict() for n, r in res.items()}
    for r in docs["tool_usage"]["segments"]:
        assert r["suppressed"] or r["n"] >= 5
    for r in docs["tool_mix"]["combinations"] + docs["tool_mix"]["pairs"]:
        assert r["n"] >= 5


def test_with_noise_other_combinations_is_the_total_less_the_cells_shown(wh: Any) -> None:
    from uptake.metrics.noise import Noise

    # 190 people; Claude and ChatGPT's combinations (3, 3 and 4 people) are below k, and
    # the plan merges every combination into "other combinations" (as on the vendor demo).
    for i in range(190):
        p = f"n{i:03d}"
        wh.person(p)
        use = (["copilot"] if i < 100 else ["copilot", "cursor"] if i < 150
               else ["cursor"] if i < 180 else ["claude"] if i < 183
               else ["chatgpt"] if i < 186 else ["claude", "chatgpt"])  # fmt: skip
        for t in use:
            wh.license(p, tool=t)
            wh.event(p, "2026-05-27T09:00:00", tool=t)
    c = ctx(wh, k=5)
    merged = 0
    for day in range(8):
        c.noise = Noise(enabled=True, key=b"k" * 32, as_of=c.as_of - timedelta(days=day))
        mix = next(r for r in tools.compute(c) if r.name == "tool_mix").to_dict()
        rows = {r["segment"]: r for r in mix["combinations"]}
        other = rows.pop("other combinations", None)
        if other is None:
            continue
        merged += 1
        # Noised on its own it had read 191 of 189 people active in any tool (101 %).
        assert other["n"] == max(5, mix["people"] - sum(r["n"] for r in rows.values())), mix
        assert other["share"] <= 1.0
    assert merged == 8


def test_garbled_period_attrs_are_ignored(wh: Any) -> None:
    for i in range(6):
        copilot_user(wh, f"g{i}")
    bad = ["not json", json.dumps([1, 2]), json.dumps({"granularity": "week"}),
           json.dumps({"granularity": "fortnight", "period_start": "2026-05-25",
                       "period_end": "2026-05-31"}),
           json.dumps({"granularity": "week", "period_start": "soon",
                       "period_end": "later"})]  # fmt: skip
    for i, attrs in enumerate(bad):
        wh.insert("person_facts", person_key=f"g{i}", source="x", tool="chatgpt-enterprise",
                  report_date="2026-05-31", fact="messages", value=3.0, attrs=attrs)  # fmt: skip
    docs = _docs(tools.compute(ctx(wh, k=3)))
    assert set(_rows(docs["tool_usage"])) == {"copilot"}


def test_ladder_per_tool_counts_weeks_of_use(wh: Any) -> None:
    # 5 people use Copilot in each of the window's four blocks, 4 in two, 3 in one.
    weeks = {"every": ["2026-05-04", "2026-05-12", "2026-05-19", "2026-05-30"],
             "some": ["2026-05-12", "2026-05-30"], "one": ["2026-05-30"]}  # fmt: skip
    people = [("every", 5), ("some", 4), ("one", 3)]
    i = 0
    for kind, count in people:
        for _ in range(count):
            wh.person(f"w{i:02d}")
            wh.license(f"w{i:02d}", tool="copilot")
            wh.events(f"w{i:02d}", [f"{d}T09:00:00" for d in weeks[kind]], tool="copilot")
            i += 1
    row = _rows(_docs(tools.compute(ctx(wh, k=3)))["tool_usage"])["copilot"]
    assert (row["every_week"], row["some_weeks"], row["one_week"]) == (5, 4, 3)
    assert row["active_days_per_active"] == round((5 * 4 + 4 * 2 + 3) / 12, 2)


def test_a_tool_without_seats_is_not_licensed_0_with_the_noise_on(wh: Any) -> None:
    from uptake.metrics.noise import Noise

    # Twelve Copilot seat holders, six of them also in Claude, and six more in Claude alone:
    # no seat of Claude is known.
    for i in range(12):
        copilot_user(wh, f"n{i:02d}")
        if i < 6:
            wh.event(f"n{i:02d}", "2026-05-27T09:00:00", tool="claude")
    for i in range(6):
        wh.person(f"c{i:02d}")
        wh.event(f"c{i:02d}", "2026-05-27T09:00:00", tool="claude")
    c = ctx(wh, k=3)
    for day in range(6):
        # With the noise on, an unknown 0 had been published as a noisy 0 to 3 licensed.
        c.noise = Noise(enabled=True, key=b"k" * 32, as_of=c.as_of - timedelta(days=day))
        row = _rows(_docs(tools.compute(c))["tool_usage"])["claude"]
        assert row["licensed"] is None and row["rate"] is None and row["licence_note"]
