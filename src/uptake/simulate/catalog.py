"""The simulated organisation's fixed catalogue: functions, roles, tools, surfaces, workflows.

Everything here is configuration, not randomness: the roster, personas and activity are drawn
from it with a seeded RNG. Workflow ids follow `<function>.<slug>`; role names are exactly the
values written to `people.role` and `workflows.roles`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

TOOLS: tuple[str, ...] = ("office_copilot", "code_assistant", "decision_model")
TOOL_COST: dict[str, float] = {
    "office_copilot": 30.0,
    "code_assistant": 19.0,
    "decision_model": 12.0,
}
COPILOT, CODE, DECISION = 0, 1, 2

SURFACES: tuple[str, ...] = (
    "word",
    "excel",
    "outlook",
    "teams",
    "powerpoint",
    "copilot_chat",
    "vscode",
    "jetbrains",
    "github",
    "loan-desk",
    "claims-desk",
    "forecast-desk",
)
SURFACE_INDEX = {s: i for i, s in enumerate(SURFACES)}
# Surfaces of ad-hoc (not catalogued) sessions per tool, with weights.
FREE_SURFACES: dict[int, tuple[tuple[str, float], ...]] = {
    COPILOT: (
        ("copilot_chat", 0.4),
        ("teams", 0.2),
        ("outlook", 0.2),
        ("word", 0.15),
        ("excel", 0.05),
    ),
    CODE: (("vscode", 0.6), ("jetbrains", 0.3), ("github", 0.1)),
}
MODELS: dict[int, tuple[str, ...]] = {
    COPILOT: ("gpt-4o", "gpt-4.1", "gpt-5-mini"),
    CODE: ("gpt-4.1", "claude-sonnet-4", "gpt-5-mini"),
    DECISION: ("loan-desk-v3", "claims-triage-v2", "forecast-v7"),
}


@dataclass(frozen=True)
class Location:
    """An office: display name, IANA zone and share of headcount."""

    name: str
    zone: str
    weight: float


LOCATIONS: tuple[Location, ...] = (
    Location("London", "Europe/London", 0.28),
    Location("Dublin", "Europe/Dublin", 0.06),
    Location("Berlin", "Europe/Berlin", 0.10),
    Location("Warsaw", "Europe/Warsaw", 0.08),
    Location("New York", "America/New_York", 0.18),
    Location("Chicago", "America/Chicago", 0.08),
    Location("Toronto", "America/Toronto", 0.06),
    Location("Bangalore", "Asia/Kolkata", 0.12),
    Location("Singapore", "Asia/Singapore", 0.04),
)


@dataclass(frozen=True)
class Workflow:
    """A catalogued workflow (one row of the `workflows` table) plus simulator knobs.

    `runs_per_week` is how often one person in an eligible role runs it; `saving` the true
    fraction of minutes AI saves at full proficiency for an average person; `sensitive`
    marks people- or ethics-heavy work that value-misaligned people keep away from AI.
    """

    id: str
    name: str
    noun: str
    stakes: str
    baseline_minutes: float
    ai_mode: str
    tool: int
    surface: str
    runs_per_week: float
    saving: float
    steps_before: int
    steps_after: int
    use_case: str
    sensitive: bool = False


@dataclass(frozen=True)
class Role:
    """A role within a function: its share of the function's individual contributors and its
    workflows (3–6, catalogue ids)."""

    name: str
    function: str
    weight: float
    workflows: tuple[str, ...]


def _load() -> tuple[tuple[Workflow, ...], dict[str, tuple[Role, ...]], tuple[str, ...]]:
    raw = json.loads(resources.files("uptake.simulate").joinpath("data/catalog.json").read_text())
    tool_index = {t: i for i, t in enumerate(TOOLS)}
    workflows = tuple(
        Workflow(
            id=w["id"],
            name=w["name"],
            noun=w["noun"],
            stakes=w["stakes"],
            baseline_minutes=float(w["baseline_minutes"]),
            ai_mode=w["ai_mode"],
            tool=tool_index[w["tool"]],
            surface=w["surface"],
            runs_per_week=float(w["runs_per_week"]),
            saving=float(w["saving"]),
            steps_before=int(w["steps_before"]),
            steps_after=int(w["steps_after"]),
            use_case=w["use_case"],
            sensitive=bool(w["sensitive"]),
        )
        for w in raw["workflows"]
    )
    roles = {
        f: tuple(Role(r["name"], f, float(r["weight"]), tuple(r["workflows"])) for r in rs)
        for f, rs in raw["roles"].items()
    }
    return workflows, roles, tuple(raw["manager_workflows"])


WORKFLOWS, ROLES_BY_FUNCTION, MANAGER_WORKFLOWS = _load()
WORKFLOW_INDEX = {w.id: i for i, w in enumerate(WORKFLOWS)}
FUNCTIONS: tuple[str, ...] = tuple(ROLES_BY_FUNCTION)
FUNCTION_SHARE: dict[str, float] = {
    "sales": 0.18,
    "finance": 0.10,
    "customer service": 0.22,
    "engineering": 0.20,
    "marketing": 0.08,
    "hr": 0.06,
    "legal": 0.04,
    "operations": 0.12,
}
FUNCTION_SLUG: dict[str, str] = {
    "sales": "sales",
    "finance": "fin",
    "customer service": "cs",
    "engineering": "eng",
    "marketing": "mkt",
    "hr": "hr",
    "legal": "legal",
    "operations": "ops",
}
# Management levels, from individual contributor up; attrs.management_level carries the name.
LEVELS: tuple[str, ...] = ("individual", "team lead", "director", "head", "executive")
EXECUTIVE_FUNCTION = "executive"


def manager_role(function: str, level: int) -> str:
    """Role name of a manager at a level (1 team lead, 2 director, 3 head) in a function."""
    if level == 1:
        return f"{function} team lead"
    if level == 2:
        return f"{function} director"
    return f"head of {function}"


def all_roles() -> list[Role]:
    """Every role, individual contributors first, then managers and the chief executive."""
    roles = [r for rs in ROLES_BY_FUNCTION.values() for r in rs]
    for f in FUNCTIONS:
        for level in (1, 2, 3):
            roles.append(Role(manager_role(f, level), f, 0.0, MANAGER_WORKFLOWS))
    roles.append(Role("chief executive", EXECUTIVE_FUNCTION, 0.0, MANAGER_WORKFLOWS))
    return roles


def workflow_roles() -> dict[str, list[str]]:
    """Workflow id -> the roles for which it is an eligible workflow."""
    out: dict[str, list[str]] = {w.id: [] for w in WORKFLOWS}
    for r in all_roles():
        for w in r.workflows:
            out[w].append(r.name)
    return out
