"""Workspace methods about the mix of AI tools people use."""

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
RESULTS = ("tool_usage", "tool_mix", "tool_cost", "usage_segments")
SEGMENT_METRICS = ("usage_segments_12w", "usage_segments_4w")


class ToolMix:
    """Mixin of Workspace: one person across tools."""

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

    def tools(
        self, as_of: date | None = None, by: str | None = None, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """Per-tool usage, the mix of tools people use and cost per tool (aggregates only).

        Args:
            as_of: last day included (default: the one as-of rule).
            by: a segment dimension to split the tool mix by (`tool` or None: not split).
            actor: who reads (organisation aggregates: admin or analyst).

        Returns:
            {as_of, as_of_rule, window_days, min_group_size, privacy, currency, by,
            tool_usage, tool_mix, tool_cost, usage_segments}: each result in the metrics
            document's form; `usage_segments` is the recommended variant (12 or 4 weeks,
            named in its `metric`), broken down by tool.
        """
        require(actor or Actor.local(), AGGREGATE)
        return self._memo("tools", (as_of, by), lambda: self._tools(as_of, by))

    def _tools(self, as_of: date | None, by: str | None) -> dict[str, Any]:
        from uptake.metrics.context import MetricContext
        from uptake.metrics.dimensions import TOOL
        from uptake.metrics.families import tools, usage_segments
        from uptake.metrics.result import check_public

        split = None if by in (None, TOOL) else by
        ctx, head = self._aggregate_context(as_of, split)
        results = tools.compute(ctx, self.settings.costs)
        # The usage segments per tool, under the same tool plan (one memo, one plan).
        per_tool = MetricContext(
            ctx.engine,
            ctx.as_of,
            self.settings.metrics,
            ctx.min_group_size,
            TOOL,
            noise=ctx.noise,
            plans=ctx.plans,
        )
        per_tool.memo = ctx.memo
        variants = usage_segments.compute(per_tool)
        results.append(next((r for r in variants if r.values.get("recommended")), variants[0]))
        for res in results:
            check_public(res)
        stated = ctx.noise.describe()
        doc: dict[str, Any] = {**head, "currency": self.settings.costs.currency, "by": split}
        for res in results:
            res.noisy = res.noisy and ctx.noise.enabled
            if res.noisy:
                res.noise = {x: stated[x] for x in ("epsilon", "error_bar", "confidence")}
            if res.name in SEGMENT_METRICS:
                doc["usage_segments"] = {"metric": res.name, **res.to_dict()}
            else:
                doc[res.name] = res.to_dict()
        return doc
