"""Intervals, tests and power for comparing the treatment arm with the holdout.

Shares: Newcombe's hybrid score interval for a difference of proportions (from the Wilson
intervals of each arm) with the pooled two-proportion z test. Means: Welch's t interval and
test. Difference-in-differences: a seeded bootstrap standard error over people within each
arm, which keeps each person's pre- and post-period outcomes together (for shares at least
the Agresti–Caffo error), with a normal interval. Power and the sample size
needed use the normal approximation at the observed allocation between the arms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

BOOTSTRAP = 1000
SEED = 20261202
# Smallest standard deviation assumed for a mean outcome (levels) in power calculations:
# a sample where everyone moved alike says nothing about how alike a larger one would be.
MIN_SD = 0.5


def z_of(confidence: float) -> float:
    """Two-sided normal quantile for a confidence level."""
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson(x: float, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of a proportion.

    Args:
        x: successes.
        n: trials (> 0).
        confidence: level.

    Returns:
        (low, high).
    """
    z = z_of(confidence)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Diff:
    """A difference treatment − holdout with its interval and p-value."""

    value: float
    low: float
    high: float
    p_value: float | None
    method: str

    def to_dict(self) -> dict[str, float | str | None]:
        """JSON form (rounded)."""
        return {
            "value": round(float(self.value), 4),
            "ci_low": round(float(self.low), 4),
            "ci_high": round(float(self.high), 4),
            "p_value": None if self.p_value is None else round(float(self.p_value), 4),
            "method": self.method,
        }


def newcombe(x1: float, n1: int, x2: float, n2: int, confidence: float) -> Diff:
    """Difference of two proportions p1 − p2 with Newcombe's hybrid score interval.

    Args:
        x1: successes in arm 1 (treatment).
        n1: people in arm 1.
        x2: successes in arm 2 (holdout).
        n2: people in arm 2.
        confidence: level.

    Returns:
        The difference, its interval and the pooled two-proportion z test's p-value.
    """
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, confidence)
    l2, u2 = wilson(x2, n2, confidence)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p = 1.0 if se == 0 else float(2 * stats.norm.sf(abs(d) / se))
    return Diff(d, max(-1.0, low), min(1.0, high), p, "Newcombe hybrid score (Wilson)")


def welch(a: np.ndarray, b: np.ndarray, confidence: float) -> Diff:
    """Difference of means mean(a) − mean(b) with Welch's t interval and test.

    Args:
        a: values in arm 1 (treatment), at least 2.
        b: values in arm 2 (holdout), at least 2.
        confidence: level.

    Returns:
        The difference, its interval and p-value.
    """
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    d = float(a.mean() - b.mean())
    se = math.sqrt(va + vb)
    if se == 0:
        return Diff(d, d, d, None if d != 0 else 1.0, "Welch t")
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    t = float(stats.t.ppf(0.5 + confidence / 2, df))
    p = float(2 * stats.t.sf(abs(d) / se, df))
    return Diff(d, d - t * se, d + t * se, p, "Welch t")


def did_bootstrap(
    treat: tuple[np.ndarray, np.ndarray],
    hold: tuple[np.ndarray, np.ndarray],
    confidence: float,
    seed: int = SEED,
    *,
    shares: bool = False,
) -> Diff:
    """Difference-in-differences (treat post − pre) − (hold post − pre) with its interval.

    Each arm's pre and post values are per person (NaN: the person is not in that period's
    population). The standard error is a seeded bootstrap over people within each arm, which
    keeps a person's two periods together; for shares it is at least the Agresti–Caffo one
    (one success and one failure added to each arm and period), so a rare outcome in a small
    arm does not look certain. The interval is the estimate ± z × that error.

    Args:
        treat: (pre, post) values of the treatment arm's people.
        hold: (pre, post) values of the holdout arm's people.
        confidence: level.
        seed: bootstrap seed (fixed: the same data always gets the same interval).
        shares: the values are 0/1 (a share per arm and period).

    Returns:
        The estimate and its interval (no p-value).
    """
    rng = np.random.default_rng(seed)

    def change(pre: np.ndarray, post: np.ndarray) -> tuple[float, np.ndarray]:
        idx = rng.integers(0, len(pre), (BOOTSTRAP, len(pre)))
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = _nanmean(post[idx]) - _nanmean(pre[idx])
        return float(np.nanmean(post) - np.nanmean(pre)), boot

    t, tb = change(*treat)
    h, hb = change(*hold)
    boot = tb - hb
    boot = boot[np.isfinite(boot)]
    se = float(boot.std(ddof=1)) if len(boot) > 1 else float("nan")
    method = f"seeded bootstrap over people within each arm ({BOOTSTRAP} resamples)"
    if shares:
        floor = math.sqrt(sum(_caffo(v) for v in (*treat, *hold)))
        se = floor if not np.isfinite(se) else max(se, floor)
        method += ", standard error at least Agresti–Caffo's"
    d, z = t - h, z_of(confidence)
    return Diff(d, d - z * se, d + z * se, None, method + "; normal interval")


def _caffo(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    p = (v.sum() + 1) / (len(v) + 2)
    return float(p * (1 - p) / (len(v) + 2))


def _nanmean(m: np.ndarray) -> np.ndarray:
    ok = np.isfinite(m)
    return np.where(ok, m, 0.0).sum(axis=1) / ok.sum(axis=1)


def share_power(
    pt: float, nt: int, ph: float, nh: int, d: float, confidence: float, power: float
) -> tuple[float, dict[str, int]]:
    """Power to detect a difference `d` between two shares, and the people it needs.

    Args:
        pt: treatment share (variance is taken at it, kept off 0 and 1).
        nt: treatment people.
        ph: holdout share.
        nh: holdout people.
        d: the difference to detect (> 0).
        confidence: two-sided confidence level of the test.
        power: the power wanted.

    Returns:
        (current power, people needed per arm at the same allocation).
    """
    vt = _bern(pt, nt)
    vh = _bern(ph, nh)
    return _power(vt, nt, vh, nh, d, confidence, power)


def mean_power(
    sdt: float, nt: int, sdh: float, nh: int, d: float, confidence: float, power: float
) -> tuple[float, dict[str, int]]:
    """Power to detect a difference `d` between two means, and the people it needs.

    Args:
        sdt: treatment standard deviation (at least `MIN_SD`).
        nt: treatment people.
        sdh: holdout standard deviation.
        nh: holdout people.
        d: the difference to detect (> 0).
        confidence: two-sided confidence level of the test.
        power: the power wanted.

    Returns:
        (current power, people needed per arm at the same allocation).
    """
    vt, vh = max(sdt, MIN_SD) ** 2, max(sdh, MIN_SD) ** 2
    return _power(vt, nt, vh, nh, d, confidence, power)


def _bern(p: float, n: int) -> float:
    # Half a person off each edge: an observed 0 % or 100 % is not certainty.
    q = min(max(p, 0.5 / n), 1 - 0.5 / n)
    return q * (1 - q)


def _power(
    vt: float, nt: int, vh: float, nh: int, d: float, confidence: float, power: float
) -> tuple[float, dict[str, int]]:
    za, zb = z_of(confidence), float(stats.norm.ppf(power))
    se = math.sqrt(vt / nt + vh / nh)
    now = float(stats.norm.cdf(abs(d) / se - za))
    ratio = nt / nh
    need_h = (za + zb) ** 2 * (vt / ratio + vh) / d**2
    return now, {"treatment": math.ceil(ratio * need_h), "holdout": math.ceil(need_h)}
