"""K-Means clusters at scale: k search on a sample plus the final fit, 10k to 1M customers.

Customers are drawn from four log-normal RFM groups. The baseline is computing the scaled
feature matrix alone (log transform and min-max scaling), in the same process.
"""

from __future__ import annotations

import time

import numpy as np
import polars as pl

from reportgen.chapters.clusters.analysis import cluster_analysis, scaled_features
from reportgen.config import ClusterConfig

SIZES = (10_000, 100_000, 1_000_000)
CENTRES = ((5, 30, 20_000), (300, 1, 80), (8, 1, 60), (250, 25, 15_000))


def customers(count: int) -> pl.DataFrame:
    """RFM values of `count` customers in four groups."""
    rng = np.random.default_rng(3)
    group = rng.integers(0, len(CENTRES), count)
    centres = np.array(CENTRES, dtype=float)[group]
    noise = np.exp(rng.normal(0, 0.3, (count, 3)))
    values = centres * noise
    return pl.DataFrame({
        "customer_id": np.arange(count).astype(str),
        "recency_days": np.maximum(1, values[:, 0]),
        "frequency": np.maximum(1, np.round(values[:, 1])),
        "monetary": values[:, 2],
        "segment": ["champions"] * count,
    })


def main() -> None:
    """Print one row per size."""
    print(f"{'customers':>9} {'baseline':>9} {'clusters':>9} {'ratio':>7} {'k':>3} {'silhouette':>10}")
    for count in SIZES:
        table = customers(count)
        started = time.perf_counter()
        scaled_features(table, ["recency_days", "frequency", "monetary"], "minmax")
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        result = cluster_analysis(table, ClusterConfig())
        seconds = time.perf_counter() - started
        print(f"{count:>9,} {baseline:>8.3f}s {seconds:>8.2f}s {seconds / baseline:>6.0f}x "
              f"{result.chosen_k:>3} {result.silhouette:>10.3f}", flush=True)
