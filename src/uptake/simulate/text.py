"""Free text composed from fragments with a seeded RNG: tickets, survey comments, audit answers
and help topics.

Texts are assembled from an opener, a context, one or two core statements, optional tone
fragments (frustrated, uncertain) and a closer, with slots filled from the catalogue, so a
run yields thousands of distinct sentences. Some texts carry an e-mail address, a phone
number or a long reference number; the composer reports exactly what it planted so the
redaction can be checked. Texts never contain line breaks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from uptake.simulate.catalog import SURFACES, TOOLS, WORKFLOWS

_RAW = json.loads(resources.files("uptake.simulate").joinpath("data/phrases.json").read_text())
APP_NAME = {
    "word": "Word",
    "excel": "Excel",
    "outlook": "Outlook",
    "teams": "Teams",
    "powerpoint": "PowerPoint",
    "copilot_chat": "Copilot Chat",
    "vscode": "VS Code",
    "jetbrains": "IntelliJ",
    "github": "GitHub",
    "loan-desk": "the loan desk",
    "claims-desk": "the claims desk",
    "forecast-desk": "the forecast desk",
}
TOOL_NAMES = {
    "office_copilot": ("Copilot", "M365 Copilot", "Copilot"),
    "code_assistant": ("the coding assistant", "Copilot in the IDE", "the code assistant"),
    "decision_model": ("the model", "the recommendation engine", "the scoring model"),
}
CATEGORIES: tuple[str, ...] = tuple(_RAW["core"])
# Categories that read naturally after a "when I tried to ..." context.
_SITUATED = frozenset({"access", "how_to", "bug", "accuracy", "workflow"})


@dataclass
class Text:
    """A composed text and what it contains."""

    text: str
    frustrated: bool = False
    uncertain: bool = False
    pii: list[str] = field(default_factory=list)
    pii_kinds: list[str] = field(default_factory=list)


def _phone(rng: np.random.Generator) -> str:
    k = int(rng.integers(6))
    a, b = int(rng.integers(100, 999)), int(rng.integers(1000, 9999))
    return (
        f"+44 20 7946 0{a}",
        f"+1 (415) 555-0{a}",
        f"020 7946 0{a}",
        f"+49 30 9018 {b}",
        f"+91 80 4567 {b}",
        f"+1 312 555 {b}",
    )[k]


class Composer:
    """Compose texts from fragments.

    Args:
        rng: seeded generator.
        emails: addresses that may be quoted in texts (the writer's own or colleagues').
    """

    def __init__(self, rng: np.random.Generator, emails: np.ndarray) -> None:
        self.rng = rng
        self.emails = emails

    def _pick(self, items: list[str]) -> str:
        return items[int(self.rng.integers(len(items)))]

    def _fill(self, template: str, tool: int, surface: int, workflow: int, out: Text) -> str:
        wf = WORKFLOWS[workflow]
        slots = {
            "tool": self._pick(list(TOOL_NAMES[TOOLS[tool]])),
            "app": APP_NAME[SURFACES[surface]],
            "task": wf.name[0].lower() + wf.name[1:],
            "task_noun": wf.noun,
            "subtask": self._pick(_RAW["subtasks"]),
            "sensitive": self._pick(_RAW["sensitive"]),
            "system": self._pick(_RAW["systems"]),
            "weekday": self._pick(_RAW["weekdays"]),
            "n": str(int(self.rng.integers(2, 19)) * 5),
        }
        text = template
        if "{email}" in text:
            email = str(self.emails[int(self.rng.integers(len(self.emails)))])
            if self.rng.random() < 0.2:
                email = email.capitalize()
            text = text.replace("{email}", email)
            out.pii.append(email)
            out.pii_kinds.append("email")
        if "{phone}" in text:
            phone = _phone(self.rng)
            text = text.replace("{phone}", phone)
            out.pii.append(phone)
            out.pii_kinds.append("phone")
        if "{digits}" in text:
            digits = str(int(self.rng.integers(10_000_000, 9_999_999_999)))
            text = text.replace("{digits}", digits)
            out.pii.append(digits)
            out.pii_kinds.append("number")
        for k, v in slots.items():
            text = text.replace("{" + k + "}", v)
        return text

    def feedback(
        self,
        category: str,
        tool: int,
        surface: int,
        workflow: int,
        p_frustrated: float,
        p_uncertain: float,
        p_pii: float,
    ) -> Text:
        """A ticket or comment about one category of issue.

        Args:
            category: one of CATEGORIES.
            tool: tool index.
            surface: surface index.
            workflow: workflow index the text talks about.
            p_frustrated: chance of a frustrated fragment.
            p_uncertain: chance of an uncertain fragment.
            p_pii: chance of a contact detail (e-mail, phone or reference number).

        Returns:
            The text and its labels.
        """
        out = Text("")
        parts: list[str] = []
        r = self.rng
        opener = self._pick(_RAW["openers"]) if r.random() < 0.4 else ""
        core = self._fill(self._pick(_RAW["core"][category]), tool, surface, workflow, out)
        if category in _SITUATED and r.random() < 0.6:
            ctx = self._fill(self._pick(_RAW["contexts"]), tool, surface, workflow, out)
            sentence = f"{ctx} {core}"
        else:
            sentence = core
        if opener.endswith((",", "but", "-")) and not sentence.startswith("I "):
            sentence = sentence[0].lower() + sentence[1:]
        else:
            sentence = sentence[0].upper() + sentence[1:]
        if opener:
            parts.append(opener)
        if not sentence.endswith(("?", ".", "!")):
            sentence += "."
        parts.append(sentence)
        if r.random() < 0.3:
            other = self._pick(list(CATEGORIES)) if r.random() < 0.3 else category
            extra = self._fill(self._pick(_RAW["core"][other]), tool, surface, workflow, out)
            extra = "Also, " + extra if r.random() < 0.5 else extra[0].upper() + extra[1:]
            parts.append(extra if extra.endswith(("?", ".", "!")) else extra + ".")
        if r.random() < p_uncertain:
            out.uncertain = True
            parts.append(self._pick(_RAW["uncertain"]))
        if r.random() < p_frustrated:
            out.frustrated = True
            parts.insert(int(r.integers(1, len(parts) + 1)), self._pick(_RAW["frustrated"]))
        if r.random() < p_pii:
            parts.append(self._fill(self._pick(_RAW["contact"]), tool, surface, workflow, out))
        if r.random() < 0.35:
            parts.append(self._pick(_RAW["closers"]))
        out.text = " ".join(parts)
        return out

    def comment(self, sentiment: str, tool: int, surface: int, workflow: int, p_pii: float) -> Text:
        """A short survey comment: positive, neutral or negative."""
        out = Text("")
        text = self._fill(self._pick(_RAW["comments"][sentiment]), tool, surface, workflow, out)
        if self.rng.random() < p_pii:
            text += " " + self._fill(self._pick(_RAW["contact"]), tool, surface, workflow, out)
        out.text = text
        return out

    def audit(self, tool: int, surface: int, workflow: int) -> str:
        """An answer to "what did you actually use it for?" (week 1-2 audit)."""
        return self._fill(self._pick(_RAW["audit"]), tool, surface, workflow, Text(""))

    def help_topic(self, tool: int, surface: int, workflow: int) -> str:
        """What a colleague asked a champion about."""
        return self._fill(self._pick(_RAW["help_topics"]), tool, surface, workflow, Text(""))
