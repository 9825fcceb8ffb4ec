"""Workspace methods about shadow AI: AI tools used outside what the company provides."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from uptake.workspace.access import AGGREGATE, Actor, require

if TYPE_CHECKING:
    from uptake.config import Settings
    from uptake.ingest.ai_domains import Catalogue
    from uptake.metrics.context import MetricContext

T = TypeVar("T")


class Shadow:
    """Mixin of Workspace: the AI tool catalogue and the shadow-AI aggregates."""

    settings: Settings
    path: Path

    if TYPE_CHECKING:

        def _memo(self, kind: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
            raise NotImplementedError

        def _aggregate_context(
            self, as_of: date | None, by: str | None
        ) -> tuple[MetricContext, dict[str, Any]]:
            raise NotImplementedError

    def shadow_catalogue_path(self) -> Path | None:
        """The workspace's own AI tool catalogue (`[programme] shadow_catalogue`), or None."""
        name = self.settings.programme.shadow_catalogue
        if not name:
            return None
        p = Path(name).expanduser()
        return p if p.is_absolute() else self.path / p

    def shadow_catalogue(self) -> Catalogue:
        """The AI tool catalogue in force: the workspace's own, else the shipped one.

        Returns:
            The catalogue (InputError naming file and line when the workspace's is invalid).
        """
        from uptake.ingest.ai_domains import load_catalogue

        return load_catalogue(self.shadow_catalogue_path())

    def _proxy_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """Connector options for `--format proxy`: the workspace's catalogue unless one is given."""
        params = dict(options.get("params") or {})
        own = self.shadow_catalogue_path()
        if own is not None and not params.get("catalogue"):
            params["catalogue"] = str(own)
        return {**options, "params": params}

    def shadow_ai(
        self, as_of: date | None = None, by: str | None = None, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """AI tools used outside what the company provides, as k-safe aggregates per segment.

        Args:
            as_of: last day included (default: the one as-of rule).
            by: a segment dimension (role, function, team …), or None for the organisation.
            actor: who reads (organisation aggregates: admin or analyst).

        Returns:
            {as_of, as_of_rule, window_days, min_group_size, privacy, status, needs, by,
            catalogue, proxy, survey, notes}; `status` not_available with `needs` when neither
            proxy logs nor survey answers exist. No row describes a person.
        """
        require(actor or Actor.local(), AGGREGATE)
        return self._memo("shadow_ai", (as_of, by), lambda: self._shadow_ai(as_of, by))

    def _shadow_ai(self, as_of: date | None, by: str | None) -> dict[str, Any]:
        from uptake.errors import InputError
        from uptake.metrics.dimensions import SEGMENTS
        from uptake.programme.shadow import SANCTIONED_RULE, aggregate, read_inputs

        if by is not None and by not in SEGMENTS:
            raise InputError(
                f"unknown segment {by!r}", hint=f"expected one of: {', '.join(SEGMENTS)}"
            )
        catalogue = self.shadow_catalogue()
        ctx, head = self._aggregate_context(as_of, by)
        inputs, sanctioned = read_inputs(ctx, catalogue)
        doc = aggregate(inputs, ctx, by)
        doc["catalogue"] = {
            "source": catalogue.source,
            "domains": len(catalogue.entries),
            "tools": len(catalogue.tools),
            "sanctioned": sorted(sanctioned),
            "rule": SANCTIONED_RULE,
        }
        return {**head, **doc}
