"""All signals as of a date in one document: people, teams to help first, champions, managers.

The person-level part is individual data (admins and coaches; the Workspace audits each read).
The team part ranks teams that need help first — by abandonment risk (or, without a model,
the share of people with a friction flag), ladder stall and trend — and shows a team only
when it has at least k licensed people and the metrics' release plan publishes it, so the
teams here never reveal a group the metrics hide. Each team carries its dominant friction
and typology (each only when k or more people share it) and the intervention they imply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from uptake.config.signals import SignalsSettings
from uptake.errors import NotAvailableError
from uptake.metrics.context import MetricContext
from uptake.metrics.families.ladder import BASIS, basis
from uptake.metrics.groups import complete_weeks
from uptake.metrics.release import release_hide
from uptake.metrics.segments import DIM_PERSON
from uptake.signals import champions as champ
from uptake.signals import early_warning, friction, shared, typology
from uptake.signals.base import Flag
from uptake.signals.early_warning.model import MODEL_FILE
from uptake.signals.managers import managers
from uptake.signals.silence import silence

# What a team's dominant friction implies.
FRICTION_HELP: dict[str, str] = {
    "bounce_loop": "a private practice task and a walk-through of one use case in their tool",
    "no_meaningful_use_14d": "a first high-value use case for their role, shown where they work",
    "week3_4_drop": "re-engage before seats go cold: a champion check-in in week three",
    "surface_use": "move one high-stakes workflow to AI with a worked example",
    "rejection_streak": "show how to steer suggestions, and check the tool fits the task",
    "override_spike": "review recent recommendations with the team: wrong, or is trust lost?",
    "distress_language": "answer their feedback and offer a champion's help",
}
Classify = Callable[[Sequence[str]], pd.DataFrame]


@dataclass
class SignalsReport:
    """The signals document (`uptake signals --json`)."""

    as_of: date
    people: list[dict[str, Any]] = field(default_factory=list)
    segments: list[dict[str, Any]] = field(default_factory=list)
    champions: dict[str, Any] = field(default_factory=dict)
    managers: dict[str, Any] = field(default_factory=dict)
    teams: list[dict[str, Any]] = field(default_factory=list)
    voice: list[dict[str, Any]] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # How the teams' people counts are released (`Noise.describe()`).
    privacy: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "as_of": self.as_of.isoformat(),
            "people": self.people,
            "segments": self.segments,
            "champions": self.champions,
            "managers": self.managers,
            "teams": self.teams,
            "voice": self.voice,
            "status": self.status,
            "notes": self.notes,
            "privacy": self.privacy,
        }


def _try(report: SignalsReport, name: str, fn: Callable[[], Any]) -> Any:
    """Run one part; a missing input is recorded as not available, never a crash or a zero."""
    try:
        out = fn()
    except NotAvailableError as exc:
        report.status[name] = {"status": "not_available", "needs": exc.needs or [str(exc)]}
        return None
    report.status.setdefault(name, {"status": "available"})
    return out


def build(
    ctx: MetricContext,
    *,
    model_dir: Path | None = None,
    classify: Classify | None = None,
    distress: friction.DistressFn | None = None,
    settings: SignalsSettings | None = None,
) -> SignalsReport:
    """Every signal as of `ctx.as_of`.

    Args:
        ctx: metric context over refreshed facts.
        model_dir: folder of a trained early-warning model (None or empty: no model).
        classify: the voice classifier for typology language cues (None: left out).
        distress: the distress classifier of the friction rule (None: `load_distress()`).
        settings: the `[signals]` settings (default: their defaults).

    Returns:
        The report: people (individual), teams (k and the release plan), champions,
        managers, and each part's status.
    """
    s = settings or SignalsSettings()
    out = SignalsReport(ctx.as_of, privacy=ctx.noise.describe())
    levels = _try(out, "ladder", lambda: shared.levels(ctx)[["person_key", "level"]])
    if levels is None:
        return out
    # The managers' trend, the teams' trend and champion impact each ask for some of the
    # same recent weeks: one read of the widest span serves them all.
    rules = basis(ctx)
    if rules is not None:
        # Without task data the levels are a proxy: every surface of the L3+ share says so.
        out.status["ladder"]["basis"] = BASIS[rules]
    span = complete_weeks(ctx, max(s.trend_weeks, champ.IMPACT_WEEKS) + 1)
    if rules is not None and len(span) >= 2:
        shared.level_history(ctx, span, rules)
    # Only episodes that began in the recent window count here; rules are causal and report an
    # episode on its first day, so reading from `recent` gives exactly those flags (tested)
    # while scanning weeks instead of all history.
    recent = ctx.as_of - timedelta(days=s.recent_days - 1)
    if distress is None:
        fr = friction.detect(ctx, s.friction, since=recent)
    else:
        fr = friction.detect(ctx, s.friction, since=recent, distress_fn=distress)
    out.status["friction"] = {
        name: {**st, "since": recent.isoformat()} for name, st in fr.status.items()
    }
    flags: list[Flag] = list(fr.flags)
    risk = _risk(out, ctx, model_dir)
    if risk is not None:
        flags += _risk_flags(risk, ctx.as_of)
    ty = _try(
        out, "typology", lambda: typology.typologies(ctx, rules=s.typology, classify=classify)
    )
    mgr = _try(out, "managers", lambda: managers(ctx, trend_weeks=s.trend_weeks))
    if mgr is not None:
        flags += mgr.flags
        out.managers = mgr.to_dict()
    out.people = _people(levels, flags, risk, ty)
    members = _teams(ctx)
    if ty is not None and len(members):
        out.segments = [
            {"dimension": "team", **row}
            for row in typology.dominant_by_segment(ty, members, ctx.min_group_size)
        ]
    out.teams = _rank_teams(ctx, levels, flags, risk, ty, members, s)
    ran, every = friction.detectors_ran(out.status["friction"]), len(out.status["friction"])
    if ran < every:
        # Vendor data lets few detectors run: "0 % with friction" is what those few saw.
        seen = f"share with friction ({ran} of {every} detectors ran)"
        for team in out.teams:
            if team["pressure_basis"] == "share with friction":
                team["pressure_basis"] = seen
    ranking = _try(out, "champions", lambda: champ.rank(ctx, **s.champions.rank_kwargs()))
    if ranking is not None:
        chosen = champ.select(ctx, ranking)
        impact = _try(out, "champion_impact", lambda: champ.impact(ctx, chosen.champions))
        out.champions = {**chosen.to_dict(), "impact": impact.to_dict() if impact else None}
    voice = _try(out, "voice", lambda: _voice_themes(ctx, s.voice_days))
    if voice is not None:
        out.voice = voice
    quiet = _try(out, "silence", lambda: silence(ctx, **s.silence.kwargs()))
    if quiet is not None:
        silent = set(quiet.silent["team"].astype(str))
        for team in out.teams:
            team["silent"] = team["team"] in silent
        out.status["silence"] = {"status": "available", **quiet.to_dict()}
    return out


def _voice_themes(ctx: MetricContext, days: int) -> list[dict[str, Any]]:
    """Themes of the named feedback of the last `days` days, per function, k-safe."""
    from dataclasses import asdict

    from uptake.signals.voice import themes

    if not ctx.has("feedback"):
        raise NotAvailableError("no feedback", needs=["feedback"])
    f = ctx.engine.table("feedback")
    lo = ctx.as_of - timedelta(days=days - 1)
    f = f.filter(f.person_key.notnull() & (f.ts.date() >= lo) & (f.ts.date() <= ctx.as_of))
    df = ctx.engine.execute(f.select("person_key", "text"))
    if df.empty:
        raise NotAvailableError("no feedback in the window", needs=["feedback (named, recent)"])
    dim = ctx.engine.execute(ctx.engine.table(DIM_PERSON).select("person_key", "function"))
    df = df.merge(dim, on="person_key", how="left")
    got = themes(
        df["text"].fillna("").tolist(),
        df["function"].fillna("(none)").astype(str).tolist(),
        ctx.min_group_size,
        people=df["person_key"].tolist(),
    )
    return [asdict(t) for t in got]


def _risk(out: SignalsReport, ctx: MetricContext, model_dir: Path | None) -> pd.DataFrame | None:
    if model_dir is None or not (Path(model_dir) / MODEL_FILE).exists():
        out.status["early_warning"] = {
            "status": "not_available",
            "needs": ["a trained model (an admin runs uptake signals --retrain)"],
        }
        return None
    return _try(out, "early_warning", lambda: early_warning.score(ctx, model_dir))


def _risk_flags(risk: pd.DataFrame, as_of: date) -> list[Flag]:
    """An `abandonment_risk` flag for each person in the model's top 10 %, with evidence."""
    top = risk[risk["flagged"]]
    return [
        Flag(
            person_key=str(key),
            signal=early_warning.SIGNAL,
            since=as_of,
            evidence={"risk": round(float(r), 4), "rules_hit": list(hit), "quiet_days": float(q)},
        )
        for key, r, hit, q in zip(
            top["person_key"], top["risk"], top["rules_hit"], top["quiet_days"], strict=True
        )
    ]


def _people(
    levels: pd.DataFrame,
    flags: list[Flag],
    risk: pd.DataFrame | None,
    ty: typology.Typologies | None,
) -> list[dict[str, Any]]:
    by_person: dict[str, list[dict[str, Any]]] = {}
    for f in flags:
        by_person.setdefault(f.person_key, []).append(f.to_dict())
    risks = {} if risk is None else dict(zip(risk["person_key"], risk["risk"], strict=True))
    types = (
        {} if ty is None else dict(zip(ty.people["person_key"], ty.people["typology"], strict=True))
    )
    rows = []
    for key, level in zip(levels["person_key"], levels["level"], strict=True):
        r = risks.get(key)
        rows.append(
            {
                "person": key,
                "ladder": f"L{int(level)}",
                "risk": None if r is None else round(float(r), 4),
                "flags": by_person.get(key, []),
                "typology": types.get(key),
            }
        )
    rows.sort(key=lambda p: (-(p["risk"] or 0.0), -len(p["flags"]), p["person"]))
    return rows


def _teams(ctx: MetricContext) -> pd.DataFrame:
    if not ctx.has(DIM_PERSON):
        return pd.DataFrame(columns=["person_key", "segment"])
    dim = ctx.engine.table(DIM_PERSON)
    df = ctx.engine.execute(dim.select("person_key", segment=dim.team))
    return df[df["segment"].notna()].reset_index(drop=True)


def _trend(ctx: MetricContext, trend_weeks: int) -> dict[str, float]:
    """Per person: 1 when at L3+ now and not `trend_weeks` weeks ago, −1 for the reverse."""
    weeks = complete_weeks(ctx, trend_weeks + 1)
    rules = basis(ctx)
    if len(weeks) < 2 or rules is None:
        return {}
    h = shared.level_history(ctx, [weeks[0], weeks[-1]], rules)
    h["week"] = pd.to_datetime(h["week"]).dt.date
    then = h[h["week"] == weeks[0]].set_index("person_key")["level"] >= 3
    now = h[h["week"] == weeks[-1]].set_index("person_key")["level"] >= 3
    both = then.index.intersection(now.index)
    moved = now[both].astype(int) - then[both].astype(int)
    return {str(p): float(v) for p, v in moved.items()}


def _rank_teams(
    ctx: MetricContext,
    levels: pd.DataFrame,
    flags: list[Flag],
    risk: pd.DataFrame | None,
    ty: typology.Typologies | None,
    members: pd.DataFrame,
    s: SignalsSettings,
) -> list[dict[str, Any]]:
    k = ctx.min_group_size
    frame = levels.merge(members, on="person_key", how="inner")
    if frame.empty:
        return []
    # One column per input, per person, so each team is one group of rows.
    friction_flags = [(f.person_key, f.signal) for f in flags if f.signal in friction.SIGNALS]
    signals_of = pd.DataFrame(friction_flags, columns=["person_key", "s"]).drop_duplicates()
    frame["flagged"] = frame["person_key"].isin(signals_of["person_key"])
    frame["risk"] = frame["person_key"].map(
        dict(zip(risk["person_key"], risk["risk"], strict=True)) if risk is not None else {}
    )
    frame["moved"] = frame["person_key"].map(_trend(ctx, s.trend_weeks))
    frame["typology"] = frame["person_key"].map(
        dict(zip(ty.people["person_key"], ty.people["typology"], strict=True)) if ty else {}
    )
    sizes = frame.groupby("segment").size()
    shown = sizes[sizes >= k].reset_index(name="n")
    hide = release_hide(ctx, frame["person_key"].tolist(), shown, "segment", dim="team")
    published = set(shown.loc[~hide, "segment"])
    # Every team's figures in one grouping each: a loop of pandas calls per team cost about
    # a millisecond a team (1.2 s of 1.6 s at 10,000 people in 1,049 teams).
    pub = frame[frame["segment"].isin(published)]
    team = pub["segment"]
    per_team = pd.DataFrame(
        {
            "n": team.groupby(team, sort=True).size(),
            "l3": (pub["level"] >= 3).groupby(team, sort=True).sum(),
            "risk": pub["risk"].groupby(team, sort=True).mean(),
            # The risk as people: its sum over those scored. One person moves it by at most
            # one (a risk is 0..1), so it takes the counts' noise as a count does.
            "at_risk": pub["risk"].fillna(0.0).groupby(team, sort=True).sum(),
            "scored_n": pub["risk"].notna().groupby(team, sort=True).sum(),
            "flagged": pub["flagged"].groupby(team, sort=True).sum(),
            # Who rose to L3+ and who fell below it, as counts: the change is their difference
            # over the team's people, so the noise the counts carry covers it too.
            "up": (pub["moved"] > 0).groupby(team, sort=True).sum(),
            "down": (pub["moved"] < 0).groupby(team, sort=True).sum(),
        }
    )
    per_team["scored"] = per_team["scored_n"] > 0  # decided on the exact count
    per_team = _noisy_counts(ctx, per_team)
    net = (per_team["up"] - per_team["down"]).astype(float)
    per_team["moved"] = (net / per_team["n"].astype(float)).clip(-1.0, 1.0)
    segment_of = dict(zip(frame["person_key"], frame["segment"], strict=True))
    top_friction = _dominant_by(signals_of["person_key"].map(segment_of), signals_of["s"], k)
    top_type = _dominant_by(team, pub["typology"], k)
    rows: list[dict[str, Any]] = []
    for name, t in per_team.iterrows():
        n = float(t["n"])
        l3, moved, scored_t = float(t["l3"]) / n, float(t["moved"]), bool(t["scored"])
        pressure = float(t["risk"]) if scored_t else float(t["flagged"]) / n
        need = 0.5 * pressure + 0.3 * (1 - l3) + 0.2 * max(0.0, -moved)
        friction_top, type_top = top_friction.get(name), top_type.get(name)
        help_for = (
            typology.INTERVENTIONS[type_top]
            if type_top not in (None, typology.NONE)
            else FRICTION_HELP.get(friction_top or "") or _stall_help(l3, moved, s.stalled_share)
        )
        rows.append(
            {
                "team": str(name),
                "n": int(t["n"]),
                "need": round(need, 3),
                "pressure": round(pressure, 3),
                "pressure_basis": "abandonment risk" if scored_t else "share with friction",
                "l3_plus_share": round(l3, 3),
                "l3_plus_change": round(moved, 3),
                "dominant_friction": friction_top,
                "dominant_typology": type_top,
                "intervention": help_for,
            }
        )
    rows.sort(key=lambda r: (-float(r["need"]), str(r["team"])))
    return rows


def _noisy_counts(ctx: MetricContext, per_team: pd.DataFrame) -> pd.DataFrame:
    """Each team's people counts with the release noise, when it is on.

    The counts: n, at L3+, flagged, and for the change over the trend weeks those who rose to
    L3+ and those who fell below it. The metrics publish a team's people with seeded noise so
    that two as-of dates cannot be compared to find one person; this page had published them
    exactly beside them, and the change, itself a comparison of two dates, exactly too (one
    person's fall read −12 points in a team of eight). The mean abandonment risk is a noisy
    sum of risks over a noisy count of the people scored: published exact, two dates' means
    had shown how one person's risk moved.
    """
    if not ctx.noise.enabled or per_team.empty:
        return per_team
    cols = ["n", "l3", "flagged", "up", "down", "scored_n", "at_risk"]
    counts = per_team[cols].copy()
    # Rounded half up: two sums a person apart still round at most one apart.
    counts["at_risk"] = (counts["at_risk"].astype(float) + 0.5) // 1
    counts = counts.astype("int64").rename_axis("team").reset_index()
    noisy = ctx.noise.perturb(counts, cols, ["team"], "teams_needing_help")
    # A shown team has at least k people, which its being shown says (as the metrics do).
    noisy["n"] = noisy["n"].clip(lower=ctx.min_group_size)
    out = per_team.copy()
    for col in cols:
        out[col] = noisy[col].to_numpy()
    scored = out["scored_n"].astype(float).clip(lower=1.0)
    out["risk"] = (out["at_risk"].astype(float) / scored).clip(0.0, 1.0).where(out["scored"])
    return out


def _stall_help(l3: float, moved: float, stalled: float) -> str:
    """What a team's ladder alone implies when no friction or typology dominates."""
    if moved < 0:
        return "re-engage before seats go cold: a champion check-in and one use case per role"
    if l3 < stalled:
        return "one high-value use case per role, shown in the tool, and a champion in the team"
    return "keep the guidance role-specific"


def _dominant_by(teams: pd.Series, values: pd.Series, k: int) -> dict[Any, str]:
    """Each team's most common value, when at least k share it (fewer would point at people).

    A tie is settled by name, not by the order rows happened to arrive in.
    """
    pairs = pd.DataFrame({"team": teams, "v": values}).dropna()
    if pairs.empty:
        return {}
    pairs["v"] = pairs["v"].astype(str)
    counts = pairs.groupby(["team", "v"], sort=False).size().reset_index(name="c")
    counts = counts[counts["c"] >= k].sort_values(["team", "c", "v"], ascending=[True, False, True])
    top = counts.drop_duplicates("team")
    return dict(zip(top["team"], top["v"], strict=True))
