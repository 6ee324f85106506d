"""Intervals for the difference between a contacted group and its control group.

- Share who bought again: Newcombe's hybrid score interval for the difference of two
  independent proportions (Newcombe 1998, method 10), built from each group's Wilson score
  interval. Unlike the plain normal approximation it stays honest when a small group has
  a share of 0 or 1 (the normal approximation then claims no uncertainty at all).
- Revenue per customer: a percentile bootstrap of the difference of the two groups' means,
  each group resampled with replacement on its own (revenue is skewed; no normality assumed).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

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
    z = float(norm.ppf(0.5 + confidence / 2))
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
    differences = np.empty(samples)
    chunk = max(1, BOOTSTRAP_CELLS // max(values1.size + values0.size, 1))
    for start in range(0, samples, chunk):
        count = min(chunk, samples - start)
        means1 = values1[rng.integers(0, values1.size, (count, values1.size))].mean(axis=1)
        means0 = values0[rng.integers(0, values0.size, (count, values0.size))].mean(axis=1)
        differences[start:start + count] = means1 - means0
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(differences, [tail, 100 - tail])
    return float(low), float(high)
