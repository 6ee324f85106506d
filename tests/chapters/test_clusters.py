"""K-Means clusters on how customers buy: k found by the data, groups recovered, stable labels,
names from what sets each cluster apart, overlap with the segments measured."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl
import pytest
from conftest import purchases
from sklearn.metrics import adjusted_rand_score

from reportgen.chapters.clusters.analysis import cluster_analysis, knee
from reportgen.chapters.clusters.features import customer_features
from reportgen.chapters.clusters.section import cluster_section
from reportgen.config import ClusterConfig
from reportgen.inputs.reduce import customer_products_of, orders_of

FEATURES = ["order_value", "products_per_order", "product_range", "return_rate", "tenure_days",
            "gap_days", "weekend_share", "evening_share"]
AVERAGE = {"order_value": 250.0, "products_per_order": 12.0, "product_range": 30.0,
           "return_rate": 0.02, "tenure_days": 200.0, "gap_days": 60.0, "weekend_share": 0.1,
           "evening_share": 0.1}
# Four groups, each far from the others on two features; spend orders them by value.
GROUPS = {
    "Big orders, wide range": ({"order_value": 3_000.0, "product_range": 400.0}, 50_000.0),
    "Recently joined, short gaps between orders": ({"tenure_days": 10.0, "gap_days": 4.0},
                                                   5_000.0),
    "Frequent returns, small baskets": ({"return_rate": 0.6, "products_per_order": 1.0}, 800.0),
    "Weekend buyers, evening buyers": ({"weekend_share": 0.95, "evening_share": 0.9}, 300.0),
}
CONFIG = ClusterConfig(k_max=6, n_init=4)


def words(name: str) -> set[str]:
    return set(name.lower().split(", "))


def groups(per_group: int = 300, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frames, truth = [], []
    for index, (changes, spend) in enumerate(GROUPS.values()):
        centre = {**AVERAGE, **changes}
        columns = {}
        for name, value in centre.items():
            if name.endswith(("share", "rate")):
                columns[name] = np.clip(value + rng.normal(0, 0.03, per_group), 0, 1)
            else:
                columns[name] = value * np.exp(rng.normal(0, 0.1, per_group))
        frames.append(pl.DataFrame({**columns,
                                    "monetary": spend * np.exp(rng.normal(0, 0.1, per_group))}))
        truth += [index] * per_group
    customers = pl.concat(frames).with_columns(
        pl.Series("customer_id", [f"{i:05d}" for i in range(len(truth))]),
        pl.lit("champions").alias("segment"),
    )
    return customers, np.array(truth)


def test_k_and_groups_are_recovered() -> None:
    customers, truth = groups()
    result = cluster_analysis(customers, CONFIG)
    assert result.chosen_k == 4
    labels = result.customers.sort("customer_id")["cluster"].to_numpy()
    assert adjusted_rand_score(truth, labels) >= 0.9
    assert result.selection["k"].to_list() == list(range(2, 7))
    assert result.features == tuple(FEATURES)


def test_labels_are_identical_across_runs_and_ordered_by_value() -> None:
    customers, _ = groups(seed=1)
    first = cluster_analysis(customers, CONFIG)
    second = cluster_analysis(customers, CONFIG)
    assert first.customers.equals(second.customers)
    spend = first.customers.join(customers, on="customer_id").group_by("cluster").agg(
        pl.col("monetary").mean()).sort("cluster")["monetary"].to_list()
    assert spend == sorted(spend, reverse=True)  # cluster 1 is the most valuable


def test_names_say_what_sets_each_cluster_apart() -> None:
    customers, truth = groups()
    result = cluster_analysis(customers, CONFIG.model_copy(update={"k": 4}))
    named = result.customers.sort("customer_id").with_columns(pl.Series("truth", truth))
    for index, expected in enumerate(GROUPS):
        names = named.filter(pl.col("truth") == index)["cluster_name"].unique().to_list()
        # The two features each group was built apart on, most distinguishing first.
        assert len(names) == 1 and words(names[0]) == words(expected), (names, expected)
    # A name never contradicts the profile: each named feature is far from the average.
    for cluster, name in result.profiles.select("cluster", "cluster_name").rows():
        far = result.distinctions.filter((pl.col("cluster") == cluster)
                                         & (pl.col("z").abs() >= 0.5))
        assert far.height >= 2, name


@pytest.mark.slow  # clusters a whole unit and builds its report
def test_overlap_with_the_segments_is_measured_and_a_restatement_goes_to_the_appendix() -> None:
    customers, truth = groups()
    as_segments = customers.with_columns(
        pl.Series("segment", [f"segment {t}" for t in truth]))
    restating = cluster_analysis(as_segments, CONFIG)
    assert restating.segment_overlap > 0.9 and restating.restates_segments
    assert cluster_section(restating).appendix
    unrelated = customers.with_columns(pl.Series(
        "segment", np.random.default_rng(9).choice(["a", "b", "c"], customers.height)))
    independent = cluster_analysis(unrelated, CONFIG)
    assert independent.segment_overlap < 0.05 and not independent.restates_segments
    view = cluster_section(independent).view
    assert words(view.names[0]) == {"big orders", "wide range"}
    assert [line.label for line in view.profile][:3] == [
        "Customers", "Share of customers", "Share of revenue to date"]


def test_fixed_k_and_minmax_scaling() -> None:
    customers, _ = groups()
    result = cluster_analysis(customers, CONFIG.model_copy(update={"k": 3,
                                                                   "scaling": "minmax"}))
    assert result.chosen_k == 3 and result.k_reason == "fixed by configuration"
    assert result.profiles["customers"].sum() == customers.height
    assert result.crosstab["customers"].sum() == customers.height


def test_customer_features_by_hand() -> None:
    # A: invoices 1 (2 products, Saturday 20:00) and 2 (1 product, Monday 09:00) on two days.
    # B: one invoice on one day (Tuesday 10:00), one product.
    lines = purchases(
        ("1", "A", "2011-11-05 20:00:00", 10.0),
        ("1", "A", "2011-11-05 20:00:00", 30.0),
        ("2", "A", "2011-11-14 09:00:00", 20.0),
        ("3", "B", "2011-11-15 10:00:00", 5.0),
    ).with_columns(pl.Series("stock_code", ["X", "Y", "X", "Z"]), country=pl.lit("France"),
                   quantity=pl.lit(1), returned_units=pl.lit(0))
    customers = pl.DataFrame({
        "customer_id": ["A", "B"], "segment": ["champions", "new_customers"],
        "recency_days": [17, 16], "frequency": [2, 1], "monetary": [60.0, 5.0],
        "first_purchase": [datetime(2011, 11, 5, 20), datetime(2011, 11, 15, 10)],
        "last_purchase": [datetime(2011, 11, 14, 9), datetime(2011, 11, 15, 10)],
    })
    habits = pl.DataFrame({"customer_id": ["A", "B"], "avg_days_between_purchases": [9.0, None]})
    rates = pl.DataFrame({"customer_id": ["A", "B"], "return_rate": [0.25, 0.0]})
    table = customer_features(orders_of(lines), customer_products_of(lines), customers, habits,
                              rates, datetime(2011, 12, 1), 17)
    rows = {row["customer_id"]: row for row in table.to_dicts()}
    assert rows["A"]["order_value"] == 30.0 and rows["B"]["order_value"] == 5.0
    assert rows["A"]["products_per_order"] == 1.5 and rows["A"]["product_range"] == 2
    assert rows["A"]["weekend_share"] == 0.5 and rows["A"]["evening_share"] == 0.5
    assert rows["A"]["tenure_days"] == 25 and rows["A"]["gap_days"] == 9.0
    assert rows["A"]["return_rate"] == 0.25
    # B bought on one day: no gap yet, so the gap is the time since, 15 days and 14 hours.
    assert rows["B"]["gap_days"] == pytest.approx(15.0)
    assert rows["B"]["weekend_share"] == 0.0 and rows["B"]["evening_share"] == 0.0


def test_knee_of_a_bent_curve() -> None:
    assert knee([2, 3, 4, 5, 6, 7], [100.0, 40.0, 10.0, 8.0, 7.0, 6.0]) == 4


# 4,500 points: more than SILHOUETTE_SAMPLE, so the silhouette is of a sample, drawn as
# scikit-learn draws it; slow (16 million pairwise distances, for each k, twice).
@pytest.mark.parametrize("size", [60, pytest.param(4_500, marks=pytest.mark.slow)])
def test_silhouettes_equal_scikit_learns(size: int) -> None:
    from sklearn.metrics import silhouette_score

    from reportgen.chapters.clusters.analysis import SILHOUETTE_SAMPLE, SilhouetteScorer

    rng = np.random.default_rng(size)
    points = rng.normal(size=(size, 4)) + np.repeat(np.eye(4) * 3, size // 4 + 1, axis=0)[:size]
    scorer = SilhouetteScorer(points, seed=42)
    for k in (2, 3, 5):
        labels = rng.integers(0, k, size)
        labels[0] = k  # a cluster of one point scores 0
        expected = silhouette_score(points, labels, sample_size=min(size, SILHOUETTE_SAMPLE),
                                    random_state=42)
        assert scorer.score(labels) == pytest.approx(float(expected), abs=1e-12)
    assert scorer.score(np.zeros(size, dtype=int)) == -1.0
