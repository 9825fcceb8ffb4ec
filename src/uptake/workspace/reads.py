"""Individual reads of the Workspace: everyone's rows, admins only, each written to `audit_log`."""

from __future__ import annotations

import copy
import pickle
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb
import pandas as pd

from uptake.config import Settings
from uptake.warehouse.engine import DuckDBEngine
from uptake.workspace.access import IDENTITIES, INDIVIDUAL, Actor, require
from uptake.workspace.layout import PLAN_CACHE_DIR, VOICE_CACHE_DIR

if TYPE_CHECKING:
    from uptake.metrics.context import MetricContext
    from uptake.metrics.noise import Noise
    from uptake.metrics.plan_store import PlanStore
    from uptake.warehouse.journal import Journal

T = TypeVar("T")
# Results kept per Workspace (a server's dashboard asks the same questions again and again).
# A server's warm-up alone remembers 13 for the organisation pages; its visitors' own
# questions (another breakdown, a team) need room beside them.
MEMO_SIZE = 32
_NONE = object()  # no remembered result (None is a result)


class IndividualReads:
    """Per-person ladder levels, usage segments and seats, for admins; every read audited."""

    settings: Settings
    read_only: bool
    path: Path

    if TYPE_CHECKING:
        # Provided by Workspace: a stub at run time would shadow the real method for
        # the classes after this one.
        @property
        def con(self) -> duckdb.DuckDBPyConnection:
            raise NotImplementedError

        @property
        def secret(self) -> bytes:
            raise NotImplementedError

        @property
        def journal(self) -> Journal:
            raise NotImplementedError

        def engine(self) -> DuckDBEngine:
            raise NotImplementedError

        def default_as_of(self) -> tuple[date, str]:
            raise NotImplementedError

        def data_version(self) -> int | None:
            raise NotImplementedError

    def _scope_teams(self, who: Actor) -> list[str]:
        """The teams whose people an actor reads: every team on the roster for an admin."""
        if who.role != "admin":
            return sorted(set(who.teams))
        if not self.engine().has("dim_person"):
            return []  # nothing ingested yet: no people, no teams
        got = self.con.execute(
            "SELECT DISTINCT team FROM dim_person WHERE team IS NOT NULL ORDER BY team"
        ).fetchall()
        return [str(r[0]) for r in got]

    def person_levels(
        self, as_of: date | None = None, *, actor: Actor | None = None
    ) -> pd.DataFrame:
        """Each licensed person's ladder level: individual data, for admins (audited).

        Args:
            as_of: evaluation date (default: the one as-of rule).
            actor: who reads (default: the local admin).

        Returns:
            Frame (person_key, level 1–5, basis: `tasks` or `activity_proxy`).
        """
        from uptake.metrics.families.ladder import person_levels

        ctx = self._individual("person_levels", as_of, actor)
        frame = person_levels(ctx)[["person_key", "level", "basis"]]
        return self._audited("person_levels", ctx.as_of, frame, actor)

    def person_segments(
        self, as_of: date | None = None, *, actor: Actor | None = None
    ) -> tuple[pd.DataFrame, dict[str, Any]]:
        """Each licensed person's Microsoft usage segment, both variants (admin only, audited).

        Args:
            as_of: evaluation date (default: the one as-of rule).
            actor: who reads (default: the local admin).

        Returns:
            Frame (person_key, segment_12w, segment_4w: power … non_user) and which variant
            the metric recommends for this history (`recommended`: 12w or 4w, `reason`).
        """
        from uptake.metrics.families import usage_segments as us

        ctx = self._individual("person_segments", as_of, actor)
        s = ctx.settings
        names = dict(enumerate(us.SEGMENT_NAMES, start=1))
        parts = []
        for col, weeks, habitual in (
            ("segment_12w", s.ms_weeks, s.ms_habitual_weeks),
            ("segment_4w", s.ms_short_weeks, s.ms_short_weeks),
        ):
            seg = ctx.engine.execute(us.person_segments(ctx, weeks, habitual))
            parts.append(seg.set_index("person_key")["segment_id"].map(names).rename(col))
        frame = pd.concat(parts, axis=1).reset_index()
        long_ok, reason = us.choose_variant(ctx, us.data_history(ctx))
        info = {"recommended": "12w" if long_ok else "4w", "reason": reason}
        return self._audited("person_segments", ctx.as_of, frame, actor), info

    def seats_held(self, as_of: date | None = None, *, actor: Actor | None = None) -> pd.DataFrame:
        """Every seat held on a date and whether it was used in the window (admin, audited).

        Args:
            as_of: the date (default: the one as-of rule).
            actor: who reads (default: the local admin).

        Returns:
            Frame (person_key, tool, used): used = activity on that tool in the window
            ending at `as_of`, from events or vendor last-activity dates.
        """
        from uptake.metrics.seat_use import seat_frame

        ctx = self._individual("seats_held", as_of, actor)
        frame = seat_frame(ctx)[["person_key", "tool", "used"]]
        return self._audited("seats_held", ctx.as_of, frame, actor)

    def reclaim_candidates(
        self, as_of: date | None = None, *, actor: Actor | None = None, reveal: bool = False
    ) -> pd.DataFrame:
        """The seats to reclaim, seat by seat (admin, audited): the list to act on.

        Args:
            as_of: the date (default: the one as-of rule).
            actor: who reads (default: the local admin).
            reveal: add each holder's roster identifier (needs the identities permission).

        Returns:
            Frame (person_key, tool, monthly_cost, reason[, person]), largest saving first;
            the same seats the licences metric counts as `reclaim_seats`.
        """
        from uptake.metrics.families.licenses import reclaim_candidates

        who = actor or Actor.local()
        if reveal:
            require(who, IDENTITIES)
        ctx = self._individual("reclaim_candidates", as_of, who)
        frame = reclaim_candidates(ctx)
        if reveal:
            names = self._identities(frame["person_key"].astype(str).tolist())
            frame.insert(1, "person", frame["person_key"].map(names))
        what = "reclaim_candidates" + (" with identities" if reveal else "")
        return self._audited(what, ctx.as_of, frame, who)

    def _individual(
        self,
        what: str,
        as_of: date | None,
        actor: Actor | None,
        *,
        person: str | None = None,
        team: str | None = None,
    ) -> MetricContext:
        """A metric context for an individual read (everyone's rows unless `person` is given).

        The actor must be allowed the rows (`access.allowed`), and the facts must be current.
        """
        require(actor or Actor.local(), INDIVIDUAL, person=person, team=team)
        return self._context(what, as_of)

    def _context(self, what: str, as_of: date | None) -> MetricContext:
        """A metric context over current facts (callers have checked the actor first)."""
        from uptake.errors import StaleFactsError
        from uptake.metrics.context import MetricContext
        from uptake.metrics.facts import pending

        engine = self.engine()
        stale = pending(engine, self.settings.metrics)
        if stale:
            raise StaleFactsError(f"{what}: the metric facts are out of date: {stale}")
        day = as_of or self.default_as_of()[0]
        return MetricContext(
            engine,
            day,
            self.settings.metrics,
            self.settings.privacy.min_group_size,
            costs=self.settings.costs,
            plans=self._plan_store(),
        )

    def _release_noise(self, day: date) -> Noise:
        """The seeded noise of the counts published as of a day (off: `privacy.noise`)."""
        from uptake.metrics.noise import noise_key
        from uptake.metrics.runner import make_noise

        key = noise_key(self.secret) if self.settings.privacy.noise else None
        return make_noise(self.settings, key, day)

    def _aggregate_context(
        self, as_of: date | None, by: str | None
    ) -> tuple[MetricContext, dict[str, Any]]:
        """A context for an aggregate document over current facts, and the document's head.

        One as-of rule, the workspace's k and its seeded noise, as every metric page uses
        (callers have checked the actor first).

        Args:
            as_of: the day asked for (None: the one as-of rule).
            by: the segment dimension of the context, if any.

        Returns:
            (context, head): head has as_of, as_of_rule, window_days, min_group_size, privacy.
        """
        from uptake.errors import StaleFactsError
        from uptake.metrics.context import MetricContext
        from uptake.metrics.facts import pending
        from uptake.metrics.privacy import check_k
        from uptake.metrics.runner import AS_OF_GIVEN, default_as_of

        eng = self.engine()
        stale = pending(eng, self.settings.metrics)
        if stale:
            raise StaleFactsError(f"the metric facts are out of date: {stale}",
                                  hint="run `uptake refresh`")  # fmt: skip
        day, rule = (as_of, AS_OF_GIVEN) if as_of is not None else default_as_of(eng)
        noise = self._release_noise(day)
        k = check_k(self.settings.privacy.min_group_size)
        ctx = MetricContext(
            eng, day, self.settings.metrics, k, by, noise=noise, plans=self._plan_store()
        )
        head: dict[str, Any] = {
            "as_of": day.isoformat(),
            "as_of_rule": rule,
            "window_days": self.settings.metrics.window_days,
            "min_group_size": k,
            "privacy": {"min_group_size": k, **noise.describe()},
        }
        return ctx, head

    def remember(self, kind: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """A document derived from reads the caller was allowed, remembered until new data.

        For the surfaces' own documents built from aggregate reads (a dashboard page), so a
        repeat view costs a copy of the page, not a copy of everything it was built from.
        The caller checks the actor before calling; `key` must hold every argument the
        document depends on besides the stored rows and the settings.

        Args:
            kind: what is remembered (its own namespace).
            key: the arguments it depends on.
            compute: builds it.

        Returns:
            A copy of the remembered document, or the new one.
        """
        return self._memo(f"view:{kind}", key, compute)

    def _plan_store(self) -> PlanStore | None:
        """The store of release plans kept between processes (None: switched off)."""
        if not self.settings.privacy.keep_release_plans:
            return None
        from uptake.metrics.plan_store import PlanStore

        return PlanStore(self.path / PLAN_CACHE_DIR)

    def _voice_cache(self) -> Path | None:
        """Where the voice model's scores are kept between processes (None: switched off)."""
        return self.path / VOICE_CACHE_DIR if self.settings.signals.keep_voice_scores else None

    def _memo(self, kind: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """`compute()`, remembered until the data changes (a new ingest batch).

        Results depend on the stored rows, the settings and the arguments only: settings are
        fixed for a Workspace's life, and every change of rows is a new batch in
        `ingest_log`. A stale-facts error is raised, not remembered. Callers get a copy.
        """
        from uptake.metrics.facts import pending

        # Stale or unreadable facts are refused every time, even with an answer remembered.
        if pending(self.engine(), self.settings.metrics):
            return compute()
        full = (kind, self.data_version(), *key)
        # A server's reader shares this with its writer (see `reader`): the same batch means
        # the same data on either connection (a batch commits with its facts).
        cache: dict[tuple[Any, ...], Any] = self.__dict__.setdefault("_memo_cache", {})
        lock: threading.Lock = self.__dict__.setdefault("_memo_lock", threading.Lock())
        with lock:
            kept = cache.get(full, _NONE)
        if kept is _NONE:
            kept = compute()
            with lock:
                if full not in cache and len(cache) >= MEMO_SIZE:
                    cache.pop(next(iter(cache)))
                cache[full] = kept
        return _copied(kept)

    def _identities(self, keys: list[str]) -> dict[str, str]:
        """The roster identifier of each key (an e-mail first), else any identifier seen."""
        if not keys:
            return {}
        got = self.con.execute(
            "SELECT person_key, alias, kind FROM identities WHERE person_key IN "
            "(SELECT unnest(?::VARCHAR[]))",
            [keys],
        ).df()
        # Prefer what the roster calls the person, and an e-mail address among those.
        roster = (got["kind"] != "roster").astype(int) * 2
        got["rank"] = roster + (~got["alias"].str.contains("@")).astype(int)
        got = got.sort_values(["person_key", "rank", "alias"])
        return {str(k): str(a) for k, a in got.groupby("person_key")["alias"].first().items()}

    def _audited(
        self, what: str, as_of: date, frame: pd.DataFrame, actor: Actor | None
    ) -> pd.DataFrame:
        self._audit(what, as_of, len(frame), actor)
        return frame

    def _audit(self, what: str, as_of: date, people: int, actor: Actor | None) -> None:
        """Write an individual read to the audit log (committed before the reply is sent)."""
        # Reads of individual data leave a trace; a read-only reader cannot write one, and
        # opening read-only is itself a choice the admin made.
        who = actor or Actor.local()
        if not self.read_only:
            self.journal.write(
                "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?)",
                [
                    datetime.now(UTC).replace(tzinfo=None),
                    who.name,
                    who.role,
                    f"read {what}",
                    as_of.isoformat(),
                    f"{people} {'person' if people == 1 else 'people'}",
                ],
            )


def _copied(value: T) -> T:
    """A deep copy of a remembered answer (a caller may change its own).

    Through pickle where it can: for a read by team at 10,000 people (3.4 MB of results)
    0.06 s against `copy.deepcopy`'s 0.19 s, and every dashboard view of a remembered page
    pays it.
    """
    try:
        return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))  # type: ignore[no-any-return]
    except (pickle.PicklingError, TypeError, AttributeError):
        return copy.deepcopy(value)
