"""Customer clusters: K-Means on how customers buy (order value, basket, product range,
returns, tenure, gaps, weekend and evening ordering), k chosen by the data, clusters numbered by
value and named by what sets them apart; an appendix when they restate the RFM segments."""

from __future__ import annotations

from typing import Any

import polars as pl

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.behaviour.analysis import BehaviourResult
from reportgen.chapters.clusters.analysis import ClusterResult, cluster_analysis
from reportgen.chapters.clusters.features import customer_features
from reportgen.chapters.clusters.section import ClusterView, cluster_section
from reportgen.chapters.clv.analysis import ClvResult
from reportgen.chapters.returns.analysis import ReturnsResult
from reportgen.chapters.segments.analysis import SegmentsResult
from reportgen.models.records import record

MIN_CLUSTER_CUSTOMERS = 50  # fewer customers than this cannot support a k search
NO_RETURN_RATES = pl.DataFrame(schema={"customer_id": pl.String, "return_rate": pl.Float64})


class ClustersChapter(Chapter[ClusterResult], key="clusters", title="Customer clusters",
                      needs=("segments", "clv", "behaviour", "returns")):
    """Customer clusters; left out when switched off or with too few customers."""

    placement = "analysis"

    customer_position = 5

    def compute(self, inputs: AnalysisInputs) -> ClusterResult | None:
        """Clusters of every segmented customer on how they buy, numbered by value."""
        customers = inputs.results.of("segments", SegmentsResult).customers
        params = inputs.config.clusters
        if not params.enabled or customers.height < MIN_CLUSTER_CUSTOMERS:
            return None
        returns = inputs.results.get("returns", ReturnsResult)
        if returns is None:  # no returns in the data: the return rate would be 0 for everyone
            params = params.model_copy(update={
                "features": [f for f in params.features if f != "return_rate"]})
        features = customer_features(
            inputs.clean.orders, inputs.clean.customer_products, customers,
            inputs.results.of("behaviour", BehaviourResult).customer_habits,
            returns.customer_return_rates if returns is not None else NO_RETURN_RATES,
            inputs.period.analysis_date, inputs.config.behaviour.evening_starts_hour)
        clv = inputs.results.get("clv", ClvResult)
        if params.use_clv and clv is not None and clv.forecast is not None:
            features = features.join(clv.forecast.customers.select("customer_id", "clv"),
                                     on="customer_id", how="left", maintain_order="left")
            return cluster_analysis(features, params, value_column="clv")
        return cluster_analysis(features, params)

    def customer_columns(self, result: ClusterResult) -> pl.DataFrame:
        """cluster and cluster_name."""
        return result.customers

    def section(self, result: ClusterResult, inputs: SectionInputs) -> Section[ClusterView]:
        """The clusters page (an appendix when the clusters restate the segments)."""
        return cluster_section(result)

    def manifest(self, result: ClusterResult) -> dict[str, Any]:
        """How k was chosen, quality scores, sizes, and the overlap with the segments."""
        return {"clusters": {
            **record(result),
            "selection": result.selection.to_dicts(),
            "sizes": dict(result.profiles.select("cluster_name", "customers").rows()),
        }}
