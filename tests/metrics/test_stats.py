"""The direct bootstrap draw of a median matches brute-force resampling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from uptake.metrics import stats


@pytest.mark.parametrize(
    "values",
    [[3.0, 1.0, 4.0, 1.5], [2.0, 7.0, 1.0, 8.0, 2.5], [1.0, 2.0, 2.0, 5.0, 7.0, 7.0]],
    ids=["n4", "n5", "n6-ties"],
)
def test_median_replicates_have_the_exact_resampling_distribution(values: list[float]) -> None:
    # Every one of the n^n equally likely resamples, enumerated: the exact distribution of
    # the resampled median, against which the direct draws are tested (chi-square).
    x = np.array(values)
    n = x.size
    grid = np.stack(np.meshgrid(*[np.arange(n)] * n, indexing="ij"), -1).reshape(-1, n)
    exact_values, exact_counts = np.unique(np.median(x[grid], axis=1), return_counts=True)
    draws = stats.median_replicates(x, 200_000, np.random.default_rng(11))
    assert set(np.unique(draws)) <= set(exact_values)
    observed = np.array([(draws == v).sum() for v in exact_values])
    expected = exact_counts / exact_counts.sum() * draws.size
    got = scipy_stats.chisquare(observed, expected)
    assert got.pvalue > 1e-4, (exact_values, observed, expected.round())


@pytest.mark.parametrize("n", [40, 41, 1000, 1001])
def test_median_replicates_match_brute_force(n: int) -> None:
    rng = np.random.default_rng(5)
    x = rng.gamma(2.0, 10.0, size=n)
    direct = stats.median_replicates(x, 20_000, np.random.default_rng(1))
    brute = np.median(np.random.default_rng(2).choice(x, size=(20_000, n)), axis=1)
    # Same distribution: its quantiles agree to within sampling noise.
    for q in (2.5, 25, 50, 75, 97.5):
        a, b = np.percentile(direct, q), np.percentile(brute, q)
        assert abs(a - b) <= 0.05 * np.std(brute) + 1e-9 or abs(a - b) / b < 0.01, (q, a, b)


@pytest.mark.parametrize("n", [1, 2, 7, 40, 41, 1000, 1001, 20_000])
def test_the_lower_median_cdf_skips_only_tails_below_a_floats_resolution(n: int) -> None:
    m = (n + 1) // 2
    full = scipy_stats.binom.sf(m - 1, n, np.arange(1, n + 1) / n)
    banded = stats._lower_median_cdf(n, m)
    assert np.abs(banded - full).max() < 2.0**-60
    # Inside the band, the very values of the binomial tail SciPy gives.
    inside = (banded > 0) & (banded < 1)
    assert np.array_equal(banded[inside], full[inside])
    # Inverting either table draws the same positions for the same uniforms.
    u = np.random.default_rng(4).random(50_000)
    assert np.array_equal(
        np.searchsorted(banded, u, side="left"), np.searchsorted(full, u, side="left")
    )


def test_median_replicates_of_nothing_are_unknown() -> None:
    assert np.isnan(stats.median_replicates(np.array([]), 10, np.random.default_rng(1))).all()


def test_median_replicates_are_order_free_and_seeded() -> None:
    x = np.arange(2001.0)
    a = stats.median_replicates(x, 500, np.random.default_rng(3))
    b = stats.median_replicates(x[::-1], 500, np.random.default_rng(3))
    assert np.array_equal(a, b)
    ci = stats.percentile_interval(float(np.median(x)), a)
    assert ci.low is not None and ci.high is not None
    assert ci.low < 1000 < ci.high


def test_compare_means_publishes_welchs_interval_of_the_difference() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(50, 12, 40), rng.normal(56, 6, 90)
    got = stats.compare_means(a, b, 0.9)
    exact = scipy_stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.9)
    assert got["difference_low"] == pytest.approx(exact.low)
    assert got["difference_high"] == pytest.approx(exact.high)
    assert got["difference_low"] < a.mean() - b.mean() < got["difference_high"]
    assert stats.compare_means(a[:1], b)["difference_low"] is None


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from([0.0, 1.0, 7.5])),
        max_size=40,
    ),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_mean_ci_is_scipys_t_interval_to_the_last_bit(values: list[float], level: float) -> None:
    """The t interval computed without SciPy's per-call machinery is SciPy's, bit for bit."""
    x = np.array(values, dtype=float)
    got = stats.mean_ci(x, level)
    if x.size == 0:
        assert got == stats.Interval(None, None, None)
        return
    assert got.value == float(x.mean())
    if x.size < 2:
        assert (got.low, got.high) == (None, None)
        return
    sem = float(scipy_stats.sem(x))
    if sem == 0:
        assert (got.low, got.high) == (got.value, got.value)
        return
    low, high = scipy_stats.t.interval(level, df=x.size - 1, loc=float(x.mean()), scale=sem)
    assert (got.low, got.high) == (float(low), float(high))
