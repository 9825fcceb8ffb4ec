"""Dashboard views: each is one data function plus one template, registered once.

A module in this package that defines `PAGE = Page(...)` is found at import time and becomes:
the page `/<slug>` (template `views/<slug>.html` inside the site's frame), its JSON
`/v1/<slug>` (the same data function's document), its CSV exports `/<slug>/<table>.csv` and
`/v1/<slug>/<table>.csv` when it declares tables, a link in the navigation for the roles it
names, and a section of `uptake report`. The Workspace decides what an actor may see; the
roles here only choose which links a person is offered.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from uptake.workspace import Actor, Workspace

# Who reads organisation-wide aggregates.
AGGREGATE_ROLES = ("admin", "analyst")


@dataclass(frozen=True)
class Params:
    """What a view may be asked for in its query string.

    Attributes:
        as_of: evaluation date (None: the as-of rule).
        by: segment dimension (views that segment; others ignore it).
        team: one team to show alone (views that take it; others ignore it).
    """

    as_of: date | None = None
    by: str | None = None
    team: str | None = None

    @classmethod
    def of(
        cls, view: Page, as_of: date | None, by: str | None = None, team: str | None = None
    ) -> Params:
        """A view's parameters from a query string, without those the view does not read.

        Args:
            view: the view asked for.
            as_of: `?as_of=`.
            by: `?by=`.
            team: `?team=`.

        Returns:
            The parameters.
        """
        return cls(as_of, by if view.takes_by else None, team if view.takes_team else None)


Data = Callable[[Workspace, Actor, Params], dict[str, Any]]
Tables = Callable[[dict[str, Any]], dict[str, list[dict[str, Any]]]]
Rows = Callable[[Workspace, Actor, Params], list[dict[str, Any]]]


@dataclass(frozen=True)
class Page:
    """One dashboard view.

    Attributes:
        slug: its address (`/<slug>`, `/v1/<slug>`) and template (`views/<slug>.html`).
        title: the navigation label and the browser title.
        summary: one line for the API reference.
        data: the data function shared by the page, its JSON and the report.
        order: position in the navigation.
        roles: roles offered the link (the Workspace still checks every read).
        charts: whether the page draws Plotly charts (loads plotly.js).
        tables: CSV exports: table name -> rows, from the data function's document.
        takes_by: whether the view reads `?by=`.
        takes_team: whether the view reads `?team=`.
        report: whether `uptake report` includes it.
        individual: CSV-only tables of individual rows, name -> read. Each is its own audited
            Workspace read made only when that CSV is downloaded, so people's rows never enter
            the page, its JSON or the report.
        individual_roles: roles offered those downloads (the Workspace still decides).
        reload_s: the page reloads itself this often (seconds; None: never), for views of
            data that changes while someone watches.
        may_lag: while the server is busy, the page may be shown from the copy computed for
            the same reader a little earlier (`[serve] page_lag_s`), labelled with its time.
            Only for views of ingested data: not for pages whose forms change what they
            show, nor for views that must show an event within a minute of it.
    """

    slug: str
    title: str
    summary: str
    data: Data
    order: int = 100
    roles: tuple[str, ...] = AGGREGATE_ROLES
    charts: bool = False
    tables: Tables | None = None
    takes_by: bool = False
    takes_team: bool = False
    report: bool = True
    individual: dict[str, Rows] = field(default_factory=dict)
    individual_roles: tuple[str, ...] = ("admin",)
    reload_s: int | None = None
    may_lag: bool = False

    def offered_to(self, actor: Actor) -> bool:
        """Whether the navigation offers this page to the actor."""
        return actor.role in self.roles


@cache
def pages() -> tuple[Page, ...]:
    """Every view of this package, in navigation order."""
    found: list[Page] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        page = getattr(module, "PAGE", None)
        if isinstance(page, Page):
            found.append(page)
    slugs = [p.slug for p in found]
    if len(set(slugs)) != len(slugs):
        raise RuntimeError(f"two views share a slug: {sorted(slugs)}")
    return tuple(sorted(found, key=lambda p: (p.order, p.slug)))


def offered(actor: Actor, among: Iterable[Page] | None = None) -> list[Page]:
    """The pages the navigation offers an actor, in order."""
    return [p for p in (pages() if among is None else among) if p.offered_to(actor)]


def page(slug: str) -> Page | None:
    """The view at a slug, if there is one."""
    return next((p for p in pages() if p.slug == slug), None)
