"""What customers are clustered on: how they buy, beyond the recency, frequency and spend the
RFM segments already capture."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from reportgen.models.frames import habit_shares


@dataclass(frozen=True)
class FeatureSpec:
    """A clustering feature: what it measures, whether it is log-scaled, how a cluster well
    above or below the average customer is described."""

    label: str
    log: bool
    above: str
    below: str
    kind: str  # how the profile prints it: money, count, share or days


FEATURES: dict[str, FeatureSpec] = {
    "order_value": FeatureSpec("Average order value", True, "big orders", "small orders",
                               "money"),
    "products_per_order": FeatureSpec("Products per order", True, "large baskets",
                                      "small baskets", "number"),
    "product_range": FeatureSpec("Different products bought", True, "wide range",
                                 "narrow range", "count"),
    "return_rate": FeatureSpec("Share of value returned", False, "frequent returns",
                               "few returns", "share"),
    "tenure_days": FeatureSpec("Days since first purchase", True, "long-standing",
                               "recently joined", "count"),
    "gap_days": FeatureSpec("Days between purchases", True, "long gaps between orders",
                            "short gaps between orders", "count"),
    "weekend_share": FeatureSpec("Orders at weekends", False, "weekend buyers",
                                 "weekday buyers", "share"),
    "evening_share": FeatureSpec("Orders in the evening", False, "evening buyers",
                                 "daytime buyers", "share"),
}


def customer_features(
    orders: pl.DataFrame,
    customer_products: pl.DataFrame,
    customers: pl.DataFrame,
    habits: pl.DataFrame,
    return_rates: pl.DataFrame,
    analysis_date: datetime,
    evening_starts_hour: int,
) -> pl.DataFrame:
    """Every feature of FEATURES per segmented customer (orders and customer_products:
    `CleanTransactions.orders` and `.customer_products`; customers: the segments chapter's
    table; habits: the behaviour chapter's; return_rates: the returns chapter's).

    A customer who bought on a single day has no gap between purchases yet: their gap is the
    time since that purchase, the least it will be.
    """
    orders = orders.filter(pl.col("customer_id").is_not_null()
                           & (pl.col("invoice_date") < analysis_date)) \
        .select("customer_id", "products", pl.col("invoice_date").alias("when"))
    per_customer = orders.group_by("customer_id").agg(
        pl.col("products").mean().alias("products_per_order"),
        *habit_shares(pl.col("when"), evening_starts_hour),
    )
    ranges = customer_products.group_by("customer_id").agg(
        pl.col("stock_code").n_unique().alias("product_range"))
    tenure = (pl.lit(analysis_date) - pl.col("first_purchase")).dt.total_days()
    since_last = (pl.lit(analysis_date) - pl.col("last_purchase")).dt.total_days()
    return (
        customers.select("customer_id", "segment", "recency_days", "frequency", "monetary",
                         "first_purchase", "last_purchase")
        .join(per_customer, on="customer_id", how="left", maintain_order="left")
        .join(ranges, on="customer_id", how="left", maintain_order="left")
        .join(habits.select("customer_id", "avg_days_between_purchases"), on="customer_id",
              how="left", maintain_order="left")
        .join(return_rates, on="customer_id", how="left", maintain_order="left")
        .with_columns(
            (pl.col("monetary") / pl.col("frequency")).alias("order_value"),
            tenure.cast(pl.Float64).alias("tenure_days"),
            pl.coalesce("avg_days_between_purchases", since_last.cast(pl.Float64))
            .alias("gap_days"),
            pl.col("return_rate").fill_null(0.0),
        )
        .drop("first_purchase", "last_purchase", "avg_days_between_purchases")
    )
