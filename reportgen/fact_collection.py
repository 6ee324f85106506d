"""Gather this period's facts (see facts.py) from the analyses' results."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from reportgen.analyses.clv import ClvResult
from reportgen.analyses.kpis import PeriodKpis
from reportgen.analyses.migration import MigrationResult
from reportgen.analyses.products import ProductResult
from reportgen.behaviour_section import BehaviourSection
from reportgen.facts import FactValue


def collect_facts(
    kpis: PeriodKpis,
    previous: PeriodKpis,
    segments_now: pl.DataFrame,
    segments_before: pl.DataFrame,
    segment_names: list[str],
    migration: MigrationResult,
    clv: ClvResult | None,
    behaviour: BehaviourSection,
    products: ProductResult,
    audience: pl.DataFrame,
) -> dict[str, FactValue]:
    """Every fact that has a value this period; facts without one are simply absent."""
    facts: dict[str, FactValue] = {
        "kpi.revenue": kpis.revenue,
        "kpi.orders": kpis.orders,
        "kpi.new_customers": kpis.new_customers,
        "kpi.active_customers": kpis.active_customers,
    }
    if previous.has_orders and previous.revenue:
        facts["kpi.revenue_change"] = (kpis.revenue - previous.revenue) / previous.revenue
    now = _shares(segments_now)
    before = _shares(segments_before)
    for name in segment_names:
        count, share, revenue = now.get(name, (0, 0.0, 0.0))
        facts[f"segment_count.{name}"] = count
        facts[f"segment_share.{name}"] = share
        facts[f"segment_revenue.{name}"] = revenue
        if before:
            facts[f"segment_share_change.{name}"] = share - before.get(name, (0, 0.0, 0.0))[1]
    if migration.flows.height:
        top = migration.flows.row(0, named=True)
        facts["segment_flow.largest_count"] = top["customers"]
        facts["segment_flow.largest_from"] = top["from_segment"].replace("_", " ")
        facts["segment_flow.largest_to"] = top["to_segment"].replace("_", " ")
    if clv is not None and clv.available:
        facts["clv.total"] = float(clv.customers["clv"].sum())
        group_a = clv.group_profiles.filter(pl.col("clv_group") == "A")["clv_share"]
        facts["clv.group_a_share"] = float(group_a[0]) if group_a.len() else 0.0
        facts["clv.horizon_months"] = clv.params.horizon_months
        facts["high_value_at_risk.count"] = clv.high_value_at_risk.height
        facts["high_value_at_risk.clv"] = float(clv.high_value_at_risk["clv"].sum())
    if products.highest_return_rate.height:
        top_product = products.highest_return_rate.row(0, named=True)
        facts["return_rate.product_max"] = top_product["return_rate"]
        facts["return_rate.product_max_name"] = top_product["description"]
    if behaviour.returns_share is not None:
        facts["returns.share"] = behaviour.returns_share
    if behaviour.retention_after_1 is not None:
        facts["retention.m1"] = behaviour.retention_after_1
    if behaviour.retention_after_3 is not None:
        facts["retention.m3"] = behaviour.retention_after_3
        if behaviour.retention_after_1 is not None:
            facts["retention.m3_drop"] = behaviour.retention_after_1 - behaviour.retention_after_3
    if behaviour.peak_hour is not None:
        facts["peak_hour"] = behaviour.peak_hour
        facts["peak_weekday"] = behaviour.peak_weekday
        facts["peak_hour_share"] = behaviour.peak_hour_share
    if behaviour.peak_month:
        facts["peak_month"] = behaviour.peak_month
        facts["peak_month_lift"] = behaviour.peak_month_lift
    if products.most_rebought.height:
        top_rebought = products.most_rebought.row(0, named=True)
        facts["products.rebought_top_name"] = top_rebought["description"]
        facts["products.rebought_top_share"] = top_rebought["repeat_share"]
    facts["loyal_low_return.count"] = audience.filter(
        pl.col("segment").is_in(["champions", "loyal_customers"]) & (pl.col("return_rate") == 0)
    ).height
    return facts


def audience_table(
    rfm_customers: pl.DataFrame,
    clv: ClvResult | None,
    return_rates: pl.DataFrame,
    purchases: pl.DataFrame,
    window_start: datetime,
    analysis_date: datetime,
) -> pl.DataFrame:
    """One row per customer with what audience filters and values need."""
    window = purchases.filter(
        pl.col("customer_id").is_not_null()
        & pl.col("invoice_date").is_between(window_start, analysis_date, closed="left")
    ).group_by("customer_id").agg(pl.col("revenue").sum().alias("revenue_12m"))
    table = (
        rfm_customers.select("customer_id", "segment", "recency_days", "frequency", "monetary",
                             "first_purchase")
        .join(return_rates, on="customer_id", how="left")
        .join(window, on="customer_id", how="left")
        .with_columns(
            pl.col("return_rate").fill_null(0.0),
            pl.col("revenue_12m").fill_null(0.0),
            (pl.lit(analysis_date) - pl.col("first_purchase")).dt.total_days().alias("tenure_days"),
        )
        .drop("first_purchase")
    )
    if clv is not None and clv.available:
        table = table.join(clv.customers.select("customer_id", "clv", "clv_group", "p_alive"),
                           on="customer_id", how="left")
    return table.sort("customer_id")


def _shares(segments: pl.DataFrame) -> dict[str, tuple[int, float, float]]:
    if segments.is_empty():
        return {}
    total = segments.height
    rows = segments.group_by("segment").agg(pl.len().alias("n"), pl.col("monetary").sum())
    return {s: (int(n), n / total, float(m)) for s, n, m in rows.iter_rows()}
