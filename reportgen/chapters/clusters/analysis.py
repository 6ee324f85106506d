"""K-Means customer clusters on log-scaled RFM (and CLV), with k chosen by the data.

k is searched over a range on a deterministic sample: silhouette for each k (the choice, ties
to the smaller k) and the elbow (knee) of the inertia curve, both reported. The final model
is fitted on every customer (MiniBatchKMeans above a size). Clusters are numbered by value,
1 = highest mean CLV (or spend), and named from their centroid relative to the population.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from reportgen.chapters.profiles import group_profiles, share_of, statistics
from reportgen.config import ClusterConfig

SCORE_DECIMALS = 6
SILHOUETTE_SAMPLE = 4_000
MAP_POINTS = 800  # enough to see the clusters; every point is an SVG path in the PDF
NAME_THRESHOLD = 0.5  # standard deviations from the population that earn a word in the name


@dataclass(frozen=True)
class ClusterResult:
    """Cluster per customer, how k was chosen, quality, profiles and names."""

    customers: pl.DataFrame  # customer_id, cluster, cluster_name
    selection: pl.DataFrame  # k, inertia, silhouette
    chosen_k: int
    elbow_k: int
    silhouette_k: int
    k_reason: str
    silhouette: float
    calinski_harabasz: float
    davies_bouldin: float
    features: tuple[str, ...]
    profiles: pl.DataFrame
    crosstab: pl.DataFrame  # cluster, cluster_name, segment, customers
    projection: pl.DataFrame  # sample of customers: x, y, cluster (for the 2-D view)
    params: ClusterConfig


def cluster_analysis(
    customers: pl.DataFrame, params: ClusterConfig, value_column: str = "monetary"
) -> ClusterResult:
    """Cluster customers (columns recency_days, frequency, monetary[, clv], segment)."""
    features = ["recency_days", "frequency", "monetary"]
    if params.use_clv and "clv" in customers.columns:
        features.append("clv")
        value_column = "clv"
    matrix = scaled_features(customers, features, params.scaling)
    rng = np.random.default_rng(params.random_state)
    sample_index = (np.sort(rng.choice(len(matrix), params.sample_size, replace=False))
                    if len(matrix) > params.sample_size else np.arange(len(matrix)))
    sample = matrix[sample_index]
    k_values = [k for k in range(params.k_min, params.k_max + 1) if k < len(sample)]
    # Scores are rounded: parallel reductions in scikit-learn differ in the last bits from run
    # to run, and the same input must give the same bytes out.
    selection = pl.DataFrame(
        [_score_k(sample, k, params) for k in k_values],
        schema={"k": pl.Int64, "inertia": pl.Float64, "silhouette": pl.Float64}, orient="row",
    ).with_columns(pl.col("inertia", "silhouette").round(SCORE_DECIMALS))
    silhouette_k = int(selection.sort(["silhouette", "k"], descending=[True, False])["k"][0])
    elbow_k = knee(selection["k"].to_list(), selection["inertia"].to_list())
    if params.k is not None:
        chosen, reason = params.k, "fixed by configuration"
    else:
        chosen, reason = silhouette_k, "highest silhouette"
        if elbow_k == silhouette_k:
            reason += ", and the elbow of the inertia curve agrees"
    model = _model(chosen, params, len(matrix)).fit(matrix)
    raw_labels = model.predict(matrix)
    labelled = customers.with_columns(pl.Series("raw_cluster", raw_labels))
    order = (
        labelled.group_by("raw_cluster").agg(pl.col(value_column).mean().alias("value"))
        .sort(["value", "raw_cluster"], descending=[True, False])
        .with_row_index("cluster", offset=1)
        .select("raw_cluster", pl.col("cluster").cast(pl.Int64))
    )
    # Rows must stay aligned with the feature matrix: the joins keep the left order.
    labelled = labelled.join(order, on="raw_cluster", maintain_order="left").drop("raw_cluster")
    labelled = labelled.join(cluster_names(labelled, features), on="cluster",
                             maintain_order="left")
    labels = labelled["cluster"].to_numpy()
    quality_index = sample_index
    return ClusterResult(
        customers=labelled.select("customer_id", "cluster", "cluster_name").sort("customer_id"),
        selection=selection,
        chosen_k=chosen,
        elbow_k=elbow_k,
        silhouette_k=silhouette_k,
        k_reason=reason,
        silhouette=round(_silhouette(matrix[quality_index], labels[quality_index],
                                     params.random_state), SCORE_DECIMALS),
        calinski_harabasz=round(float(calinski_harabasz_score(matrix[quality_index],
                                                              labels[quality_index])),
                                SCORE_DECIMALS),
        davies_bouldin=round(float(davies_bouldin_score(matrix[quality_index],
                                                        labels[quality_index])), SCORE_DECIMALS),
        features=tuple(features),
        profiles=cluster_profiles(labelled, features),
        crosstab=labelled.group_by("cluster", "cluster_name", "segment")
        .agg(pl.len().cast(pl.Int64).alias("customers")).sort("cluster", "segment"),
        projection=_projection(matrix, labels, rng),
        params=params,
    )


def scaled_features(customers: pl.DataFrame, features: list[str], scaling: str) -> np.ndarray:
    """log(1 + x) of each feature (all are non-negative and skewed), then scaled."""
    logged = np.log1p(customers.select(features).to_numpy().astype(float).clip(min=0))
    scaler = MinMaxScaler() if scaling == "minmax" else StandardScaler()
    return np.asarray(scaler.fit_transform(logged))


def knee(k_values: list[int], inertia: list[float]) -> int:
    """Elbow of the inertia curve: the k farthest from the line joining its two ends."""
    if len(k_values) < 3:
        return k_values[0]
    x = np.array(k_values, dtype=float)
    y = np.array(inertia, dtype=float)
    x = (x - x[0]) / (x[-1] - x[0])
    y = (y - y[-1]) / ((y[0] - y[-1]) or 1.0)
    distance = np.abs(y - (1 - x))  # distance to the straight line from (0, 1) to (1, 0)
    return int(k_values[int(np.argmax(distance))])


def cluster_names(labelled: pl.DataFrame, features: list[str]) -> pl.DataFrame:
    """A readable name per cluster from its medians, in population standard deviations."""
    logged = labelled.with_columns(pl.col(f).clip(0).log1p() for f in features)
    z = logged.group_by("cluster").agg(
        [((pl.col(f).median() - logged[f].mean()) / (logged[f].std() or 1.0)).alias(f)
         for f in features]
        + [pl.col("frequency").median().alias("median_orders")]
    ).sort("cluster")
    names: list[str] = []
    for row in z.iter_rows(named=True):
        when = ("recent" if row["recency_days"] <= -NAME_THRESHOLD
                else "lapsed" if row["recency_days"] >= NAME_THRESHOLD else "")
        frequent = row["frequency"] >= NAME_THRESHOLD
        big = row["monetary"] >= NAME_THRESHOLD
        if frequent and big:
            who = "frequent big spenders"
        elif big:
            who = "big spenders"
        elif frequent:
            who = "frequent buyers"
        elif row["median_orders"] <= 1:
            who = "one-timers"
        elif row["monetary"] <= -NAME_THRESHOLD:
            who = "small spenders"
        else:
            who = "occasional buyers"
        name = f"{when} {who}".strip()
        names.append(name[0].upper() + name[1:])
    unique = [name if names.count(name) == 1 else f"{name} ({cluster})"
              for cluster, name in zip(z["cluster"], names, strict=True)]
    return pl.DataFrame({"cluster": z["cluster"], "cluster_name": unique})


def cluster_profiles(labelled: pl.DataFrame, features: list[str]) -> pl.DataFrame:
    """Per cluster: size, share, mean and median of each feature, revenue share."""
    return (
        group_profiles(labelled, ["cluster", "cluster_name"],
                       pl.col("monetary").sum().alias("revenue"),
                       *statistics({f: f for f in features}, "mean", "median"))
        .with_columns(share_of("revenue", labelled["monetary"], "revenue_share"))
        .sort("cluster")
    )


def _score_k(sample: np.ndarray, k: int, params: ClusterConfig) -> tuple[int, float, float]:
    model = KMeans(n_clusters=k, n_init=params.n_init, random_state=params.random_state)
    labels = model.fit_predict(sample)
    silhouette = _silhouette(sample, labels, params.random_state)
    return k, float(model.inertia_), float(silhouette)


def _silhouette(points: np.ndarray, labels: np.ndarray, seed: int) -> float:
    """Silhouette on at most SILHOUETTE_SAMPLE points (it costs n squared distances)."""
    if len(set(labels.tolist())) < 2:
        return -1.0
    size = min(len(points), SILHOUETTE_SAMPLE)
    return float(silhouette_score(points, labels, sample_size=size, random_state=seed))


def _model(k: int, params: ClusterConfig, rows: int) -> KMeans | MiniBatchKMeans:
    if rows > params.minibatch_above:
        return MiniBatchKMeans(n_clusters=k, n_init=params.n_init,
                               random_state=params.random_state, batch_size=4096)
    return KMeans(n_clusters=k, n_init=params.n_init, random_state=params.random_state)


def _projection(matrix: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> pl.DataFrame:
    """First two principal components of a sample of at most MAP_POINTS customers (rounded)."""
    index = (np.sort(rng.choice(len(matrix), MAP_POINTS, replace=False)) if len(matrix) > MAP_POINTS
             else np.arange(len(matrix)))
    centred = matrix - matrix.mean(axis=0)
    _, _, components = np.linalg.svd(centred[index], full_matrices=False)
    points = centred[index] @ components[:2].T
    return pl.DataFrame({"x": points[:, 0], "y": points[:, 1] if points.shape[1] > 1 else 0.0,
                         "cluster": labels[index]}).with_columns(pl.col("x", "y").round(4))
