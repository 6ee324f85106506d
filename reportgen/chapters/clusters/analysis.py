"""K-Means customer clusters on how customers buy, with k chosen by the data.

Features (features.py) are log-scaled where skewed, then scaled. k is searched over a range on
a deterministic sample: silhouette for each k (the choice, ties to the smaller k) and the elbow
(knee) of the inertia curve, both reported. The final model is fitted on every customer
(MiniBatchKMeans above a size). Clusters are numbered by value, 1 = highest mean CLV (or
spend), and named by the features that set them furthest apart from the average customer, so
a name can never contradict the profile. Their overlap with the RFM segments is measured
(adjusted mutual information): clusters that mostly restate the segments say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import polars as pl

from reportgen.chapters.clusters.features import FEATURES
from reportgen.chapters.profiles import group_profiles, share_of, statistics
from reportgen.config import ClusterConfig

if TYPE_CHECKING:  # scikit-learn loads when clusters are first computed (1 s of imports)
    from sklearn.cluster import KMeans, MiniBatchKMeans

SCORE_DECIMALS = 6
SILHOUETTE_SAMPLE = 4_000
MAP_POINTS = 400  # enough to see the clusters; every point is an SVG path the PDF draws
NAME_THRESHOLD = 0.5  # standard deviations from the population that earn a word in the name
NAME_WORDS = 2  # the most distinguishing features a name uses


@dataclass(frozen=True)
class ClusterResult:
    """Cluster per customer, how k was chosen, quality, profiles and names."""

    RECORD_PROPERTIES: ClassVar[tuple[str, ...]] = ("restates_segments",)

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
    profiles: pl.DataFrame  # cluster, cluster_name, customers, share, revenue(_share), medians
    distinctions: pl.DataFrame  # cluster, feature, z: each feature's distance from the average
    overall: dict[str, float]  # each feature over all customers (overall_averages)
    clv_mean: float | None  # mean CLV of all customers, when clusters are numbered by CLV
    crosstab: pl.DataFrame  # cluster, cluster_name, segment, customers
    segment_overlap: float  # adjusted mutual information of clusters and RFM segments
    projection: pl.DataFrame  # sample of customers: x, y, cluster (for the 2-D view)
    params: ClusterConfig

    @property
    def restates_segments(self) -> bool:
        """Whether the clusters mostly repeat the RFM segments (overlap at or above the
        configured maximum)."""
        return self.segment_overlap >= self.params.max_overlap_with_segments


def cluster_analysis(
    customers: pl.DataFrame, params: ClusterConfig, value_column: str = "monetary"
) -> ClusterResult:
    """Cluster customers (customer_id, segment, monetary, the configured features, and
    `value_column`, which numbers the clusters)."""
    from sklearn.metrics import (
        adjusted_mutual_info_score,
        calinski_harabasz_score,
        davies_bouldin_score,
    )

    features: list[str] = list(params.features)
    matrix = scaled_features(customers, features, params.scaling)
    rng = np.random.default_rng(params.random_state)
    sample_index = (np.sort(rng.choice(len(matrix), params.sample_size, replace=False))
                    if len(matrix) > params.sample_size else np.arange(len(matrix)))
    sample = matrix[sample_index]
    scorer = SilhouetteScorer(sample, params.random_state)
    k_values = [k for k in range(params.k_min, params.k_max + 1) if k < len(sample)]
    # Scores are rounded: parallel reductions in scikit-learn differ in the last bits from run
    # to run, and the same input must give the same bytes out.
    selection = pl.DataFrame(
        [_score_k(sample, k, params, scorer) for k in k_values],
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
    distinctions = feature_distinctions(labelled, features)
    labelled = labelled.join(cluster_names(distinctions), on="cluster", maintain_order="left")
    labels = labelled["cluster"].to_numpy()
    quality_index = sample_index
    return ClusterResult(
        customers=labelled.select("customer_id", "cluster", "cluster_name").sort("customer_id"),
        selection=selection,
        chosen_k=chosen,
        elbow_k=elbow_k,
        silhouette_k=silhouette_k,
        k_reason=reason,
        silhouette=round(scorer.score(labels[quality_index]), SCORE_DECIMALS),
        calinski_harabasz=round(float(calinski_harabasz_score(matrix[quality_index],
                                                              labels[quality_index])),
                                SCORE_DECIMALS),
        davies_bouldin=round(float(davies_bouldin_score(matrix[quality_index],
                                                        labels[quality_index])), SCORE_DECIMALS),
        features=tuple(features),
        profiles=cluster_profiles(labelled, features),
        distinctions=distinctions,
        overall=overall_averages(labelled, features),
        clv_mean=float(labelled["clv"].mean()) if "clv" in labelled.columns else None,  # type: ignore[arg-type]
        crosstab=labelled.group_by("cluster", "cluster_name", "segment")
        .agg(pl.len().cast(pl.Int64).alias("customers")).sort("cluster", "segment"),
        segment_overlap=round(float(adjusted_mutual_info_score(
            labelled["segment"].to_list(), labels)), SCORE_DECIMALS),
        projection=_projection(matrix, labels, rng),
        params=params,
    )


def transformed(customers: pl.DataFrame, features: list[str]) -> pl.DataFrame:
    """The features as clustered: log(1 + x) where the feature is skewed, as they are else."""
    return customers.select(
        pl.col(f).fill_null(0.0).clip(0).log1p() if FEATURES[f].log
        else pl.col(f).fill_null(0.0) for f in features)


def scaled_features(customers: pl.DataFrame, features: list[str], scaling: str) -> np.ndarray:
    """The transformed features, scaled (standard: z-scores; minmax: 0 to 1)."""
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    values = transformed(customers, features).to_numpy().astype(float)
    scaler = MinMaxScaler() if scaling == "minmax" else StandardScaler()
    return np.asarray(scaler.fit_transform(values))


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


def feature_distinctions(labelled: pl.DataFrame, features: list[str]) -> pl.DataFrame:
    """How far each cluster's mean sits from all customers' mean on each transformed feature,
    in standard deviations (cluster, feature, z)."""
    values = transformed(labelled, features).with_columns(labelled["cluster"])
    rows = []
    for f in features:
        spread = float(values[f].std() or 0.0)  # type: ignore[arg-type]
        centre = float(values[f].mean() or 0.0)  # type: ignore[arg-type]
        means = values.group_by("cluster").agg(pl.col(f).mean()).rows()
        rows += [(int(c), f, round((m - centre) / spread, SCORE_DECIMALS) if spread else 0.0)
                 for c, m in means]
    return pl.DataFrame(rows, schema={"cluster": pl.Int64, "feature": pl.String,
                                      "z": pl.Float64}, orient="row").sort("cluster", "feature")


def cluster_names(distinctions: pl.DataFrame) -> pl.DataFrame:
    """A name per cluster from the features that set it furthest from the average customer
    (at least NAME_THRESHOLD standard deviations), most distinguishing first."""
    names: dict[int, str] = {}
    for cluster in sorted(set(distinctions["cluster"].to_list())):
        ranked = (distinctions.filter((pl.col("cluster") == cluster)
                                      & (pl.col("z").abs() >= NAME_THRESHOLD))
                  .sort([pl.col("z").abs(), "feature"], descending=[True, False]))
        words = [FEATURES[f].above if z > 0 else FEATURES[f].below
                 for f, z in ranked.select("feature", "z").rows()]
        name = ", ".join(words[:NAME_WORDS]) or "close to the average customer"
        names[cluster] = name[0].upper() + name[1:]
    unique = {c: n if list(names.values()).count(n) == 1 else f"{n} ({c})"
              for c, n in names.items()}
    return pl.DataFrame({"cluster": list(unique), "cluster_name": list(unique.values())},
                        schema={"cluster": pl.Int64, "cluster_name": pl.String})


def overall_averages(labelled: pl.DataFrame, features: list[str]) -> dict[str, float]:
    """Each feature over all customers, as the profile shows it: the mean of a share, the
    median of anything else."""
    return {f: float(labelled.select(pl.col(f).mean() if FEATURES[f].kind == "share"
                                     else pl.col(f).median()).item() or 0.0)
            for f in features}


def cluster_profiles(labelled: pl.DataFrame, features: list[str]) -> pl.DataFrame:
    """Per cluster: size, share, revenue and revenue share, median and mean of each feature,
    and the mean CLV when the table has it."""
    clv = [pl.col("clv").mean().alias("clv_mean")] if "clv" in labelled.columns else []
    return (
        group_profiles(labelled, ["cluster", "cluster_name"],
                       pl.col("monetary").sum().alias("revenue"),
                       *statistics({f: f for f in features}, "median", "mean"), *clv)
        .with_columns(share_of("revenue", labelled["monetary"], "revenue_share"))
        .sort("cluster")
    )


def _score_k(sample: np.ndarray, k: int, params: ClusterConfig,
             scorer: SilhouetteScorer) -> tuple[int, float, float]:
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=k, n_init=min(params.search_n_init, params.n_init),
                   random_state=params.random_state)
    labels = model.fit_predict(sample)
    return k, float(model.inertia_), scorer.score(labels)


class SilhouetteScorer:
    """Mean silhouette of labellings of the same points: on at most SILHOUETTE_SAMPLE of them,
    drawn as scikit-learn's silhouette_score(sample_size=..., random_state=seed) draws them,
    from one matrix of their pairwise distances shared by every k the search tries (the
    distances do not depend on the labels). The same values as scikit-learn's, which computes
    the distances again for each k."""

    def __init__(self, points: np.ndarray, seed: int) -> None:
        size = min(len(points), SILHOUETTE_SAMPLE)
        self.chosen = np.random.RandomState(seed).permutation(len(points))[:size]
        chosen = np.asarray(points[self.chosen], dtype=float)
        squares = (chosen ** 2).sum(axis=1)
        self.distances = np.sqrt(np.clip(
            squares[:, None] + squares[None, :] - 2 * chosen @ chosen.T, 0.0, None))
        np.fill_diagonal(self.distances, 0.0)

    def score(self, labels: np.ndarray) -> float:
        """Mean over the sampled points of (b - a) / max(a, b): a the mean distance to the
        rest of the point's cluster, b the smallest mean distance to another cluster; 0 for a
        point alone in its cluster (Rousseeuw 1987, as scikit-learn defines it); -1 for a
        single cluster."""
        clusters, index = np.unique(np.asarray(labels)[self.chosen], return_inverse=True)
        if len(clusters) < 2:
            return -1.0
        rows = np.arange(len(index))
        members = np.zeros((len(index), len(clusters)))
        members[rows, index] = 1.0
        sums = self.distances @ members
        counts = members.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            own = sums[rows, index] / (counts[index] - 1)
            means = sums / counts
            means[rows, index] = np.inf
            nearest = means.min(axis=1)
            scores = (nearest - own) / np.maximum(own, nearest)
        return float(np.where(counts[index] > 1, np.nan_to_num(scores), 0.0).mean())


def _model(k: int, params: ClusterConfig, rows: int) -> KMeans | MiniBatchKMeans:
    from sklearn.cluster import KMeans, MiniBatchKMeans

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
