"""The reduced tables chapters read instead of purchase lines, written once in narwhals (run by
Polars, and by Spark on its cluster) like the cleaning rules they follow.

`orders`: one row per order, that is an invoice's purchase lines of one customer, country and
day. Sales KPIs, cohorts, seasonality and RFM count distinct invoices and add revenue by month
or by customer; an invoice never spans two of those rows' keys, so they count and add the same
on orders as on lines, from a table a fraction of the size.

`customer_products`: one row per identified customer, product and month: what products,
buy-again lists and clusters need of who bought what.

`price_quantity`: purchase lines and revenue per month, unit-price band and quantity band.
"""

from __future__ import annotations

from typing import Any, Literal

import narwhals as nw
import polars as pl

ORDER_KEY = ["invoice", "customer_id", "country", "day"]
# Polars runs the plan with its in-memory engine: the streaming engine adds a group's values in
# an order that varies from run to run, so sums of money differed in their last bits.
POLARS_ENGINE: Literal["in-memory"] = "in-memory"
# Lower edges and names of the unit-price and quantity bands (the behaviour chapter's grid).
PRICE_BANDS = ((0.0, "under 1"), (1.0, "1–2"), (2.0, "2–5"), (5.0, "5–10"), (10.0, "10–20"),
               (20.0, "20 and over"))
QUANTITY_BANDS = ((1, "1"), (2, "2–5"), (6, "6–11"), (12, "12–23"), (24, "24–99"),
                  (100, "100+"))


def orders(purchases: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """One row per invoice, customer, country and day of the purchase lines: `invoice_date`,
    the order's time (its first line's), `revenue`, `products` (distinct stock codes); `line`,
    its first line's position (for a stable order), where the lines carry it."""
    positions = [nw.col("line").min()] if "line" in purchases.collect_schema().names() else []
    return (
        purchases.with_columns(nw.col("invoice_date").dt.truncate("1d").alias("day"))
        .group_by(ORDER_KEY, drop_null_keys=False)
        .agg(nw.col("invoice_date").min(), nw.col("revenue").sum(),
             nw.col("stock_code").n_unique().cast(nw.Int64).alias("products"), *positions)
        .drop("day")
    )


def customer_products(purchases: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """One row per identified customer, stock code and `month` of the purchase lines:
    `quantity`, `returned_units`, `revenue`, `lines`, `days` (distinct purchase days; a day
    lies in one month, so days add up across months) and `last_bought` (the latest time);
    sorted by customer, product and month."""
    return (
        purchases.filter(~nw.col("customer_id").is_null())
        .with_columns(nw.col("invoice_date").dt.truncate("1mo").alias("month"),
                      nw.col("invoice_date").dt.truncate("1d").alias("day"))
        .group_by("customer_id", "stock_code", "month")
        .agg(nw.col("quantity").sum(), nw.col("returned_units").sum(), nw.col("revenue").sum(),
             nw.len().cast(nw.Int64).alias("lines"),
             nw.col("day").n_unique().cast(nw.Int64).alias("days"),
             nw.col("invoice_date").max().alias("last_bought"))
        .sort("customer_id", "stock_code", "month")
    )


def customer_products_of(purchases: pl.DataFrame) -> pl.DataFrame:
    """`customer_products` of purchase lines held by Polars."""
    return collected(customer_products(nw.from_native(purchases.lazy())))


def collected(frame: nw.LazyFrame[Any]) -> pl.DataFrame:
    """A plan over Polars frames, computed (by POLARS_ENGINE)."""
    result = frame.to_native().collect(engine=POLARS_ENGINE)
    assert isinstance(result, pl.DataFrame)
    return result


def band_index(column: str, bands: tuple[tuple[float, str], ...]) -> nw.Expr:
    """Index of the band a value falls in, given the bands' lower edges in ascending order."""
    index: nw.Expr = nw.lit(0)
    for position, (edge, _) in enumerate(bands[1:], start=1):
        index = nw.when(nw.col(column) >= edge).then(nw.lit(position)).otherwise(index)
    return index.cast(nw.Int32)


def price_quantity(purchases: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Purchase lines (`lines`) and `revenue` per `month`, unit-price band (`price_order`, an
    index into PRICE_BANDS) and quantity band (`quantity_order`, into QUANTITY_BANDS), sorted
    by those."""
    return purchases.group_by(
        nw.col("invoice_date").dt.truncate("1mo").alias("month"),
        band_index("unit_price", PRICE_BANDS).alias("price_order"),
        band_index("quantity", QUANTITY_BANDS).alias("quantity_order"),
    ).agg(nw.len().cast(nw.Int64).alias("lines"), nw.col("revenue").sum()) \
        .sort("month", "price_order", "quantity_order")


def price_quantity_of(purchases: pl.DataFrame) -> pl.DataFrame:
    """`price_quantity` of purchase lines held by Polars."""
    return collected(price_quantity(nw.from_native(purchases.lazy())))


def orders_of(purchases: pl.DataFrame) -> pl.DataFrame:
    """`orders` of purchase lines held by Polars, in the order of their first lines."""
    numbered = purchases.lazy().with_row_index("line")
    return collected(orders(nw.from_native(numbered))).sort("line").drop("line")
