"""Scenarios: `stalled`, `coached` and `mixed`.

`stalled` and `coached` are the same organisation (same roster, same personas, same random
draws); `coached` adds in-context guidance with a holdout arm, activated managers and an
active champion network. `mixed` gives each function its own culture, rollout wave and
support, so functions sit at different stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from uptake.errors import InputError
from uptake.simulate.catalog import EXECUTIVE_FUNCTION, FUNCTIONS
from uptake.simulate.personas import PERSONAS

# enthusiast, converted_sceptic, pragmatist, job_security, competence, trust_deficit,
# workflow_disruption, value_misalignment, non_user
_BASE = (0.04, 0.04, 0.09, 0.10, 0.12, 0.08, 0.08, 0.05, 0.40)
_MIXED: dict[str, tuple[float, ...]] = {
    "engineering": (0.16, 0.08, 0.22, 0.05, 0.10, 0.10, 0.09, 0.04, 0.16),
    "sales": (0.10, 0.07, 0.22, 0.14, 0.10, 0.06, 0.08, 0.03, 0.20),
    "customer service": (0.06, 0.08, 0.16, 0.16, 0.14, 0.07, 0.10, 0.03, 0.20),
    "finance": (0.06, 0.07, 0.16, 0.06, 0.10, 0.20, 0.08, 0.07, 0.20),
    "operations": (0.05, 0.06, 0.15, 0.07, 0.10, 0.10, 0.20, 0.05, 0.22),
    "marketing": (0.12, 0.06, 0.20, 0.16, 0.10, 0.06, 0.06, 0.06, 0.18),
    "hr": (0.04, 0.05, 0.12, 0.10, 0.12, 0.08, 0.07, 0.16, 0.26),
    "legal": (0.03, 0.05, 0.10, 0.08, 0.14, 0.12, 0.06, 0.18, 0.24),
}
# Rollout waves: (day, share of the function's teams licensed that day).
_WAVES_SAME = ((0, 0.15), (14, 0.45), (28, 0.40))
_WAVES_MIXED: dict[str, tuple[tuple[int, float], ...]] = {
    "engineering": ((0, 0.6), (7, 0.4)),
    "sales": ((0, 0.2), (14, 0.8)),
    "customer service": ((14, 0.5), (21, 0.5)),
    "finance": ((21, 1.0),),
    "operations": ((28, 1.0),),
    "marketing": ((14, 1.0),),
    "hr": ((49, 1.0),),
    "legal": ((56, 1.0),),
}


@dataclass(frozen=True)
class Scenario:
    """Knobs of one scenario; per-function dicts fall back to `default_*` when a function is
    missing."""

    name: str
    description: str
    persona_weights: dict[str, tuple[float, ...]] = field(default_factory=dict)
    default_weights: tuple[float, ...] = _BASE
    waves: dict[str, tuple[tuple[int, float], ...]] = field(default_factory=dict)
    default_waves: tuple[tuple[int, float], ...] = _WAVES_SAME
    # Multiplies each persona's probability of abandoning (no support = more abandonment).
    abandon_mult: dict[str, float] = field(default_factory=dict)
    default_abandon_mult: float = 1.0
    # Daily rate of idle "login-ish" sessions after abandonment, scaled per person.
    residual_login: float = 0.08
    # Multiplies how long learning takes (no enablement = slower).
    learning_time: float = 1.0
    # Mean days of use (after the first three weeks) before an abandoner stops.
    abandon_scale: float = 35.0
    coached_functions: frozenset[str] = frozenset()
    coaching_start: int = 21
    holdout_share: float = 0.10
    # Scales every effect coaching has on the treated arm's trajectories (gap closed, faster
    # learning, non-users brought in, abandonment rescued): 0 = no effect, for null tests.
    coaching_effect: float = 1.0
    activated_manager_functions: frozenset[str] = frozenset()
    champion_activity: float = 1.0

    def weights(self, function: str) -> tuple[float, ...]:
        """Persona shares for a function, normalised."""
        w = self.persona_weights.get(function, self.default_weights)
        s = sum(w)
        return tuple(x / s for x in w)

    def wave_plan(self, function: str) -> tuple[tuple[int, float], ...]:
        """Rollout waves of a function."""
        return self.waves.get(function, self.default_waves)

    def abandonment(self, function: str) -> float:
        """Abandonment multiplier of a function."""
        return self.abandon_mult.get(function, self.default_abandon_mult)


_ALL = frozenset((*FUNCTIONS, EXECUTIVE_FUNCTION))
SCENARIOS: dict[str, Scenario] = {
    "stalled": Scenario(
        name="stalled",
        description=(
            "three months in: most licences unused, little high-stakes AI use, "
            "login counts that still look acceptable"
        ),
        default_abandon_mult=4.0,
        abandon_scale=25.0,
        residual_login=0.12,
        learning_time=1.3,
        champion_activity=0.4,
    ),
    "coached": Scenario(
        name="coached",
        description=(
            "the stalled organisation with champions, activated managers and in-context "
            "guidance (10% holdout), climbing the ladder"
        ),
        default_abandon_mult=4.0,
        abandon_scale=25.0,
        residual_login=0.12,
        learning_time=1.3,
        coached_functions=_ALL,
        activated_manager_functions=_ALL,
        champion_activity=2.0,
    ),
    "mixed": Scenario(
        name="mixed",
        description="functions at different stages of adoption, culture and support",
        persona_weights=_MIXED,
        waves=_WAVES_MIXED,
        abandon_mult={
            "engineering": 0.8,
            "sales": 1.0,
            "customer service": 1.0,
            "finance": 1.2,
            "operations": 1.4,
            "marketing": 1.0,
            "hr": 1.5,
            "legal": 1.5,
        },
        residual_login=0.08,
        coached_functions=frozenset({"customer service", "sales"}),
        activated_manager_functions=frozenset({"customer service", "engineering"}),
        champion_activity=1.0,
    ),
}
assert all(len(w) == len(PERSONAS) for w in _MIXED.values())


def get_scenario(name: str) -> Scenario:
    """Look up a scenario by name.

    Args:
        name: stalled, coached or mixed.

    Returns:
        The scenario.
    """
    try:
        return SCENARIOS[name]
    except KeyError:
        raise InputError(
            f"unknown scenario {name!r}; expected one of: {', '.join(SCENARIOS)}"
        ) from None
