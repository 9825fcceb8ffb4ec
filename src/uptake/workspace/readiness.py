"""Workspace methods about readiness: the eight conditions scored, and the questionnaire."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from uptake.workspace.access import AGGREGATE, WRITE, Actor, require

if TYPE_CHECKING:
    import duckdb

    from uptake.config import Settings
    from uptake.ingest.pipeline import IngestResult
    from uptake.metrics.context import MetricContext

T = TypeVar("T")


class Readiness:
    """Mixin of Workspace: readiness against the eight organisational conditions."""

    settings: Settings

    if TYPE_CHECKING:

        @property
        def con(self) -> duckdb.DuckDBPyConnection: ...

        def _memo(self, kind: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T: ...

        def _aggregate_context(
            self, as_of: date | None, by: str | None
        ) -> tuple[MetricContext, dict[str, Any]]: ...

        def _signals_doc(self, as_of: date | None) -> dict[str, Any]: ...

        def _date_range(self) -> tuple[date, date]: ...

        def ingest_frame(
            self,
            table_name: str,
            frame: pd.DataFrame,
            *,
            source: str,
            now: datetime | None = None,
            refresh: bool = True,
            actor: Actor | None = None,
        ) -> IngestResult: ...

    def readiness_assessment(
        self, as_of: date | None = None, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """Readiness against the eight conditions as of a date (aggregates only).

        (`Workspace.readiness()` is another question: whether the warehouse can answer.)

        Args:
            as_of: last day included (default: the one as-of rule).
            actor: who reads (organisation aggregates: admin or analyst).

        Returns:
            `uptake.programme.readiness.assess`'s document with as_of, as_of_rule,
            window_days, min_group_size and privacy.
        """
        require(actor or Actor.local(), AGGREGATE)
        return self._memo("readiness_assessment", (as_of,), lambda: self._assess(as_of))

    def _assess(self, as_of: date | None) -> dict[str, Any]:
        from uptake.errors import InputError
        from uptake.programme.readiness import Rules, assess

        lo, hi = self._date_range()
        if as_of is not None and not lo <= as_of <= hi:
            # Outside the dates ingestion accepts there is nothing to read, and the windows
            # before it would leave the calendar.
            raise InputError(
                f"as of {as_of}: outside the dates this workspace holds ({lo} to {hi})"
            )
        ctx, head = self._aggregate_context(as_of, None)
        # The signals hold everyone's rows; only the aggregates assess() derives leave here.
        signals = self._signals_doc(ctx.as_of)
        p = self.settings.programme
        rules = Rules(
            outcome_grace_days=p.outcome_grace_days,
            outcomes_per_decider=p.outcomes_per_decider,
            resolution_target_days=p.resolution_target_days,
        )
        # Answers recorded today count by default: the default as-of is the last day with
        # data, which lags them (`readiness answer` then `readiness` had shown none).
        now = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=1)
        until = max(ctx.end_ts, now) if as_of is None else ctx.end_ts
        answers = self._readiness_answers(ctx, until)
        doc = assess(ctx, signals, answers, gap_below=p.gap_below, rules=rules)
        return {**head, **doc}

    def _readiness_answers(self, ctx: MetricContext, until: datetime) -> pd.DataFrame:
        """The readiness questionnaire's rows before `until`, with each named person's function."""
        from uptake.programme.readiness import INSTRUMENT

        cols = ["response_id", "ts", "item", "person_key", "score", "function"]
        if not ctx.has("responses"):
            return pd.DataFrame(columns=cols)
        got = self.con.execute(
            "SELECT r.response_id, r.ts, r.item, r.person_key, r.score, "
            "coalesce(d.function, json_extract_string(r.segment, '$.function')) AS function "
            "FROM responses r LEFT JOIN dim_person d USING (person_key) "
            "WHERE r.instrument = ? AND r.ts < ? AND r.score IS NOT NULL",
            [INSTRUMENT, until],
        ).df()
        return got[cols]

    def record_readiness(
        self,
        answers: dict[str, float],
        *,
        person: str | None = None,
        ts: datetime | None = None,
        now: datetime | None = None,
        actor: Actor | None = None,
    ) -> dict[str, Any]:
        """Record one respondent's readiness answers through ingestion (validated, pseudonymised).

        Args:
            answers: item → score on the 1–5 scale (`uptake.programme.readiness.ITEMS`).
            person: the respondent's roster identifier; None for the programme lead's own
                assessment (stored without a person; the latest answer per item counts).
            ts: when the answers were given (default: now, UTC).
            now: current time for the ingest clock check (tests freeze it).
            actor: who writes (admin or ingest).

        Returns:
            {batch, accepted, duplicate, quarantined, items, person_stored}.
        """
        from uptake.programme.readiness import answer_rows

        require(actor or Actor.local(), WRITE)
        when = (ts or datetime.now(UTC)).astimezone(UTC)
        frame = answer_rows(answers, ts=when, person=person)
        result = self.ingest_frame(
            "responses", frame, source="readiness answer", now=now, actor=actor
        )
        return {
            "batch": result.batch,
            "accepted": result.accepted,
            "duplicate": result.duplicates,
            "quarantined": result.quarantined,
            "by_reason": dict(result.by_reason),
            "items": sorted(answers),
            "person_stored": person is not None,
            "ts": when.isoformat(),
        }
