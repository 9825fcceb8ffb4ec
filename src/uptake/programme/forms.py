"""Hosted forms: the pulse survey and the audit interview, their items, validation and rows.

One place defines what each form asks, how an answer is checked and which canonical rows it
becomes, so the web form, its tests and the metrics that read the answers agree on names:
confidence and NPS are stored under the instrument and items the metric settings name
(`[metrics] confidence_*`, `nps_*`), the five resistance items under the names the typology
reads, and free-text answers also as feedback (the text voice and typology read). Answers are
canonical *input* rows: the normal ingest pseudonymises, redacts and accounts for them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from uptake.config.metrics import MetricsSettings
from uptake.programme.interview import QUESTIONS

Kind = Literal["scale", "yesno", "text"]
FORMS = ("pulse", "audit")
PULSE = "pulse"
AUDIT = "audit"
# Feedback channels of the free-text answers (voice and typology read feedback text).
CHANNELS = {PULSE: "pulse", AUDIT: "interview"}
MAX_TEXT = 2000
AGREE = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")


@dataclass(frozen=True)
class Item:
    """One question of a form.

    Attributes:
        id: the form field's name (and the stored item unless `item` says otherwise).
        text: the question as shown.
        kind: `scale` (integer low..high), `yesno` (stored as score 1/0) or `text`.
        low: the scale's lowest answer.
        high: the scale's highest answer.
        anchors: what the ends (or, for a 1–5 agree scale, each point) mean.
        help: a hint shown under the question.
        instrument: stored instrument (default: the form's own).
        item: stored item (default: `id`).
        voice: whether a text answer is also stored as feedback.
    """

    id: str
    text: str
    kind: Kind
    low: int = 0
    high: int = 10
    anchors: tuple[str, ...] = ()
    help: str = ""
    instrument: str | None = None
    item: str | None = None
    voice: bool = False

    @property
    def points(self) -> list[int]:
        """The answers a scale offers, in order."""
        return list(range(self.low, self.high + 1)) if self.kind == "scale" else []


@dataclass(frozen=True)
class Form:
    """A hosted form: its title, introduction and items, in order."""

    name: str
    title: str
    intro: str
    items: tuple[Item, ...]

    def item(self, item_id: str) -> Item:
        """The item with this id (KeyError when there is none)."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)


# The typology's survey items (signals.typology.ITEMS), worded as the simulated pulse asks them.
TYPOLOGY_ITEMS = (
    ("job_security", "I worry AI will make my role less secure."),
    ("competence", "I am unsure whether I am using the AI tools correctly."),
    ("trust", "I trust the outputs and recommendations of the AI tools."),
    ("workflow_fit", "The AI tools fit how I actually do my work."),
    ("values", "Using AI for parts of my work conflicts with my professional standards."),
)
SAFETY_ITEMS = (
    ("safe_to_say", "I can say when AI is not helping my work."),
    ("safe_to_fail", "I can try AI on real work without being blamed when it goes wrong."),
)


def pulse(metrics: MetricsSettings) -> Form:
    """The pulse survey, stored where the metric settings read confidence and NPS.

    Args:
        metrics: the `[metrics]` settings (confidence and NPS instrument and item names).

    Returns:
        The form.
    """
    items = [
        Item("confidence", "How confident are you using AI in your work?", "scale",
             anchors=("0 = not at all confident", "10 = completely confident"),
             instrument=metrics.confidence_instrument, item=metrics.confidence_item),
        Item("nps", "How likely are you to recommend the AI tools to a colleague?", "scale",
             anchors=("0 = not at all likely", "10 = extremely likely"),
             instrument=metrics.nps_instrument or PULSE, item=metrics.nps_item),
        *(Item(i, t, "scale", low=1, high=5, anchors=AGREE)
          for i, t in (*SAFETY_ITEMS, *TYPOLOGY_ITEMS)),
        Item("used_last_week", "What did you use AI for last week?", "text",
             help="A task or two is enough.", voice=True),
        Item("back_to_hand", "What did you go back to doing by hand?", "text",
             help="And why, if you can say.", voice=True),
        Item("shadow_ai", "In the last month I used an AI tool the company does not provide.",
             "yesno", help="Answers are used only as counts of groups of people."),
        Item("shadow_ai_tools", "If yes: which tools?", "text"),
        Item("comment", "Anything else you want to tell us?", "text", voice=True),
    ]  # fmt: skip
    return Form(
        PULSE,
        "Pulse survey",
        "Five minutes on how AI fits your work. Every question is optional.",
        tuple(items),
    )


def audit() -> Form:
    """The week 1–2 audit interview ("what did you actually use it for"), from `QUESTIONS`.

    Returns:
        The form: text questions become text items (also stored as interview feedback),
        score questions 0–10 scales.
    """
    items = tuple(
        Item(q.id, q.text, "scale", help=q.help)
        if q.kind == "score"
        else Item(q.id, q.text, "text", help=q.help, voice=True)
        for q in QUESTIONS
    )
    return Form(
        AUDIT,
        "Audit interview",
        "The week 1–2 interview: what AI was actually used for. The programme lead fills it "
        "in during the conversation, or the person answers it themself.",
        items,
    )


def form(name: str, metrics: MetricsSettings) -> Form:
    """A hosted form by name (`pulse` or `audit`).

    Args:
        name: the form's name.
        metrics: the `[metrics]` settings.

    Returns:
        The form.

    Raises:
        KeyError: no such form.
    """
    if name == PULSE:
        return pulse(metrics)
    if name == AUDIT:
        return audit()
    raise KeyError(name)


@dataclass
class Answers:
    """A submission's checked answers, or the problems found, per item id."""

    scores: dict[str, float] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Whether nothing was answered."""
        return not self.scores and not self.texts


def validate(f: Form, data: Mapping[str, str]) -> Answers:
    """Check a submission against a form: each answer in range, texts not too long.

    Unanswered items are simply left out; fields the form does not ask are ignored.

    Args:
        f: the form.
        data: the posted fields (name -> value).

    Returns:
        The answers and, per item id, what is wrong (in words a respondent can act on).
    """
    out = Answers()
    for it in f.items:
        raw = (data.get(it.id) or "").strip()
        if not raw:
            continue
        if it.kind == "text":
            if len(raw) > MAX_TEXT:
                out.errors[it.id] = f"Please keep this answer under {MAX_TEXT:,} characters."
            elif not all(c.isprintable() or c in "\r\n\t" for c in raw):
                out.errors[it.id] = "This answer holds characters that cannot be stored."
            else:
                out.texts[it.id] = raw
        elif it.kind == "yesno":
            if raw not in ("yes", "no"):
                out.errors[it.id] = "Choose yes or no."
            else:
                out.scores[it.id] = 1.0 if raw == "yes" else 0.0
        else:
            if not (raw.isascii() and raw.isdigit()) or not it.low <= int(raw) <= it.high:
                out.errors[it.id] = f"Choose a whole number from {it.low} to {it.high}."
            else:
                out.scores[it.id] = float(int(raw))
    return out


def rows(
    f: Form,
    answers: Answers,
    *,
    submission: str,
    ts: datetime,
    person: str | None,
    segment: Mapping[str, str] | None,
) -> dict[str, list[dict[str, Any]]]:
    """The canonical input rows of a submission: `responses` and, for voice texts, `feedback`.

    Args:
        f: the form.
        answers: its checked answers.
        submission: an id unique to this submission (row ids derive from it).
        ts: when it was submitted (UTC).
        person: the respondent's roster identifier (None in anonymous mode).
        segment: the segment fields stored instead of the person (anonymous mode).

    Returns:
        {"responses": [...], "feedback": [...]} (either may be empty).
    """
    seg = json.dumps(dict(segment), sort_keys=True) if segment else None
    stamp = ts.isoformat()
    responses: list[dict[str, Any]] = []
    feedback: list[dict[str, Any]] = []
    for it in f.items:
        if it.id not in answers.scores and it.id not in answers.texts:
            continue
        text = answers.texts.get(it.id)
        responses.append(
            {"response_id": f"{submission}:{it.id}", "ts": stamp,
             "instrument": it.instrument or f.name, "item": it.item or it.id, "person": person,
             "score": answers.scores.get(it.id), "text": text, "segment": seg}
        )  # fmt: skip
        if it.voice and text:
            # A survey answer or interview note asks for nothing: no status, and its channel
            # is one of `metrics.feedback_answer_channels`, which feedback health leaves out.
            feedback.append(
                {"feedback_id": f"{submission}:{it.id}", "ts": stamp, "channel": CHANNELS[f.name],
                 "text": text, "person": person, "category": it.item or it.id,
                 "status": None, "resolved_at": None}
            )  # fmt: skip
    return {"responses": responses, "feedback": feedback}


def segment_choice(fields: Sequence[str], data: Mapping[str, str]) -> dict[str, str]:
    """The segment fields a respondent chose (blank ones left out).

    Args:
        fields: the segment fields the form asks (`[programme] form_segments`).
        data: the posted fields; each segment field is posted as `segment_<field>`.

    Returns:
        field -> value, only for the fields answered.
    """
    out = {}
    for name in fields:
        value = (data.get(f"segment_{name}") or "").strip()
        if value:
            out[name] = value
    return out
