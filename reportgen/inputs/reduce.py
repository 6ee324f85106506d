"""The reduced tables chapters read instead of purchase lines, written once in narwhals (run by
Polars, and by Spark on its cluster) like the cleaning rules they follow.

`orders`: one row per order, that is an invoice's purchase lines of one customer, country and
day. Sales KPIs, cohorts, seasonality and RFM count distinct invoices and add revenue by month
or by customer; an invoice never spans two of those rows' keys, so they count and add the same
on orders as on lines, from a table a fraction of the size.
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import polars as pl

ORDER_KEY = ["invoice", "customer_id", "country", "day"]


def orders(purchases: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """One row per invoice, customer, country and day of the purchase lines: `invoice_date`,
    the order's time (its first line's), and `revenue`; `line`, its first line's position (for
    a stable order), where the lines carry it."""
    positions = [nw.col("line").min()] if "line" in purchases.collect_schema().names() else []
    return (
        purchases.with_columns(nw.col("invoice_date").dt.truncate("1d").alias("day"))
        .group_by(ORDER_KEY, drop_null_keys=False)
        .agg(nw.col("invoice_date").min(), nw.col("revenue").sum(), *positions)
        .drop("day")
    )


def orders_of(purchases: pl.DataFrame) -> pl.DataFrame:
    """`orders` of purchase lines held by Polars, in the order of their first lines."""
    numbered = purchases.lazy().with_row_index("line")
    result = orders(nw.from_native(numbered)).to_native().collect()
    assert isinstance(result, pl.DataFrame)
    return result.sort("line").drop("line")
