"""Readiness against the eight organisational conditions of an AI rollout.

`assess` scores each condition 0–100 from data evidence (`evidence`) and the readiness
questionnaire (`questionnaire`), with the rules in `model`; gaps carry their intervention,
and `populations` gives the dominant resistance typology of each population.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.noise import Noise
from uptake.programme.readiness import evidence, network, populations, questionnaire
from uptake.programme.readiness.evidence import Rules
from uptake.programme.readiness.model import (
    CONDITIONS,
    GAP,
    INTERVENTIONS,
    NOT_AVAILABLE,
    OK,
    Component,
    condition,
    noisy_n,
)
from uptake.programme.readiness.questionnaire import INSTRUMENT, ITEMS, answer_rows

__all__ = [
    "CONDITIONS",
    "INSTRUMENT",
    "INTERVENTIONS",
    "ITEMS",
    "Rules",
    "answer_rows",
    "assess",
    "score_conditions",
]


def score_conditions(
    data: dict[str, list[Component]],
    answers: pd.DataFrame,
    k: int,
    gap_below: int,
    noise: Noise | None = None,
) -> list[dict[str, Any]]:
    """Score every condition from its data components and the questionnaire answers.

    Args:
        data: condition → its data components (absent: no data component).
        answers: `questionnaire.latest(...)` rows.
        k: minimum group size.
        gap_below: a score below this is a gap.
        noise: the release noise for respondent counts (None or off: exact).

    Returns:
        One `model.condition` document per condition, in `CONDITIONS` order.
    """
    means = questionnaire.item_means(answers, k, noise)
    return [
        condition(key, data.get(key, []), questionnaire.component(key, means), gap_below)
        for key in CONDITIONS
    ]


def assess(
    ctx: MetricContext,
    signals: dict[str, Any],
    answers: pd.DataFrame,
    *,
    gap_below: int,
    rules: Rules | None = None,
) -> dict[str, Any]:
    """Readiness as of `ctx.as_of`: each condition's score, evidence, status and intervention.

    Args:
        ctx: metric context over refreshed facts.
        signals: the signals document as of the same day (champions, silence, typologies).
        answers: the `readiness` responses (response_id, ts, item, person_key, score,
            function) up to `as_of`.
        gap_below: a condition scoring below this is a gap.
        rules: readiness thresholds (default `Rules()`).

    Returns:
        {status, conditions, gaps, summary, questionnaire: {items, respondents, segments},
        populations, rules}; `status` is ok when any condition could be scored.
    """
    r = rules or Rules()
    data = {
        "workflow_integration": evidence.workflow_integration(ctx),
        "override_architecture": evidence.override_architecture(ctx, r),
        "performance_feedback": evidence.performance_feedback(ctx, r),
        "role_redesign": evidence.role_redesign(ctx),
        "management_activation": evidence.management_activation(ctx),
        "champion_network": network.champion_network(ctx, signals),
        "feedback_channels": network.feedback_channels(ctx, signals, r),
    }
    k = ctx.min_group_size
    latest = questionnaire.latest(answers)
    conds = score_conditions(data, latest, k, gap_below, ctx.noise)
    means = questionnaire.item_means(latest, k, ctx.noise)
    scored = [c for c in conds if c["status"] != NOT_AVAILABLE]
    gaps = [
        {
            "condition": c["condition"],
            "label": c["label"],
            "score": c["score"],
            "intervention": c["intervention"],
        }
        for c in sorted((c for c in conds if c["status"] == GAP), key=lambda c: c["score"])
    ]
    others = int(latest.loc[~latest["lead"].astype(bool), "respondent"].nunique())
    lead = bool(latest["lead"].astype(bool).any())
    return {
        "status": OK if scored else NOT_AVAILABLE,
        "gap_below": gap_below,
        "conditions": conds,
        "gaps": gaps,
        "summary": {
            "scored": len(scored),
            "gaps": len(gaps),
            "not_available": len(conds) - len(scored),
            "mean_score": round(sum(c["score"] for c in scored) / len(scored), 1)
            if scored
            else None,
        },
        "questionnaire": {
            "instrument": INSTRUMENT,
            "scale": "1 (strongly disagree) to 5 (strongly agree)",
            "items": list(means.values()),
            "lead_answered": lead,
            **_respondents(others, k, ctx.noise),
            "segments": questionnaire.segments(latest, k, ctx.noise),
        },
        "populations": populations.dominant(ctx, signals),
        "rules": {
            "window_days": ctx.window_days,
            "outcome_grace_days": r.outcome_grace_days,
            "outcomes_per_decider": r.outcomes_per_decider,
            "resolution_target_days": r.resolution_target_days,
        },
    }


def _respondents(others: int, k: int, noise: Noise | None) -> dict[str, Any]:
    """How many answered besides the lead: a count only at or above k (fewer is a few people)."""
    if others == 0:
        return {"respondents": 0, "respondents_note": None}
    if others < k:
        note = f"fewer than {k} respondents besides the programme lead"
        return {"respondents": None, "respondents_note": note}
    return {
        "respondents": noisy_n(noise, others, k, "questionnaire:respondents"),
        "respondents_note": None,
    }
