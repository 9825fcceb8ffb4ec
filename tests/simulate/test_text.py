"""Composed free text: varied, single-line, and every planted PII string is caught by redaction."""

from __future__ import annotations

import numpy as np

from uptake.ingest.redact import redact
from uptake.simulate.catalog import SURFACES, WORKFLOWS
from uptake.simulate.text import CATEGORIES, Composer

EMAILS = np.array(["anna.smith@meridian-group.example", "wei.lee@meridian-group.example"])


def _many(n: int, p_pii: float = 0.1) -> list:  # type: ignore[type-arg]
    c = Composer(np.random.default_rng(1), EMAILS)
    return [
        c.feedback(
            CATEGORIES[k % len(CATEGORIES)],
            k % 3,
            k % len(SURFACES),
            k % len(WORKFLOWS),
            0.3,
            0.3,
            p_pii,
        )
        for k in range(n)
    ]


def test_texts_are_varied_not_a_handful_of_templates() -> None:
    texts = [t.text for t in _many(2000)]
    assert len(set(texts)) > 1500
    sentences = {s.strip() for t in texts for s in t.replace("?", ".").split(".") if s.strip()}
    assert len(sentences) > 500


def test_texts_are_single_line_and_non_empty() -> None:
    for t in _many(500):
        assert t.text and "\n" not in t.text and "\r" not in t.text
        assert "{" not in t.text and "}" not in t.text  # every slot filled


def test_planted_pii_is_recorded_and_redaction_catches_it() -> None:
    texts = [t for t in _many(3000, p_pii=0.3) if t.pii]
    assert len(texts) > 300
    kinds = {k for t in texts for k in t.pii_kinds}
    assert kinds == {"email", "phone", "number"}
    for t in texts:
        redacted = redact(t.text) or ""
        for value in t.pii:
            assert value in t.text
            assert value not in redacted and value.lower() not in redacted.lower(), (
                value,
                redacted,
            )


def test_tone_labels_follow_the_requested_probabilities() -> None:
    c = Composer(np.random.default_rng(2), EMAILS)
    calm = [c.feedback("praise", 0, 0, 0, 0.0, 0.0, 0.0) for _ in range(200)]
    tense = [c.feedback("bug", 0, 0, 0, 1.0, 1.0, 0.0) for _ in range(200)]
    assert not any(t.frustrated or t.uncertain for t in calm)
    assert all(t.frustrated and t.uncertain for t in tense)


def test_other_texts() -> None:
    c = Composer(np.random.default_rng(3), EMAILS)
    topics = {c.help_topic(0, 1, 3) for _ in range(200)}
    audits = {c.audit(0, 0, 5) for _ in range(200)}
    comments = {c.comment("negative", 0, 0, 5, 0.0).text for _ in range(200)}
    assert len(topics) > 20 and len(audits) > 8 and len(comments) > 4
