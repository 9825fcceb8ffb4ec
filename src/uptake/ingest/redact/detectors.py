"""Finders of personal data and credentials in normalised text, each yielding labelled spans.

Each finder takes text already normalised by `uptake.ingest.redact.normalise` (ASCII digits,
plain spaces, no zero-width characters) and yields `(start, end, label)` spans. Libraries made
for the job do the detection where one exists; the few regular expressions here cover what no
library finds, and each says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.base import BasePlugin
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.high_entropy_strings import (
    Base64HighEntropyString,
    HexHighEntropyString,
)
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import CONFIG_DENYLIST_REGEX_TO_GROUP, KeywordDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

Span = tuple[int, int, str]

# Regions whose national formats (no country code) are recognised; numbers written with a
# country code are found whatever the region.
PHONE_REGIONS = ("US", "GB", "FR", "DE", "IN", "JP", "AU", "NL", "ES", "IT", "BR", "CA")

_TOKEN_PLUGINS: tuple[BasePlugin, ...] = (
    AWSKeyDetector(),
    BasicAuthDetector(),
    DiscordBotTokenDetector(),
    GitHubTokenDetector(),
    GitLabTokenDetector(),
    JwtTokenDetector(),
    NpmDetector(),
    OpenAIDetector(),
    PypiTokenDetector(),
    SendGridDetector(),
    SlackDetector(),
    StripeDetector(),
    TelegramBotTokenDetector(),
    TwilioKeyDetector(),
)
_KEYWORD = KeywordDetector()
# Every token plugin and _VENDOR_PREFIX match a run of 15 or more non-space characters, or "://".
_TOKENISH = re.compile(r"\S{15}|://")
_KEYWORD_STEM = re.compile(r"(?i)key|pass|pwd|secret|contrase")
_B64 = Base64HighEntropyString()
_HEX = HexHighEntropyString()

# detect-secrets' PrivateKeyDetector flags the BEGIN line only; the key body must go too.
_PEM = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*-----|$)",
    re.DOTALL,
)
# No detect-secrets plugin reads HTTP headers or URL parameters, the forms secrets take when
# pasted from a terminal or browser into feedback.
_AUTH_HEADER = re.compile(
    r"(?i)\b(?:proxy-)?authori[sz]ation\s*[:=]\s*(?:(?:bearer|basic|token|digest|negotiate)\s+)?"
    r"[^\s,;]+"
)
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/\-]{8,}=*")
_PARAM = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:access_?token|refresh_?token|id_?token|auth_?token|token|api_?key|"
    r"apikey|client_?secret|secret_?key|session_?id|sig|signature|x-amz-security-token|"
    r"x-amz-signature|aws_?secret_?access_?key|aws_?session_?token)\s*[=:]\s*[\"']?[^\s&\"',;]+"
)
# An AWS secret access key is 40 base64 characters; the AWS plugin finds it only in quoted code.
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
# detect-secrets' token plugins want each vendor's exact length; a truncated or mistyped token
# behind a vendor prefix is still a credential.
_VENDOR_PREFIX = re.compile(
    r"\b(?:gh[pousr]_|github_pat_|gl[a-z]{2,6}-|xox[abposr]-|[sr]k_(?:live|test)_|sk-|npm_|pypi-"
    r"|SG\.|AKIA|ASIA)[A-Za-z0-9_\-.]{12,}"
)
_WORDLIKE = re.compile(r"[A-Z]?[a-z]{3,}")
_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_\-.+/=]*")
_LONG_TOKEN = re.compile(r"(?<![\w/+=.-])[A-Za-z0-9_\-+/=.]{20,}(?![\w/+=-])")

# No library finds e-mail addresses in prose (validators check one given address); \w admits
# internationalised local parts and domains, and the domain needs no dot (user@localhost).
_EMAIL = re.compile(
    r"(?<![\w.+\-])[\w.!#$%&'*+/=?^`{|}~\-]*\w@\w[\w\-]*(?:\.[\w\-]+)*"
    r"|(?i:\b[\w.+\-]+\s*[\[(]\s*at\s*[\])]\s*[\w\-]+(?:\s*[\[(]\s*dot\s*[\])]\s*[\w\-]+)+)"
)
_AT = re.compile(r"(?i)[\[(]\s*at\s*[\])]")
# Candidate IBANs (country, check digits, up to 30 groups); schwifty decides which are real.
_IBAN = re.compile(r"(?i)\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}\b")
# Card numbers: 13 to 19 digits, optionally in groups; the Luhn check decides.
_CARD = re.compile(r"(?<![\d\-])\d(?:[ \-]?\d){12,18}(?![\d\-])")
# US social security numbers have no checksum to validate; the grouped shape is the signal.
_SSN = re.compile(r"(?<![\d\-])\d{3}[\- ]\d{2}[\- ]\d{4}(?![\d\-])")
_SSN_CONTEXT = re.compile(r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\s*[:#]?\s*(\d{9})\b")
# Employee numbers: the HR systems' `E` + six digits form (shorter `E`-codes are often error
# codes, such as E11000), or any token after an explicit label.
_EMPLOYEE_CODE = re.compile(r"\bE\d{6}\b")
_EMPLOYEE_LABELLED = re.compile(
    r"(?i)\b(?:employee|staff|personnel|badge)\s*(?:number|no\.?|num|id|#)\s*[:#]?\s*"
    r"[A-Za-z]{0,3}-?\d[\w\-]{2,}"
)
_EMPLOYEE_WORDS = ("employee", "staff", "personnel", "badge")
# Not after "0x": a hexadecimal error code such as 0x80070005 names no one.
_LONG_DIGITS = re.compile(r"(?<![\dxX])\d{7,}")
# Runs of digits and the punctuation phone numbers are written with; only they reach the matcher.
_PHONE_WINDOW = re.compile(r"[+(]?\d[\d \-.()/]*\d")
_NO_ASCII_DIGITS = str.maketrans("", "", "0123456789")


def luhn_ok(digits: str) -> bool:
    """Whether a digit string passes the Luhn check used by payment card numbers.

    Args:
        digits: ASCII digits only.

    Returns:
        True when the Luhn checksum is 0 mod 10.
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _digit_count(text: str) -> int:
    return len(text) - len(text.translate(_NO_ASCII_DIGITS))


def _occurrences(text: str, value: str, label: str, extend: bool = False) -> Iterator[Span]:
    start = text.find(value)
    while value and start >= 0:
        end = start + len(value)
        if extend:
            # Some plugins match a token's prefix only (the JWT one stops before the signature).
            m = _TOKEN_TAIL.match(text, end)
            end = len(m.group().rstrip(".")) + end if m else end
        yield start, end, label
        start = text.find(value, end)


def _regex(pattern: re.Pattern[str], text: str, label: str) -> Iterator[Span]:
    for m in pattern.finditer(text):
        yield m.start(), m.end(), label


def secrets(text: str) -> Iterator[Span]:
    """Credentials: detect-secrets' plugins, plus headers, parameters and PEM bodies."""
    # Cheap gates keep ordinary prose (no long token, no assignment) off the costly patterns.
    tokenish = _TOKENISH.search(text) is not None
    assigns = any(c in text for c in ":=;")
    if tokenish:
        for plugin in _TOKEN_PLUGINS:
            for value in plugin.analyze_string(text):
                yield from _occurrences(text, value, "[secret]", extend=True)
    if assigns and _KEYWORD_STEM.search(text):
        for value in _KEYWORD.analyze_string(text, CONFIG_DENYLIST_REGEX_TO_GROUP):
            # In prose the rest of the sentence follows the value; a password has no spaces.
            yield from _occurrences(text, value.split()[0] if value.split() else "", "[secret]")
    lower = text.lower()
    if "private key" in lower:
        yield from _regex(_PEM, text, "[secret]")
    if "authori" in lower:
        yield from _regex(_AUTH_HEADER, text, "[secret]")
    if "bearer" in lower:
        yield from _regex(_BEARER, text, "[secret]")
    if assigns:
        yield from _regex(_PARAM, text, "[secret]")
    if tokenish:
        yield from _regex(_VENDOR_PREFIX, text, "[secret]")
        for m in _AWS_SECRET.finditer(text):
            v = m.group()
            if _B64.calculate_shannon_entropy(v) > 4.0 and not v.isalpha() and not v.isdigit():
                yield m.start(), m.end(), "[secret]"
        for m in _LONG_TOKEN.finditer(text):
            yield from _high_entropy(m.group(), m.start())


def _high_entropy(token: str, start: int) -> Iterator[Span]:
    """A long token holding a random-looking part of mixed letters and digits."""
    if "://" in token or "." in token.strip("."):
        return
    # A file path's words joined by slashes look random as a whole; judge each part alone.
    if any(_random(part) for part in token.split("/") if len(part) >= 20):
        yield start, start + len(token), "[secret]"


def _random(part: str) -> bool:
    if not any(c.isdigit() for c in part) or not any(c.isalpha() for c in part):
        return False
    # Words run together (AnnualReview2026Draft3) score as high as random text; random text
    # has few runs of three or more lowercase letters.
    if sum(len(w) for w in _WORDLIKE.findall(part)) >= len(part) / 2:
        return False
    hexlike = all(c in "0123456789abcdefABCDEF" for c in part)
    # detect-secrets' defaults (4.5 base64, 3.0 hex) are tuned for code; tokens here are shorter.
    limit = 3.0 if hexlike else 4.0
    plugin = _HEX if hexlike else _B64
    return plugin.calculate_shannon_entropy(part) >= limit


def emails(text: str) -> Iterator[Span]:
    """E-mail addresses, internationalised and dotless ones included."""
    if "@" in text or _AT.search(text):
        yield from _regex(_EMAIL, text, "[email]")


def phones(text: str) -> Iterator[Span]:
    """Phone numbers valid in any of `PHONE_REGIONS`, or written internationally."""
    if _digit_count(text) < 7:
        return
    for w in _PHONE_WINDOW.finditer(text):
        if _digit_count(w.group()) < 7:
            continue
        # The matcher reads a few characters around a number (a letter or currency sign next to
        # it disqualifies it), so each window keeps some context.
        lo, hi = max(0, w.start() - 3), min(len(text), w.end() + 3)
        yield from _phones_in(text[lo:hi], lo)


_DECIMAL = re.compile(r"\d+\.\d+")


def _in_decimal(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is the whole or fractional part of a decimal number."""
    return bool(_FRACTION.match(text, end)) or bool(_WHOLE.search(text[max(0, start - 2) : start]))


_FRACTION = re.compile(r"\.\d")
_WHOLE = re.compile(r"\d\.$")


def _phones_in(window: str, offset: int) -> Iterator[Span]:
    digits = _digit_count(window)
    covered = 0
    seen: set[tuple[int, int]] = set()
    for region in PHONE_REGIONS:
        for m in phonenumbers.PhoneNumberMatcher(window, region, phonenumbers.Leniency.VALID):
            # "40000.100" is a valid Brazilian number to the matcher but a decimal to a reader;
            # so is a part of one ("14053" of "14053.10", a valid Dutch number on its own).
            if _DECIMAL.fullmatch(m.raw_string) or _in_decimal(window, m.start, m.end):
                continue
            if (m.start, m.end) not in seen:
                seen.add((m.start, m.end))
                covered += _digit_count(m.raw_string)
                yield offset + m.start, offset + m.end, "[phone]"
        # Once every digit of the window is in a number, other regions can add nothing.
        if covered >= digits:
            return
    # Reserved and fictional ranges (555 numbers, drama numbers) are not VALID, yet a number
    # written with a country code or a bracketed area code is still someone's line to a reader.
    for m in phonenumbers.PhoneNumberMatcher(window, "US", phonenumbers.Leniency.POSSIBLE):
        raw = m.raw_string
        if raw[:1] in "+(" and _digit_count(raw) >= 9:
            yield offset + m.start, offset + m.end, "[phone]"


def ibans(text: str) -> Iterator[Span]:
    """IBANs that schwifty validates (country format and check digits)."""
    if _digit_count(text) < 7:
        return
    for m in _IBAN.finditer(text):
        cand = m.group()
        # The candidate may run into a following code; try shorter prefixes until one is valid.
        for end in range(len(cand), 13, -1):
            if cand[end - 1] == " ":
                continue
            try:
                IBAN(cand[:end].upper())
            except (SchwiftyException, ValueError):
                continue
            yield m.start(), m.start() + end, "[iban]"
            break


def numbers(text: str) -> Iterator[Span]:
    """Card numbers (Luhn), US SSNs, employee numbers and any remaining long digit run."""
    yield from _regex(_EMPLOYEE_CODE, text, "[id]")
    if any(w in text.lower() for w in _EMPLOYEE_WORDS):
        yield from _regex(_EMPLOYEE_LABELLED, text, "[id]")
    # Cards, SSNs and long runs all hold seven digits or more.
    if _digit_count(text) < 7:
        return
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if luhn_ok(digits):
            yield m.start(), m.end(), "[card]"
    yield from _regex(_SSN, text, "[id]")
    for m in _SSN_CONTEXT.finditer(text):
        yield m.start(1), m.end(1), "[id]"
    yield from _regex(_LONG_DIGITS, text, "[number]")


FINDERS = (secrets, emails, phones, ibans, numbers)
