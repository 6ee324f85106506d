"""Returns and cancellations: by month, product, country and RFM segment, and per customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl


@dataclass(frozen=True)
class ReturnsResult:
    """Where the window's returns come from, and every customer's return rate."""

    by_month: pl.DataFrame  # month, value, lines, invoices, revenue, value_share
    by_product: pl.DataFrame  # stock_code, description, value, lines, units
    by_country: pl.DataFrame  # country, value, lines
    by_segment: pl.DataFrame  # segment, value, lines, revenue, value_share
    customer_return_rates: pl.DataFrame  # customer_id, return_rate


def returns_analysis(
    purchases: pl.DataFrame,
    returns: pl.DataFrame,
    segments: pl.DataFrame,
    window_start: datetime,
    analysis_date: datetime,
    top: int,
) -> ReturnsResult:
    """Summarise the window's returns; return rates per customer use their whole history."""
    in_window = pl.col("invoice_date").is_between(window_start, analysis_date, closed="left")
    window_returns = returns.filter(in_window)
    window_sales = purchases.filter(in_window)
    month = pl.col("invoice_date").dt.truncate("1mo").alias("month")
    by_month = (
        window_sales.group_by(month).agg(pl.col("revenue").sum().alias("revenue"))
        .join(window_returns.group_by(month).agg(_totals()), on="month", how="full",
              coalesce=True)
        .pipe(_fill)
        .with_columns(_share("revenue"))
        .sort("month")
    )
    by_product = (
        window_returns.group_by("stock_code").agg(
            pl.col("description").mode().sort().first().alias("description"), *_totals(),
            pl.col("quantity").sum().alias("units"),
        )
        .sort(["value", "stock_code"], descending=[True, False]).head(top)
    )
    by_country = (
        window_returns.group_by(pl.col("country").fill_null("Unknown")).agg(_totals())
        .sort(["value", "country"], descending=[True, False])
    )
    labelled = segments.select("customer_id", "segment")
    by_segment = (
        window_sales.join(labelled, on="customer_id").group_by("segment")
        .agg(pl.col("revenue").sum().alias("revenue"))
        .join(window_returns.join(labelled, on="customer_id").group_by("segment").agg(_totals()),
              on="segment", how="full", coalesce=True)
        .pipe(_fill)
        .with_columns(_share("revenue"))
        .sort(["value", "segment"], descending=[True, False])
    )
    return ReturnsResult(by_month, by_product, by_country, by_segment,
                         customer_return_rates(purchases, returns, analysis_date))


def customer_return_rates(
    purchases: pl.DataFrame, returns: pl.DataFrame, analysis_date: datetime
) -> pl.DataFrame:
    """Returned value over ordered value per identified customer (0 without returns).

    Ordered value adds back the purchases that matched cancellations removed.
    """
    before = pl.col("customer_id").is_not_null() & (pl.col("invoice_date") < analysis_date)
    bought = purchases.filter(before).group_by("customer_id").agg(
        pl.col("revenue").sum().alias("bought"))
    returned = returns.filter(before).group_by("customer_id").agg(
        pl.col("value").sum().alias("returned"),
        pl.col("value").filter(pl.col("matched")).sum().alias("cancelled"),
    )
    return (
        bought.join(returned, on="customer_id", how="left")
        .with_columns(pl.col("returned", "cancelled").fill_null(0.0))
        .select(
            "customer_id",
            (pl.col("returned") / (pl.col("bought") + pl.col("cancelled"))).alias("return_rate"),
        )
        .sort("customer_id")
    )


def _totals() -> list[pl.Expr]:
    return [
        pl.col("value").sum().alias("value"),
        pl.len().cast(pl.Int64).alias("lines"),
        pl.col("invoice").n_unique().cast(pl.Int64).alias("invoices"),
    ]


def _fill(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("revenue", "value").fill_null(0.0),
                              pl.col("lines", "invoices").fill_null(0))


def _share(revenue: str) -> pl.Expr:
    """Returned value as a share of the same group's purchase revenue (empty without sales)."""
    return (pl.when(pl.col(revenue) > 0).then(pl.col("value") / pl.col(revenue))
            .alias("value_share"))
