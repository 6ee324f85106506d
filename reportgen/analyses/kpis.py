"""Headline figures of one period: revenue, orders, customers, order value, returns."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from reportgen.period import Period


@dataclass(frozen=True)
class PeriodKpis:
    """Sales KPIs of one calendar month (None where the month has no orders)."""

    period: Period
    revenue: float
    orders: int
    active_customers: int
    new_customers: int
    returning_customers: int
    average_order_value: float | None
    returns_value: float
    net_revenue: float
    anonymous_revenue_share: float | None

    @property
    def has_orders(self) -> bool:
        """Whether the month has at least one purchase."""
        return self.orders > 0


def period_kpis(purchases: pl.DataFrame, returns: pl.DataFrame, period: Period) -> PeriodKpis:
    """Compute the KPIs of `period`; new customers are those whose first purchase ever is in it."""
    in_period = pl.col("invoice_date").is_between(period.start, period.analysis_date, closed="left")
    month = purchases.filter(in_period)
    first_purchase = (
        purchases.filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id")
        .agg(pl.col("invoice_date").min().alias("first_purchase"))
    )
    new_customers = first_purchase.filter(
        pl.col("first_purchase").is_between(period.start, period.analysis_date, closed="left")
    ).height
    totals = month.select(
        pl.col("revenue").sum().alias("revenue"),
        pl.col("invoice").n_unique().alias("orders"),
        pl.col("customer_id").drop_nulls().n_unique().alias("active"),
        pl.col("revenue").filter(pl.col("customer_id").is_null()).sum().alias("anonymous"),
    ).row(0, named=True)
    revenue = float(totals["revenue"] or 0.0)
    orders = int(totals["orders"] or 0)
    active = int(totals["active"] or 0)
    returns_value = float(returns.filter(in_period)["value"].sum() or 0.0)
    return PeriodKpis(
        period=period,
        revenue=revenue,
        orders=orders,
        active_customers=active,
        new_customers=new_customers,
        returning_customers=active - new_customers,
        average_order_value=revenue / orders if orders else None,
        returns_value=returns_value,
        net_revenue=revenue - returns_value,
        anonymous_revenue_share=float(totals["anonymous"] or 0.0) / revenue if revenue else None,
    )

