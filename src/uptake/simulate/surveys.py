"""Survey responses: a four-weekly pulse (confidence, NPS, typology items, shadow AI, comment)
and the week 1-2 "what did you actually use it for" audit. A share of pulse answers comes
through an anonymous link and carries a `segment` instead of a person."""

from __future__ import annotations

import json

import numpy as np

from uptake.simulate.activity import WF_SURFACE, WF_TOOL, Cols, random_workflow
from uptake.simulate.behaviour import ARM_TREATMENT, Plan
from uptake.simulate.catalog import COPILOT, LOCATIONS
from uptake.simulate.daily import Daily
from uptake.simulate.personas import P
from uptake.simulate.roster import ALL_FUNCTIONS, Org
from uptake.simulate.text import Composer
from uptake.simulate.timeline import MS_DAY, Timeline, to_utc_ms, work_time_ms

PULSE_EVERY = 28
PULSE_FIRST = 14
ANONYMOUS_SHARE = 0.25
INSTRUMENTS: dict[str, dict[str, dict[str, str]]] = {
    "pulse": {
        "confidence": {"scale": "0-10", "question": "How confident are you using AI in your work?"},
        "nps": {
            "scale": "0-10",
            "question": "How likely are you to recommend the AI tools to a colleague?",
        },
        "job_security": {"scale": "1-5", "question": "I worry AI will make my role less secure."},
        "competence": {
            "scale": "1-5",
            "question": "I am unsure whether I am using the AI tools correctly.",
        },
        "trust": {
            "scale": "1-5",
            "question": "I trust the outputs and recommendations of the AI tools.",
        },
        "workflow_fit": {"scale": "1-5", "question": "The AI tools fit how I actually do my work."},
        "values": {
            "scale": "1-5",
            "question": "Using AI for parts of my work conflicts with my professional standards.",
        },
        "shadow_ai": {
            "scale": "0-1",
            "question": "In the last month, did you use AI tools not provided by the company?",
        },
        "comment": {"scale": "text", "question": "Anything else you want to tell us?"},
    },
    "audit": {
        "used_for": {
            "scale": "text",
            "question": "What did you actually use the AI tools for this week?",
        }
    },
}
# Shadow-AI users answer yes in most pulses; the rest rarely (a tool they took for provided).
SHADOW_YES, SHADOW_FALSE_YES = 0.85, 0.03
_LIKERT = ("job_security", "competence", "trust", "workflow_fit", "values")
# How much each Likert item moves when a converted sceptic converts.
_CONVERSION_SHIFT = {"competence": -1.2, "trust": 1.3, "workflow_fit": 1.0, "job_security": -0.5}


def tenure_band(days: np.ndarray) -> np.ndarray:
    """Tenure bands (as the metrics segment them) from days of tenure."""
    return np.select(
        [days < 90, days < 365, days < 3 * 365], ["<90d", "90-365d", "1-3y"], "3y+"
    ).astype(object)


def make_responses(
    org: Org,
    plan: Plan,
    daily: Daily,
    tl: Timeline,
    rng: np.random.Generator,
    composer: Composer,
    shadow_user: np.ndarray | None = None,
) -> Cols:
    """Pulse and audit answers of a chunk.
    Args:
        org: roster.
        plan: behaviour plan.
        daily: the chunk's daily state.
        tl: calendar.
        rng: the chunk's generator.
        composer: text composer.
        shadow_user: who uses unsanctioned AI tools (`uptake.simulate.shadow`), by person;
            they mostly say so in the pulse, and others rarely do. None: by persona.

    Returns:
        Columns: person (chunk row, -1 anonymous), legacy (use the old address), ts,
        instrument, item, score (NaN = none), text, segment (object arrays, None = null).
    """
    idx = daily.idx
    n, days = daily.avail.shape
    p = plan.params
    rows: dict[str, list[np.ndarray]] = {
        k: [] for k in ("person", "legacy", "ts", "instrument", "item", "score", "text", "segment")
    }

    def add(
        person: np.ndarray,
        legacy: np.ndarray,
        ts: np.ndarray,
        instrument: str,
        item: str,
        score: np.ndarray,
        text: np.ndarray,
        segment: np.ndarray,
    ) -> None:
        m = len(person)
        rows["person"].append(person)
        rows["legacy"].append(legacy)
        rows["ts"].append(ts)
        rows["instrument"].append(np.full(m, instrument, dtype=object))
        rows["item"].append(np.full(m, item, dtype=object))
        rows["score"].append(score)
        rows["text"].append(text)
        rows["segment"].append(segment)

    first_lic = plan.lic_day[idx].min(axis=1)
    for wave in range(PULSE_FIRST, days, PULSE_EVERY):
        day = np.minimum(wave + rng.integers(0, 5, n), days - 1)
        r = np.arange(n)
        ok = (first_lic <= wave) & daily.avail[r, day] & (org.left_day[idx] > day)
        gone = plan.abandon_day[idx] <= wave
        ok &= rng.random(n) < p["survey_p"][idx] * np.where(gone, 0.75, 1.0)
        r, day = r[ok], day[ok]
        m = len(r)
        if m == 0:
            continue
        g = idx[r]
        ts = to_utc_ms(tl, day, org.location[g], work_time_ms(rng, m))
        keep = ts < tl.end_ms
        r, day, g, ts = r[keep], day[keep], g[keep], ts[keep]
        m = len(r)
        prog = daily.prog[r, day].astype(np.float64)
        ramp = np.clip((day - plan.coach_day[g]) / 14.0, 0, 1) * (plan.arm[g] == ARM_TREATMENT)
        after_conv = (day >= plan.conv_day[g]).astype(np.float64)
        is_gone = plan.abandon_day[g] <= day
        conf = p["conf0"][g] + (p["conf_inf"][g] - p["conf0"][g]) * prog + ramp - is_gone
        nps = p["nps"][g] + (p["nps_inf"][g] - p["nps"][g]) * prog + 0.8 * ramp - is_gone
        anon = rng.random(m) < ANONYMOUS_SHARE
        person = np.where(anon, -1, r)
        legacy = org.has_legacy[g] & (rng.random(m) < 0.5)
        tenure = tenure_band(day - org.hire_day[g])
        func = np.array(ALL_FUNCTIONS, dtype=object)[org.function[g]]
        loc = np.array([x.name for x in LOCATIONS], dtype=object)[org.location[g]]
        segment = np.array(
            [
                json.dumps({"function": f, "tenure_band": t, "location": lc}) if a else None
                for a, f, t, lc in zip(anon, func, tenure, loc, strict=True)
            ],
            dtype=object,
        )
        none = np.full(m, None, dtype=object)
        # Answers to one pulse arrive a few seconds apart, item after item.
        step = rng.integers(3_000, 20_000, m)
        scores = {
            "confidence": np.clip(np.round(conf + rng.normal(0, 0.9, m)), 0, 10),
            "nps": np.clip(np.round(nps + rng.normal(0, 1.3, m)), 0, 10),
        }
        for item in _LIKERT:
            latent = p[f"item_{item}"][g] + _CONVERSION_SHIFT.get(item, 0.0) * after_conv
            scores[item] = np.clip(np.round(latent + rng.normal(0, 0.6, m)), 1, 5)
        reluctant = [P["non_user"], P["job_security"], P["trust_deficit"]]
        shadow_p = (
            np.where(shadow_user[g], SHADOW_YES, SHADOW_FALSE_YES)
            if shadow_user is not None
            else 0.12 + 0.18 * np.isin(plan.persona[g], reluctant)
        )
        scores["shadow_ai"] = (rng.random(m) < shadow_p).astype(np.float64)
        for k, (item, sc) in enumerate(scores.items()):
            add(person, legacy, ts + k * step, "pulse", item, sc, none, segment)
        said = rng.random(m) < 0.25
        sentiment = np.where(
            scores["nps"] >= 9, "positive", np.where(scores["nps"] >= 7, "neutral", "negative")
        )
        wf = random_workflow(org, g, rng)
        texts = np.array(
            [
                composer.comment(s, int(WF_TOOL[w]), int(WF_SURFACE[w]), int(w), 0.04).text
                if say
                else None
                for s, w, say in zip(sentiment, wf, said, strict=True)
            ],
            dtype=object,
        )
        add(
            person[said],
            legacy[said],
            ts[said] + len(scores) * step[said],
            "pulse",
            "comment",
            np.full(int(said.sum()), np.nan),
            texts[said],
            segment[said],
        )

    # Week 1-2 audit, for people whose seat arrived inside the period.
    r = np.flatnonzero((first_lic < days) & (rng.random(n) < 0.3))
    day = first_lic[r] + rng.integers(7, 15, len(r))
    ok = (day < days) & (plan.start_day[idx[r]] < days)
    r, day = r[ok], day[ok]
    g = idx[r]
    ts = to_utc_ms(tl, day, org.location[g], work_time_ms(rng, len(r)))
    keep = ts < tl.end_ms - MS_DAY // 24
    r, g, ts = r[keep], g[keep], ts[keep]
    wf = random_workflow(org, g, rng)
    texts = np.array(
        [composer.audit(COPILOT if WF_TOOL[w] != 1 else 1, int(WF_SURFACE[w]), int(w)) for w in wf],
        dtype=object,
    )
    add(
        r,
        org.has_legacy[g] & (rng.random(len(r)) < 0.5),
        ts,
        "audit",
        "used_for",
        np.full(len(r), np.nan),
        texts,
        np.full(len(r), None, dtype=object),
    )
    return {k: np.concatenate(v) if v else np.zeros(0) for k, v in rows.items()}
