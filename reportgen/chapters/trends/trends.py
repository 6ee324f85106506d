"""Month-by-month figures: the last months' trends and the seasonality of the calendar year."""

from __future__ import annotations

import polars as pl

from reportgen.period import Period


def monthly_trends(purchases: pl.DataFrame, period: Period, months: int = 13) -> pl.DataFrame:
    """Revenue, orders, active / new / returning customers and order value per month.

    One row for each of the `months` months ending with `period`, including months without
    purchases (zeros; order value empty). New customers made their first purchase ever in the
    month; returning = active - new. Anonymous orders count for revenue and orders.
    """
    first = period.shift(-(months - 1))
    month = pl.col("invoice_date").dt.truncate("1mo")
    calendar = pl.DataFrame({"month": [first.shift(i).start for i in range(months)]}).with_columns(
        pl.col("month").cast(pl.Datetime("us")))
    in_window = purchases.filter(
        pl.col("invoice_date").is_between(first.start, period.analysis_date, closed="left"))
    totals = in_window.group_by(month.alias("month")).agg(
        pl.col("revenue").sum().alias("revenue"),
        pl.col("invoice").n_unique().cast(pl.Int64).alias("orders"),
        pl.col("customer_id").drop_nulls().n_unique().cast(pl.Int64).alias("active_customers"),
    )
    newcomers = (
        purchases.filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id")
        .agg(month.min().alias("month"))
        .group_by("month")
        .agg(pl.len().cast(pl.Int64).alias("new_customers"))
    )
    return (
        calendar.join(totals, on="month", how="left")
        .join(newcomers, on="month", how="left")
        .with_columns(
            pl.col("revenue").fill_null(0.0),
            pl.col("orders", "active_customers", "new_customers").fill_null(0),
        )
        .with_columns(
            (pl.col("active_customers") - pl.col("new_customers")).alias("returning_customers"),
            pl.when(pl.col("orders") > 0).then(pl.col("revenue") / pl.col("orders"))
            .alias("average_order_value"),
            (pl.col("month") == period.start).alias("is_current"),
        )
        .sort("month")
    )


def seasonality(purchases: pl.DataFrame, period: Period) -> pl.DataFrame:
    """Revenue and orders per calendar month and year, complete months up to the period only."""
    return (
        purchases.filter(pl.col("invoice_date") < period.analysis_date)
        .group_by(
            pl.col("invoice_date").dt.year().alias("year"),
            pl.col("invoice_date").dt.month().alias("month"),
        )
        .agg(
            pl.col("revenue").sum().alias("revenue"),
            pl.col("invoice").n_unique().cast(pl.Int64).alias("orders"),
        )
        .sort("year", "month")
    )
