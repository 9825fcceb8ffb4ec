"""The week 1–2 audit interview: the questions a programme lead asks the sampled people.

One list serves the printed form (`uptake audit-sample`) and the hosted form (`/forms/audit`),
so both always ask the same things in the same order. Question ids are stable: responses are
stored under them, so a reworded question keeps its id and a new question gets a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

QuestionKind = Literal["text", "score"]


@dataclass(frozen=True)
class Question:
    """One interview question.

    Attributes:
        id: Stable identifier responses are stored under (`audit_<topic>`).
        text: The question as asked.
        kind: `text` (a free answer) or `score` (0–10).
        help: A short prompt the interviewer may add; empty when none.
    """

    id: str
    text: str
    kind: QuestionKind
    help: str = ""


QUESTIONS: tuple[Question, ...] = (
    Question(
        "audit_used_for",
        "What did you actually use AI for last week?",
        "text",
        "Ask for a concrete task, not a general impression.",
    ),
    Question(
        "audit_back_to_hand",
        "What did you go back to doing by hand, and why?",
        "text",
        "The reason matters more than the task: trust, effort, quality, or habit.",
    ),
    Question(
        "audit_saves_time",
        "Where does it save you time?",
        "text",
        "Roughly how many minutes, on which step.",
    ),
    Question(
        "audit_hardest_task",
        "What would make it useful for your hardest task?",
        "text",
    ),
    Question(
        "audit_override",
        "When it suggests something you disagree with, what do you do, and does anyone see that?",
        "text",
        "Tells whether overrides are recorded and whether outcomes come back.",
    ),
    Question(
        "audit_ask_whom",
        "Who do you ask when you are stuck with it?",
        "text",
        "Names a colleague, a channel, or no one.",
    ),
    Question(
        "audit_manager",
        "Has your manager talked with you about how you use it?",
        "text",
    ),
    Question(
        "audit_confidence",
        "How confident are you using AI in your daily work?",
        "score",
        "0 = not at all, 10 = completely.",
    ),
    Question(
        "audit_safe_to_say",
        "How safe is it to say when AI is not helping your work?",
        "score",
        "0 = not at all, 10 = completely.",
    ),
)


def question(question_id: str) -> Question:
    """The question with this id.

    Args:
        question_id: A `Question.id`.

    Returns:
        The question.

    Raises:
        KeyError: No question has this id.
    """
    for q in QUESTIONS:
        if q.id == question_id:
            return q
    raise KeyError(question_id)
