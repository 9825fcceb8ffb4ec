"""Whom imported use cases can reach: their roles, workflows and surfaces against the data.

A use case is shown to people whose roster role is its role. One whose role the roster does
not hold (a typo, another naming scheme) is valid YAML that no one will ever see, and
nothing else would say so. A workflow or surface no data names only narrows nothing: the
coach shows such a case where no better fit exists. Both are warnings, not errors: a library
may be written before the roster or the workflow catalogue arrives.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from uptake.coach.library.schema import UseCase

# What each checked field is compared with, in the words of a warning.
SOURCES = {
    "role": "the roster's roles (people.role)",
    "workflow": "the workflows the workspace holds (catalogue, runs, events)",
    "surface": "the surfaces its events name",
}


@dataclass(frozen=True)
class Known:
    """The values the workspace holds per field; None where it holds nothing to check with."""

    roles: frozenset[str] | None
    workflows: frozenset[str] | None
    surfaces: frozenset[str] | None

    def of(self, field: str) -> frozenset[str] | None:
        """The known values of `field` (`role`, `workflow` or `surface`)."""
        return {"role": self.roles, "workflow": self.workflows, "surface": self.surfaces}[field]


def unmatched(cases: Iterable[tuple[str, UseCase]], known: Known) -> dict[str, list[str]]:
    """Warnings for use cases whose role, workflow or surface the workspace's data never names.

    Args:
        cases: (file as shown in messages, use case) pairs.
        known: what the workspace holds.

    Returns:
        {warnings: one line each, unchecked: the fields with nothing to check against, each
        with what it needs}.
    """
    warnings: list[str] = []
    for name, case in cases:
        for field in ("role", "workflow", "surface"):
            value = getattr(case, field)
            values = known.of(field)
            if value is None or values is None or (field == "role" and case.any_role):
                continue
            if _holds(values, value, folded=field == "role"):
                continue
            warnings.append(f"{name}: use case {case.id}: {_says(field, value, values)}")
    unchecked = [
        f"{field}s not checked: needs {SOURCES[field]}"
        for field in ("role", "workflow", "surface")
        if known.of(field) is None
    ]
    return {"warnings": warnings, "unchecked": unchecked}


def _holds(values: frozenset[str], value: str, *, folded: bool) -> bool:
    # Roles match without regard to case, as the coach matches them; ids match exactly.
    if folded:
        return value.casefold() in {v.casefold() for v in values}
    return value in values


def _says(field: str, value: str, values: frozenset[str]) -> str:
    """One warning's words: what matches nothing, what it costs, and the nearest known value."""
    if field == "role":
        cost = "no one is shown it until someone holds that role"
    else:
        cost = "it fits no work there, so it is shown only where no better use case fits"
    near = _nearest(value, values, folded=field == "role")
    hint = f" (did you mean {near!r}?)" if near else ""
    return f"{field} {value!r} is none of {SOURCES[field]}{hint}: {cost}"


def _nearest(value: str, values: frozenset[str], *, folded: bool) -> str | None:
    """The known value most like `value`, if one is close (difflib's ratio ≥ 0.75)."""
    by_key = {(v.casefold() if folded else v): v for v in values}
    key = value.casefold() if folded else value
    found = difflib.get_close_matches(key, sorted(by_key), n=1, cutoff=0.75)
    return by_key[found[0]] if found else None
