"""Redaction: no hostile string survives, ordinary feedback is untouched, one path for SQL and
Python, and generated phone and card numbers are caught."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from factories import FROZEN_NOW, rows, write
from ingest.redaction_corpus import HOSTILE, NBSP, ORDINARY, goemotions_sample
from uptake.ingest.redact import normalise, redact, redact_sql, register_sql
from uptake.ingest.redact.detectors import PHONE_REGIONS, luhn_ok
from uptake.workspace import Workspace

ORDINARY_ALL = ORDINARY + goemotions_sample()
PLACEHOLDER = re.compile(r"\[(?:email|phone|secret|iban|card|id|number)\]")


def test_corpora_are_large_enough() -> None:
    assert len(HOSTILE) >= 100
    assert len(ORDINARY) >= 100 and len(ORDINARY_ALL) >= 350


@pytest.mark.parametrize(("text", "secret"), HOSTILE, ids=[h[0][:40] for h in HOSTILE])
def test_hostile_string_does_not_survive(text: str, secret: str) -> None:
    out = redact(text)
    assert out is not None
    assert secret not in out
    # Neither may it survive in another spelling (non-breaking spaces, other digits).
    assert normalise(secret)[0] not in normalise(out)[0]
    assert PLACEHOLDER.search(out)


@pytest.mark.parametrize("text", ORDINARY_ALL)
def test_ordinary_feedback_is_untouched(text: str) -> None:
    assert redact(text) == text


def test_none_stays_none() -> None:
    assert redact(None) is None


def test_sql_path_is_the_python_path() -> None:
    texts = [t for t, _ in HOSTILE] + ORDINARY[:20]
    con = duckdb.connect()
    register_sql(con)
    register_sql(con)  # a second call on the same connection is harmless
    con.execute("CREATE TABLE t (i INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate([*texts, None])))
    got = con.execute(f"SELECT {redact_sql('x')} FROM t ORDER BY i").fetchall()
    assert [g[0] for g in got] == [redact(t) for t in texts] + [None]


@pytest.mark.parametrize(
    ("plain", "variant"),
    [
        ("call +33 6 12 34 56 78", f"call +33{NBSP}6{NBSP}12{NBSP}34{NBSP}56{NBSP}78"),
        ("card 4111 1111 1111 1111", "card ٤١١١ ١١١١ ١١١١ ١١١١"),
        ("account 12345678901", "account ۱۲۳۴۵۶۷۸۹۰۱"),
        ("mail jane@example.com", "mail jane\u200b@example.com"),
    ],
)
def test_unicode_spellings_are_redacted_alike(plain: str, variant: str) -> None:
    assert redact(variant) == redact(plain) != plain


_SPELLINGS = [
    f"call +33{NBSP}6{NBSP}12{NBSP}34{NBSP}56{NBSP}78 or ٠٦١٢٣٤٥٦٧٨",
    "card ٤١١١ ١١١١ ١١١١ ١١١١, mail josé@exämple.de",
    "Authorization: Bearer mF_9.B5f-4.1JqM and IBAN NL91 ABNA 0417 1643 00",
]


def test_stored_and_quarantined_text_are_redacted_alike(
    workspace: Workspace, tmp_path: Path
) -> None:
    good = [dict(r, text=t) for r, t in zip(rows("feedback", 3), _SPELLINGS, strict=True)]
    # Same texts on rows with a bad timestamp: they land in quarantine.
    bad = [
        dict(r, text=t, ts="not a time")
        for r, t in zip(rows("feedback", 3, start=10), _SPELLINGS, strict=True)
    ]
    workspace.ingest("feedback", [write(good + bad, tmp_path / "f.csv")], now=FROZEN_NOW)
    stored = [
        r[0]
        for r in workspace.con.execute("SELECT text FROM feedback ORDER BY feedback_id").fetchall()
    ]
    quarantined = [json.loads(q["record"])["text"] for q in workspace.quarantine()]
    expected = sorted(redact(t) or "" for t in _SPELLINGS)
    assert sorted(stored) == expected
    assert sorted(quarantined) == expected
    for out in stored:
        assert not re.search(r"\d{4}", normalise(out)[0]), out


def test_luhn() -> None:
    assert luhn_ok("4111111111111111") and luhn_ok("378282246310005")
    assert not luhn_ok("4111111111111112") and not luhn_ok("378282246310006")


_EXAMPLES = [
    (region, kind, fmt)
    for region in sorted(phonenumbers.SUPPORTED_REGIONS)
    for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE)
    for fmt in (PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.E164, PhoneNumberFormat.NATIONAL)
    if phonenumbers.example_number_for_type(region, kind) is not None
    and (fmt != PhoneNumberFormat.NATIONAL or region in PHONE_REGIONS)
]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_EXAMPLES), st.sampled_from(["call me on {} tomorrow", "{}", "tel: {}."]))
def test_example_phone_numbers_are_redacted(
    example: tuple[str, PhoneNumberType, PhoneNumberFormat], template: str
) -> None:
    region, kind, fmt = example
    number = phonenumbers.example_number_for_type(region, kind)
    text = template.format(phonenumbers.format_number(number, fmt))
    out = redact(text) or ""
    assert str(number.national_number) not in re.sub(r"\D", "", out), (text, out)


def _with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([("4", 16), ("51", 16), ("55", 16), ("34", 15), ("37", 15), ("6011", 16)]),
    st.data(),
    st.sampled_from([" ", "-", ""]),
)
def test_luhn_valid_card_numbers_are_redacted(
    brand: tuple[str, int], data: st.DataObject, sep: str
) -> None:
    prefix, length = brand
    rest = data.draw(st.text("0123456789", min_size=length - len(prefix) - 1, max_size=length))
    digits = _with_check_digit((prefix + rest)[: length - 1])
    groups = [4, 6, 5] if length == 15 else [4, 4, 4, 4]
    parts, i = [], 0
    for g in groups:
        parts.append(digits[i : i + g])
        i += g
    out = redact(f"my card is {sep.join(parts)} thanks") or ""
    assert digits not in re.sub(r"\D", "", out) and "[card]" in out


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            "it took {a} hours",
            "version {a}.{b}",
            "we saved {a} minutes, about {b} %",
            "see ticket #{a}",
            "room {b} at {h}:{m}",
            "it costs ${a}.{m} per seat",
            "on 20{y}-{mo}-{d} we had {b} users",
        ]
    ),
    st.integers(0, 99999),
    st.integers(0, 999),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(10, 30),
    st.integers(1, 12),
    st.integers(1, 28),
)
# Found by hypothesis: a version number the phone matcher read as a Brazilian number.
@example("version {a}.{b}", 40000, 100, 0, 0, 10, 1, 1)
# Found by hypothesis (CI, 8 Dec): "14053" of "version 14053.10" is a valid Dutch number.
@example("version {a}.{b}", 14053, 10, 0, 0, 10, 1, 1)
def test_ordinary_numbers_are_kept(
    template: str, a: int, b: int, h: int, m: int, y: int, mo: int, d: int
) -> None:
    text = template.format(a=a, b=b, h=h, m=f"{m:02d}", y=y, mo=f"{mo:02d}", d=f"{d:02d}")
    assert redact(text) == text
