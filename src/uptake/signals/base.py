"""What every signal returns: a flag on a person with the evidence behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Flag:
    """One signal raised on one person.

    Attributes:
        person_key: the pseudonymous person.
        signal: the signal's name, e.g. `bounce_loop`.
        since: the first day the signal held (in the current episode).
        evidence: what the rule saw (sessions, events, window, scores), JSON-ready.
    """

    person_key: str
    signal: str
    since: date
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (`since` as ISO date)."""
        return {"signal": self.signal, "since": self.since.isoformat(), "evidence": self.evidence}
