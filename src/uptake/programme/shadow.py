"""Shadow AI: AI tools used outside what the company provides, as k-safe aggregates only.

Two sources, either enough. Web-proxy logs (`ai_web_visits`, AI tool domains only): the
people seen on an unsanctioned AI tool in the window, as a share of their segment's roster,
their days with a visit, and the tools most people use. The pulse survey (instrument
`pulse`): the share answering yes to `shadow_ai` ("used an AI tool the company does not
provide in the last month", score 1) and the catalogue tools named in `shadow_ai_tools`.

A tool is sanctioned when the catalogue marks it so, or when the company's own licence or
event data carries it (its catalogue name or one of its `provided_as` names, compared as
lower-case letters and digits: `chatgpt-enterprise` in licences sanctions ChatGPT).

Nothing here is about a person: every number describes a group of at least k people, and
the people *outside* that group within its parent (the segment, or the organisation) are k
or more too, so a count never says "everyone but two". Where the parent total is shown, the
hidden cells of a table are complemented until no hidden count can be worked out by
subtraction (`release`; a table that cannot be covered hides its total as well).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from uptake.ingest.ai_domains import Catalogue
from uptake.metrics.context import MetricContext
from uptake.metrics.privacy import table_hidden
from uptake.metrics.segments import NO_SEGMENT, person_segments

INSTRUMENT = "pulse"
ITEM_YES = "shadow_ai"
ITEM_TOOLS = "shadow_ai_tools"
# The survey item asks about the last month; a quarterly pulse still counts.
SURVEY_DAYS = 90
TOP_TOOLS = 5
ORG = "(organisation)"
NEEDS = "ai_web_visits (proxy logs) or pulse survey item shadow_ai"
SMALL = "hidden: fewer than k people"
COMPLEMENTARY = "hidden: would reveal a smaller group by subtraction"
SANCTIONED_RULE = (
    "sanctioned: marked so in the catalogue, or carried by the company's licence or event "
    "data (the catalogue tool's name or a provided_as name, compared as lower-case letters "
    "and digits)"
)


@dataclass
class Inputs:
    """What the engine counts, already reduced to pseudonymous keys and segments.

    Attributes:
        roster: person_key, segment — everyone the shares are out of.
        visits: person_key, day, tool — visits to unsanctioned AI tools in the window.
        survey: respondent, segment, yes (bool), tools (set of catalogue tools named).
        has_visits: whether any proxy data was ever ingested.
        has_survey: whether any shadow_ai answer was ever given.
        unrostered: people on unsanctioned tools who are not in the roster.
        sanctioned: catalogue tools counted as sanctioned (named tools are flagged with it:
            a personal account of a licensed tool is still named).
    """

    roster: pd.DataFrame
    visits: pd.DataFrame
    survey: pd.DataFrame
    has_visits: bool = False
    has_survey: bool = False
    unrostered: int = 0
    sanctioned: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


# -- privacy ----------------------------------------------------------------------------------


def release(
    parent: np.ndarray, count: np.ndarray, k: int, forced: np.ndarray
) -> tuple[list[str | None], bool]:
    """Why each cell's count is hidden (None: shown), for one table with a public total.

    A count is shown only when it is zero or at least k, and its complement in the cell's
    parent (parent − count) is at least k: "everyone in the team but two" is not shown, nor
    is "everyone in the team". A zero describes no one and is shown. The hidden cells are
    then complemented, smallest first, until subtraction from the public totals cannot undo
    them, even by someone who knows which cells are zero: the hidden non-zero counts are
    none, or two or more adding up to k or more people; the hidden complements add up to k
    or more people (so "all of the hidden ones" is never a conclusion either).

    Args:
        parent: people in each cell's parent (segment roster or respondents).
        count: people in each cell counted (on an unsanctioned tool, answering yes …).
        k: minimum group size.
        forced: cells hidden whatever their counts (their parent is hidden).

    Returns:
        One reason per cell (None, `SMALL` or `COMPLEMENTARY`), and whether the table's
        total may be shown: False when no cover exists, and then every cell is hidden too.
    """
    parent = np.asarray(parent, dtype=float)
    count = np.asarray(count, dtype=float)
    forced = np.asarray(forced, dtype=bool)
    rest = parent - count
    small = ((count > 0) & (count < k)) | (rest < k)
    hidden = forced | small
    safe = True
    while True:
        step, ok_count = _cover(count, k, hidden, pairs=True)
        step, ok_rest = _cover(rest, k, step, pairs=False)
        safe = ok_count and ok_rest
        if (step == hidden).all():
            break
        hidden = step
    reasons: list[str | None] = [
        None if not h else SMALL if (s or f) else COMPLEMENTARY
        for h, s, f in zip(hidden, small, forced, strict=True)
    ]
    return reasons, safe


def _cover(
    values: np.ndarray, k: int, hidden: np.ndarray, *, pairs: bool
) -> tuple[np.ndarray, bool]:
    """Hide more cells, smallest first, until the hidden ones cannot be told apart.

    With `pairs`, the hidden non-zero values must be none, or two or more adding up to k
    (zeros are no cover: they are often known); without, the hidden values must add up to
    k or more whenever anything is hidden.

    Returns:
        The hidden cells, and False when no cover exists (then all are hidden).
    """
    out = hidden.copy()
    while True:
        if pairs:
            positive = out & (values > 0)
            need = bool(positive.any()) and (positive.sum() < 2 or values[positive].sum() < k)
        else:
            need = bool(out.any()) and values[out].sum() < k
        if not need:
            return out, True
        candidates = np.flatnonzero(~out & (values > 0))
        if candidates.size == 0:
            return np.ones_like(out), False
        out[candidates[np.argmin(values[candidates])]] = True


def total_shown(parent: int, count: int, k: int) -> bool:
    """Whether an organisation-wide count may be shown: 0 or ≥ k, and its complement ≥ k."""
    return (count == 0 or count >= k) and parent - count >= k


# -- reading ------------------------------------------------------------------------------------


def read_inputs(ctx: MetricContext, catalogue: Catalogue) -> tuple[Inputs, set[str]]:
    """The engine's inputs from the warehouse, for the context's as-of, window and `by`.

    Args:
        ctx: metric context (facts refreshed; `by` a segment dimension or None).
        catalogue: the AI tool catalogue in force.

    Returns:
        The inputs, and the catalogue tools counted as sanctioned.
    """
    eng = ctx.engine
    sanctioned = catalogue.sanctioned_tools(_provided_tools(ctx))
    roster = _roster(ctx)
    segment_of = dict(zip(roster["person_key"], roster["segment"], strict=True))
    inputs = Inputs(roster, _empty_visits(), _empty_survey(), sanctioned=sanctioned)
    if eng.has("ai_web_visits"):
        t = eng.table("ai_web_visits")
        inputs.has_visits = bool(eng.execute(t.count().name("n").as_table())["n"].iloc[0])
        start, end = ctx.start_ts, ctx.end_ts
        rows = eng.execute(
            t.filter((t.ts >= start) & (t.ts < end)).select("person_key", "ts", "domain", "tool")
        )
        if len(rows):
            tool = [
                (m.tool if (m := catalogue.match(d)) is not None else t_)
                for d, t_ in zip(rows["domain"], rows["tool"], strict=True)
            ]
            rows = rows.assign(tool=tool, day=pd.to_datetime(rows["ts"]).dt.date)
            rows = rows[~rows["tool"].isin(sanctioned)]
            known = rows["person_key"].isin(segment_of)
            inputs.unrostered = int(rows.loc[~known, "person_key"].nunique())
            inputs.visits = rows.loc[known, ["person_key", "day", "tool"]].reset_index(drop=True)
    inputs.survey, inputs.has_survey = _survey(ctx, catalogue, segment_of)
    return inputs, sanctioned


def _provided_tools(ctx: MetricContext) -> set[str]:
    eng, out = ctx.engine, set()
    for name in ("licenses", "events"):
        if eng.has(name):
            t = eng.table(name)
            out |= {str(x) for x in eng.execute(t.select("tool").distinct())["tool"] if x}
    return out


def _roster(ctx: MetricContext) -> pd.DataFrame:
    """Everyone the shares count from: people in dim_person who have not left, by segment."""
    eng = ctx.engine
    if not eng.has("dim_person"):
        return pd.DataFrame({"person_key": pd.Series(dtype=object), "segment": []})
    dim = eng.table("dim_person")
    people = eng.execute(dim.select("person_key", "status"))
    people = people[people["status"].fillna("") != "left"]
    if ctx.by is None:
        seg = pd.Series(ORG, index=people.index, dtype=object)
    else:
        segs = eng.execute(person_segments(eng, ctx.by, ctx.as_of))
        seg = people["person_key"].map(dict(zip(segs["person_key"], segs["segment"], strict=True)))
    return pd.DataFrame(
        {"person_key": people["person_key"].astype(object), "segment": seg.fillna(NO_SEGMENT)}
    ).reset_index(drop=True)


def _survey(
    ctx: MetricContext, catalogue: Catalogue, segment_of: Mapping[str, str]
) -> tuple[pd.DataFrame, bool]:
    """One row per respondent in the survey window: segment, yes, tools named."""
    eng = ctx.engine
    if not eng.has("responses"):
        return _empty_survey(), False
    r = eng.table("responses")
    mine = r.filter((r.instrument == INSTRUMENT) & r.item.isin([ITEM_YES, ITEM_TOOLS]))
    answered = eng.execute(mine.filter(mine.item == ITEM_YES).count().name("n").as_table())
    ever = bool(answered["n"].iloc[0])
    start = ctx.as_of - timedelta(days=SURVEY_DAYS - 1)
    rows = eng.execute(
        mine.filter((mine.ts >= pd.Timestamp(start)) & (mine.ts < ctx.end_ts)).select(
            "response_id", "ts", "item", "person_key", "score", "text", "segment"
        )
    )
    if rows.empty:
        return _empty_survey(), ever
    # An anonymous submission has no person: its items share the submission id instead.
    rows["respondent"] = [
        p if isinstance(p, str) and p else "anon:" + str(rid).rsplit(":", 1)[0]
        for p, rid in zip(rows["person_key"], rows["response_id"], strict=True)
    ]
    rows = rows.sort_values(["ts", "response_id"])
    yes = rows[(rows["item"] == ITEM_YES) & rows["score"].notna()]
    latest = yes.groupby("respondent").tail(1).set_index("respondent")
    named: dict[str, set[str]] = {}
    for who, text in rows.loc[rows["item"] == ITEM_TOOLS, ["respondent", "text"]].itertuples(
        index=False
    ):
        named.setdefault(who, set()).update(catalogue.mentions(text))
    out = pd.DataFrame(
        {
            "respondent": latest.index.astype(object),
            "segment": [
                _respondent_segment(who, rec, ctx.by, segment_of)
                for who, rec in zip(latest.index, latest["segment"], strict=True)
            ],
            "yes": (latest["score"].astype(float) >= 0.5).to_numpy(),
            "tools": [frozenset(named.get(who, set())) for who in latest.index],
        }
    )
    return out, ever


def _respondent_segment(
    who: str, stored: object, by: str | None, segment_of: Mapping[str, str]
) -> str:
    if by is None:
        return ORG
    if not who.startswith("anon:"):
        return segment_of.get(who, NO_SEGMENT)
    try:
        fields = json.loads(stored) if isinstance(stored, str) else {}
    except ValueError:
        fields = {}
    value = fields.get(by) if isinstance(fields, dict) else None
    return str(value) if value not in (None, "") else NO_SEGMENT


def _empty_visits() -> pd.DataFrame:
    return pd.DataFrame({"person_key": pd.Series(dtype=object), "day": [], "tool": []})


def _empty_survey() -> pd.DataFrame:
    return pd.DataFrame(
        {"respondent": pd.Series(dtype=object), "segment": [], "yes": [], "tools": []}
    )


# -- aggregating --------------------------------------------------------------------------------


def aggregate(inputs: Inputs, ctx: MetricContext, by: str | None) -> dict[str, Any]:
    """The shadow-AI document from its inputs: k-safe aggregates per segment.

    Args:
        inputs: see `Inputs`.
        ctx: metric context (k, noise, as-of and window).
        by: the segment dimension the inputs carry (None: the organisation only).

    Returns:
        {status, needs, reason, by, proxy, survey, notes}; each block has status, start, end,
        organisation and segments.
    """
    k = ctx.min_group_size
    proxy = _proxy_block(inputs, ctx, k, by)
    survey = _survey_block(inputs, ctx, k, by)
    ok = proxy["status"] == "ok" or survey["status"] == "ok"
    needs = [] if ok else [NEEDS]
    return {
        "status": "ok" if ok else "not_available",
        "needs": needs,
        "reason": None if ok else f"not available: needs {NEEDS}",
        "by": by,
        "proxy": proxy,
        "survey": survey,
        "notes": list(inputs.notes),
    }


def _segments(by: str | None, *frames: Iterable[str]) -> list[str]:
    names = sorted({str(s) for f in frames for s in f})
    if by is None:
        return [ORG]
    # The segment without a value last, as every segment table lists it.
    return [s for s in names if s != NO_SEGMENT] + ([NO_SEGMENT] if NO_SEGMENT in names else [])


def _proxy_block(inputs: Inputs, ctx: MetricContext, k: int, by: str | None) -> dict[str, Any]:
    head = {"start": ctx.window_start.isoformat(), "end": ctx.as_of.isoformat(),
            "window_days": ctx.window_days}  # fmt: skip
    if not inputs.has_visits:
        return _missing(head, ["ai_web_visits (proxy logs: uptake ingest --format proxy)"])
    if inputs.roster.empty:
        return _missing(head, ["people (the roster the shares are out of)"])
    roster, visits = inputs.roster, inputs.visits
    segs = _segments(by, roster["segment"])
    seg_of = dict(zip(roster["person_key"], roster["segment"], strict=True))
    visits = visits.assign(segment=visits["person_key"].map(seg_of))
    n = _per(roster.groupby("segment").size(), segs)
    f = _per(visits.groupby("segment")["person_key"].nunique(), segs)
    seg_hidden = _roster_hidden(n, k, by)
    why, safe = release(n, f, k, seg_hidden)
    by_tool = visits.groupby(["tool", "segment"])["person_key"].nunique()
    tools = sorted(set(visits["tool"]))
    per_tool: dict[str, tuple[np.ndarray, list[str | None], bool]] = {}
    for tool in tools:
        counts = _per(by_tool.loc[tool], segs)
        per_tool[tool] = (counts, *release(n, counts, k, seg_hidden))
    distinct = visits.drop_duplicates(["person_key", "day", "tool"])
    days = _per(distinct.groupby("segment").size(), segs)
    noise = ctx.noise
    rows = []
    for i, s in enumerate(segs):
        row: dict[str, Any] = {"segment": s}
        if seg_hidden[i]:
            rows.append({**row, "suppressed": SMALL if 0 < n[i] < k else COMPLEMENTARY})
            continue
        roster_n = _count(noise, int(n[i]), k, "roster", s) or 0
        row.update(roster=roster_n, suppressed=False)
        if why[i] is None:
            people = min(_count(noise, int(f[i]), k, "people", s) or 0, roster_n)
            visit_days = noise.count(int(days[i]), "shadow_ai", "visit_days", s)
            row.update(people=people, share=_share(people, roster_n), visit_days=visit_days)
        else:
            row.update(people=None, share=None, visit_days=None, people_hidden=why[i])
        shown = [(t, int(c[i])) for t, (c, w, _) in per_tool.items() if w[i] is None and c[i]]
        shown.sort(key=lambda x: (-x[1], x[0]))
        row["tools"] = [
            {"tool": tool, "people": (p := _count(noise, c, k, "tool", tool, s)),
             "share": _share(p, roster_n)} for tool, c in shown[:TOP_TOOLS]
        ]  # fmt: skip
        row["hidden_tools"] = sum(1 for c, w, _ in per_tool.values() if w[i] is not None and c[i])
        rows.append(row)
    total_n, total_f = int(n.sum()), len(set(visits["person_key"]))
    org = _org(total_n, total_f, k, noise, "proxy", safe or by is None)
    if org.get("people") is not None:
        org["visit_days"] = noise.count(
            int(visits[["person_key", "day", "tool"]].drop_duplicates().shape[0]),
            "shadow_ai",
            "visit_days",
            ORG,
        )
    org_tools = []
    for tool in tools:
        c = int(visits.loc[visits["tool"] == tool, "person_key"].nunique())
        if c and total_shown(total_n, c, k) and (per_tool[tool][2] or by is None):
            p = _count(noise, c, k, "tool", tool, ORG)
            org_tools.append({"tool": tool, "people": p, "share": _share(p, org["roster"])})
    org["tools"] = sorted(org_tools, key=lambda x: (-(x["people"] or 0), x["tool"]))[:TOP_TOOLS]
    out = {**head, "status": "ok", "needs": [], "organisation": org,
           "segments": rows if by is not None else []}  # fmt: skip
    if inputs.unrostered >= k:
        out["unrostered_people"] = noise.count(inputs.unrostered, "shadow_ai", "unrostered")
    elif inputs.unrostered:
        out["unrostered_people"] = None
        out["unrostered_hidden"] = SMALL
    if visits.empty:
        out["note"] = "no visit to an unsanctioned AI tool in the window"
    return out


def _survey_block(inputs: Inputs, ctx: MetricContext, k: int, by: str | None) -> dict[str, Any]:
    start = ctx.as_of - timedelta(days=SURVEY_DAYS - 1)
    head = {"start": start.isoformat(), "end": ctx.as_of.isoformat(), "window_days": SURVEY_DAYS}
    survey = inputs.survey
    if not inputs.has_survey:
        return _missing(head, [f"responses: {INSTRUMENT} survey item {ITEM_YES}"])
    if survey.empty:
        return _missing(head, [f"{INSTRUMENT} answers to {ITEM_YES} in the {SURVEY_DAYS} days "
                               f"to {ctx.as_of.isoformat()}"])  # fmt: skip
    segs = _segments(by, survey["segment"])
    r = _per(survey.groupby("segment").size(), segs)
    y = _per(survey.groupby("segment")["yes"].sum(), segs)
    seg_hidden = _roster_hidden(r, k, by)
    why, safe = release(r, y, k, seg_hidden)
    named = survey[["segment", "tools"]].explode("tools").dropna()
    by_tool = named.groupby(["tools", "segment"]).size()
    tools = sorted(set(named["tools"]))
    per_tool: dict[str, tuple[np.ndarray, list[str | None], bool]] = {}
    for tool in tools:
        m = _per(by_tool.loc[tool], segs)
        per_tool[tool] = (m, *release(r, m, k, seg_hidden))
    noise = ctx.noise
    rows = []
    for i, s in enumerate(segs):
        if seg_hidden[i]:
            rows.append({"segment": s, "suppressed": SMALL if 0 < r[i] < k else COMPLEMENTARY})
            continue
        resp = _count(noise, int(r[i]), k, "respondents", s) or 0
        row: dict[str, Any] = {"segment": s, "respondents": resp, "suppressed": False}
        if why[i] is None:
            yes = min(_count(noise, int(y[i]), k, "yes", s) or 0, resp)
            row.update(yes=yes, share=_share(yes, resp))
        else:
            row.update(yes=None, share=None, yes_hidden=why[i])
        listed = sorted(
            ((t, int(m[i])) for t, (m, w, _) in per_tool.items() if w[i] is None and m[i]),
            key=lambda x: (-x[1], x[0]),
        )
        row["tools_named"] = [
            {"tool": t, "people": _count(noise, c, k, "named", t, s),
             "sanctioned": t in inputs.sanctioned} for t, c in listed
        ]  # fmt: skip
        rows.append(row)
    total_r, total_y = int(r.sum()), int(y.sum())
    org = _org(total_r, total_y, k, ctx.noise, "survey", safe or by is None)
    org_named = []
    for tool in tools:
        c = int(sum(tool in ts for ts in survey["tools"]))
        if c and total_shown(total_r, c, k) and (per_tool[tool][2] or by is None):
            org_named.append({"tool": tool, "sanctioned": tool in inputs.sanctioned,
                              "people": _count(noise, c, k, "named", tool)})  # fmt: skip
    org["tools_named"] = sorted(org_named, key=lambda x: (-(x["people"] or 0), x["tool"]))
    return {**head, "status": "ok", "needs": [], "organisation": org,
            "segments": rows if by is not None else []}  # fmt: skip


def _per(counts: pd.Series, segs: list[str]) -> np.ndarray:
    """Counts by segment (a Series indexed by segment) in `segs` order, 0 where absent."""
    return np.array([int(counts.get(s, 0)) for s in segs], dtype=np.int64)


def _roster_hidden(n: np.ndarray, k: int, by: str | None) -> np.ndarray:
    """Segments hidden for their own size (or to protect a smaller one), the total public."""
    if by is None:
        return np.array([0 < x < k for x in n], dtype=bool)
    return table_hidden(n, k)


def _org(parent: int, count: int, k: int, noise: Any, block: str, safe: bool) -> dict[str, Any]:
    """The organisation row of a block: its parent total and, when safe, its count.

    `safe` is False when the segments' hidden cells could not be covered: the total would
    then give them away by subtraction.
    """
    key_parent, key_count = ("roster", "people") if block == "proxy" else ("respondents", "yes")
    if parent < k:
        return {"segment": ORG, "suppressed": SMALL, key_parent: None, key_count: None,
                "share": None, f"{key_count}_hidden": SMALL}  # fmt: skip
    shown_parent = _count(noise, parent, k, key_parent, ORG) or 0
    out: dict[str, Any] = {"segment": ORG, "suppressed": False, key_parent: shown_parent}
    if total_shown(parent, count, k) and safe:
        c = min(_count(noise, count, k, key_count, ORG) or 0, shown_parent)
        out.update({key_count: c, "share": _share(c, shown_parent)})
    else:
        why = SMALL if not total_shown(parent, count, k) else COMPLEMENTARY
        out.update({key_count: None, "share": None, f"{key_count}_hidden": why})
    return out


def _count(noise: Any, value: int, k: int, *question: object) -> int | None:
    """A shown count of people with the release noise, not under k when it is at least k.

    A count is shown because it reaches k, which its being shown says: noise that took it
    below k (operations: "Claude (4)") is raised to k, as the metrics raise theirs.
    """
    noisy = noise.count(value, "shadow_ai", *question)
    return max(noisy, k) if noisy is not None and value >= k else noisy


def _share(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return round(part / whole, 4)


def _missing(head: dict[str, Any], needs: list[str]) -> dict[str, Any]:
    return {**head, "status": "not_available", "needs": needs,
            "reason": f"not available: needs {', '.join(needs)}",
            "organisation": None, "segments": []}  # fmt: skip


def window_of(as_of: date, days: int) -> tuple[date, date]:
    """First and last day of a window of `days` days ending at `as_of` (inclusive)."""
    return as_of - timedelta(days=days - 1), as_of
