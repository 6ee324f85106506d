"""Intervals for the difference between a contacted group and its control group.

- Share who bought again: Newcombe's hybrid score interval for the difference of two
  independent proportions (Newcombe 1998, method 10), built from each group's Wilson score
  interval. Unlike the plain normal approximation it stays honest when a small group has
  a share of 0 or 1 (the normal approximation then claims no uncertainty at all).
- Revenue per customer: a percentile bootstrap of the difference of the two groups' means,
  each group resampled with replacement on its own (revenue is skewed; no normality assumed).
- Lists drawn in value strata (the `stratum` column): the difference is the strata's
  differences weighted by their customers (strata lacking either group left out), its
  share interval a normal one with each stratum's variance from shares shrunk half a buyer
  towards one half (so a stratum where everyone or no one bought still counts as uncertain),
  and the revenue bootstrap resamples each group within each stratum.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri  # the normal quantile, as scipy.stats.norm.ppf computes it

BOOTSTRAP_CELLS = 4_000_000  # resampled values drawn at a time: bounds memory


def wilson_interval(successes: int, trials: int, z: float) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    share = successes / trials
    scale = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / scale
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / scale
    return centre - half, centre + half


def proportion_difference_interval(buyers1: int, n1: int, buyers0: int, n0: int,
                                   confidence: float) -> tuple[float, float]:
    """Interval of p1 - p0 (see the module's text)."""
    z = float(ndtri(0.5 + confidence / 2))
    p1, p0 = buyers1 / n1, buyers0 / n0
    low1, high1 = wilson_interval(buyers1, n1, z)
    low0, high0 = wilson_interval(buyers0, n0, z)
    difference = p1 - p0
    return (difference - math.sqrt((p1 - low1) ** 2 + (high0 - p0) ** 2),
            difference + math.sqrt((high1 - p1) ** 2 + (p0 - low0) ** 2))


def mean_difference_interval(values1: np.ndarray, values0: np.ndarray, confidence: float,
                             samples: int, seed: int) -> tuple[float, float]:
    """Percentile bootstrap interval of mean(values1) - mean(values0)."""
    rng = np.random.default_rng(seed)
    return _percentiles(_resampled_differences(values1, values0, samples, rng), confidence)


def _resampled_differences(values1: np.ndarray, values0: np.ndarray, samples: int,
                           rng: np.random.Generator) -> np.ndarray:
    """`samples` bootstrap draws of mean(values1) - mean(values0), each group resampled with
    replacement on its own (in chunks of BOOTSTRAP_CELLS values)."""
    differences = np.empty(samples)
    chunk = max(1, BOOTSTRAP_CELLS // max(values1.size + values0.size, 1))
    for start in range(0, samples, chunk):
        count = min(chunk, samples - start)
        means1 = values1[rng.integers(0, values1.size, (count, values1.size))].mean(axis=1)
        means0 = values0[rng.integers(0, values0.size, (count, values0.size))].mean(axis=1)
        differences[start:start + count] = means1 - means0
    return differences


def _percentiles(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central `confidence` interval of the draws."""
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def stratified_proportion_difference(strata: list[tuple[int, int, int, int]],
                                     confidence: float) -> tuple[float, tuple[float, float]]:
    """The weighted difference p1 - p0 over strata (buyers1, n1, buyers0, n0), weights
    n1 + n0, and its interval (see the module's text)."""
    z = float(ndtri(0.5 + confidence / 2))
    total = sum(n1 + n0 for _, n1, _, n0 in strata)
    difference = variance = 0.0
    for buyers1, n1, buyers0, n0 in strata:
        weight = (n1 + n0) / total
        difference += weight * (buyers1 / n1 - buyers0 / n0)
        shrunk1, shrunk0 = (buyers1 + 0.5) / (n1 + 1), (buyers0 + 0.5) / (n0 + 1)
        variance += weight ** 2 * (shrunk1 * (1 - shrunk1) / n1 + shrunk0 * (1 - shrunk0) / n0)
    half = z * math.sqrt(variance)
    return difference, (difference - half, difference + half)


def stratified_mean_difference(strata: list[tuple[np.ndarray, np.ndarray]], confidence: float,
                               samples: int, seed: int) -> tuple[float, tuple[float, float]]:
    """The weighted difference of means over strata (values1, values0), weights n1 + n0, and
    its percentile bootstrap interval, resampling each group within its stratum."""
    rng = np.random.default_rng(seed)
    total = sum(v1.size + v0.size for v1, v0 in strata)
    difference = 0.0
    draws = np.zeros(samples)
    for values1, values0 in strata:
        weight = (values1.size + values0.size) / total
        difference += weight * (values1.mean() - values0.mean())
        draws += weight * _resampled_differences(values1, values0, samples, rng)
    return float(difference), _percentiles(draws, confidence)
