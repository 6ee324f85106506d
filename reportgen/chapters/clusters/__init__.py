"""Customer clusters: K-Means on log-scaled RFM (and CLV), k chosen by the data, clusters
numbered by value and named from their centroids."""

from __future__ import annotations

from typing import Any

import polars as pl

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.clusters.analysis import ClusterResult, cluster_analysis
from reportgen.chapters.clusters.section import ClusterView, cluster_section
from reportgen.chapters.clv.analysis import ClvResult
from reportgen.chapters.segments.analysis import SegmentsResult

MIN_CLUSTER_CUSTOMERS = 50  # fewer customers than this cannot support a k search


class ClustersChapter(Chapter[ClusterResult], key="clusters", title="Customer clusters",
                      needs=("segments", "clv")):
    """Customer clusters; left out when switched off or with too few customers."""

    def compute(self, inputs: AnalysisInputs) -> ClusterResult | None:
        """Clusters of every segmented customer, on CLV too when it is available."""
        customers = inputs.results.of("segments", SegmentsResult).customers
        if not inputs.config.clusters.enabled or customers.height < MIN_CLUSTER_CUSTOMERS:
            return None
        clv = inputs.results.get("clv", ClvResult)
        return cluster_analysis(cluster_inputs(customers, clv), inputs.config.clusters)

    def customer_columns(self, result: ClusterResult) -> pl.DataFrame:
        """cluster and cluster_name."""
        return result.customers

    def section(self, result: ClusterResult, inputs: SectionInputs) -> Section[ClusterView]:
        """The clusters page."""
        return cluster_section(result)

    def manifest(self, result: ClusterResult) -> dict[str, Any]:
        """How k was chosen, quality scores and sizes."""
        return {"clusters": {
            "features": list(result.features), "chosen_k": result.chosen_k,
            "k_reason": result.k_reason, "silhouette_k": result.silhouette_k,
            "elbow_k": result.elbow_k, "silhouette": result.silhouette,
            "calinski_harabasz": result.calinski_harabasz,
            "davies_bouldin": result.davies_bouldin,
            "selection": result.selection.to_dicts(),
            "sizes": dict(result.profiles.select("cluster_name", "customers").rows()),
        }}


def cluster_inputs(rfm_customers: pl.DataFrame, clv: ClvResult | None) -> pl.DataFrame:
    """RFM values and segment per customer, with CLV when it is available."""
    table = rfm_customers.select("customer_id", "recency_days", "frequency", "monetary",
                                 "segment")
    if clv is not None and clv.available:
        table = table.join(clv.customers.select("customer_id", "clv"), on="customer_id",
                           how="left", maintain_order="left")
    return table
