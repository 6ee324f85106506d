"""Countries: customers, orders, revenue, order value and returns per country."""

from __future__ import annotations

from datetime import datetime

import polars as pl


def country_table(
    orders: pl.DataFrame, returns: pl.DataFrame, window_start: datetime, analysis_date: datetime
) -> pl.DataFrame:
    """One row per country of the window's purchases, largest revenue first, from one row per
    order (`CleanTransactions.orders`; purchase lines give the same table) and per return
    invoice (`CleanTransactions.return_orders`; or return lines)."""
    in_window = pl.col("invoice_date").is_between(window_start, analysis_date, closed="left")
    country = pl.col("country").fill_null("Unknown").alias("country")
    sales = orders.filter(in_window).group_by(country).agg(
        pl.col("customer_id").drop_nulls().n_unique().cast(pl.Int64).alias("customers"),
        pl.col("invoice").n_unique().cast(pl.Int64).alias("orders"),
        pl.col("revenue").sum().alias("revenue"),
    )
    returned = returns.filter(in_window & (pl.col("kind") == "return")).group_by(country).agg(
        pl.col("value").sum().alias("returns_value"))
    total = sales["revenue"].sum()
    return (
        sales.join(returned, on="country", how="left")
        .with_columns(
            pl.col("returns_value").fill_null(0.0),
            (pl.col("revenue") / pl.col("orders")).alias("average_order_value"),
            (pl.col("revenue") / total if total else pl.lit(0.0)).alias("revenue_share"),
        )
        .sort(["revenue", "country"], descending=[True, False])
    )
