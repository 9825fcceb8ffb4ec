"""The hosted forms' items, validation and rows: the names the metrics read, nothing invented."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from uptake.config.metrics import MetricsSettings
from uptake.programme import forms
from uptake.programme.interview import QUESTIONS
from uptake.signals.typology import CONFIDENCE, ITEMS

TS = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)


def test_the_pulse_stores_under_the_names_the_metrics_and_typology_read() -> None:
    m = MetricsSettings()
    f = forms.pulse(m)
    conf, nps = f.item("confidence"), f.item("nps")
    assert (conf.instrument, conf.item) == (m.confidence_instrument, m.confidence_item)
    assert nps.item == m.nps_item and (conf.low, conf.high) == (nps.low, nps.high) == (0, 10)
    assert set(ITEMS) <= {it.id for it in f.items} and m.confidence_item == CONFIDENCE
    for name in ITEMS:
        assert (f.item(name).low, f.item(name).high) == (1, 5)
    assert f.item("shadow_ai").kind == "yesno" and f.item("shadow_ai_tools").kind == "text"
    assert "not helping my work" in f.item("safe_to_say").text


def test_renamed_settings_move_the_stored_names() -> None:
    m = MetricsSettings(confidence_instrument="q3", confidence_item="conf", nps_item="recommend")
    rows = forms.rows(
        forms.pulse(m),
        forms.validate(forms.pulse(m), {"confidence": "5", "nps": "10"}),
        submission="s",
        ts=TS,
        person="a@x",
        segment=None,
    )
    got = {(r["instrument"], r["item"], r["score"]) for r in rows["responses"]}
    assert got == {("q3", "conf", 5.0), ("pulse", "recommend", 10.0)}


def test_the_audit_asks_the_interview_questions_in_order() -> None:
    f = forms.audit()
    assert [it.id for it in f.items] == [q.id for q in QUESTIONS]
    for it, q in zip(f.items, QUESTIONS, strict=True):
        assert it.kind == ("scale" if q.kind == "score" else "text") and it.text == q.text


def test_rows_of_a_submission() -> None:
    f = forms.pulse(MetricsSettings())
    answers = forms.validate(
        f,
        {
            "confidence": "7",
            "shadow_ai": "no",
            "comment": " fine ",
            "unknown": "ignored",
            "trust": "",
        },
    )
    assert answers.scores == {"confidence": 7.0, "shadow_ai": 0.0}
    assert answers.texts == {"comment": "fine"} and not answers.errors
    rows = forms.rows(
        f, answers, submission="pulse_1", ts=TS, person=None, segment={"function": "finance"}
    )
    assert [r["response_id"] for r in rows["responses"]] == [
        "pulse_1:confidence",
        "pulse_1:shadow_ai",
        "pulse_1:comment",
    ]
    assert all(
        r["person"] is None and json.loads(r["segment"]) == {"function": "finance"}
        for r in rows["responses"]
    )
    assert [(r["channel"], r["category"], r["text"]) for r in rows["feedback"]] == [
        ("pulse", "comment", "fine")
    ]


@given(st.text(max_size=6) | st.sampled_from(["²", "٣", " 7 ", "07", "-1", "1e1", "10"]))
def test_a_scale_accepts_only_its_whole_numbers(raw: str) -> None:
    f = forms.pulse(MetricsSettings())
    got = forms.validate(f, {"confidence": raw, "trust": raw})
    text = raw.strip()
    ok10 = text.isdigit() and text.isascii() and 0 <= int(text) <= 10
    ok5 = text.isdigit() and text.isascii() and 1 <= int(text) <= 5
    assert ("confidence" in got.scores) == bool(ok10)
    assert ("trust" in got.scores) == bool(ok5)
    assert ("confidence" in got.errors) == bool(text and not ok10)


def test_too_long_or_unprintable_text_is_an_error() -> None:
    f = forms.pulse(MetricsSettings())
    got = forms.validate(
        f,
        {
            "comment": "x" * (forms.MAX_TEXT + 1),
            "used_last_week": "a\x00b",
            "back_to_hand": "line one\nline two",
        },
    )
    assert set(got.errors) == {"comment", "used_last_week"}
    assert got.texts == {"back_to_hand": "line one\nline two"}
