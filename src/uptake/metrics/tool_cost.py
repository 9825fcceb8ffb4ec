"""What each AI tool costs, in one reporting currency, per month and per (active) person.

Three inputs, whichever a vendor reports:

* seats: `licenses.monthly_cost` of the seats held at the end of `as_of` (a monthly run
  rate, in `metrics.currency`, the currency of licence prices);
* per-person spend: `person_facts` fact `cost` (attrs `currency`) reported in the window;
* spend without a person: `aggregate_facts` metric `cost` (dims `currency`) in the window.

Spend in the window is scaled to a month (× 30.4375 ÷ window days) and added to the seat run
rate: the tool's cost per month. Every amount is converted with `costs.rates` into
`costs.currency`; an amount in a currency without a rate makes the tool's cost "not
available: needs a rate for XYZ in costs.rates" — it is never summed as if it were the
reporting currency.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from uptake.config.costs import CostSettings
from uptake.metrics.context import MetricContext

COST = "cost"
MONTH_DAYS = 30.4375


# A tool with people in the window whose seats, spend reports and cost facts hold no price.
NO_PRICE = (
    "not available: needs a price (licenses.monthly_cost, or a spend or cost report of the tool)"
)


@dataclass
class ToolCost:
    """One tool's cost in the reporting currency (None where not reported or not convertible).

    Attributes:
        seat_month: seat run rate per month (seats held on as_of).
        spend_window: per-person and aggregate spend reported in the window.
        month: seat run rate plus the window's spend scaled to a month.
        missing: why the cost is not available (a currency without a rate), or None.
        currencies: the currencies the tool's inputs came in.
        sources: which inputs reported anything (seats, person spend, aggregate spend).
    """

    seat_month: float | None = None
    spend_window: float | None = None
    month: float | None = None
    missing: str | None = None
    currencies: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def tool_costs(
    ctx: MetricContext, costs: CostSettings, seat_rows: pd.DataFrame | None = None
) -> dict[str, ToolCost]:
    """Each tool's cost in the reporting currency.

    Args:
        ctx: metric context.
        costs: the cost settings (reporting currency and rates).
        seat_rows: every seat, as `tool_presence.seat_frame` reads them (read when None).

    Returns:
        Tool → its cost; tools no input prices are left out.
    """
    parts = [_seat_costs(ctx, seat_rows), _person_costs(ctx), _aggregate_costs(ctx)]
    amounts = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else pd.DataFrame(columns=["tool", "kind", "currency", "amount"])
    )
    out: dict[str, ToolCost] = {}
    for tool, rows in amounts.groupby("tool", sort=True):
        c = ToolCost()
        c.currencies = sorted({str(x) for x in rows["currency"].dropna()})
        c.sources = sorted({str(x) for x in rows["kind"]})
        unknown = sorted({
            str(x) if isinstance(x, str) and x else "(none)"
            for x in rows["currency"] if costs.rate(x if isinstance(x, str) else None) is None
        })  # fmt: skip
        if unknown:
            named = [u for u in unknown if u != "(none)"]
            if named:
                c.missing = f"not available: needs a rate for {', '.join(named)} in costs.rates"
            else:
                c.missing = "not available: needs the currency of every cost (attrs.currency)"
            out[str(tool)] = c
            continue
        rate = rows["currency"].map(lambda x: costs.rate(str(x)) or 0.0).astype(float)
        conv = rows["amount"].astype(float) * rate
        seat = conv[(rows["kind"] == "seats").to_numpy()]
        spend = conv[(rows["kind"] != "seats").to_numpy()]
        c.seat_month = round(float(seat.sum()), 2) if len(seat) else None
        c.spend_window = round(float(spend.sum()), 2) if len(spend) else None
        scaled = float(spend.sum()) * MONTH_DAYS / ctx.window_days if len(spend) else 0.0
        c.month = round((c.seat_month or 0.0) + scaled, 2)
        out[str(tool)] = c
    return out


def _seat_costs(ctx: MetricContext, seat_rows: pd.DataFrame | None) -> pd.DataFrame:
    from uptake.metrics.tool_presence import held_at, seat_frame

    lic = seat_frame(ctx) if seat_rows is None else seat_rows
    held = held_at(lic, ctx.end_ts)
    held = held[held["monthly_cost"].notna()]
    if held.empty:
        return pd.DataFrame()
    frame = held.groupby("tool", as_index=False).agg(amount=("monthly_cost", "sum"))
    return frame.assign(kind="seats", currency=ctx.settings.currency)


def _person_costs(ctx: MetricContext) -> pd.DataFrame:
    if not ctx.has("person_facts"):
        return pd.DataFrame()
    pf = ctx.engine.table("person_facts")
    pf = pf.filter(
        (pf.fact == COST) & (pf.report_date >= ctx.window_start) & (pf.report_date <= ctx.as_of)
    )
    raw = ctx.engine.execute(pf.select("tool", "value", "attrs"))
    if raw.empty:
        return raw
    cur = raw["attrs"].map(lambda a: _field(a, "currency"))
    return pd.DataFrame(
        {"tool": raw["tool"], "kind": "person spend", "currency": cur,
         "amount": pd.to_numeric(raw["value"], errors="coerce").fillna(0.0)}
    )  # fmt: skip


def _aggregate_costs(ctx: MetricContext) -> pd.DataFrame:
    if not ctx.has("aggregate_facts"):
        return pd.DataFrame()
    af = ctx.engine.table("aggregate_facts")
    af = af.filter((af.metric == COST) & (af.day >= ctx.window_start) & (af.day <= ctx.as_of))
    raw = ctx.engine.execute(af.select("tool", "value", "dims"))
    if raw.empty:
        return raw
    cur = raw["dims"].map(lambda a: _field(a, "currency"))
    return pd.DataFrame(
        {"tool": raw["tool"], "kind": "aggregate spend", "currency": cur,
         "amount": pd.to_numeric(raw["value"], errors="coerce").fillna(0.0)}
    )  # fmt: skip


def _field(v: Any, name: str) -> str | None:
    if isinstance(v, str) and v:
        try:
            v = json.loads(v)
        except ValueError:
            return None
    if isinstance(v, dict):
        x = v.get(name)
        return str(x).strip().upper() if isinstance(x, str) and x.strip() else None
    return None
