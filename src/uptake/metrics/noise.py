"""Calibrated, seeded noise on published people counts, so comparing as-of dates hides a person.

Minimum group sizes (`uptake.metrics.privacy`) protect one release; they cannot stop a reader
from subtracting two releases: a team of 9 on Monday and 8 on Tuesday names the leaver. Each
count published with `privacy.noise` on therefore carries discrete Laplace (two-sided
geometric) noise calibrated by OpenDP to sensitivity 1 at the configured ε, so one person
joining or leaving moves a count's distribution by at most a factor e^ε per as-of date.

The noise is *seeded*, not fresh: the uniform draw is HMAC-SHA256 over the question (as-of
date, metric, column, group) under a key derived from the workspace secret, and the sample is
the inverse CDF of the OpenDP-calibrated distribution at that draw. Asking the same question
again returns the same answer, so repeating a query cannot average the noise away; a new
as-of date is a new question and gets an independent draw. The key is a keyed PRF, so nobody
without the workspace secret can predict (and subtract) the noise. OpenDP's own samplers
cannot be seeded, which is why only its calibration and accuracy functions are used here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import pandas as pd

from uptake.errors import PrivacyError

__all__ = ["MAX_EPSILON", "Noise", "calibrated_scale", "error_bar", "noise_key", "sample"]

# Above this the noise is too small to hide anyone; the setting refuses it.
MAX_EPSILON = 10.0
_KEY_LABEL = b"uptake/privacy.noise/v1"
# The question's uniform draw uses 53 bits: all a float can hold exactly.
_BITS = 53


def noise_key(secret: bytes | str) -> bytes:
    """The noise key derived from a workspace secret (never stored anywhere).

    A separate derivation keeps the noise independent of the pseudonymisation keys made from
    the same secret.

    Args:
        secret: the workspace secret.

    Returns:
        32 bytes.
    """
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, _KEY_LABEL, hashlib.sha256).digest()


@lru_cache(maxsize=64)
def calibrated_scale(epsilon: float) -> float:
    """The discrete Laplace scale that makes one count (sensitivity 1) ε-differentially private.

    Args:
        epsilon: privacy loss per released count.

    Returns:
        The scale OpenDP finds for `make_laplace` on integers at d_in = 1, d_out = ε.
    """
    import opendp.prelude as dp

    dp.enable_features("contrib")

    def chain(scale: float) -> Any:
        return dp.m.make_laplace(dp.atom_domain(T=int), dp.absolute_distance(T=int), scale)

    return float(dp.binary_search_param(chain, d_in=1, d_out=float(epsilon)))


@lru_cache(maxsize=64)
def error_bar(scale: float, confidence: float) -> int:
    """Half-width E with P(|noise| ≤ E) ≥ confidence, from OpenDP's accuracy function.

    Args:
        scale: discrete Laplace scale.
        confidence: coverage of the bar, e.g. 0.95.

    Returns:
        E (OpenDP's accuracy floored, which it documents as keeping the coverage).
    """
    from opendp.accuracy import discrete_laplacian_scale_to_accuracy

    return math.floor(discrete_laplacian_scale_to_accuracy(scale, 1.0 - confidence))


def sample(u: float, scale: float) -> int:
    """The discrete Laplace value at uniform draw `u` (the inverse of its CDF).

    With r = e^(−1/scale), P(X = x) = (1 − r)/(1 + r) · r^|x|, so P(X ≤ x) = r^|x|/(1 + r)
    for x < 0 and 1 − r^(x+1)/(1 + r) for x ≥ 0; the result is the smallest x whose CDF
    reaches u.

    Args:
        u: a draw in (0, 1).
        scale: discrete Laplace scale (> 0).

    Returns:
        The integer noise.
    """
    if not 0.0 < u < 1.0:
        raise ValueError(f"uniform draw {u} is outside (0, 1)")
    log_r = -1.0 / scale
    r = math.exp(log_r)
    if u <= r / (1.0 + r):
        return math.ceil(-math.log(u * (1.0 + r)) / log_r - 1e-12)
    return max(0, math.ceil(math.log((1.0 - u) * (1.0 + r)) / log_r - 1.0 - 1e-12))


@dataclass(frozen=True)
class Noise:
    """Seeded discrete Laplace noise for the counts of one as-of release.

    Attributes:
        enabled: whether counts get noise (`privacy.noise`); off returns exact counts.
        epsilon: privacy loss per released count per as-of date.
        confidence: coverage of the stated error bar.
        key: the keyed-PRF key (`noise_key` of the workspace secret); never shown.
        as_of: the release date, part of every question.
    """

    enabled: bool
    epsilon: float = 1.0
    confidence: float = 0.95
    key: bytes = b""
    as_of: date | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.epsilon <= MAX_EPSILON:
            raise PrivacyError(f"privacy epsilon {self.epsilon} must be in (0, {MAX_EPSILON:g}]")
        if not 0.5 < self.confidence < 0.999:
            raise PrivacyError(f"privacy confidence {self.confidence} must be in (0.5, 0.999)")
        if self.enabled and not self.key:
            raise PrivacyError("noise is on but has no key: counts would be predictable")

    def __repr__(self) -> str:
        # The key never appears in a repr, a log or a traceback.
        return f"Noise(enabled={self.enabled}, epsilon={self.epsilon}, as_of={self.as_of})"

    @classmethod
    def off(cls) -> Noise:
        """No noise: exact counts (tests of exact values, or `privacy.noise = false`)."""
        return cls(enabled=False)

    @property
    def scale(self) -> float:
        """The OpenDP-calibrated discrete Laplace scale for sensitivity 1 at ε (cached)."""
        return calibrated_scale(self.epsilon)

    @property
    def error_bar(self) -> int:
        """Half-width of the error bar at `confidence`, via `opendp.accuracy`."""
        return error_bar(self.scale, self.confidence)

    def draw(self, *question: object) -> float:
        """The question's uniform draw in (0, 1): HMAC-SHA256 under the key.

        Args:
            question: what is being counted (metric, column, group …); the as-of is added.

        Returns:
            A float strictly between 0 and 1.
        """
        return self._draw(_canonical((self.as_of, *question)))

    def _draw(self, message: str) -> float:
        """The uniform draw of a question already written as its canonical text."""
        digest = hmac.new(self.key, message.encode(), hashlib.sha256).digest()
        top = int.from_bytes(digest[:8], "big") >> (64 - _BITS)
        return (top + 0.5) / 2**_BITS

    def count(self, value: int | None, *question: object) -> int | None:
        """A noisy count: the same question always gets the same answer.

        Args:
            value: the exact count, or None (hidden or not available).
            question: what is being counted (metric, column, group …).

        Returns:
            value + noise, at least 0; None stays None; off returns value unchanged.
        """
        if value is None or _missing(value):
            return None
        if not self.enabled:
            return value
        return max(0, int(value) + sample(self.draw(*question), self.scale))

    def perturb(
        self,
        frame: pd.DataFrame,
        columns: Sequence[str],
        keys: Sequence[str],
        *question: object,
        clip_to: str | None = "n",
    ) -> pd.DataFrame:
        """Noisy copy: each listed integer column of each row gets its own seeded noise.

        A cell's question is (*question, column, the row's key values). Listed columns other
        than `clip_to` are clipped to the row's (noisy) `clip_to` count when the frame has
        that column, so "active" never exceeds "n"; `clip_to=None` for counts of things other
        than people (seats).

        Args:
            frame: one row per group.
            columns: integer count columns to perturb (missing values stay missing).
            keys: the columns naming a row's group.
            question: what the frame counts (e.g. the metric name).
            clip_to: the people count other columns may not exceed, or None.

        Returns:
            The noisy copy; off returns the frame unchanged.
        """
        if not self.enabled:
            return frame
        out = frame.copy()
        order = sorted(columns, key=lambda c: c != clip_to)
        # A cell's question is (as_of, *question, column, *row key): its canonical text is
        # written from pieces made once per column and once per row, not once per cell (a
        # read by team perturbs tens of thousands of cells).
        head = "[" + ",".join(_fragments((self.as_of, *question)))
        tails = [
            "".join("," + f for f in _fragments(r)) + "]"
            for r in out[list(keys)].itertuples(index=False)
        ]
        scale = self.scale
        for col in order:
            prefix = head + "," + _fragments((col,))[0]
            noisy = [
                None if (x := _as_int(v)) is None else self._noisy(x, prefix + tail, scale)
                for v, tail in zip(out[col].tolist(), tails, strict=True)
            ]
            if clip_to is not None and col != clip_to and clip_to in out.columns:
                caps = [_as_int(v) for v in out[clip_to].tolist()]
                noisy = [
                    None if v is None else v if cap is None else min(v, cap)
                    for v, cap in zip(noisy, caps, strict=True)
                ]
            if any(v is None for v in noisy) or out[col].dtype.name == "Int64":
                out[col] = pd.array(noisy, dtype="Int64")
            else:
                out[col] = pd.Series(noisy, index=out.index, dtype="int64")
        return out

    def _noisy(self, value: int, message: str, scale: float) -> int:
        """`count` of a value whose question is already written as its canonical text."""
        return max(0, value + sample(self._draw(message), scale))

    def describe(self) -> dict[str, Any]:
        """What the noise is, for every surface that shows a count.

        Returns:
            {"noise", "epsilon", "confidence", "error_bar", "statement"}; the numbers are
            None when the noise is off.
        """
        if not self.enabled:
            return {
                "noise": False,
                "epsilon": None,
                "confidence": None,
                "error_bar": None,
                "statement": (
                    "exact numbers: the protection across as-of dates is off "
                    "(privacy.noise = false)"
                ),
            }
        level = f"{self.confidence * 100:g} %"
        return {
            "noise": True,
            "epsilon": self.epsilon,
            "confidence": self.confidence,
            "error_bar": self.error_bar,
            "statement": (
                f"people counts carry random noise (ε = {self.epsilon} per as-of date; "
                f"±{self.error_bar} at {level}) so that comparing dates cannot reveal one person"
            ),
        }


def _canonical(question: Sequence[object]) -> str:
    """One text per question: equal questions (numpy or Python, date or text) encode alike."""
    return json.dumps([_plain(q) for q in question], separators=(",", ":"), ensure_ascii=True)


def _fragments(question: Sequence[object]) -> list[str]:
    """Each part of a question as `_canonical` writes it inside its list (joined by commas
    between brackets, they are `_canonical`'s text)."""
    return [json.dumps(_plain(q), separators=(",", ":"), ensure_ascii=True) for q in question]


def _plain(value: object) -> object:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, datetime | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else repr(value)
    return str(value)


def _missing(value: object) -> bool:
    # pd.NA, NaN and NaT are the missing values of a frame's count column.
    return value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _as_int(value: object) -> int | None:
    if value is None or _missing(value):
        return None
    return int(value)  # type: ignore[call-overload]
