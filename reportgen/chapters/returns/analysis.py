"""Returns and cancellations: by month, product, country and RFM segment, and per customer.

Return rates and shares are returned value over ordered value of the same order lines: each
returned unit is matched to the customer's earlier purchase of the product (see
`clean.attribute_returns`), so a rate never exceeds 1. Returns that match no purchase in the
data (goods bought before it starts) count in the returns' value but in no rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from reportgen.chapters.products.analysis import main_descriptions
from reportgen.inputs.reduce import in_months


@dataclass(frozen=True)
class ReturnsResult:
    """Where the window's returns come from, and every customer's return rate."""

    by_month: pl.DataFrame  # month (of the order), ordered, value (returned since), value_share
    by_product: pl.DataFrame  # stock_code, description, value, lines, invoices, units
    by_country: pl.DataFrame  # country, value, lines, invoices
    by_segment: pl.DataFrame  # segment, ordered, value (returned), value_share
    customer_return_rates: pl.DataFrame  # customer_id, return_rate
    returns_value: float  # value of the return lines dated in the window
    ordered_value: float  # value ordered in the window (cancelled orders included)
    returned_value: float  # of which returned by the analysis date
    loyal_without_returns: int  # champions and loyal customers who never returned anything

    @property
    def returned_share(self) -> float | None:
        """Share of the value ordered in the window that came back (None without orders)."""
        return self.returned_value / self.ordered_value if self.ordered_value > 0 else None


def returns_analysis(
    customer_months: pl.DataFrame,
    return_orders: pl.DataFrame,
    product_returns: pl.DataFrame,
    descriptions: pl.DataFrame,
    segments: pl.DataFrame,
    window_start: datetime,
    analysis_date: datetime,
    top: int,
) -> ReturnsResult:
    """Summarise the window's returns; rates per customer use their whole history.

    Reads the reduced tables (`inputs.reduce`): `customer_months` (value ordered and returned
    per customer and month of the order), `return_orders` (the return lines per invoice),
    `product_returns` and `descriptions`; the window starts and ends at a month.
    """
    window = in_months(window_start, analysis_date)
    window_returns = return_orders.filter(
        pl.col("invoice_date").is_between(window_start, analysis_date, closed="left"))
    window_orders = customer_months.filter(window)
    labelled = segments.select("customer_id", "segment")
    by_product = (
        product_returns.filter(window).group_by("stock_code")
        .agg(pl.col("value", "lines", "invoices", "units").sum())
        .join(main_descriptions(descriptions.filter(window)), on="stock_code", how="left")
        .select("stock_code", "description", "value", "lines", "invoices", "units")
        .sort(["value", "stock_code"], descending=[True, False]).head(top)
    )
    by_country = (
        window_returns.group_by(pl.col("country").fill_null("Unknown"))
        .agg(pl.col("value").sum(), pl.col("lines").sum(),
             pl.col("invoice").n_unique().cast(pl.Int64).alias("invoices"))
        .sort(["value", "country"], descending=[True, False])
    )
    totals = window_orders.select(_returned()).row(0, named=True)
    rates = customer_return_rates(customer_months, analysis_date)
    loyal = labelled.filter(pl.col("segment").is_in(["champions", "loyal_customers"])).join(
        rates, on="customer_id", how="left").filter(pl.col("return_rate").fill_null(0.0) == 0)
    return ReturnsResult(
        by_month=window_orders.group_by("month").agg(_returned()).pipe(_with_share).sort("month"),
        by_product=by_product,
        by_country=by_country,
        by_segment=window_orders.join(labelled, on="customer_id").group_by("segment")
        .agg(_returned()).pipe(_with_share)
        .sort(["value", "segment"], descending=[True, False]),
        customer_return_rates=rates,
        returns_value=float(window_returns["value"].sum()),
        ordered_value=float(totals["ordered"] or 0.0),
        returned_value=float(totals["value"] or 0.0),
        loyal_without_returns=loyal.height,
    )


def customer_return_rates(customer_months: pl.DataFrame, analysis_date: datetime
                          ) -> pl.DataFrame:
    """Returned value over ordered value per identified customer, whole history (0 without
    returns); cancelled orders count as ordered and returned."""
    return (
        customer_months.filter(pl.col("customer_id").is_not_null()
                               & (pl.col("month") < analysis_date))
        .group_by("customer_id").agg(_returned())
        .pipe(_with_share)
        .select("customer_id", pl.col("value_share").fill_null(0.0).alias("return_rate"))
        .sort("customer_id")
    )


def _returned() -> list[pl.Expr]:
    return [pl.col("ordered").sum().alias("ordered"),
            pl.col("returned").sum().alias("value")]


def _with_share(frame: pl.DataFrame) -> pl.DataFrame:
    """Add value_share = returned over ordered value (empty where nothing was ordered)."""
    return frame.with_columns(
        pl.when(pl.col("ordered") > 0).then(pl.col("value") / pl.col("ordered"))
        .alias("value_share"))
