"""Uncertainty for the analytics families: bootstrap and t intervals, trends, tests.

Everything here works on small in-memory arrays (the per-person / per-run frames the Ibis
expressions produce); randomness always comes from a seeded generator so results repeat.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

_BATCH_VALUES = 4_000_000


@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval (bounds None when not estimable)."""

    value: float | None
    low: float | None
    high: float | None

    def excludes_zero(self) -> bool:
        """Whether the interval lies entirely above or entirely below zero."""
        if self.low is None or self.high is None:
            return False
        return self.low > 0 or self.high < 0

    def clip(self, lo: float, hi: float) -> Interval:
        """The interval with its bounds kept inside a bounded scale (e.g. scores 0–10)."""

        def c(v: float | None) -> float | None:
            return None if v is None else min(max(v, lo), hi)

        return Interval(c(self.value), c(self.low), c(self.high))

    def as_dict(self, name: str) -> dict[str, float | None]:
        """Flat columns `name`, `name_low`, `name_high` for a result row."""
        return {name: self.value, f"{name}_low": self.low, f"{name}_high": self.high}


def _clean(v: float | np.floating[Any] | None) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) or math.isinf(f) else f


def bootstrap(
    samples: Sequence[np.ndarray],
    statistic: Callable[..., np.ndarray | float],
    *,
    n_resamples: int,
    seed: int,
    confidence: float = 0.95,
) -> Interval:
    """Percentile bootstrap interval of a statistic over one or more independent samples.

    Args:
        samples: one array per sample; each is resampled on its own.
        statistic: vectorised statistic `f(*samples, axis=-1)`.
        n_resamples: number of bootstrap resamples.
        seed: seed of the generator (fixed, so the interval repeats).
        confidence: confidence level.

    Returns:
        The statistic on the data with its interval; bounds are None when a sample has fewer
        than two values (no resampling variability to measure).
    """
    # Sorted: resampling draws positions, so the interval must not depend on row order (the
    # same data arrives in different orders from different engines).
    arrays = [np.sort(np.asarray(s, dtype=float)) for s in samples]
    if not arrays or any(a.size == 0 for a in arrays):
        return Interval(None, None, None)
    point = _clean(np.asarray(statistic(*arrays, axis=-1)).item())
    if any(a.size < 2 for a in arrays):
        return Interval(point, None, None)
    if all(np.ptp(a) == 0 for a in arrays):
        # Every resample equals the data; scipy would warn about a degenerate distribution.
        return Interval(point, point, point)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=stats.DegenerateDataWarning)
        res = stats.bootstrap(
            tuple(arrays),
            statistic,
            n_resamples=n_resamples,
            vectorized=True,
            confidence_level=confidence,
            method="percentile",
            # Bound memory: each batch holds batch × (all sample sizes) resampled values.
            batch=max(1, min(n_resamples, _BATCH_VALUES // sum(a.size for a in arrays))),
            rng=np.random.default_rng(seed),
        )
    ci = res.confidence_interval
    return Interval(point, _clean(ci.low), _clean(ci.high))


def median_ci(x: np.ndarray, *, n_resamples: int, seed: int, confidence: float = 0.95) -> Interval:
    """Bootstrap interval of a median.

    Args:
        x: the values.
        n_resamples: bootstrap resamples.
        seed: generator seed.
        confidence: confidence level.

    Returns:
        The median with its percentile-bootstrap interval.
    """
    return bootstrap([x], _median, n_resamples=n_resamples, seed=seed, confidence=confidence)


def median_replicates(x: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap replicates of the median of `x`, drawn exactly without building resamples.

    Sort x. A resample's lower median is an order statistic x_(J), and P(J <= j) is the
    chance that at least half of n draws land at or below x_(j), a binomial tail: J is drawn
    by inverting it. For an odd n that is the median. For an even n (m = n/2) the median
    averages x_(J) with the resample's next value, which is x_(J) itself unless exactly m
    draws land at or below x_(J); in that case the other m draws are uniform above J and the
    next value is x_(J+K) with K the least of m uniform draws on 1..n-J. Both steps have
    closed forms (see `_upper_neighbour`), so the replicates have the resampled medians'
    exact distribution at O(n + resamples) cost whatever n is.

    Args:
        x: the values.
        n_resamples: number of replicates.
        rng: random generator (seeded by the caller).

    Returns:
        One median per replicate.
    """
    xs = np.sort(np.asarray(x, dtype=float))
    n = xs.size
    if n == 0:
        return np.full(n_resamples, np.nan)
    m = (n + 1) // 2
    cdf = _lower_median_cdf(n, m)
    lower = np.minimum(np.searchsorted(cdf, rng.random(n_resamples), side="left"), n - 1)
    if n % 2:
        return xs[lower]
    upper = _upper_neighbour(lower, n, cdf, rng)
    return (xs[lower] + xs[upper]) / 2


# Half-width of the band `_lower_median_cdf` computes, in multiples of sqrt(n) (ten standard
# deviations of a Binomial(n, 1/2) count); Hoeffding's bound beyond it is below 2^-72.
_TAIL_WIDTH = 5.0


def _lower_median_cdf(n: int, m: int) -> np.ndarray:
    """P(J <= j) for j = 1..n: at least m of n draws land at or below x_(j).

    The chance is a binomial tail, P(Binomial(n, j/n) >= m). By Hoeffding's bound it is
    below exp(-2 d^2 / n) when j lies d under m, and as close to 1 when j lies d over it, so
    beyond 5 * sqrt(n) + 2 positions either side it is 0 or 1 to well under a float's
    resolution near 1 (2^-53) and under the least non-zero uniform draw (2^-53): inverting
    it draws the same J as the full table. Only that middle band is computed, about
    10 * sqrt(n) tails instead of n (a workflow's thousands of runs need a few hundred).
    """
    half = int(_TAIL_WIDTH * math.sqrt(n)) + 2
    lo, hi = max(1, m - half), min(n, m + half)
    cdf = np.zeros(n)
    cdf[hi:] = 1.0
    j = np.arange(lo, hi + 1)
    # P(Binomial(n, p) >= m) is the regularised incomplete beta I_p(m, n - m + 1): SciPy
    # computes `binom.sf` with the same function, called here without its distribution
    # machinery (half the time for a workflow's band; the values are identical, tested).
    cdf[lo - 1 : hi] = special.betainc(m, n - m + 1, j / n)
    return cdf


def _upper_neighbour(
    lower: np.ndarray, n: int, cdf: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Index of the resample's (m+1)-th smallest value given its m-th is x_(J) (even n).

    With A draws strictly below position J and B at J, the m-th smallest is x_(J) when
    A < m <= A + B. The (m+1)-th is x_(J) too unless A + B = m, whose joint chance is
    P(C = m) * P(A < m | C = m) with C = A + B ~ Binomial(n, J/n) and, given C = m,
    A ~ Binomial(m, (J-1)/J). Dividing by P(m-th smallest is x_(J)) gives the chance the
    upper neighbour lies above J; there it is J + K, P(K > t) = ((N - t) / N)^m, N = n - J.
    """
    m = n // 2
    j = lower + 1  # 1-based position of the lower median
    p_here = cdf[lower] - np.where(lower > 0, cdf[np.maximum(lower - 1, 0)], 0.0)
    p_split = stats.binom.pmf(m, n, j / n) * (1 - ((j - 1) / j) ** m)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.clip(np.where(p_here > 0, p_split / p_here, 0.0), 0.0, 1.0)
    split = rng.random(lower.size) < q
    room = n - j
    # Inverse of P(K <= t) = 1 - ((N - t) / N)^m: K = ceil(N * (1 - V^(1/m))), V uniform.
    v = rng.random(lower.size)
    k = np.clip(np.ceil(room * (1 - v ** (1 / m))), 1, np.maximum(room, 1)).astype(np.int64)
    return np.where(split & (room > 0), lower + k, lower)


def percentile_interval(
    point: float | None, replicates: np.ndarray, confidence: float = 0.95
) -> Interval:
    """A point estimate with the percentile interval of its bootstrap replicates.

    Args:
        point: the statistic on the data.
        replicates: its bootstrap replicates.
        confidence: confidence level.

    Returns:
        The interval.
    """
    if point is None or replicates.size == 0:
        return Interval(_clean(point) if point is not None else None, None, None)
    tail = (1 - confidence) / 2
    low, high = np.percentile(replicates, [100 * tail, 100 * (1 - tail)])
    return Interval(_clean(point), _clean(low), _clean(high))


def _median(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(x, axis=axis)


def mean_ci(x: np.ndarray, confidence: float = 0.95) -> Interval:
    """Mean with its Student-t interval.

    Args:
        x: the values.
        confidence: confidence level.

    Returns:
        The mean and its t interval (bounds None below two values).
    """
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return Interval(None, None, None)
    mean = float(x.mean())
    if x.size < 2:
        return Interval(mean, None, None)
    # What `stats.sem` and `stats.t.interval(confidence, df, loc=mean, scale=sem)` compute,
    # without their argument handling (about a millisecond a call; a read by team makes
    # thousands): the standard t quantiles, once per sample size, times sem plus mean.
    sem = float(np.std(x, ddof=1) / np.sqrt(x.size))
    if sem == 0:
        return Interval(mean, mean, mean)
    lo_q, hi_q = _t_quantiles(confidence, x.size - 1)
    return Interval(mean, _clean(lo_q * sem + mean), _clean(hi_q * sem + mean))


@functools.lru_cache(maxsize=1024)
def _t_quantiles(confidence: float, df: int) -> tuple[float, float]:
    """The standard Student-t quantiles bounding the central `confidence` at `df`."""
    low, high = stats.t.ppf([(1.0 - confidence) / 2, (1.0 + confidence) / 2], df)
    return float(low), float(high)


def compare_means(
    a: np.ndarray, b: np.ndarray, confidence: float = 0.95
) -> dict[str, float | None]:
    """Welch's t-test of two independent samples, with Mann–Whitney U as a robustness check.

    Args:
        a: first sample.
        b: second sample.
        confidence: level of the interval of the difference of means.

    Returns:
        `welch_t`, `welch_p`, `difference_low`, `difference_high` (Welch's interval of
        mean(a) − mean(b)), `mannwhitney_u`, `mannwhitney_p` (None where a sample has fewer
        than two values or both are constant).
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    out: dict[str, float | None] = {
        "welch_t": None,
        "welch_p": None,
        "difference_low": None,
        "difference_high": None,
        "mannwhitney_u": None,
        "mannwhitney_p": None,
    }
    if a.size < 2 or b.size < 2:
        return out
    if np.ptp(a) > 0 or np.ptp(b) > 0:
        t = stats.ttest_ind(a, b, equal_var=False)
        out["welch_t"] = _clean(t.statistic)
        out["welch_p"] = _clean(t.pvalue)
        ci = t.confidence_interval(confidence)
        out["difference_low"] = _clean(ci.low)
        out["difference_high"] = _clean(ci.high)
    u = stats.mannwhitneyu(a, b, alternative="two-sided")
    out["mannwhitney_u"] = _clean(u.statistic)
    out["mannwhitney_p"] = _clean(u.pvalue)
    return out


def trend(x: np.ndarray, y: np.ndarray) -> dict[str, float | None]:
    """Least-squares slope of y over x (e.g. a weekly rate over week numbers).

    Args:
        x: positions (week numbers).
        y: values.

    Returns:
        `slope`, `slope_p` (None below three points or without variation in x).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size < 3 or np.ptp(x) == 0:
        return {"slope": None, "slope_p": None}
    r = stats.linregress(x, y)
    return {"slope": _clean(r.slope), "slope_p": _clean(r.pvalue)}
