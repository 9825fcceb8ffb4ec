"""The eight conditions, their interventions, and how evidence becomes a 0–100 score.

A condition's evidence is a list of `Component`s: data components (a share 0–1 measured from
the warehouse, with the people it counts) and the questionnaire component (the mean of the
condition's items, 1–5, rescaled to 0–100). Scoring is deliberately plain:

* data score = 100 × the mean of the data components that are available;
* questionnaire score = the mean of the condition's answered items, (answer − 1) / 4 × 100;
* score = the data score when only data speaks, the questionnaire score when only the
  questionnaire does, and their unweighted mean when both do (the `basis` says which);
* status = `not_available` (with `needs`) when neither speaks — never a made-up score —
  `gap` when the score is below `[programme] gap_below`, else `ok`.

A data component whose population is below the minimum group size k is hidden (it says so)
and does not enter the score. With the release noise on (`privacy.noise`), every published
people count carries it — n, and the numerator and denominator when they count people — and
the share is derived from the noisy counts, as the metrics do; a shown n is at least k.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from uptake.metrics.noise import Noise

READINESS = "readiness"
OK = "ok"
GAP = "gap"
NOT_AVAILABLE = "not_available"
HIDDEN = "hidden"
DATA = "data"
QUESTIONNAIRE = "questionnaire"
BLEND = "data and questionnaire (equal weights)"

# The eight organisational conditions, in the order a programme lead reads them.
CONDITIONS: dict[str, str] = {
    "workflow_integration": "Workflow integration",
    "trust_transparency": "Trust through transparency",
    "override_architecture": "Override architecture",
    "performance_feedback": "Performance feedback loops",
    "role_redesign": "Role redesign",
    "management_activation": "Management activation",
    "champion_network": "Champion network",
    "feedback_channels": "Feedback channels",
}
# What each condition asks of the organisation, in one line (shown beside its score).
MEANING: dict[str, str] = {
    "workflow_integration": "AI sits inside the catalogued work, not beside it",
    "trust_transparency": (
        "people can see how recommendations are made and how often they are right"
    ),
    "override_architecture": "overriding is easy and every decision's outcome is logged",
    "performance_feedback": (
        "the people who decide see the outcomes of followed and overridden calls"
    ),
    "role_redesign": "roles, objectives and freed time were redesigned around the AI-assisted work",
    "management_activation": "managers use the tools themselves and lead their teams' adoption",
    "champion_network": "credible champions cover every team and role",
    "feedback_channels": "feedback is heard, answered quickly, and no team is silent",
}
# The intervention a gap in each condition calls for, concrete enough to schedule.
INTERVENTIONS: dict[str, str] = {
    "workflow_integration": (
        "pick the two or three catalogued workflows with the most runs, put the AI step inside "
        "them (in the tool where the work happens) and retire the steps it replaces; catalogue "
        "the workflows people already use AI for"
    ),
    "trust_transparency": (
        "publish how each recommendation is made (inputs, limits) and its measured accuracy per "
        "workflow; show followed-versus-overridden outcomes in the team meeting every month"
    ),
    "override_architecture": (
        "make the override one step with a reason field, log every decision's outcome (wire "
        "the outcome back from the system of record), and say publicly that overriding is "
        "expected"
    ),
    "performance_feedback": (
        "give each decider a monthly view of their followed and overridden decisions and their "
        "outcomes (override accuracy), and measure people on outcomes, not on volume"
    ),
    "role_redesign": (
        "rewrite the affected role descriptions and objectives with the teams: name the tasks AI "
        "substitutes or augments, where the freed time goes, and the new measures (such as "
        "override accuracy)"
    ),
    "management_activation": (
        "brief managers first and get each one to L3 on their own work; give each manager their "
        "team's adoption view and put AI use on the agenda of their one-to-ones"
    ),
    "champion_network": (
        "designate champions among the people colleagues already ask for help, one per team and "
        "role that lacks one, with time set aside; introduce them to their teams"
    ),
    "feedback_channels": (
        "name an owner for AI feedback, answer every item within a week and publish what changed; "
        "ask silent teams directly (a short pulse or an interview)"
    ),
}


@dataclass
class Component:
    """One piece of evidence behind a condition.

    Attributes:
        name: stable id (e.g. `outcomes_logged`).
        label: what it measures, in words.
        kind: `data` or `questionnaire`.
        status: `ok`, `hidden` (population below k) or `not_available`.
        value: the share 0–1 (data) or the mean answer 1–5 (questionnaire), when ok.
        score: its 0–100 contribution, when ok.
        n: people (or respondents) it counts, when ok.
        n_what: what n counts.
        detail: the numbers behind it (numerator, denominator, window …).
        needs: what is missing, when not available.
        reason: why it is hidden or not available, in words.
    """

    name: str
    label: str
    kind: str = DATA
    status: str = OK
    value: float | None = None
    score: float | None = None
    n: int | None = None
    n_what: str = "people"
    detail: dict[str, Any] = field(default_factory=dict)
    needs: list[str] = field(default_factory=list)
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "status": self.status,
            "value": _round(self.value, 4),
            "score": _round(self.score, 1),
            "n": self.n,
            "n_what": self.n_what,
            "detail": self.detail,
            "needs": self.needs,
            "reason": self.reason,
        }


def share(
    name: str,
    label: str,
    numerator: int,
    denominator: int,
    people: int,
    k: int,
    *,
    n_what: str = "people",
    detail: dict[str, Any] | None = None,
    noise: Noise | None = None,
    counts_people: bool = False,
) -> Component:
    """A data component measured as numerator ÷ denominator over `people` people.

    Args:
        name: component id.
        label: what it measures.
        numerator: the count meeting the condition.
        denominator: the count it is out of (> 0).
        people: the people behind the counts (the k rule applies to them).
        k: minimum group size.
        n_what: what `people` counts.
        detail: extra numbers to show.
        noise: the release noise (None or off: exact counts).
        counts_people: whether numerator and denominator count people (then they get noise).

    Returns:
        An ok component, or a hidden one when `people` < k.
    """
    if people < k:
        return hidden(name, label, k, n_what)
    n = noisy_n(noise, people, k, name)
    if noise is not None and noise.enabled and counts_people:
        den = (
            n
            if denominator == people
            else max(1, noise.count(denominator, READINESS, name, "den") or 1)
        )
        numerator = min(noise.count(numerator, READINESS, name, "num") or 0, den)
        denominator = den
    info = {"numerator": int(numerator), "denominator": int(denominator), **(detail or {})}
    value = numerator / denominator
    # Multiplied before dividing: 100 × 23 ÷ 40 is 57.5 exactly, 100 × (23 ÷ 40) is not, and
    # the shown score rounds from it.
    score = 100.0 * numerator / denominator
    return Component(name, label, DATA, OK, value, score, n, n_what, info)


def noisy_n(noise: Noise | None, people: int, k: int, name: str) -> int:
    """A shown population's people count with the release noise, never below k.

    Args:
        noise: the release noise (None or off: exact).
        people: the exact count (at least k: callers hide smaller ones first).
        k: minimum group size.
        name: the component (part of the noise's question).

    Returns:
        The count to publish.
    """
    if noise is None or not noise.enabled:
        return int(people)
    return max(k, noise.count(int(people), READINESS, name, "n") or 0)


def hidden(name: str, label: str, k: int, n_what: str = "people") -> Component:
    """A component whose population is below k: shown as hidden, never as a number."""
    why = f"hidden: fewer than {k} {n_what}"
    return Component(name, label, DATA, HIDDEN, n_what=n_what, reason=why)


def missing(name: str, label: str, needs: list[str], why: str | None = None) -> Component:
    """A data component whose inputs the workspace lacks."""
    text = why or f"not available: needs {', '.join(needs)}"
    return Component(name, label, DATA, NOT_AVAILABLE, needs=list(needs), reason=text)


def condition(
    key: str,
    components: list[Component],
    questionnaire: Component | None,
    gap_below: int,
) -> dict[str, Any]:
    """Score one condition from its components (the rules in the module docstring).

    Args:
        key: the condition's id (a key of `CONDITIONS`).
        components: its data components (may be empty: questionnaire only).
        questionnaire: its questionnaire component (None: the data alone speaks).
        gap_below: a score below this is a gap.

    Returns:
        {condition, label, meaning, status, score, basis, data_score, questionnaire_score,
        components, needs, reason, intervention (gaps only)}.
    """
    data = [c for c in components if c.status == OK and c.score is not None]
    data_score = sum(c.score or 0.0 for c in data) / len(data) if data else None
    q_ok = questionnaire is not None and questionnaire.status == OK
    q_score = questionnaire.score if q_ok and questionnaire is not None else None
    if data_score is not None and q_score is not None:
        score, basis = (data_score + q_score) / 2, BLEND
    elif data_score is not None:
        score, basis = data_score, DATA
    elif q_score is not None:
        score, basis = q_score, QUESTIONNAIRE
    else:
        score, basis = None, None
    if basis in (DATA, BLEND) and any(
        str(c.detail.get("basis") or "").startswith("proxy") for c in data
    ):
        # Evidence standing on a proxy (ladder levels from activity) is said to be one
        # where the basis is read, not only in the evidence's small print.
        basis = (
            "data (proxy)" if basis == DATA else "data (proxy) and questionnaire (equal weights)"
        )
    every = [*components, *([questionnaire] if questionnaire is not None else [])]
    needs: list[str] = []
    for c in every:
        if c.status == NOT_AVAILABLE:
            needs += [x for x in c.needs if x not in needs]
    if score is None:
        status = NOT_AVAILABLE
        hid = [c.reason for c in every if c.status == HIDDEN and c.reason]
        reason = "not available: needs " + ", ".join(needs) if needs else None
        if hid:
            reason = "; ".join([*([reason] if reason else []), *hid])
    else:
        # The shown score decides: 48.98 is shown as 49.0, which a threshold of 49 passes.
        status = GAP if round(score, 1) < gap_below else OK
        reason = None
    out: dict[str, Any] = {
        "condition": key,
        "label": CONDITIONS[key],
        "meaning": MEANING[key],
        "status": status,
        "score": _round(score, 1),
        "basis": basis,
        "data_score": _round(data_score, 1),
        "questionnaire_score": _round(q_score, 1),
        "components": [c.to_dict() for c in every],
        # Partial evidence still names what would complete it.
        "needs": needs,
        "reason": reason,
        "intervention": INTERVENTIONS[key] if status == GAP else None,
    }
    return out


def _round(v: float | None, digits: int) -> float | None:
    return None if v is None else round(float(v), digits)
