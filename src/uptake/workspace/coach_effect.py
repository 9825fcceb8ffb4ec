"""Workspace methods about the coaching effect: treatment against holdout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from uptake.workspace.access import AGGREGATE, Actor, require

if TYPE_CHECKING:
    import duckdb

    from uptake.config import Settings
    from uptake.metrics.context import MetricContext
    from uptake.warehouse.engine import DuckDBEngine

T = TypeVar("T")


class CoachEffect:
    """Mixin of Workspace: the effect of coaching, treatment against holdout."""

    settings: Settings

    if TYPE_CHECKING:
        # Provided by Workspace: a stub at run time would shadow the real method for
        # the classes after this one.
        @property
        def con(self) -> duckdb.DuckDBPyConnection:
            raise NotImplementedError

        @property
        def secret(self) -> bytes:
            raise NotImplementedError

        def engine(self) -> DuckDBEngine:
            raise NotImplementedError

        def _memo(self, kind: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T: ...

        def _aggregate_context(
            self, as_of: date | None, by: str | None
        ) -> tuple[MetricContext, dict[str, Any]]:
            raise NotImplementedError

    def coach_effect(
        self, as_of: date | None = None, by: str | None = None, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """The effect of coaching on the ladder, proficiency and abandonment (aggregates only).

        Args:
            as_of: last day included (default: the one as-of rule).
            by: a segment dimension (role, function, team …) to break the effect down by.
            actor: who reads (organisation aggregates: admin or analyst).

        Returns:
            The estimate (`uptake.coach.effect.estimate`) with as_of_rule, window_days and
            privacy; `status` not_available with `needs` when the workspace lacks the inputs.
        """
        require(actor or Actor.local(), AGGREGATE)
        return self._memo("coach_effect", (as_of, by), lambda: self._coach_effect(as_of, by))

    def _coach_effect(self, as_of: date | None, by: str | None) -> dict[str, Any]:
        from uptake.coach.arms import assigned_arms
        from uptake.coach.effect import estimate
        from uptake.errors import InputError, NotAvailableError
        from uptake.metrics.dimensions import SEGMENTS

        if by is not None and by not in SEGMENTS:
            raise InputError(
                f"unknown segment {by!r}", hint=f"expected one of: {', '.join(SEGMENTS)}"
            )
        ctx, head = self._aggregate_context(as_of, by)
        arms = assigned_arms(self.con)
        if arms.empty:
            why = ("people assigned to the treatment and holdout arms (the coach assigns "
                   "them; imported interventions with an arm count too)")  # fmt: skip
            return _unavailable(head, by, ["coach_arms or interventions.arm"], why)
        try:
            doc = estimate(ctx, arms, self.settings.coach, by)
        except NotAvailableError as e:
            return _unavailable(head, by, e.needs, ", ".join(e.needs) or str(e))
        return {**doc, **head}


def _unavailable(
    head: dict[str, Any], by: str | None, needs: list[str], why: str
) -> dict[str, Any]:
    """The document's shape when nothing can be estimated, saying what is needed."""
    verdict = f"not available: needs {why}"
    return {**head, "status": "not_available", "reason": verdict, "verdict": verdict,
            "needs": needs, "by": by, "end": None, "basis": None, "basis_note": None,
            "arms": None, "needed": None, "outcomes": {}, "segments": [], "notes": [],
            "methods": {}}  # fmt: skip
