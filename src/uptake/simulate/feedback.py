"""Feedback: service-desk tickets, Teams-channel posts, in-app flags, e-mails and interview
notes. Volume has a first peak right after each person's licence (access, how-to) and a second
peak some six weeks later (accuracy, workflow fit, values), as rollouts show."""

from __future__ import annotations

import numpy as np

from uptake.simulate.activity import WF_SURFACE, WF_TOOL, Cols, random_workflow
from uptake.simulate.behaviour import Plan
from uptake.simulate.catalog import COPILOT
from uptake.simulate.daily import Daily
from uptake.simulate.personas import P
from uptake.simulate.roster import Org
from uptake.simulate.text import Composer
from uptake.simulate.timeline import MS_DAY, Timeline, to_utc_ms, work_time_ms

CHANNELS = ("service_desk", "teams_channel", "in_app", "email", "interview")
_CHANNEL_W = np.array([0.45, 0.25, 0.2, 0.07, 0.03])
# Phrase category -> the category label a service desk would file it under.
CATEGORY_LABEL = {
    "access": "access",
    "how_to": "how_to",
    "bug": "bug",
    "accuracy": "accuracy",
    "workflow": "workflow_fit",
    "job_security": "job_concern",
    "values": "ethics",
    "praise": "praise",
    "feature": "feature_request",
    "policy": "policy",
}
_EARLY = {
    "access": 0.28,
    "how_to": 0.32,
    "bug": 0.15,
    "policy": 0.1,
    "praise": 0.05,
    "accuracy": 0.05,
    "workflow": 0.05,
}
_LATE = {
    "accuracy": 0.18,
    "workflow": 0.15,
    "how_to": 0.15,
    "bug": 0.1,
    "feature": 0.12,
    "praise": 0.1,
    "policy": 0.05,
    "values": 0.05,
    "job_security": 0.05,
    "access": 0.05,
}
# Persona -> (category boosted in the second peak, factor).
_BOOST = {
    P["trust_deficit"]: (("accuracy", 3.0),),
    P["workflow_disruption"]: (("workflow", 3.0),),
    P["value_misalignment"]: (("values", 5.0),),
    P["job_security"]: (("job_security", 5.0),),
    P["competence"]: (("how_to", 2.5),),
    P["enthusiast"]: (("praise", 3.0), ("feature", 2.0)),
    P["converted_sceptic"]: (("praise", 3.0), ("feature", 2.0)),
}
_FRUSTRATED = np.array([0.03, 0.12, 0.1, 0.1, 0.4, 0.35, 0.5, 0.15, 0.1])
_UNCERTAIN = np.array([0.03, 0.2, 0.08, 0.25, 0.7, 0.08, 0.12, 0.05, 0.15])


def _category_probs(persona: int, late: bool) -> tuple[list[str], np.ndarray]:
    base = dict(_LATE if late else _EARLY)
    if late:
        for cat, f in _BOOST.get(persona, ()):
            base[cat] *= f
    cats = list(base)
    w = np.array([base[c] for c in cats])
    return cats, w / w.sum()


def make_feedback(
    org: Org, plan: Plan, daily: Daily, tl: Timeline, rng: np.random.Generator, composer: Composer
) -> tuple[Cols, list[dict[str, object]]]:
    """Feedback items of a chunk.
    Args:
        org: roster.
        plan: behaviour plan.
        daily: the chunk's daily state.
        tl: calendar.
        rng: the chunk's generator.
        composer: text composer.

    Returns:
        Columns (person is the chunk row or -1; id_kind 0 e-mail, 1 legacy e-mail, 2 employee
        number) and, per item, the truth about its text (labels and planted PII).
    """
    idx = daily.idx
    n, days = daily.avail.shape
    first_lic = plan.lic_day[idx].min(axis=1)
    licensed = first_lic < days
    span = np.clip((days - first_lic) / 90.0, 0, 1)
    count = np.where(
        licensed, rng.poisson(plan.params["feedback_rate"][idx] * span), rng.poisson(0.05, n)
    )
    r = np.repeat(np.arange(n), count)
    m = len(r)
    late = rng.random(m) < 0.5
    offset = np.where(late, rng.normal(45, 9, m), rng.gamma(2.0, 4.0, m)).astype(np.int64)
    unlicensed = ~licensed[r]
    day = np.where(unlicensed, rng.integers(0, days, m), first_lic[r] + np.maximum(offset, 0))
    g = idx[r]
    ok = (day < days) & (day >= np.maximum(org.hire_day[g], 0)) & (day < org.left_day[g])
    r, day, late, g, unlicensed = r[ok], day[ok], late[ok], g[ok], unlicensed[ok]
    m = len(r)
    ts = to_utc_ms(tl, day, org.location[g], work_time_ms(rng, m))
    keep = ts < tl.end_ms
    r, day, late, g, unlicensed, ts = (
        r[keep],
        day[keep],
        late[keep],
        g[keep],
        unlicensed[keep],
        ts[keep],
    )
    m = len(r)
    persona = plan.persona[g]
    wf = random_workflow(org, g, rng)
    tool = np.where(plan.lic_day[g, WF_TOOL[wf]] <= day, WF_TOOL[wf], COPILOT)
    surface = WF_SURFACE[wf]
    texts: list[str] = []
    cats: list[str] = []
    truth: list[dict[str, object]] = []
    for k in range(m):
        if unlicensed[k]:
            cat = "access"
        else:
            names, w = _category_probs(int(persona[k]), bool(late[k]))
            cat = names[int(rng.choice(len(names), p=w))]
        t = composer.feedback(
            cat,
            int(tool[k]),
            int(surface[k]),
            int(wf[k]),
            float(_FRUSTRATED[persona[k]]),
            float(_UNCERTAIN[persona[k]]),
            0.08,
        )
        texts.append(t.text)
        cats.append(CATEGORY_LABEL[cat])
        truth.append(
            {
                "frustrated": t.frustrated,
                "uncertain": t.uncertain,
                "pii": t.pii,
                "pii_kinds": t.pii_kinds,
            }
        )
    channel = rng.choice(len(CHANNELS), size=m, p=_CHANNEL_W)
    anon = (channel == CHANNELS.index("in_app")) & (rng.random(m) < 0.4)
    id_kind = np.where(
        (channel == CHANNELS.index("service_desk")) & (rng.random(m) < 0.3),
        2,
        np.where(org.has_legacy[g] & (rng.random(m) < 0.5), 1, 0),
    )
    u = rng.random(m)
    status = np.select(
        [u < 0.62, u < 0.74, u < 0.84], ["resolved", "closed", "in_progress"], "open"
    ).astype(object)
    cat_arr = np.array(cats, dtype=object)
    status = np.where(
        np.isin(cat_arr, ["praise", "feature_request"]) & (status == "resolved"), "closed", status
    )
    resolved = ts + (rng.lognormal(np.log(1.8), 1.0, m) * MS_DAY).astype(np.int64)
    has_res = np.isin(status, ["resolved", "closed"])
    too_late = has_res & (resolved >= tl.end_ms)
    status = np.where(too_late, "in_progress", status)
    has_res &= ~too_late
    cols: Cols = {
        "person": np.where(anon, -1, r),
        "id_kind": id_kind,
        "ts": ts,
        "channel": np.array(CHANNELS, dtype=object)[channel],
        "text": np.array(texts, dtype=object),
        "category": cat_arr,
        "status": status,
        "resolved_at": np.where(has_res, resolved, -1),
    }
    return cols, truth
