"""K-Means clusters: k found by the data, groups recovered, stable labels, names from centroids."""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.metrics import adjusted_rand_score

from reportgen.chapters.clusters.analysis import cluster_analysis, knee
from reportgen.config import ClusterConfig

# Four groups, far apart in log-RFM space: (recency days, orders, spend).
CENTRES = {
    "recent frequent big spenders": (5, 30, 20_000),
    "lapsed one-timers": (300, 1, 80),
    "recent one-timers": (8, 1, 60),
    "lapsed frequent big spenders": (250, 25, 15_000),
}


def groups(per_group: int = 400, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frames, truth = [], []
    for index, (recency, orders, spend) in enumerate(CENTRES.values()):
        frames.append(pl.DataFrame({
            "recency_days": np.maximum(1, recency * np.exp(rng.normal(0, 0.15, per_group))),
            "frequency": np.maximum(1, np.round(orders * np.exp(rng.normal(0, 0.15, per_group)))),
            "monetary": spend * np.exp(rng.normal(0, 0.15, per_group)),
        }))
        truth += [index] * per_group
    customers = pl.concat(frames).with_columns(
        pl.Series("customer_id", [f"{i:05d}" for i in range(per_group * len(CENTRES))]),
        pl.lit("champions").alias("segment"),
    )
    return customers, np.array(truth)


def test_k_and_groups_are_recovered() -> None:
    customers, truth = groups()
    result = cluster_analysis(customers, ClusterConfig())
    assert result.chosen_k == 4
    labels = result.customers.sort("customer_id")["cluster"].to_numpy()
    assert adjusted_rand_score(truth, labels) >= 0.9
    assert result.selection["k"].to_list() == list(range(2, 11))
    assert result.silhouette > 0.5


def test_labels_are_identical_across_runs_and_ordered_by_value() -> None:
    customers, _ = groups(seed=1)
    first = cluster_analysis(customers, ClusterConfig())
    second = cluster_analysis(customers, ClusterConfig())
    assert first.customers.equals(second.customers)
    means = first.profiles.sort("cluster")["monetary_mean"].to_list()
    assert means == sorted(means, reverse=True)  # cluster 1 is the most valuable


def test_names_follow_the_centroids() -> None:
    customers, truth = groups()
    result = cluster_analysis(customers, ClusterConfig(k=4))
    named = result.customers.sort("customer_id").with_columns(pl.Series("truth", truth))
    for index, expected in enumerate(CENTRES):
        names = named.filter(pl.col("truth") == index)["cluster_name"].unique().to_list()
        assert names == [expected[0].upper() + expected[1:]]


def test_fixed_k_and_standard_scaling() -> None:
    customers, _ = groups()
    result = cluster_analysis(customers, ClusterConfig(k=3, scaling="standard"))
    assert result.chosen_k == 3 and result.k_reason == "fixed by configuration"
    assert result.profiles["customers"].sum() == customers.height
    assert result.crosstab["customers"].sum() == customers.height


def test_knee_of_a_bent_curve() -> None:
    assert knee([2, 3, 4, 5, 6, 7], [100.0, 40.0, 10.0, 8.0, 7.0, 6.0]) == 4
