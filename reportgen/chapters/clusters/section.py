"""The clusters page: how k was chosen, each cluster's profile against the average customer, a
2-D view, and how clusters and segments overlap."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.chapters.base import Section
from reportgen.chapters.clusters.analysis import ClusterResult
from reportgen.chapters.clusters.charts import cluster_map_chart, cluster_selection_chart
from reportgen.chapters.clusters.features import FEATURES
from reportgen.display.charts import Chart
from reportgen.display.formatting import segment_label


@dataclass(frozen=True)
class ProfileLine:
    """One measure across the clusters, and for all customers; kind says how it prints."""

    label: str
    kind: str  # money, number, count or share
    values: tuple[float | None, ...]
    overall: float | None


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
    names: tuple[str, ...]  # cluster 1 first
    profile: tuple[ProfileLine, ...]
    by_clv: bool  # clusters are numbered by mean CLV (else by mean spend)
    segment_overlap: float
    restates_segments: bool
    segment_labels: tuple[str, ...]
    crosstab: tuple[tuple[str, tuple[int, ...]], ...]


def cluster_section(clusters: ClusterResult) -> Section[ClusterView]:
    """Tables and charts of the clusters chapter; clusters that restate the segments go to the
    appendix."""
    profiles = clusters.profiles.sort("cluster")
    segments = sorted(clusters.crosstab["segment"].unique().to_list())
    wide = clusters.crosstab.pivot(on="segment", index=["cluster", "cluster_name"],
                                   values="customers").fill_null(0).sort("cluster")
    crosstab = tuple(
        (row["cluster_name"], tuple(int(row.get(s, 0) or 0) for s in segments))
        for row in wide.iter_rows(named=True)
    )
    lines = [
        ProfileLine("Customers", "count", tuple(profiles["customers"]),
                    float(profiles["customers"].sum())),
        ProfileLine("Share of customers", "share", tuple(profiles["share"]), 1.0),
        ProfileLine("Share of revenue to date", "share", tuple(profiles["revenue_share"]), 1.0),
    ]
    if clusters.clv_mean is not None:
        lines.append(ProfileLine("Mean CLV", "money", tuple(profiles["clv_mean"]),
                                 clusters.clv_mean))
    for f in clusters.features:  # shares as means (their medians are mostly 0), else medians
        spec = FEATURES[f]
        average = "mean" if spec.kind == "share" else "median"
        lines.append(ProfileLine(f"{spec.label} ({average})", spec.kind,
                                 tuple(profiles[f"{f}_{average}"]), clusters.overall[f]))
    names = dict(profiles.select("cluster", "cluster_name").rows())
    view = ClusterView(
        chosen_k=clusters.chosen_k,
        k_reason=clusters.k_reason,
        silhouette_k=clusters.silhouette_k,
        elbow_k=clusters.elbow_k,
        silhouette=clusters.silhouette,
        calinski_harabasz=clusters.calinski_harabasz,
        davies_bouldin=clusters.davies_bouldin,
        names=tuple(profiles["cluster_name"]),
        by_clv=clusters.clv_mean is not None,
        profile=tuple(lines),
        segment_overlap=clusters.segment_overlap,
        restates_segments=clusters.restates_segments,
        segment_labels=tuple(segment_label(s) for s in segments),
        crosstab=crosstab,
    )
    return Section(view, charts={
        "cluster_selection": Chart("", "", cluster_selection_chart(
            clusters.selection, clusters.chosen_k, clusters.elbow_k)),
        "cluster_map": Chart("", "", cluster_map_chart(clusters.projection, names)),
    }, appendix=clusters.restates_segments)
