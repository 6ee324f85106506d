"""Products: best sellers, return rates and repeat buying."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from reportgen.config import BehaviourConfig

# A product's description: the one its lines use most (ties: the first alphabetically).
MAIN_DESCRIPTION = pl.col("description").mode().sort().first().alias("description")


@dataclass(frozen=True)
class ProductResult:
    """Product rankings over the window, and lines by price and quantity band."""

    top_by_quantity: pl.DataFrame
    top_by_revenue: pl.DataFrame
    highest_return_rate: pl.DataFrame
    most_rebought: pl.DataFrame
    params: BehaviourConfig

    @property
    def most_returned(self) -> dict[str, Any] | None:
        """The product with the highest return rate (of those with enough volume), if any."""
        return self.highest_return_rate.row(0, named=True) if self.highest_return_rate.height \
            else None

    @property
    def top_rebought(self) -> dict[str, Any] | None:
        """The product bought again by the most customers, if any."""
        return self.most_rebought.row(0, named=True) if self.most_rebought.height else None


def product_analysis(
    purchases: pl.DataFrame, ordered: pl.DataFrame, params: BehaviourConfig
) -> ProductResult:
    """Rank the products of the given (window's) purchases and order lines.

    `ordered` are the window's order lines with their returned units (cancelled orders
    included; see `CleanTransactions.ordered_lines`).
    """
    limit = params.top_products
    sales = product_sales(purchases)
    rates = product_return_rates(ordered).filter(
        pl.col("units_ordered") >= params.min_units_for_return_rate)
    return ProductResult(
        top_by_quantity=sales.sort(["quantity", "stock_code"], descending=[True, False]).head(limit),
        top_by_revenue=sales.sort(["revenue", "stock_code"], descending=[True, False]).head(limit),
        highest_return_rate=rates
        .sort(["return_rate", "units_returned", "stock_code"], descending=[True, True, False])
        .head(limit),
        most_rebought=rebought_products(purchases)
        .filter(pl.col("buyers") >= params.min_buyers_for_repeat)
        .sort(["repeat_buyers", "stock_code"], descending=[True, False])
        .head(limit),
        params=params,
    )


def product_sales(purchases: pl.DataFrame) -> pl.DataFrame:
    """Units, revenue, orders and customers per product, with its most used description."""
    return purchases.group_by("stock_code").agg(
        MAIN_DESCRIPTION,
        pl.col("quantity").sum().alias("quantity"),
        pl.col("revenue").sum().alias("revenue"),
        pl.col("invoice").n_unique().cast(pl.Int64).alias("orders"),
        pl.col("customer_id").drop_nulls().n_unique().cast(pl.Int64).alias("customers"),
    )


def product_return_rates(ordered: pl.DataFrame) -> pl.DataFrame:
    """Returned units over ordered units per product, both of the given order lines.

    A cancelled order is one order and one return; units returned of orders outside the lines
    (bought earlier) are not counted, so the rate lies in [0, 1].
    """
    return (
        ordered.group_by("stock_code")
        .agg(
            MAIN_DESCRIPTION,
            pl.col("quantity").sum().alias("units_ordered"),
            pl.col("returned_units").sum().alias("units_returned"),
            pl.col("returned_value").sum().alias("value_returned"),
        )
        .filter(pl.col("units_ordered") > 0)
        .with_columns((pl.col("units_returned") / pl.col("units_ordered")).alias("return_rate"))
    )


def rebought_products(purchases: pl.DataFrame) -> pl.DataFrame:
    """Per product: buyers, buyers who bought it on two or more days, and their share."""
    per_buyer = (
        purchases.filter(pl.col("customer_id").is_not_null())
        .group_by("stock_code", "customer_id")
        .agg(pl.col("invoice_date").dt.date().n_unique().alias("days"),
             pl.col("description").first())
    )
    return (
        per_buyer.group_by("stock_code")
        .agg(
            MAIN_DESCRIPTION,
            pl.len().cast(pl.Int64).alias("buyers"),
            (pl.col("days") >= 2).sum().cast(pl.Int64).alias("repeat_buyers"),
        )
        .with_columns((pl.col("repeat_buyers") / pl.col("buyers")).alias("repeat_share"))
    )
