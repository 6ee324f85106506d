"""Seasonality: revenue and orders by calendar month and year."""

from __future__ import annotations

import polars as pl

from reportgen.period import Period


def seasonality(orders: pl.DataFrame, period: Period) -> pl.DataFrame:
    """Revenue and orders per calendar month and year, complete months up to the period only."""
    return (
        orders.filter(pl.col("invoice_date") < period.analysis_date)
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
