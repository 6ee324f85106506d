"""Products: best sellers, return rates and repeat buying."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from reportgen.config import BehaviourConfig


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
    product_months: pl.DataFrame, customer_products: pl.DataFrame, descriptions: pl.DataFrame,
    params: BehaviourConfig,
) -> ProductResult:
    """Rank the products of the given (window's) months of the reduced tables
    `product_months`, `customer_products` and `descriptions` (see `inputs.reduce`).

    Return rates count cancelled orders as ordered and returned in full.
    """
    limit = params.top_products
    names = main_descriptions(descriptions)
    sales = product_sales(product_months, customer_products).join(names, on="stock_code",
                                                                  how="left")
    rates = product_return_rates(product_months).filter(
        pl.col("units_ordered") >= params.min_units_for_return_rate
    ).join(names, on="stock_code", how="left")
    return ProductResult(
        top_by_quantity=sales.sort(["quantity", "stock_code"], descending=[True, False]).head(limit),
        top_by_revenue=sales.sort(["revenue", "stock_code"], descending=[True, False]).head(limit),
        highest_return_rate=rates
        .sort(["return_rate", "units_returned", "stock_code"], descending=[True, True, False])
        .head(limit),
        most_rebought=rebought_products(customer_products).join(names, on="stock_code", how="left")
        .filter(pl.col("buyers") >= params.min_buyers_for_repeat)
        .sort(["repeat_buyers", "stock_code"], descending=[True, False])
        .head(limit),
        params=params,
    )


def main_descriptions(descriptions: pl.DataFrame) -> pl.DataFrame:
    """A product's description: the one the given months' lines use most (ties: the first
    alphabetically); `stock_code`, `description`."""
    used = descriptions.group_by("stock_code", "description").agg(pl.col("lines").sum())
    return (
        used.filter(pl.col("lines") == pl.col("lines").max().over("stock_code"))
        .group_by("stock_code").agg(pl.col("description").min())
        .sort("stock_code")
    )


def product_sales(product_months: pl.DataFrame, customer_products: pl.DataFrame
                  ) -> pl.DataFrame:
    """Units, revenue, orders and identified customers per product of the purchases (not the
    cancelled orders)."""
    customers = customer_products.group_by("stock_code").agg(
        pl.col("customer_id").n_unique().cast(pl.Int64).alias("customers"))
    return (
        product_months.filter(~pl.col("cancelled")).group_by("stock_code")
        .agg(pl.col("quantity").sum(), pl.col("revenue").sum(),
             pl.col("invoices").sum().alias("orders"))
        .join(customers, on="stock_code", how="left")
        .with_columns(pl.col("customers").fill_null(0))
    )


def product_return_rates(product_months: pl.DataFrame) -> pl.DataFrame:
    """Returned units over ordered units per product, both of the given order lines.

    A cancelled order is one order and one return; units returned of orders outside the lines
    (bought earlier) are not counted, so the rate lies in [0, 1].
    """
    return (
        product_months.group_by("stock_code")
        .agg(
            pl.col("quantity").sum().alias("units_ordered"),
            pl.col("returned_units").sum().alias("units_returned"),
            pl.col("returned_value").sum().alias("value_returned"),
        )
        .filter(pl.col("units_ordered") > 0)
        .with_columns((pl.col("units_returned") / pl.col("units_ordered")).alias("return_rate"))
    )


def rebought_products(customer_products: pl.DataFrame) -> pl.DataFrame:
    """Per product: identified buyers, buyers who bought it on two or more days, and their
    share."""
    per_buyer = customer_products.group_by("stock_code", "customer_id").agg(pl.col("days").sum())
    return (
        per_buyer.group_by("stock_code")
        .agg(
            pl.len().cast(pl.Int64).alias("buyers"),
            (pl.col("days") >= 2).sum().cast(pl.Int64).alias("repeat_buyers"),
        )
        .with_columns((pl.col("repeat_buyers") / pl.col("buyers")).alias("repeat_share"))
    )
