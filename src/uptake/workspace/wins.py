"""Workspace methods of wins and workflow redesign: the wins, a case study, redesigns, roles.

The wins, the measured change after each redesign and the role redesign evidence are
organisation aggregates (admins and analysts), every group at or above k. Recording a
redesign is an administrator's act (`who` is the actor's name, never a person key).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from uptake.workspace.access import ADMINISTER, AGGREGATE, Actor, require

if TYPE_CHECKING:
    import duckdb

    from uptake.config import Settings
    from uptake.metrics.context import MetricContext
    from uptake.warehouse.journal import Journal

T = TypeVar("T")


class Wins:
    """Mixin of Workspace: workflow wins, case studies, redesigns and role redesign evidence."""

    settings: Settings
    read_only: bool

    if TYPE_CHECKING:

        @property
        def con(self) -> duckdb.DuckDBPyConnection:
            raise NotImplementedError

        @property
        def journal(self) -> Journal:
            raise NotImplementedError

        def _writable(self, action: str) -> None:
            raise NotImplementedError

        def _memo(self, kind: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
            raise NotImplementedError

        def _aggregate_context(
            self, as_of: date | None, by: str | None
        ) -> tuple[MetricContext, dict[str, Any]]:
            raise NotImplementedError

    # -- wins ------------------------------------------------------------------------------

    def wins(self, as_of: date | None = None, *, actor: Actor | None = None) -> dict[str, Any]:
        """Workflows where AI measurably improves minutes or completion (aggregates only).

        Args:
            as_of: last day included (default: the one as-of rule).
            actor: who reads (organisation aggregates: admin or analyst).

        Returns:
            The wins document (`programme.wins.wins`) with as_of, as_of_rule, window_days,
            min_group_size and privacy.
        """
        require(actor or Actor.local(), AGGREGATE)
        return self._memo("wins", (as_of,), lambda: self._wins(as_of))

    def _wins(self, as_of: date | None) -> dict[str, Any]:
        from uptake.programme.wins import wins

        ctx, head = self._aggregate_context(as_of, None)
        return {**wins(ctx), **head}

    def case_study(
        self, workflow: str, as_of: date | None = None, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """One workflow's case study: before/after with intervals and n, from the wins.

        Args:
            workflow: the workflow id.
            as_of: last day included (default: the one as-of rule).
            actor: who reads (admin or analyst).

        Returns:
            `programme.case_study.case_study`'s document (with the workflow's redesign and
            its measured change when one is recorded).

        Raises:
            NotAvailableError: no tasks, or the workflow is hidden (fewer than k people).
            NotFoundError: the workflow has no runs in the window.
        """
        from uptake.programme.case_study import case_study

        who = actor or Actor.local()
        doc = self.wins(as_of, actor=who)
        red = next(
            (r for r in self.redesigns(as_of, actor=who)["redesigns"] if r["workflow"] == workflow),
            None,
        )
        return case_study(doc, workflow, red)

    # -- redesigns -------------------------------------------------------------------------

    def record_redesign(
        self,
        workflow: str,
        on: date,
        steps: Path | str,
        *,
        text: str | None = None,
        note: str | None = None,
        actor: Actor | None = None,
    ) -> dict[str, Any]:
        """Record a workflow's redesigned standard procedure (admins; replaces an earlier one).

        Args:
            workflow: a catalogued workflow id.
            on: the day the new procedure took effect.
            steps: the YAML steps file (or its name, with `text`).
            text: the file's text, when it is not read from `steps`.
            note: a note (default: the file's `note:`).
            actor: who records (admin).

        Returns:
            {workflow, redesigned_on, note, who, recorded_at, steps_before, steps_after,
            substitute, augment, create, none, before, after}.

        Raises:
            StepsError: the file is invalid (every problem as `file:line: where: what`).
            NotAvailableError: there is no workflow catalogue.
            NotFoundError: the workflow is not in the catalogue.
        """
        from uptake.errors import InputError, NotAvailableError, NotFoundError
        from uptake.programme.redesign import parse_steps

        who = actor or Actor.local()
        require(who, ADMINISTER)
        self._writable("record a redesign")
        if text is None:
            path = Path(steps)
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise InputError(f"{path}: no such file") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"{path}: cannot read the steps file: {exc}") from None
        parsed = parse_steps(text, str(steps))
        known = self.con.execute(
            "SELECT count(*), count(*) FILTER (WHERE workflow = ?) FROM workflows", [workflow]
        ).fetchone()
        if not known or not known[0]:
            raise NotAvailableError(
                "no workflow catalogue: a redesign names a catalogued workflow", needs=["workflows"]
            )
        if not known[1]:
            raise NotFoundError(
                f"workflow {workflow!r} is not in the catalogue",
                hint="`uptake wins` and the workflows table list them",
            )
        text_note = note if note is not None else parsed.note
        now = datetime.now(UTC).replace(tzinfo=None)
        self.journal.write(
            "INSERT OR REPLACE INTO workflow_redesigns VALUES (?, ?, ?, ?, ?, ?)",
            [workflow, on, parsed.to_json(), text_note, who.name, now],
        )
        return {
            "workflow": workflow,
            "redesigned_on": on.isoformat(),
            "note": text_note,
            "who": who.name,
            "recorded_at": now.isoformat(timespec="seconds"),
            **parsed.summary(),
        }

    def redesigns(self, as_of: date | None = None, *, actor: Actor | None = None) -> dict[str, Any]:
        """Every recorded redesign with its steps and the measured change after its date.

        Args:
            as_of: last day included (default: the one as-of rule).
            actor: who reads (admin or analyst).

        Returns:
            {as_of, as_of_rule, window_days, min_group_size, privacy, status, redesigns:
            [{workflow, name, redesigned_on, note, who, recorded_at, steps_before, …,
            change: `programme.redesign.measured_change`}]}.
        """
        from uptake.programme.redesign import Steps, measured_change
        from uptake.programme.wins import not_available, task_needs

        require(actor or Actor.local(), AGGREGATE)
        rows = self.con.execute(
            "SELECT r.workflow, w.name, r.redesigned_on, r.steps, r.note, r.who, r.recorded_at "
            "FROM workflow_redesigns r LEFT JOIN (SELECT DISTINCT workflow, name FROM workflows)"
            " w USING (workflow) ORDER BY r.redesigned_on, r.workflow"
        ).fetchall()
        ctx, head = self._aggregate_context(as_of, None)
        out = []
        for wf, name, on, steps, note, who, recorded in rows:
            parsed = Steps.from_json(json.loads(steps) if isinstance(steps, str) else steps)
            out.append(
                {
                    "workflow": wf,
                    "name": name or wf,
                    "redesigned_on": on.isoformat(),
                    "note": note,
                    "who": who,
                    "recorded_at": recorded.isoformat(timespec="seconds"),
                    **parsed.summary(),
                    "change": measured_change(ctx, wf, on),
                }
            )
        doc = {
            **head,
            "status": "ok",
            "redesigns": out,
            "min_runs": self.settings.metrics.outcomes_min_runs,
        }
        missing = ctx.missing("tasks")
        if not out and missing:
            # Nothing recorded and nothing to measure with (a vendor view): say what it needs.
            not_available(doc, task_needs(ctx, missing))
        return doc

    # -- roles -----------------------------------------------------------------------------

    def role_redesign(
        self, as_of: date | None = None, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """Per role: tasks AI substitutes, augments or creates, override rate and accuracy.

        Args:
            as_of: last day included (default: the one as-of rule).
            actor: who reads (admin or analyst).

        Returns:
            `programme.roles.role_redesign`'s document with the head (as_of, privacy …).
        """
        require(actor or Actor.local(), AGGREGATE)
        return self._memo("role_redesign", (as_of,), lambda: self._role_redesign(as_of))

    def _role_redesign(self, as_of: date | None) -> dict[str, Any]:
        from uptake.programme.roles import role_redesign

        ctx, head = self._aggregate_context(as_of, None)
        return {**role_redesign(ctx), **head}
