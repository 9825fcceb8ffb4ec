"""Workspace methods of the hosted forms: who may answer, the segments offered, storing answers.

A pulse is answered by a person for themself (their person token); the audit interview by
the person, or by an admin (the programme lead) about an interviewee. Answers are canonical
input rows ingested by the normal pipeline (pseudonymised, redacted, counted), the form's
responses and feedback in one transaction. In anonymous mode the rows carry segment fields
instead of the person, only for a combination of fields that at least k roster people share,
and nothing stored names the respondent: not the rows, not their time (the day only), not
the ingest log's source.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from uptake.errors import InputError, PermissionDeniedError, PrivacyError
from uptake.programme import forms as engine
from uptake.warehouse.database import transaction
from uptake.workspace.access import Actor

if TYPE_CHECKING:
    import duckdb

    from uptake.config import Settings
    from uptake.ingest.pipeline import BatchIngest
    from uptake.metrics.facts import RefreshReport


def respondent_key(actor: Actor) -> str | None:
    """The person key an actor answers for themself as (person tokens, scoped managers)."""
    return actor.person_key or actor.manager_key


class Forms:
    """Mixin of Workspace: the pulse survey and audit interview forms."""

    settings: Settings

    if TYPE_CHECKING:

        @property
        def con(self) -> duckdb.DuckDBPyConnection:
            raise NotImplementedError

        def pseudonymise(self, identifier: str) -> str:
            raise NotImplementedError

        def _writable(self, action: str) -> None:
            raise NotImplementedError

        def _same_secret(self) -> None:
            raise NotImplementedError

        def _batch(
            self, spec: Any, now: datetime | None, progress: Any, *, manage_tx: bool = True
        ) -> BatchIngest:
            raise NotImplementedError

        def refresh(
            self, *, full: bool = False, progress: Any = None, actor: Actor | None = None
        ) -> RefreshReport:
            raise NotImplementedError

    def form_definition(self, name: str) -> engine.Form:
        """A hosted form by name, with the item names the metric settings read.

        Args:
            name: `pulse` or `audit`.

        Returns:
            The form.
        """
        try:
            return engine.form(name, self.settings.metrics)
        except KeyError:
            raise InputError(
                f"no form {name!r}: expected one of {', '.join(engine.FORMS)}"
            ) from None

    def may_answer(self, name: str, actor: Actor) -> str:
        """Check that an actor may fill a form in, and say as whom.

        Args:
            name: the form.
            actor: who signed in.

        Returns:
            `self` (they answer for themself) or `interviewer` (an admin filling the audit
            interview in about someone).

        Raises:
            PermissionDeniedError: the actor may not fill this form in.
        """
        self.form_definition(name)
        if respondent_key(actor) is not None:
            return "self"
        if name == engine.AUDIT and actor.role == "admin":
            return "interviewer"
        who = "the programme lead (admin) or " if name == engine.AUDIT else ""
        raise PermissionDeniedError(
            f"{actor.role} {actor.name}: the {name} form is answered by {who}each person for "
            "themself; sign in with your person token (`uptake token create --role person`)"
        )

    def segment_options(self) -> dict[str, list[str]]:
        """What an anonymous form offers per segment field: values of at least k roster people.

        Returns:
            field -> values (sorted), for each `[programme] form_segments` field. Only group
            names, never who is in them.
        """
        k = self.settings.privacy.min_group_size
        out: dict[str, list[str]] = {}
        for name in self.settings.programme.form_segments:
            got = self.con.execute(
                f"SELECT {name} FROM people WHERE {_ON_ROSTER} AND {name} IS NOT NULL "
                f"AND trim({name}) <> '' GROUP BY {name} HAVING count(*) >= ? ORDER BY {name}",
                [k],
            ).fetchall()
            out[name] = [str(v) for (v,) in got]
        return out

    def check_segment(self, segment: Mapping[str, str]) -> int:
        """Refuse a segment whose combination of fields fewer than k roster people share.

        Args:
            segment: field -> value, fields among `[programme] form_segments`.

        Returns:
            How many roster people share it (at least k).

        Raises:
            InputError: a field the forms do not ask, or no field chosen.
            PrivacyError: fewer than k people share the combination (nothing is stored).
        """
        fields = self.settings.programme.form_segments
        bad = [f for f in segment if f not in fields]
        if bad:
            raise InputError(f"segment field {bad[0]!r}: expected one of {', '.join(fields)}")
        if not segment:
            raise InputError("an anonymous answer needs at least one group, e.g. your function")
        where = " AND ".join(f"{f} = ?" for f in segment)
        got = self.con.execute(
            f"SELECT count(*) FROM people WHERE {_ON_ROSTER} AND {where}", list(segment.values())
        ).fetchone()
        n = int(got[0]) if got else 0
        k = self.settings.privacy.min_group_size
        if n < k:
            chosen = ", ".join(f"{f} {v}" for f, v in segment.items())
            raise PrivacyError(
                f"fewer than {k} people on the roster share {chosen}: an anonymous answer "
                "from so few could be traced back, so it is not stored; leave a field out "
                "or choose a wider group"
            )
        return n

    def submit_form(
        self,
        name: str,
        data: Mapping[str, str],
        *,
        actor: Actor,
        anonymous: bool = False,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Store one submission of a hosted form through the normal ingest.

        Args:
            name: `pulse` or `audit`.
            data: the posted fields: one per item id; `interviewee` (a roster identifier or
                person key) when an admin fills the audit in; `segment_<field>` when anonymous.
            actor: who submits (see `may_answer`).
            anonymous: store segment fields instead of the person.
            now: the submission time (tests freeze it).

        Returns:
            {form, anonymous, responses, feedback, quarantined, segment_size}: rows stored.

        Raises:
            InputError: an answer is invalid or nothing was answered (nothing is stored).
            PrivacyError: the anonymous segment has fewer than k roster people.
        """
        self._writable("store a form")
        as_whom = self.may_answer(name, actor)
        f = self.form_definition(name)
        answers = engine.validate(f, data)
        if answers.errors:
            item, why = next(iter(answers.errors.items()))
            raise InputError(f"{item}: {why}")
        if answers.empty:
            raise InputError("the form is empty: answer at least one question")
        at = (now or datetime.now(UTC)).astimezone(UTC)
        person: str | None = None
        segment: dict[str, str] | None = None
        size = None
        if anonymous:
            segment = engine.segment_choice(self.settings.programme.form_segments, data)
            size = self.check_segment(segment)
            # The day only: an exact time could be matched with the server's access log.
            at = at.replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            key = respondent_key(actor)
            if as_whom == "interviewer":
                key = self._person_key_of((data.get("interviewee") or "").strip())
            person = self._alias_of(str(key))
        submission = f"{name}_{secrets.token_hex(8)}"
        rows = engine.rows(f, answers, submission=submission, ts=at, person=person,
                           segment=segment)  # fmt: skip
        source = f"form:{name}:anonymous" if anonymous else f"form:{name}:{actor.name}"
        stored = self._ingest_form(rows, source, now)
        return {"form": name, "anonymous": anonymous, "segment_size": size, **stored}

    def _person_key_of(self, who: str) -> str:
        """The person key of an interviewee given as a roster identifier or a person key."""
        if not who:
            raise InputError("interviewee: whom the interview was with (e-mail or person key)")
        key = who if who.startswith("p_") else self.pseudonymise(who)
        got = self.con.execute(
            "SELECT count(*) FROM identities WHERE person_key = ?", [key]
        ).fetchone()
        if not got or not got[0]:
            raise InputError("interviewee: no one with that identifier is on the roster")
        return key

    def _alias_of(self, key: str) -> str:
        """An identifier of a person key, for the ingest to resolve back to the same key."""
        got = self.con.execute(
            "SELECT alias FROM identities WHERE person_key = ? "
            "ORDER BY kind <> 'roster', alias LIMIT 1",
            [key],
        ).fetchone()
        if got is None:
            raise InputError("this person is not on the roster: an admin adds them first")
        return str(got[0])

    def _ingest_form(
        self, rows: dict[str, list[dict[str, Any]]], source: str, now: datetime | None
    ) -> dict[str, int]:
        """Ingest a submission's rows, every table in one transaction, then refresh."""
        from uptake.schema.tables import table

        self._same_secret()
        counts = {"responses": 0, "feedback": 0, "quarantined": 0}
        # The answers and the facts refreshed for them are committed together, so they
        # count in the next page view, whichever connection reads it.
        with transaction(self.con):
            for name, part in rows.items():
                if not part:
                    continue
                frame = pd.DataFrame(part)
                frame["__locator"] = [f"{name} answer {i}" for i in range(1, len(part) + 1)]
                batch = self._batch(table(name), now, None, manage_tx=False)
                got = batch.run_frame(frame, source, "frame", None, [])
                counts[name] = got.accepted
                counts["quarantined"] += got.quarantined
            self.refresh(actor=Actor(name=source, role="ingest"))
        return counts


# People still on the roster (those who left are no longer part of any group).
_ON_ROSTER = "coalesce(employment_status, 'active') <> 'left'"
