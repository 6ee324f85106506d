"""The table audiences are chosen from: the customer table plus what audiences filter on."""

from __future__ import annotations

from datetime import datetime

import polars as pl

AUDIENCE_COLUMNS = ("customer_id", "segment", "recency_days", "frequency", "monetary",
                    "return_rate", "revenue_12m", "tenure_days", "first_purchase_in_period")
CLV_COLUMNS = ("clv", "clv_group", "p_alive", "p_buy_90d")
OFFER_COLUMNS = ("suggested_products",)
PLACE_COLUMNS = ("country",)


def audience_table(
    customers: pl.DataFrame, orders: pl.DataFrame, window_start: datetime,
    period_start: datetime, analysis_date: datetime,
) -> pl.DataFrame:
    """One row per customer: segment, R, F, M, return rate, last 12 months' revenue, tenure
    in days, whether the first purchase is in the report's month, and CLV, group, P(alive),
    the chance of buying within 90 days and the products to offer (suggested_products) when
    the customer table has them. `orders`: one row per order (`CleanTransactions.orders`)."""
    window = orders.filter(
        pl.col("customer_id").is_not_null()
        & pl.col("invoice_date").is_between(window_start, analysis_date, closed="left")
    ).group_by("customer_id").agg(pl.col("revenue").sum().alias("revenue_12m"))
    optional = [name for name in (*PLACE_COLUMNS, *CLV_COLUMNS, *OFFER_COLUMNS)
                if name in customers.columns]
    # Without returns in the data there are no return rates (`select_audience` then finds no
    # one for an audience on them).
    columns = [name for name in AUDIENCE_COLUMNS
               if name != "return_rate" or "return_rate" in customers.columns]
    rates = [pl.col("return_rate").fill_null(0.0)] if "return_rate" in customers.columns else []
    return (
        customers.join(window, on="customer_id", how="left")
        .with_columns(
            *rates,
            pl.col("revenue_12m").fill_null(0.0),
            (pl.lit(analysis_date) - pl.col("first_purchase")).dt.total_days().alias("tenure_days"),
            (pl.col("first_purchase") >= period_start).alias("first_purchase_in_period"),
        )
        .select(*columns, *optional)
        .sort("customer_id")
    )
