"""Returns and cancellations: one definition of the returns every page counts, by month,
product, country and RFM segment, cancelled orders apart, and per customer.

Returns are the return lines (goods sent back, or refunded) dated in a window, whether or not
the data hold the purchase they return; net revenue subtracts the same figure. A cancellation
that netted out a whole order line is a *cancelled order*: the order never counted as revenue,
so it is counted once, apart, and never as a return. A cancellation at another price than
the order's, or of an order re-issued to the customer, is a correction, in neither.

Return rates are returned value over ordered value of the same order lines: each returned unit
is matched to the customer's earlier purchase of the product (see `clean.attribute_returns`),
so a rate never exceeds 1. Returns that match no purchase in the data (goods bought before it
starts) count in the value of returns but in no rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from reportgen.chapters.products.analysis import main_descriptions
from reportgen.inputs.reduce import exact_sum
from reportgen.models.frames import in_months

# The returns every page counts (`reduce.return_orders` kinds).
RETURN = pl.col("kind") == "return"
# Rows of the by-segment table for returns without a customer id, and for customers whose
# purchases the data do not hold (they only returned goods bought before the data start).
NO_CUSTOMER_ID, NO_PURCHASE = "no customer id", "no purchase in the data"


@dataclass(frozen=True)
class ReturnsResult:
    """The window's returns, cancelled orders and corrections, and every customer's return
    rate. `by_month` and `by_segment` add up to `returns_value` exactly."""

    by_month: pl.DataFrame  # month (of the return), value, revenue (the month's), value_share
    by_product: pl.DataFrame  # stock_code, description, value, lines, invoices, units
    by_country: pl.DataFrame  # country, value, lines, invoices
    by_segment: pl.DataFrame  # segment, value, ordered (window), returned (of it), value_share
    customer_return_rates: pl.DataFrame  # customer_id, return_rate
    returns_value: float  # value of the return lines dated in the window
    returns_invoices: int
    cancelled_value: float  # value of the order lines cancelled in full in the window
    cancelled_invoices: int
    corrections_value: float  # cancellations at another price or of re-issued orders
    corrections_invoices: int
    ordered_value: float  # value of the window's purchases
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
) -> ReturnsResult | None:
    """Summarise the window's returns; rates per customer use their whole history. None when
    the data hold no return or cancellation at all up to the analysis date.

    Reads the reduced tables (`inputs.reduce`): `customer_months` (value ordered and returned
    per customer and month of the purchase), `return_orders` (the return lines per invoice and
    kind), `product_returns` and `descriptions`; the window starts and ends at a month.
    """
    if not any_returns(return_orders, analysis_date):
        return None
    window = in_months(window_start, analysis_date)
    in_window = return_orders.filter(
        pl.col("invoice_date").is_between(window_start, analysis_date, closed="left"))
    returned = in_window.filter(RETURN)
    window_orders = customer_months.filter(window)
    labelled = segments.select("customer_id", "segment")
    by_product = (
        product_returns.filter(window & RETURN).group_by("stock_code")
        .agg(exact_sum("value"), pl.col("lines", "invoices", "units").sum())
        .join(main_descriptions(descriptions.filter(window)), on="stock_code", how="left")
        .select("stock_code", "description", "value", "lines", "invoices", "units")
        .sort(["value", "stock_code"], descending=[True, False]).head(top)
    )
    by_country = (
        returned.group_by(pl.col("country").fill_null("Unknown"))
        .agg(exact_sum("value"), pl.col("lines").sum(),
             pl.col("invoice").n_unique().cast(pl.Int64).alias("invoices"))
        .sort(["value", "country"], descending=[True, False])
    )
    totals = window_orders.select(_returned()).row(0, named=True)
    rates = customer_return_rates(customer_months, analysis_date)
    loyal = labelled.filter(pl.col("segment").is_in(["champions", "loyal_customers"])).join(
        rates, on="customer_id", how="left").filter(pl.col("return_rate").fill_null(0.0) == 0)
    cancelled = in_window.filter(pl.col("kind") == "cancellation")
    corrections = in_window.filter(pl.col("kind") == "correction")
    return ReturnsResult(
        by_month=returns_by_month(returned, window_orders, window_start, analysis_date),
        by_product=by_product,
        by_country=by_country,
        by_segment=returns_by_segment(returned, window_orders, labelled),
        customer_return_rates=rates,
        returns_value=float(returned["value"].sum()),
        returns_invoices=returned["invoice"].n_unique(),
        cancelled_value=float(cancelled["value"].sum()),
        cancelled_invoices=cancelled["invoice"].n_unique(),
        corrections_value=float(corrections["value"].sum()),
        corrections_invoices=corrections["invoice"].n_unique(),
        ordered_value=float(totals["ordered"] or 0.0),
        returned_value=float(totals["value"] or 0.0),
        loyal_without_returns=loyal.height,
    )


def any_returns(return_orders: pl.DataFrame, analysis_date: datetime) -> bool:
    """Whether the data hold any return or cancellation before the analysis date (a unit
    without has no returns page and no return rates)."""
    return not return_orders.filter(pl.col("invoice_date") < analysis_date).is_empty()


def returns_by_month(returned: pl.DataFrame, window_orders: pl.DataFrame,
                     window_start: datetime, analysis_date: datetime) -> pl.DataFrame:
    """Every month of the window: `value` of its returns, its purchases' `revenue`, and
    `value_share`, the one over the other (empty without revenue)."""
    months = pl.DataFrame({"month": pl.datetime_range(window_start, analysis_date, "1mo",
                                                      closed="left", eager=True)})
    values = returned.group_by(pl.col("invoice_date").dt.truncate("1mo").alias("month")) \
        .agg(exact_sum("value"))
    revenue = window_orders.group_by("month").agg(exact_sum("ordered").alias("revenue"))
    return (
        months.with_columns(pl.col("month").cast(values.schema["month"]))
        .join(values, on="month", how="left").join(revenue, on="month", how="left")
        .with_columns(pl.col("value", "revenue").fill_null(0.0))
        .with_columns(pl.when(pl.col("revenue") > 0).then(pl.col("value") / pl.col("revenue"))
                      .alias("value_share"))
        .sort("month")
    )


def returns_by_segment(returned: pl.DataFrame, window_orders: pl.DataFrame,
                       labelled: pl.DataFrame) -> pl.DataFrame:
    """The window's returns by the customer's segment (`value`, adding up to the total: rows
    for returns without a customer id and for customers without a purchase in the data), and
    the segment's return rate: of the value it `ordered` in the window, what was `returned`
    by now (`value_share`)."""
    segment = pl.when(pl.col("customer_id").is_null()).then(pl.lit(NO_CUSTOMER_ID)) \
        .otherwise(pl.col("segment").fill_null(NO_PURCHASE)).alias("segment")
    values = returned.join(labelled, on="customer_id", how="left").group_by(segment) \
        .agg(exact_sum("value"))
    rates = window_orders.join(labelled, on="customer_id").group_by("segment") \
        .agg(_returned()).pipe(_with_share).rename({"value": "returned"})
    return (
        values.join(rates, on="segment", how="full", coalesce=True)
        .with_columns(pl.col("value").fill_null(0.0))
        .sort(["value", "segment"], descending=[True, False])
    )


def customer_return_rates(customer_months: pl.DataFrame, analysis_date: datetime
                          ) -> pl.DataFrame:
    """Returned value over ordered value per identified customer, whole history (0 without
    returns); cancelled orders are in neither."""
    return (
        customer_months.filter(pl.col("customer_id").is_not_null()
                               & (pl.col("month") < analysis_date))
        .group_by("customer_id").agg(_returned())
        .pipe(_with_share)
        .select("customer_id", pl.col("value_share").fill_null(0.0).alias("return_rate"))
        .sort("customer_id")
    )


def _returned() -> list[pl.Expr]:
    return [exact_sum("ordered"), exact_sum("returned").alias("value")]


def _with_share(frame: pl.DataFrame) -> pl.DataFrame:
    """Add value_share = returned over ordered value (empty where nothing was ordered)."""
    return frame.with_columns(
        pl.when(pl.col("ordered") > 0).then(pl.col("value") / pl.col("ordered"))
        .alias("value_share"))
