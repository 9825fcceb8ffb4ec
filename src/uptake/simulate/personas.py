"""Personas: who adopts, who resists and how.

A persona sets the *means* of a person's behavioural parameters; every person draws their own
values around those means (log-normal or beta noise), so the distributions overlap and no
single field identifies a persona. `typology` maps a persona to the resistance typology a
detector should report (`none` for the non-resistant personas and for non-users).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

PERSONAS: tuple[str, ...] = (
    "enthusiast",
    "converted_sceptic",
    "pragmatist",
    "job_security",
    "competence",
    "trust_deficit",
    "workflow_disruption",
    "value_misalignment",
    "non_user",
)
P = {name: i for i, name in enumerate(PERSONAS)}
TYPOLOGY: dict[str, str] = {
    "enthusiast": "none",
    "converted_sceptic": "none",
    "pragmatist": "none",
    "job_security": "job_security_anxiety",
    "competence": "competence_anxiety",
    "trust_deficit": "trust_deficit",
    "workflow_disruption": "workflow_disruption",
    "value_misalignment": "value_misalignment",
    "non_user": "none",
}
DESCRIPTION: dict[str, str] = {
    "enthusiast": "early, deep, confident use; often a go-to person for colleagues",
    "converted_sceptic": "slow, doubtful start, then a conversion and deep use",
    "pragmatist": "steady moderate use where it clearly helps",
    "job_security": "surface use: low-stakes tasks only, keeps AI away from core work",
    "competence": "bounce loops, low confidence, slow learning, quiet abandonment",
    "trust_deficit": "uses it but rejects suggestions and overrides recommendations",
    "workflow_disruption": "long sessions, abandoned tasks, AI runs that are slower",
    "value_misalignment": "principled overrides; keeps AI out of people-related work",
    "non_user": "never or almost never opens the tool",
}

# Mean of each parameter per persona, in PERSONAS order. Probabilities get beta noise,
# rates and durations log-normal noise (see `sample`).
_MEANS: dict[str, tuple[float, ...]] = {
    # enth  conv  prag  jobs  comp  trust wdis  vmis  non
    "free_rate": (1.6, 0.9, 0.9, 1.3, 0.7, 0.8, 0.9, 0.5, 0.08),
    "p_hi0": (0.35, 0.05, 0.15, 0.02, 0.08, 0.12, 0.12, 0.06, 0.0),
    "p_hi_inf": (0.86, 0.78, 0.62, 0.05, 0.42, 0.36, 0.42, 0.3, 0.0),
    "p_lo0": (0.5, 0.12, 0.3, 0.35, 0.15, 0.25, 0.25, 0.15, 0.0),
    "p_lo_inf": (0.85, 0.72, 0.6, 0.72, 0.45, 0.45, 0.42, 0.45, 0.0),
    "tau": (10, 14, 20, 15, 40, 25, 30, 30, 30),
    "bounce_bg": (0.012, 0.03, 0.02, 0.02, 0.05, 0.02, 0.03, 0.012, 0.1),
    "login_p": (0.04, 0.08, 0.06, 0.1, 0.1, 0.06, 0.08, 0.08, 0.5),
    "reject_p": (0.12, 0.28, 0.2, 0.18, 0.3, 0.5, 0.28, 0.3, 0.35),
    "follow_p": (0.88, 0.72, 0.83, 0.8, 0.76, 0.5, 0.78, 0.56, 0.7),
    "task_abandon": (0.04, 0.08, 0.07, 0.06, 0.16, 0.1, 0.3, 0.07, 0.2),
    "sess_mult": (1.0, 1.0, 1.0, 0.8, 0.9, 1.05, 1.6, 1.0, 1.0),
    "saving_mult": (1.15, 1.0, 0.95, 0.8, 0.6, 0.75, 0.35, 0.85, 0.5),
    "conf0": (7.5, 3.5, 6.0, 6.0, 3.0, 5.5, 5.0, 6.5, 4.5),
    "conf_inf": (8.8, 8.2, 7.0, 6.0, 4.8, 5.5, 4.8, 6.5, 4.5),
    "nps": (9.0, 4.5, 7.5, 5.5, 5.5, 3.5, 4.0, 4.0, 3.0),
    "nps_inf": (9.2, 8.3, 7.5, 5.5, 5.0, 3.5, 3.5, 4.0, 3.0),
    "feedback_rate": (0.8, 1.0, 0.5, 0.4, 0.7, 1.2, 1.4, 0.8, 0.15),
    "survey_p": (0.65, 0.55, 0.5, 0.45, 0.45, 0.55, 0.5, 0.55, 0.25),
    "ask_rate": (0.1, 0.2, 0.1, 0.06, 0.22, 0.06, 0.14, 0.04, 0.02),
    "abandon_p": (0.03, 0.06, 0.1, 0.15, 0.35, 0.25, 0.4, 0.2, 0.0),
    "drop_p": (0.03, 0.12, 0.1, 0.2, 0.35, 0.18, 0.3, 0.12, 0.0),
    "bounce_episodes": (0.05, 0.3, 0.1, 0.1, 1.8, 0.1, 0.3, 0.05, 0.0),
    # Survey typology items, 1-5 Likert latent means. `trust` and `workflow_fit` are phrased
    # positively (agreeing is good); the others negatively.
    "item_job_security": (1.8, 2.5, 2.3, 4.1, 3.0, 2.5, 2.5, 2.8, 3.0),
    "item_competence": (1.5, 3.0, 2.2, 2.5, 4.1, 2.3, 2.6, 2.2, 3.2),
    "item_trust": (4.3, 2.6, 3.6, 3.4, 3.2, 1.9, 3.2, 2.8, 2.5),
    "item_workflow_fit": (4.4, 3.0, 3.6, 3.4, 3.0, 3.2, 1.9, 3.2, 2.5),
    "item_values": (1.5, 2.5, 2.0, 2.6, 2.0, 2.5, 2.2, 4.1, 3.0),
}
# Chance per person of one planted friction episode (see `uptake.simulate.friction`). Kept
# apart from `_MEANS`, whose draws `sample` makes in order: the plants use their own stream.
PLANTED: dict[str, tuple[float, ...]] = {
    # enth  conv  prag  jobs  comp  trust wdis  vmis  non
    "rejection_streak": (0.04, 0.15, 0.06, 0.08, 0.15, 0.3, 0.15, 0.12, 0.05),
    "override_spike": (0.05, 0.15, 0.08, 0.1, 0.12, 0.3, 0.12, 0.25, 0.05),
    "surface_use": (0.02, 0.08, 0.05, 0.55, 0.12, 0.1, 0.1, 0.1, 0.0),
}
_BETA = {"p_hi0", "p_hi_inf", "p_lo0", "p_lo_inf", "bounce_bg", "login_p", "reject_p"}
_BETA |= {"follow_p", "task_abandon"}
_NORMAL = {"conf0", "conf_inf", "nps", "nps_inf"}
_LIKERT = {k for k in _MEANS if k.startswith("item_")}
_NOISE_SIGMA = 0.35
_BETA_KAPPA = 14.0

# Days from licence to first use: uniform(lo, hi) per persona.
DELAY_RANGE: tuple[tuple[int, int], ...] = (
    (0, 3),
    (4, 20),
    (1, 10),
    (1, 12),
    (3, 15),
    (1, 10),
    (1, 10),
    (3, 20),
    (10, 40),
)


def means(name: str) -> np.ndarray:
    """Per-persona mean of a parameter, indexed by persona code."""
    import numpy as np  # the scenarios' names and help texts are read without it

    return np.asarray(_MEANS[name], dtype=np.float64)


def planted(name: str) -> np.ndarray:
    """Per-persona chance of one planted episode of a friction kind, by persona code."""
    import numpy as np

    return np.asarray(PLANTED[name], dtype=np.float64)


def sample(rng: np.random.Generator, persona: np.ndarray) -> dict[str, np.ndarray]:
    """Draw every behavioural parameter for each person around their persona's means.

    Args:
        rng: seeded generator.
        persona: persona code per person.

    Returns:
        Parameter name -> float64 array, one value per person.
    """
    import numpy as np

    n = len(persona)
    out: dict[str, np.ndarray] = {}
    for name in _MEANS:
        mu = means(name)[persona]
        if name in _BETA:
            m = np.clip(mu, 1e-3, 1 - 1e-3)
            out[name] = np.where(mu <= 0, 0.0, rng.beta(m * _BETA_KAPPA, (1 - m) * _BETA_KAPPA))
        elif name in _NORMAL:
            out[name] = np.clip(mu + rng.normal(0, 1.2, n), 0, 10)
        elif name in _LIKERT:
            out[name] = np.clip(mu + rng.normal(0, 0.7, n), 1, 5)
        else:
            sigma = _NOISE_SIGMA
            out[name] = mu * rng.lognormal(-(sigma**2) / 2, sigma, n)
    lo = np.array([r[0] for r in DELAY_RANGE])[persona]
    hi = np.array([r[1] for r in DELAY_RANGE])[persona]
    out["delay"] = np.floor(lo + rng.random(n) * (hi - lo + 1))
    # Some workflow-disrupted people are slower with AI on their work: a negative saving.
    wd = persona == P["workflow_disruption"]
    out["saving_mult"] = np.where(wd, out["saving_mult"] - 0.3, out["saving_mult"])
    return out
