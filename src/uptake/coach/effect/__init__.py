"""The effect of coaching: treatment against holdout, on the ladder, proficiency and abandonment.

For each outcome (see `outcomes`): each arm's people and value with its interval, the
difference treatment − holdout with a confidence interval and p-value, and a
difference-in-differences estimate against each arm's own pre-period. An outcome is shown
only when each arm holds at least k people in it; it says "too early to tell", with the
people each arm would need, while the comparison lacks the power to detect the observed
difference (or, when smaller, a minimum meaningful one). Per segment the same, only where
each arm has at least k people (complementary suppression across segments).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from uptake.coach.arms import HOLDOUT, TREATMENT
from uptake.coach.effect import stats
from uptake.coach.effect.outcomes import clean_arms, person_outcomes
from uptake.config.coach import CoachSettings
from uptake.metrics.context import MetricContext
from uptake.metrics.families.ladder import BASIS, PROXY
from uptake.metrics.families.proficiency import kaplan_meier
from uptake.metrics.noise import Noise
from uptake.metrics.privacy import SUPPRESSED, TOTAL, suppress

__all__ = ["OUTCOMES", "Outcome", "clean_arms", "estimate", "person_outcomes"]

TOO_EARLY = "too early to tell"
BETTER = "better with coaching"
WORSE = "worse with coaching"
NO_EFFECT = "no effect detected"


@dataclass(frozen=True)
class Outcome:
    """One outcome compared between arms."""

    name: str
    label: str
    short: str  # for narrow tables
    kind: str  # share or mean
    post: str  # per-person column after assignment
    pre: str  # the same over the pre-period
    higher_is_better: bool
    min_effect: float  # smallest difference worth detecting
    unit: str


OUTCOMES = (
    Outcome("moved_up", "moved up at least one ladder level", "moved up a level", "share",
            "up", "pre_up", True, 0.05, "share"),
    Outcome("levels_gained", "ladder levels gained", "levels gained", "mean", "gained",
            "pre_gained", True, 0.25, "levels"),
    Outcome("proficient", "reached L3 (proficient), of those below L3 at assignment",
            "reached L3", "share", "prof", "pre_prof", True, 0.05, "share"),
    Outcome("abandoned", "abandoned, of those not abandoned at assignment", "abandoned",
            "share", "abandoned", "pre_abandoned", False, 0.05, "share"),
)  # fmt: skip
HEADLINE = "moved_up"


def estimate(
    ctx: MetricContext, arms: pd.DataFrame, settings: CoachSettings, by: str | None = None
) -> dict[str, Any]:
    """The coaching effect between arms, overall and per segment (aggregates only).

    Args:
        ctx: metric context (facts refreshed); its `min_group_size` is k, its noise applies to
            the people counts shown.
        arms: person_key, arm, assigned_at (`uptake.coach.arms.assigned_arms`).
        settings: coach settings (confidence and power).
        by: a segment dimension (`uptake.metrics.dimensions.SEGMENTS`), or None.

    Returns:
        {as_of, end, basis, basis_note, confidence, power, k, arms, status, verdict, needed,
        outcomes, methods, by, segments, notes} — no person keys.
    """
    by = by or ctx.by
    frame = person_outcomes(ctx, arms, by)
    k = ctx.min_group_size
    rules = frame.attrs["basis"]
    end = frame.attrs["end"]
    doc: dict[str, Any] = {
        "as_of": ctx.as_of.isoformat(),
        "end": end.isoformat() if end is not None else None,
        "basis": BASIS[rules],
        "basis_note": (
            "ladder levels on the activity proxy (no task data): a proxy of adoption depth"
            if rules == PROXY
            else "ladder levels measured from workflow runs"
        ),
        "confidence": settings.confidence,
        "power": settings.power,
        "k": k,
        "by": by,
        "methods": _methods(settings),
        "notes": [],
    }
    if not frame.attrs["abandonment"]:
        doc["notes"].append("abandonment not available: needs licences (seats) by as_of")
    overall = _group(ctx, frame, settings, TOTAL)
    doc.update(overall)
    head = overall.get("outcomes", {}).get(HEADLINE, {})
    doc["verdict"] = head.get("verdict") if overall["status"] == "ok" else overall["reason"]
    doc["needed"] = head.get("needed_per_arm")
    doc["segments"] = _segments(ctx, frame, settings) if by is not None else []
    return doc


def _methods(s: CoachSettings) -> dict[str, str]:
    return {
        "shares": "difference of shares with Newcombe's hybrid score interval (Wilson per "
        "arm); p-value from the pooled two-proportion z test",
        "means": "difference of means with Welch's t interval and test",
        "did": "(treatment post − pre) − (holdout post − pre), each arm against its own "
        "pre-period (the same length before assignment, within the data); normal interval "
        f"with a seeded bootstrap standard error over people ({stats.BOOTSTRAP} resamples; "
        "for shares at least the Agresti–Caffo error)",
        "median_days": "Kaplan–Meier median days from assignment to the first week at L3+ "
        "per arm, with the log-log interval",
        "power": f"normal approximation; 'too early to tell' while the power to detect the "
        f"observed difference (or the minimum meaningful one, if larger) is below {s.power:.0%}",
    }


def _counts(frame: pd.DataFrame) -> tuple[int, int]:
    arm = frame["arm"]
    return int((arm == TREATMENT).sum()), int((arm == HOLDOUT).sum())


def _group(ctx: MetricContext, frame: pd.DataFrame, s: CoachSettings, name: str) -> dict[str, Any]:
    k = ctx.min_group_size
    nt, nh = _counts(frame)
    if min(nt, nh) < k:
        return {
            "status": "not_available",
            "reason": f"not available: needs ≥ {k} people in each arm",
            "arms": None,
            "outcomes": {},
        }
    noisy = ctx.noise
    arms = {
        TREATMENT: _people(noisy, nt, "coach_effect", name, TREATMENT),
        HOLDOUT: _people(noisy, nh, "coach_effect", name, HOLDOUT),
    }
    out: dict[str, Any] = {
        "status": "ok",
        "reason": None,
        "arms": arms,
        "outcomes": {o.name: _compare(ctx, frame, o, s, name, arms) for o in OUTCOMES},
    }
    prof = out["outcomes"]["proficient"]
    if prof.get("status") == "ok":
        prof["median_days"] = _medians(frame, s.confidence)
    return out


def _compare(
    ctx: MetricContext,
    frame: pd.DataFrame,
    o: Outcome,
    s: CoachSettings,
    name: str,
    arm_n: dict[str, int],
) -> dict[str, Any]:
    k = ctx.min_group_size
    t = frame.loc[frame["arm"] == TREATMENT, o.post].dropna().to_numpy(dtype=float)
    h = frame.loc[frame["arm"] == HOLDOUT, o.post].dropna().to_numpy(dtype=float)
    base: dict[str, Any] = {"label": o.label, "short": o.short, "unit": o.unit,
                            "better": "higher" if o.higher_is_better else "lower"}  # fmt: skip
    if min(len(t), len(h)) < k:
        return {**base, "status": "not_available",
                "verdict": f"not available: needs ≥ {k} people in each arm"}  # fmt: skip
    conf = s.confidence
    diff: stats.Diff | None
    if o.kind == "share":
        diff = stats.newcombe(t.sum(), len(t), h.sum(), len(h), conf)
        arms = {arm: _share(v, conf) for arm, v in ((TREATMENT, t), (HOLDOUT, h))}
        target = max(abs(diff.value), o.min_effect)
        now, need = stats.share_power(t.mean(), len(t), h.mean(), len(h), target, conf, s.power)
    else:
        diff = stats.welch(t, h, conf) if min(len(t), len(h)) > 1 else None
        arms = {arm: _mean(v, conf) for arm, v in ((TREATMENT, t), (HOLDOUT, h))}
        target = max(abs(diff.value) if diff else 0.0, o.min_effect)
        now, need = stats.mean_power(_sd(t), len(t), _sd(h), len(h), target, conf, s.power)
    for arm, v in ((TREATMENT, t), (HOLDOUT, h)):
        # At most the arm's own noisy size: the people with an outcome are some of the arm's,
        # and a noisy count above it ("holdout n = 11", then "n = 15") reads as an error.
        # Derived from released counts only, so it costs no privacy.
        n = _people(ctx.noise, len(v), "coach_effect", name, o.name, arm)
        arms[arm]["n"] = min(n, arm_n[arm])
    out = {**base, "status": "ok", **arms, "difference": diff.to_dict() if diff else None}
    out["did"] = _did(ctx, frame, o, conf, name, arm_n)
    out["target_difference"] = round(target, 4)
    out["power_now"] = round(now, 3)
    if diff is None or now < s.power:
        out["verdict"], out["needed_per_arm"] = TOO_EARLY, need
    else:
        out["needed_per_arm"] = None
        if diff.low > 0 or diff.high < 0:
            good = (diff.value > 0) == o.higher_is_better
            out["verdict"] = BETTER if good else WORSE
        else:
            out["verdict"] = NO_EFFECT
    return out


def _people(noise: Noise, n: int, *question: object) -> int:
    """A count of people as released: noisy when the noise is on."""
    out = noise.count(n, *question)
    assert out is not None  # a count in, a count out
    return out


def _share(v: np.ndarray, conf: float) -> dict[str, Any]:
    low, high = stats.wilson(float(v.sum()), len(v), conf)
    return {
        "value": round(float(v.mean()), 4),
        "ci_low": round(float(low), 4),
        "ci_high": round(float(high), 4),
    }


def _mean(v: np.ndarray, conf: float) -> dict[str, Any]:
    m = float(v.mean())
    if len(v) < 2:
        return {"value": round(m, 4), "ci_low": None, "ci_high": None}
    from scipy import stats as sp

    half = float(sp.t.ppf(0.5 + conf / 2, len(v) - 1)) * float(v.std(ddof=1)) / np.sqrt(len(v))
    return {"value": round(m, 4), "ci_low": round(m - half, 4), "ci_high": round(m + half, 4)}


def _sd(v: np.ndarray) -> float:
    return float(v.std(ddof=1)) if len(v) > 1 else 0.0


def _did(
    ctx: MetricContext,
    frame: pd.DataFrame,
    o: Outcome,
    conf: float,
    name: str,
    arm_n: dict[str, int],
) -> dict[str, Any]:
    k = ctx.min_group_size
    parts = {}
    for arm in (TREATMENT, HOLDOUT):
        sub = frame[frame["arm"] == arm]
        parts[arm] = (sub[o.pre].to_numpy(dtype=float), sub[o.post].to_numpy(dtype=float))
    sizes = {arm: int(np.isfinite(pre).sum()) for arm, (pre, _) in parts.items()}
    if min(sizes.values()) < k:
        return {"status": "not_available",
                "reason": f"not available: needs ≥ {k} people in each arm with a pre-period "
                "in the data"}  # fmt: skip
    d = stats.did_bootstrap(parts[TREATMENT], parts[HOLDOUT], conf, shares=o.kind == "share")
    pre = {arm: round(float(np.nanmean(parts[arm][0])), 4) for arm in parts}
    return {
        "status": "ok",
        **d.to_dict(),
        "pre": pre,
        "n_pre": {arm: min(_people(ctx.noise, n, "coach_effect", name, o.name, "pre", arm),
                           arm_n[arm]) for arm, n in sizes.items()},
    }  # fmt: skip


def _medians(frame: pd.DataFrame, conf: float) -> dict[str, Any]:
    out = {}
    for arm in (TREATMENT, HOLDOUT):
        sub = frame[(frame["arm"] == arm) & frame["prof_days"].notna()]
        km = kaplan_meier(sub["prof_days"].to_numpy(), sub["prof_reached"].to_numpy() > 0, conf)
        out[arm] = {key: km[key] for key in ("median", "ci_low", "ci_high")}
    return out


def _segments(ctx: MetricContext, frame: pd.DataFrame, s: CoachSettings) -> list[dict[str, Any]]:
    k = ctx.min_group_size
    names = sorted(frame["segment"].unique())
    sizes = pd.DataFrame({"segment": names})
    counts = [_counts(frame[frame["segment"] == g]) for g in names]
    sizes["n"] = [min(c) for c in counts]
    nt, nh = _counts(frame)
    sizes = pd.concat([sizes, pd.DataFrame([{"segment": TOTAL, "n": min(nt, nh)}])])
    # Hidden with a complementary segment, so no segment's arms can be worked out from the
    # overall and the others.
    table = suppress(sizes.reset_index(drop=True), ["segment"], "n", k)
    rows = []
    for g, hidden in zip(table["segment"], table[SUPPRESSED], strict=True):
        if g == TOTAL:
            continue
        if hidden:
            rows.append({"segment": g, "status": "not_available",
                         "reason": f"not available: needs ≥ {k} people in each arm"})  # fmt: skip
            continue
        part = _group(ctx, frame[frame["segment"] == g], s, str(g))
        head = part["outcomes"].get(HEADLINE, {})
        rows.append({"segment": g, **part, "verdict": head.get("verdict")})
    return rows
