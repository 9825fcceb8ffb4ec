"""Workspace methods of the 90-day sprint: the plan, ticks by hand, dashboard views, the sample."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from uptake.errors import InputError, NotAvailableError, NotFoundError
from uptake.workspace.access import ADMINISTER, AGGREGATE, IDENTITIES, Actor, require

if TYPE_CHECKING:
    from collections.abc import Callable

    import duckdb

    from uptake.config import Settings
    from uptake.metrics.context import MetricContext
    from uptake.programme.sprint import Tick
    from uptake.programme.sprint_checks import Evidence
    from uptake.warehouse.engine import DuckDBEngine
    from uptake.warehouse.journal import Journal

MAX_NOTE = 500


class Sprint:
    """Mixin of Workspace: the 90-day adoption sprint and the audit sample."""

    settings: Settings
    read_only: bool

    if TYPE_CHECKING:

        @property
        def con(self) -> duckdb.DuckDBPyConnection: ...

        @property
        def secret(self) -> bytes: ...

        @property
        def journal(self) -> Journal: ...

        def engine(self) -> DuckDBEngine: ...

        def _memo(self, kind: str, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any: ...

        def _aggregate_context(
            self, as_of: date | None, by: str | None
        ) -> tuple[MetricContext, dict[str, Any]]: ...

        def _context(self, what: str, as_of: date | None) -> MetricContext: ...

        def _identities(self, keys: list[str]) -> dict[str, str]: ...

        def _audit(self, what: str, as_of: date, people: int, actor: Actor | None) -> None: ...

        def _writable(self, action: str) -> None: ...

    # -- the plan --------------------------------------------------------------------------

    def sprint(self, as_of: date | None = None, *, actor: Actor | None = None) -> dict[str, Any]:
        """The 90-day sprint on a day: phases, milestones, due dates, status and evidence.

        Args:
            as_of: the day statuses are judged on (default: the one as-of rule).
            actor: who reads (organisation aggregates: admin or analyst).

        Returns:
            `uptake.programme.sprint.plan`'s document with as_of, as_of_rule, min_group_size,
            status (`ok`, or `not_available` with `needs` when no start is known).
        """
        from uptake.programme import sprint as sp

        require(actor or Actor.local(), AGGREGATE)
        ctx, head = self._aggregate_context(as_of, None)
        try:
            start, rule = sp.rollout_start(ctx, self.settings.programme.start)
        except NotAvailableError as exc:
            return {**head, "status": "not_available", "needs": exc.needs,
                    "reason": f"not available: needs {', '.join(exc.needs)}",
                    "phases": [], "counts": {}}  # fmt: skip
        found = self._sprint_evidence(ctx, start)
        # Ticks are made today; the default as-of is the last day with data, which lags.
        until = max(ctx.as_of, _now().date()) if as_of is None else ctx.as_of
        doc = sp.plan(start, rule, ctx.as_of, found, self._ticks(), hand_until=until)
        return {**head, "status": "ok", "needs": [], **doc}

    def _sprint_evidence(self, ctx: MetricContext, start: date) -> dict[str, Evidence]:
        from uptake.programme import sprint_checks as sc

        kwargs = self.settings.signals.champions.rank_kwargs()
        size = self.settings.programme.sample_size
        target = self.settings.programme.champion_coverage
        # The champion check ranks helpers at several week ends: remembered until new data
        # (the other checks read the audit log and ticks, which change without a batch).
        champions = self._memo(
            "sprint_champions",
            (ctx.as_of, start, target),
            lambda: sc.evidence(
                ctx,
                start,
                sample_size=size,
                champions=lambda c: sc.champion_coverage(c, kwargs),
                champion_coverage=target,
            )["champions"],
        )
        found = sc.evidence(ctx, start, sample_size=size)
        found["champions"] = champions
        return found

    def _ticks(self) -> dict[str, Tick]:
        from uptake.programme.sprint import tick_of

        got = self.con.execute(
            "SELECT milestone, done_on, who, note, recorded_at FROM programme_ticks"
        ).df()
        return {
            str(r["milestone"]): tick_of({str(k): v for k, v in r.items()})
            for r in got.to_dict(orient="records")
        }

    def sprint_tick(
        self,
        milestone: str,
        done_on: date | None = None,
        note: str | None = None,
        *,
        actor: Actor | None = None,
    ) -> dict[str, Any]:
        """Tick a milestone by hand: done on a day, by whom, with a note (replaces a tick).

        Args:
            milestone: a milestone id (`uptake.programme.sprint.MILESTONE_IDS`).
            done_on: the day it was done (default: today, UTC).
            note: what was done (at most `MAX_NOTE` characters).
            actor: who ticks (admin).

        Returns:
            The tick: milestone, done_on, who, note, recorded_at.
        """
        who = actor or Actor.local()
        require(who, ADMINISTER)
        self._writable("tick a sprint milestone")
        m = _milestone(milestone)
        now = _now()
        day = done_on or now.date()
        if day > now.date():
            raise InputError(f"--on {day}: a milestone cannot be done in the future")
        if note is not None:
            note = note.strip() or None
            if note is not None and len(note) > MAX_NOTE:
                raise InputError(f"--note: at most {MAX_NOTE} characters")
        self.journal.write(
            "INSERT OR REPLACE INTO programme_ticks VALUES (?, ?, ?, ?, ?)",
            [m, day, who.name, note, now],
        )
        return {"milestone": m, "done_on": day.isoformat(), "who": who.name, "note": note,
                "recorded_at": now.isoformat(timespec="seconds")}  # fmt: skip

    def sprint_untick(self, milestone: str, *, actor: Actor | None = None) -> dict[str, Any]:
        """Remove a milestone's tick by hand (the data's evidence still counts).

        Args:
            milestone: a milestone id.
            actor: who unticks (admin).

        Returns:
            The tick removed.

        Raises:
            NotFoundError: the milestone has no tick by hand.
        """
        require(actor or Actor.local(), ADMINISTER)
        self._writable("untick a sprint milestone")
        m = _milestone(milestone)
        tick = self._ticks().get(m)
        if tick is None:
            raise NotFoundError(f"{m}: not ticked by hand")
        self.journal.write("DELETE FROM programme_ticks WHERE milestone = ?", [m])
        return {"milestone": m, "done_on": tick.done_on.isoformat(), "who": tick.who,
                "note": tick.note}  # fmt: skip

    # -- dashboard page views --------------------------------------------------------------

    def record_page_view(self, slug: str, *, actor: Actor) -> bool:
        """Write `view /<slug>` to the audit log: at most once per actor, page and day (UTC).

        Only organisation and team readers (admin, analyst, manager) are recorded: their
        views are the evidence that the adoption dashboard is reviewed. A read-only
        workspace records nothing.

        Args:
            slug: the page's address without the slash.
            actor: who viewed it.

        Returns:
            Whether a row was written.
        """
        from uptake.programme.sprint_checks import VIEW_ACTION, VIEWER_ROLES

        # Readers of organisation or team pages only (not people's own or coaches' pages).
        if actor.role not in VIEWER_ROLES or self.read_only:
            return False
        now = _now()
        day = now.date().isoformat()
        action = f"{VIEW_ACTION}{slug}"
        seen: set[tuple[str, str, str]] = self.__dict__.setdefault("_page_views", set())
        key = (actor.name, action, day)
        if key in seen:
            return False
        seen.add(key)
        got = self.con.execute(
            "SELECT 1 FROM audit_log WHERE actor = ? AND action = ? AND subject = ? LIMIT 1",
            [actor.name, action, day],
        ).fetchone()
        if got is not None:
            return False
        self.journal.write(
            "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?)",
            [now, actor.name, actor.role, action, day, "page view"],
        )
        return True

    # -- the audit sample ------------------------------------------------------------------

    def audit_sample(
        self,
        size: int | None = None,
        seed: int = 0,
        as_of: date | None = None,
        *,
        actor: Actor | None = None,
    ) -> dict[str, Any]:
        """People to invite to the week 1–2 audit interview, across functions and levels.

        Individual data with names: admins only, and the read is audited.

        Args:
            size: how many people (default `programme.sample_size`).
            seed: the draw's seed (the same seed gives the same people).
            as_of: the ladder's day (default: the one as-of rule).
            actor: who reads (admin: identities).

        Returns:
            {as_of, size, seed, dimensions, coverage, people: [{person_key, person,
            function, seniority, ladder, stratum}], questions, notes}.
        """
        from uptake.programme import sample as sm
        from uptake.programme.interview import QUESTIONS

        who = actor or Actor.local()
        require(who, IDENTITIES)
        n = self.settings.programme.sample_size if size is None else size
        if not 1 <= n <= 200:
            raise InputError(f"--size {n}: expected 1 to 200 people")
        if seed < 0:
            raise InputError(f"--seed {seed}: expected a whole number ≥ 0")
        ctx = self._context("audit_sample", as_of)
        pop = sm.population(ctx)
        dims = pop.used
        drawn = sm.draw(pop.frame, dims, n, self.secret, seed)
        names = self._identities(drawn["person_key"].astype(str).tolist())
        people: list[dict[str, Any]] = [
            {"person_key": str(r["person_key"]), "person": names.get(str(r["person_key"])),
             **{d: r[d] for d in sm.DIMENSIONS}, "stratum": r["stratum"]}
            for r in drawn.to_dict(orient="records")
        ]  # fmt: skip
        notes = [
            f"{d.name}: not available: needs {', '.join(d.needs)}"
            for d in pop.dimensions
            if d.status != "ok"
        ]
        notes.extend(pop.notes)
        if len(pop.frame) < n:
            notes.append(f"only {len(pop.frame)} people can be invited")
        self._audit("audit_sample", ctx.as_of, len(people), who)
        return {
            "as_of": ctx.as_of.isoformat(),
            "size": n,
            "seed": seed,
            "population": len(pop.frame),
            "dimensions": [d.to_dict() for d in pop.dimensions],
            "coverage": sm.coverage(pop.frame, drawn, dims),
            "people": people,
            "questions": [
                {"id": q.id, "text": q.text, "kind": q.kind, "help": q.help} for q in QUESTIONS
            ],
            "notes": notes,
        }


def _now() -> datetime:
    """The current time, UTC without a zone (the audit log's and ticks' clock)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _milestone(milestone: str) -> str:
    from uptake.programme.sprint import MILESTONE_IDS

    if milestone not in MILESTONE_IDS:
        raise NotFoundError(
            f"unknown milestone {milestone!r}", hint=f"expected one of: {', '.join(MILESTONE_IDS)}"
        )
    return milestone
