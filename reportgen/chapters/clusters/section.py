"""The clusters page: how k was chosen, profiles, a 2-D view, clusters against segments."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.chapters.base import Section
from reportgen.chapters.clusters.analysis import ClusterResult
from reportgen.chapters.clusters.charts import cluster_map_chart, cluster_selection_chart
from reportgen.report.charts import Chart
from reportgen.report.formatting import segment_label

FEATURE_LABELS = {"recency_days": "recency", "frequency": "orders", "monetary": "spend",
                  "clv": "CLV"}


@dataclass(frozen=True)
class ClusterRow:
    """One cluster's profile."""

    cluster: int
    name: str
    customers: int
    share: float
    recency_median: float
    frequency_median: float
    monetary_median: float
    monetary_mean: float
    revenue_share: float
    clv_mean: float | None


@dataclass(frozen=True)
class ClusterView:
    """Everything the clusters chapter shows."""

    chosen_k: int
    k_reason: str
    silhouette_k: int
    elbow_k: int
    silhouette: float
    calinski_harabasz: float
    davies_bouldin: float
    features: str
    rows: tuple[ClusterRow, ...]
    segment_labels: tuple[str, ...]
    crosstab: tuple[tuple[str, tuple[int, ...]], ...]


def cluster_section(clusters: ClusterResult) -> Section[ClusterView]:
    """Tables and charts of the clusters chapter."""
    profiles = clusters.profiles
    has_clv = "clv_mean" in profiles.columns
    rows = tuple(
        ClusterRow(
            cluster=p["cluster"], name=p["cluster_name"], customers=p["customers"],
            share=p["share"], recency_median=p["recency_days_median"],
            frequency_median=p["frequency_median"], monetary_median=p["monetary_median"],
            monetary_mean=p["monetary_mean"], revenue_share=p["revenue_share"],
            clv_mean=p["clv_mean"] if has_clv else None,
        )
        for p in profiles.iter_rows(named=True)
    )
    segments = sorted(clusters.crosstab["segment"].unique().to_list())
    wide = clusters.crosstab.pivot(on="segment", index=["cluster", "cluster_name"],
                                   values="customers").fill_null(0).sort("cluster")
    crosstab = tuple(
        (row["cluster_name"], tuple(int(row.get(s, 0) or 0) for s in segments))
        for row in wide.iter_rows(named=True)
    )
    names = dict(profiles.select("cluster", "cluster_name").rows())
    view = ClusterView(
        chosen_k=clusters.chosen_k,
        k_reason=clusters.k_reason,
        silhouette_k=clusters.silhouette_k,
        elbow_k=clusters.elbow_k,
        silhouette=clusters.silhouette,
        calinski_harabasz=clusters.calinski_harabasz,
        davies_bouldin=clusters.davies_bouldin,
        features=", ".join(FEATURE_LABELS.get(f, f) for f in clusters.features),
        rows=rows,
        segment_labels=tuple(segment_label(s) for s in segments),
        crosstab=crosstab,
    )
    return Section(view, charts={
        "cluster_selection": Chart("", "", cluster_selection_chart(
            clusters.selection, clusters.chosen_k, clusters.elbow_k)),
        "cluster_map": Chart("", "", cluster_map_chart(clusters.projection, names)),
    })
