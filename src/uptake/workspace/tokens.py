"""API tokens (shown once, stored hashed, expiring, revocable) and the audit log's reader."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from uptake.errors import AuthenticationError, InputError
from uptake.workspace.access import ADMINISTER, ROLES, SCOPED, Actor, a_role, require

if TYPE_CHECKING:
    import duckdb

PREFIX = "upt"
DEFAULT_EXPIRY = "90d"
MAX_NOTE = 200
# Who an audit entry names: a token (`token:<id>`) or a local user name.
ACTOR_NAME = re.compile(r"^(token:[0-9a-f]{8}|[A-Za-z0-9._@-]{1,64})$")
_TOKEN = re.compile(rf"^{PREFIX}_([0-9a-f]{{8}})_([A-Za-z0-9_-]{{20,}})$")
# Tokens whose actor is remembered (a server's callers); the cache starts over beyond this.
MAX_KNOWN = 10_000
_DURATION = re.compile(r"^(\d{1,4})([dh])$")


def _hash(token: str) -> str:
    # The secret part carries 256 random bits: a fast hash cannot be brute-forced back.
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def parse_expiry(text: str, now: datetime) -> datetime | None:
    """When a token expires: `90d`, `12h`, a date (`2027-03-01`, end of that day UTC) or `never`.

    Args:
        text: the `--expires` value.
        now: the current time (UTC, naive).

    Returns:
        The expiry time (UTC, naive), or None for never.
    """
    t = text.strip().lower()
    if t == "never":
        return None
    m = _DURATION.match(t)
    if m:
        n = int(m.group(1))
        if n == 0:
            raise InputError(f"--expires {text!r}: a token must live longer than that")
        return now + (timedelta(days=n) if m.group(2) == "d" else timedelta(hours=n))
    try:
        day = date.fromisoformat(t)
    except ValueError:
        raise InputError(
            f"--expires {text!r}: expected a duration like 90d or 12h, a date, or never"
        ) from None
    end = datetime.combine(day + timedelta(days=1), datetime.min.time())
    if end <= now:
        raise InputError(f"--expires {text!r}: that date has passed")
    return end


class Tokens:
    """Token administration and authentication, and reading the audit log (admins)."""

    read_only: bool

    if TYPE_CHECKING:
        # Provided by Workspace: a stub at run time would shadow the real method for
        # the classes after this one.
        @property
        def con(self) -> duckdb.DuckDBPyConnection:
            raise NotImplementedError

        def pseudonymise(self, identifier: str) -> str:
            raise NotImplementedError

        def _writable(self, action: str) -> None:
            raise NotImplementedError

    def create_token(
        self,
        role: str,
        scope: list[str] | None = None,
        *,
        expires: str = DEFAULT_EXPIRY,
        note: str | None = None,
        actor: Actor | None = None,
    ) -> dict[str, Any]:
        """Create a token; the returned `token` is the only time it is shown.

        Args:
            role: one of `access.ROLES`.
            scope: `team:NAME` (manager: exactly one; coach: one or more) or `person:ID`
                (person: exactly one, an identifier on the roster; a manager may add their own).
            expires: `90d`, `12h`, a date or `never`.
            note: what the token is for (shown in `token list`).
            actor: who creates it (default: the local admin).

        Returns:
            {token, token_id, role, scope, expires_at}.
        """
        who = actor or Actor.local()
        require(who, ADMINISTER)
        self._writable("create a token")
        if role not in ROLES:
            raise InputError(f"--role {role!r}: expected one of {', '.join(ROLES)}")
        if note is not None and (len(note) > MAX_NOTE or not note.isprintable()):
            raise InputError(f"--note: at most {MAX_NOTE} printable characters")
        teams, person = self._scope(role, scope or [])
        now = _now()
        until = parse_expiry(expires, now)
        token_id = secrets.token_hex(4)
        token = f"{PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
        self.con.execute(
            "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            [token_id, _hash(token), role, list(teams), person, note, now, who.name, until],
        )
        shown = Actor(name=f"token:{token_id}", role=role, teams=teams, person_key=person)
        return {
            "token": token,
            "token_id": token_id,
            "role": role,
            "scope": shown.scope_text(),
            "expires_at": until.isoformat(timespec="seconds") if until else None,
        }

    def _scope(self, role: str, scope: list[str]) -> tuple[tuple[str, ...], str | None]:
        """Validate a scope against the role and the roster: (teams, person key)."""
        teams: list[str] = []
        people: list[str] = []
        for item in scope:
            kind, _, value = item.partition(":")
            if kind not in ("team", "person") or not value.strip():
                raise InputError(f"--scope {item!r}: expected team:NAME or person:IDENTIFIER")
            (teams if kind == "team" else people).append(value.strip())
        need = SCOPED.get(role)
        if need is None and (teams or people):
            raise InputError(f"{a_role(role)} token has no scope: it sees what its role allows")
        if role == "person" and (len(people) != 1 or teams):
            raise InputError("a person token needs exactly one --scope person:IDENTIFIER")
        if role == "manager" and (len(teams) != 1 or len(people) > 1):
            raise InputError("a manager token needs exactly one --scope team:NAME")
        if role == "coach" and (not teams or people):
            raise InputError("a coach token needs --scope team:NAME (one or more)")
        for team in teams:
            got = self.con.execute("SELECT count(*) FROM people WHERE team = ?", [team]).fetchone()
            if not got or not got[0]:
                raise InputError(f"--scope team:{team}: no one on the roster is in that team")
        key = None
        if people:
            key = self.pseudonymise(people[0])
            got = self.con.execute(
                "SELECT count(*) FROM identities WHERE person_key = ?", [key]
            ).fetchone()
            if not got or not got[0]:
                raise InputError("--scope person:…: that identifier is not on the roster")
        return tuple(teams), key

    def tokens(self, *, actor: Actor | None = None) -> list[dict[str, Any]]:
        """Every token ever created, newest first, with its status (never the token itself).

        Args:
            actor: who asks (default: the local admin).

        Returns:
            One dict per token: token_id, role, scope, note, created_at, created_by,
            expires_at, status (active, expired or revoked).
        """
        require(actor or Actor.local(), ADMINISTER)
        rows = self.con.execute(
            "SELECT token_id, role, teams, person_key, note, created_at, created_by, expires_at, "
            "revoked_at FROM tokens ORDER BY created_at DESC, token_id"
        ).fetchall()
        now = _now()
        out = []
        for tid, role, teams, person, note, created, by, until, revoked in rows:
            status = "revoked" if revoked else "expired" if until and until <= now else "active"
            scope = Actor(name=tid, role=role, teams=tuple(teams or ()), person_key=person)
            out.append(
                {
                    "token_id": tid,
                    "role": role,
                    "scope": scope.scope_text(),
                    "note": note,
                    "created_at": created.isoformat(timespec="seconds"),
                    "created_by": by,
                    "expires_at": until.isoformat(timespec="seconds") if until else None,
                    "status": status,
                }
            )
        return out

    def revoke_token(self, token_id: str, *, actor: Actor | None = None) -> bool:
        """Revoke a token at once (it stays listed, as revoked).

        Args:
            token_id: the id `token create` printed (the token itself also works).
            actor: who revokes it (default: the local admin).

        Returns:
            True when it was active, False when it was already revoked.
        """
        require(actor or Actor.local(), ADMINISTER)
        self._writable("revoke a token")
        m = _TOKEN.match(token_id)
        tid = m.group(1) if m else token_id.strip()
        row = self.con.execute("SELECT revoked_at FROM tokens WHERE token_id = ?", [tid]).fetchone()
        if row is None:
            raise InputError(f"no token {tid!r}: `uptake token list` shows them")
        if row[0] is not None:
            return False
        self.con.execute("UPDATE tokens SET revoked_at = ? WHERE token_id = ?", [_now(), tid])
        self.__dict__.pop("_actors", None)
        return True

    def authenticate(self, token: str) -> Actor:
        """The actor a presented token stands for.

        Args:
            token: the bearer token.

        Returns:
            The actor (named `token:<id>` in the audit log).

        Raises:
            AuthenticationError: unknown, malformed, expired or revoked tokens (one message
                for unknown and wrong, so a caller learns nothing about which ids exist).
        """
        m = _TOKEN.match(token.strip())
        if not m:
            raise AuthenticationError("not an uptake token")
        row = self.con.execute(
            "SELECT token_hash, role, teams, person_key, expires_at, revoked_at FROM tokens "
            "WHERE token_id = ?",
            [m.group(1)],
        ).fetchone()
        if row is None or not hmac.compare_digest(row[0], _hash(token.strip())):
            raise AuthenticationError("unknown token")
        _h, role, teams, person, until, revoked = row
        if revoked is not None:
            raise AuthenticationError("this token was revoked")
        if until is not None and until <= _now():
            raise AuthenticationError("this token has expired")
        actor = Actor(
            name=f"token:{m.group(1)}",
            role=role,
            teams=tuple(teams or ()),
            person_key=person if role == "person" else None,
            manager_key=person if role == "manager" else None,
        )
        known: dict[str, tuple[Actor, datetime | None]] = self.__dict__.setdefault("_actors", {})
        if len(known) >= MAX_KNOWN:
            known.clear()
        known[row[0]] = (actor, until)
        return actor

    def known_actor(self, token: str) -> Actor | None:
        """The actor of a token this workspace accepted before and has not seen revoked.

        A server asks this first, without waiting for its turn: a token's row is read once.
        Only this process can change the tokens while it holds the warehouse, and revoking
        one here forgets every token seen.

        Args:
            token: the bearer token.

        Returns:
            The actor, or None: not seen before, or expired (then `authenticate` says so).
        """
        known: dict[str, tuple[Actor, datetime | None]] = self.__dict__.get("_actors") or {}
        hit = known.get(_hash(token.strip()))
        if hit is None:
            return None
        actor, until = hit
        if until is not None and until <= _now():
            return None
        return actor

    def audit(
        self,
        *,
        since: date | None = None,
        who: str | None = None,
        limit: int | None = 200,
        actor: Actor | None = None,
    ) -> list[dict[str, Any]]:
        """The audit log of individual reads and dashboard page views, newest first (admins only).

        Args:
            since: only entries on or after this day (UTC).
            who: only this actor (an OS user or `token:<id>`).
            limit: at most this many rows (None: all).
            actor: who asks (default: the local admin).

        Returns:
            One dict per entry: ts (ISO, UTC, seconds), actor, role, action, subject, detail.
        """
        require(actor or Actor.local(), ADMINISTER)
        if who is not None and not ACTOR_NAME.match(who):
            raise InputError(f"--actor {who!r}: expected a user name or token:ID (8 hex digits)")
        where: list[str] = []
        params: list[Any] = []
        if since is not None:
            where.append("ts >= ?")
            params.append(datetime.combine(since, datetime.min.time()))
        if who is not None:
            where.append("actor = ?")
            params.append(who)
        sql = "SELECT ts, actor, role, action, subject, detail FROM audit_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY ts DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        names = ("ts", "actor", "role", "action", "subject", "detail")
        return [
            {**dict(zip(names, row, strict=True)), "ts": row[0].isoformat(timespec="seconds")}
            for row in self.con.execute(sql, params).fetchall()
        ]
