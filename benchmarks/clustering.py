"""K-Means clusters at scale: k search on a sample plus the final fit, 10k to 1M customers.

Customers are drawn from four log-normal groups of the clustering features. The baseline is
computing the scaled feature matrix alone (log transform and scaling), in the same process.
"""

from __future__ import annotations

import time

import numpy as np
import polars as pl

from reportgen.chapters.clusters.analysis import cluster_analysis, scaled_features
from reportgen.config import ClusterConfig

SIZES = (10_000, 100_000, 1_000_000)
FEATURES = list(ClusterConfig().features)
# Per group: order value, products per order, product range, return rate, tenure, gap,
# weekend and evening shares.
CENTRES = ((3_000, 12, 400, 0.02, 300, 20, 0.1, 0.1), (250, 2, 10, 0.4, 200, 90, 0.1, 0.1),
           (250, 12, 30, 0.02, 15, 5, 0.1, 0.1), (250, 12, 30, 0.02, 200, 60, 0.9, 0.8))


def customers(count: int) -> pl.DataFrame:
    """Clustering features of `count` customers in four groups."""
    rng = np.random.default_rng(3)
    group = rng.integers(0, len(CENTRES), count)
    values = np.array(CENTRES, dtype=float)[group] * np.exp(rng.normal(0, 0.3, (count, 8)))
    table = pl.DataFrame({name: values[:, i] for i, name in enumerate(FEATURES)})
    return table.with_columns(
        pl.col("return_rate", "weekend_share", "evening_share").clip(0, 1),
        pl.Series("customer_id", np.arange(count).astype(str)),
        (pl.col("order_value") * 5).alias("monetary"),
        pl.lit("champions").alias("segment"),
    )


def main() -> None:
    """Print one row per size."""
    print(f"{'customers':>9} {'baseline':>9} {'clusters':>9} {'ratio':>7} {'k':>3} {'silhouette':>10}")
    for count in SIZES:
        table = customers(count)
        started = time.perf_counter()
        scaled_features(table, FEATURES, "standard")
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        result = cluster_analysis(table, ClusterConfig())
        seconds = time.perf_counter() - started
        print(f"{count:>9,} {baseline:>8.3f}s {seconds:>8.2f}s {seconds / baseline:>6.0f}x "
              f"{result.chosen_k:>3} {result.silhouette:>10.3f}", flush=True)
