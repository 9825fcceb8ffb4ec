"""The use cases in force, and how they are picked for a role, a workflow and a surface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from uptake.coach.library.schema import UseCase


@dataclass(frozen=True)
class Library:
    """The use cases in force: the bundled starter library plus a workspace's own files."""

    cases: tuple[UseCase, ...]
    origin: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.cases)

    def all(self) -> list[UseCase]:
        """Every use case, by role then id."""
        return sorted(self.cases, key=lambda c: (c.role.casefold(), c.id))

    def get(self, case_id: str) -> UseCase | None:
        """The use case with this id, or None.

        Args:
            case_id: a use case's id.

        Returns:
            The use case, or None when the library holds none with that id.
        """
        return next((c for c in self.cases if c.id == case_id), None)

    def listing(self, role: str | None = None, workflow: str | None = None) -> dict[str, Any]:
        """The use cases for a role and workflow as JSON, each with where it is defined.

        Args:
            role: a roster role (None: every role).
            workflow: a workflow id (None: any).

        Returns:
            {role, workflow, count, roles, use_cases: [use case + placeholders + source]}.
        """
        cases = self.for_role(role, workflow) if role or workflow else self.all()
        return {
            "role": role,
            "workflow": workflow,
            "count": len(cases),
            "roles": self.roles(),
            "use_cases": [{**c.to_dict(), "source": self.origin.get(c.id)} for c in cases],
        }

    def roles(self) -> list[str]:
        """The roles the library has use cases for (`any` excluded), sorted."""
        return sorted({c.role for c in self.cases if not c.any_role}, key=str.casefold)

    def for_role(
        self, role: str | None, workflow: str | None = None, surface: str | None = None
    ) -> list[UseCase]:
        """The use cases for a role, best fit first.

        A use case fits when its role is this role (case-insensitive) or `any`, and its
        workflow and surface are the ones asked for or null. Order: the role's own use cases
        before `any` ones, those naming the workflow (surface) asked for before generic ones,
        then the most minutes saved, then id.

        Args:
            role: a roster role (None: every role).
            workflow: a workflow id, or None for any.
            surface: a surface, or None for any.

        Returns:
            The fitting use cases, ordered.
        """
        fits = [
            c
            for c in self.cases
            if c.fits(role)
            and (workflow is None or c.workflow in (None, workflow))
            and (surface is None or c.surface in (None, surface))
        ]
        return sorted(
            fits,
            key=lambda c: (
                c.any_role,
                workflow is not None and c.workflow is None,
                surface is not None and c.surface is None,
                -c.minutes_saved,
                c.id,
            ),
        )
