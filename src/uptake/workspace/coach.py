"""Workspace methods of the coach: the next card for a person, interactions, preferences.

Who may ask: a `person` token for itself only; a `coach` token for the people of the teams
in its scope (the coaching policy); an admin for anyone. A coach's request is an individual
read and is written to the audit log; a person asking for their own card is not (it is their
own data). Cards, interactions and choices are written at once: a reply means they are
committed.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from uptake.errors import InputError, NotFoundError
from uptake.workspace.access import INDIVIDUAL, Actor, require

if TYPE_CHECKING:
    import duckdb

    from uptake.coach.state import CoachState
    from uptake.config import Settings
    from uptake.warehouse.engine import DuckDBEngine
    from uptake.warehouse.journal import Journal

_KEY = re.compile(r"^p_[0-9a-f]{20}$")
# Ids of the cards the coach delivers (`uptake.coach.log.record`).
COACH_ID = "coach_"
ACTIONS = ("opened", "dismissed", "acted", "snoozed")


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _person_key(person: str, state: CoachState) -> str:
    """A roster identifier (or a person key) as the person key, if the roster knows it."""
    from uptake.ingest.identity import normalise

    if _KEY.match(person) and person in state.people:
        return person
    key = state.aliases.get(normalise(person))
    if key is None:
        raise NotFoundError("no such person on the roster")
    return key


class Coach:
    """Mixin of Workspace: in-context guidance cards with caps, consent and a holdout."""

    settings: Settings
    read_only: bool

    if TYPE_CHECKING:
        # Provided by other parts of Workspace: a stub at run time would shadow the real
        # method for the classes after this one.
        @property
        def con(self) -> duckdb.DuckDBPyConnection:
            raise NotImplementedError

        def engine(self) -> DuckDBEngine:
            raise NotImplementedError

        @property
        def secret(self) -> bytes:
            raise NotImplementedError

        def _signals_doc(self, as_of: date | None) -> dict[str, Any]:
            raise NotImplementedError

        def _audit(self, what: str, as_of: date, people: int, actor: Actor | None) -> None:
            raise NotImplementedError

        @property
        def journal(self) -> Journal:
            raise NotImplementedError

        def _writable(self, action: str) -> None:
            raise NotImplementedError

        def data_version(self) -> int | None:
            raise NotImplementedError

    # -- who ------------------------------------------------------------------------------

    def _coach_person(self, person: str | None, actor: Actor, state: CoachState) -> str:
        """The person key asked about, checked against the actor's scope."""
        if actor.role == "person":
            own = actor.person_key
            if own is None:
                raise InputError("this person token names no person")
            if person not in (None, ""):
                try:
                    asked: str | None = _person_key(str(person), state)
                except NotFoundError:
                    asked = None
                if asked != own:
                    # Refused alike whether or not the other person exists.
                    require(actor, INDIVIDUAL, person="(another person)")
            return own
        if person in (None, ""):
            raise InputError("?person= is required: the identifier or key of the person")
        key = _person_key(str(person), state)
        if actor.role != "admin":
            known = state.people.get(key)
            require(actor, INDIVIDUAL, person=key, team=known.team if known else None)
        return key

    # -- state ----------------------------------------------------------------------------

    def coach_state(self) -> CoachState:
        """Everyone's coaching inputs, built once per data version (and arms assigned).

        Returns:
            The state (shared: do not change it).
        """
        marker = self.data_version()
        cached = self.__dict__.get("_coach_state")
        if cached is not None and cached[0] == marker:
            state: CoachState = cached[1]
            return state
        state = self._build_coach_state()
        self.__dict__["_coach_state"] = (marker, state)
        return state

    def _build_coach_state(self) -> CoachState:
        from uptake.coach.arms import assign_arms
        from uptake.coach.state import RECENT_DAYS, build_state, load_books

        # Cards still queued for the group commit must be in the books read below.
        self.journal.flush()
        doc = self._signals_doc(None)
        columns = ["person_key", "role", "team", "location"]
        roster = (
            self.con.execute(f"SELECT {', '.join(columns)} FROM dim_person").df()
            if self.engine().has("dim_person")
            else pd.DataFrame({c: pd.Series(dtype="string") for c in columns})  # none yet
        )
        peer_rows = self._coach_peers()
        state = build_state(self.con, doc, roster, peer_rows, self.settings.coach)
        if not self.read_only:
            levels = pd.DataFrame(
                {"person_key": list(state.people),
                 "team": [p.team for p in state.people.values()],
                 "level": [p.level for p in state.people.values()]}
            )  # fmt: skip
            assign_arms(self.con, levels, self.settings.coach.holdout, self.secret, _utc_now())
        load_books(self.con, state, _utc_now() - timedelta(days=RECENT_DAYS))
        return state

    def _coach_peers(self) -> list[dict[str, Any]] | None:
        """Peers' use cases per role (k-anonymous rows), or None when not available."""
        peers = getattr(self, "_peer_usecases", None)
        if peers is None:
            return None
        doc = peers(None, None)
        if doc.get("status") != "ok":
            return None
        rows = []
        for r in doc.get("roles") or []:
            for w in sorted(r.get("workflows") or [], key=lambda w: w["rank"]):
                rows.append({
                    "role": r["role"], "workflow": w["workflow"], "people": w["people"],
                    "completion": w["completion_rate"], "minutes_saved": w.get("minutes_saved"),
                })  # fmt: skip
        return rows

    # -- cards ----------------------------------------------------------------------------

    def coach_next(
        self,
        person: str | None = None,
        *,
        surface: str | None = None,
        workflow: str | None = None,
        actor: Actor | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any] | None:
        """The next guidance card for a person here and now, or None.

        Args:
            person: the person's identifier or key (a person token: itself; may be omitted).
            surface: where the person is (e.g. `excel`), if the host says.
            workflow: what they are doing (a workflow id), if the host says.
            actor: who asks (person: itself; coach: its teams; admin: anyone).
            now: the instant (default: now, UTC).

        Returns:
            The card (`uptake.coach.cards.Card.to_dict()`), or None: no card now (capped,
            quiet hours, opted out, snoozed, holdout, or no rule fired).
        """
        return self.coach_decide(person, surface=surface, workflow=workflow, actor=actor, now=now)[
            "card"
        ]

    def coach_decide(
        self,
        person: str | None = None,
        *,
        surface: str | None = None,
        workflow: str | None = None,
        actor: Actor | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """The coach's decision for a person, with why there is no card when there is none.

        Args:
            person: the person's identifier or key.
            surface: the host's surface.
            workflow: the host's workflow.
            actor: who asks.
            now: the instant (default: now, UTC).

        Returns:
            {card: the card or None, why: None or the reason (opted_out, snoozed,
            quiet_hours, daily_cap, weekly_cap, holdout, no_rule, coaching_off), arm}.
        """
        from uptake.coach import log
        from uptake.coach.caps import DAILY_CAP, WEEKLY_CAP, Prefs, gate, local
        from uptake.coach.cards import Card, expiry, ref_of
        from uptake.coach.rules import Where, pick

        who = actor or Actor.local()
        state = self.coach_state()
        key = self._coach_person(person, who, state)
        now = now or _utc_now()
        s = self.settings.coach
        if who.role == "coach":
            self._audit("coach card", state.as_of, 1, who)
        arm = state.arms.get(key, "treatment")
        zone = state.zones.get(key, s.timezone)
        past = [r for r in state.recent.get(key, []) if r.ts >= now - timedelta(days=95)]
        # The caps count the coach's own cards: a training session imported from another
        # tool is not a card.
        mine = [r for r in past if r.arm == arm and r.intervention_id.startswith(COACH_ID)]
        why = gate(s, state.prefs.get(key, Prefs()), now, zone, [r.ts for r in mine])
        if why in (None, DAILY_CAP, WEEKLY_CAP) and arm == "treatment":
            # A card already delivered and still open is shown again, not delivered anew.
            shown = self._open_card(state, key, mine, now)
            if shown is not None:
                return {"card": shown, "why": None, "arm": arm}
        if why is not None:
            return {"card": None, "why": why, "arm": arm}
        p = state.people.get(key)
        if p is None:
            return {"card": None, "why": "no_rule", "arm": arm}
        cases = self._cases_for(p.role, workflow, surface)
        recent = {r.ref.partition("|")[2] for r in past if r.ref}
        today = local(now, zone).date()
        choice = pick(p, Where(surface, workflow), today, s.rules, cases, state.peers,
                      recent, s.struggle_flags)  # fmt: skip
        if choice is None:
            return {"card": None, "why": "no_rule", "arm": arm}
        case = choice.use_case
        self._writable("deliver a coaching card")
        ref = ref_of(choice.kind, case.id if case else None, choice.signal)
        iid = log.record(self.journal.write, key, choice.kind, ref, arm, now)
        status = "delivered" if arm == "treatment" else None
        state.recent.setdefault(key, []).insert(
            0, log.Logged(iid, now, choice.kind, ref, arm, status)
        )
        if arm != "treatment":
            # The holdout's would-have-been card is logged, never shown.
            return {"card": None, "why": "holdout", "arm": arm}
        card = Card(
            card_id=iid, kind=choice.kind, title=choice.title, body=choice.body,
            steps=list(case.steps) if case else [], prompt=case.prompt if case else "",
            use_case=case.id if case else None,
            reason={"signal": choice.signal, "evidence": choice.evidence},
            expires=expiry(now, s.card_days),
        )  # fmt: skip
        self.__dict__.setdefault("_coach_cards", {})[iid] = card.to_dict()
        return {"card": card.to_dict(), "why": None, "arm": arm}

    def _open_card(
        self, state: CoachState, key: str, mine: list[Any], now: datetime
    ) -> dict[str, Any] | None:
        """The card already delivered and still open (shown again, not a new delivery)."""
        days = self.settings.coach.card_days
        cards: dict[str, dict[str, Any]] = self.__dict__.setdefault("_coach_cards", {})
        for r in mine:
            if r.status in ("delivered", "opened") and r.ts >= now - timedelta(days=days):
                card = cards.get(r.intervention_id) or self._rebuild(state, key, r)
                if card is not None:
                    cards[r.intervention_id] = card
                    return card
        return None

    def _rebuild(self, state: CoachState, key: str, row: Any) -> dict[str, Any] | None:
        """An open card delivered before this process started, rebuilt from its log row."""
        from uptake.coach.caps import local
        from uptake.coach.cards import Card, expiry, parse_ref
        from uptake.coach.rules import RULE_OF, Where, pick

        p = state.people.get(key)
        rule = RULE_OF.get(row.kind)
        if p is None or rule is None:
            return None
        _signal, case_id = parse_ref(row.ref)
        cases = [c for c in self._cases_for(p.role, None, None) if c.id == case_id]
        today = local(row.ts, state.zones.get(key, self.settings.coach.timezone)).date()
        s = self.settings.coach
        choice = pick(p, Where(), today, [rule], cases, state.peers, set(), s.struggle_flags)
        if choice is None or choice.kind != row.kind:
            return None
        case = choice.use_case
        return Card(
            card_id=row.intervention_id, kind=choice.kind, title=choice.title, body=choice.body,
            steps=list(case.steps) if case else [], prompt=case.prompt if case else "",
            use_case=case.id if case else None,
            reason={"signal": choice.signal, "evidence": choice.evidence},
            expires=expiry(row.ts, s.card_days),
        ).to_dict()  # fmt: skip

    def _cases_for(self, role: str | None, workflow: str | None, surface: str | None) -> list[Any]:
        """The library's use cases for a role, this place's first (none without a library)."""
        library = getattr(self, "library", None)
        if library is None or role is None:
            return []
        lib = library()
        here = list(lib.for_role(role, workflow=workflow, surface=surface))
        return here or list(lib.for_role(role))

    # -- interactions and choices ---------------------------------------------------------

    def coach_interaction(
        self,
        card_id: str,
        action: str,
        *,
        snooze_days: int | None = None,
        actor: Actor | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Record what a person did with a card: opened, dismissed, acted or snoozed.

        Args:
            card_id: the card's id.
            action: one of `ACTIONS` (snoozed: dismissed, and no card for `snooze_days`).
            snooze_days: days of a snooze (default `coach.snooze_days`).
            actor: who reports (the person; a coach or an admin on their behalf).
            now: the instant (default: now).

        Returns:
            {card_id, status} — the card's status now (it never moves back).
        """
        from uptake.coach import log
        from uptake.coach.caps import Prefs

        if action not in ACTIONS:
            raise InputError(f"action {action!r}: expected one of {', '.join(ACTIONS)}")
        who = actor or Actor.local()
        found = log.owner(self.con, card_id)
        if found is None:
            raise NotFoundError("no such card")
        key, status = found
        state = self.coach_state()
        if who.role == "person":
            if who.person_key != key:
                raise NotFoundError("no such card")
        else:
            self._coach_person(key, who, state)
        self._writable("record a card interaction")
        now = now or _utc_now()
        rows = state.recent.get(key, [])
        # The books know of writes still queued for the group commit; the table may not yet.
        status = next((r.status for r in rows if r.intervention_id == card_id), status)
        if action == "snoozed":
            days = snooze_days if snooze_days is not None else self.settings.coach.snooze_days
            if not 1 <= days <= 90:
                raise InputError("snooze_days must be between 1 and 90")
            old = state.prefs.get(key, Prefs())
            state.prefs[key] = log.set_prefs(self.journal.write, key, now, old, snooze_days=days)
        new = "dismissed" if action == "snoozed" else action
        status = log.advance(self.journal.write, card_id, status, new)
        state.recent[key] = [
            replace(r, status=status) if r.intervention_id == card_id else r for r in rows
        ]
        return {"card_id": card_id, "status": status}

    def coach_preferences(
        self,
        person: str | None = None,
        *,
        opt_out: bool | None = None,
        snooze_days: int | None = None,
        actor: Actor | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Read or change a person's coaching choices (opt-out is honoured everywhere).

        Args:
            person: identifier or key (a person token: itself).
            opt_out: True to opt out, False to opt back in, None to leave.
            snooze_days: snooze for this many days (0 ends a snooze), None to leave.
            actor: who asks.
            now: the instant (default: now).

        Returns:
            {opted_out: bool, snoozed_until: ISO or None}.
        """
        from uptake.coach import log
        from uptake.coach.caps import Prefs

        who = actor or Actor.local()
        state = self.coach_state()
        key = self._coach_person(person, who, state)
        now = now or _utc_now()
        if snooze_days is not None and not 0 <= snooze_days <= 90:
            raise InputError("snooze_days must be between 0 and 90")
        got = state.prefs.get(key, Prefs())
        if opt_out is not None or snooze_days is not None:
            self._writable("change coaching preferences")
            got = log.set_prefs(
                self.journal.write, key, now, got, opt_out=opt_out, snooze_days=snooze_days
            )
            state.prefs[key] = got
        until = got.snoozed_until
        return {
            "opted_out": got.opted_out_at is not None,
            "snoozed_until": None if until is None or until <= now else until.isoformat() + "Z",
        }
