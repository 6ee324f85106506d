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
    by_volume: pl.DataFrame  # sold by volume or weight: stock_code, description, median
    # quantity, catalogue quantity, listed (see `reduce.volume_products`)
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
    params: BehaviourConfig, volume_products: pl.DataFrame | None = None,
) -> ProductResult:
    """Rank the products of the given (window's) months of the reduced tables
    `product_months`, `customer_products` and `descriptions` (see `inputs.reduce`).

    Products sold by volume or weight (`volume_products`) are left out of the ranking by units
    and listed apart. Return rates are of the purchases in revenue (a cancelled order is neither ordered nor
    returned), and need returns from `min_customers_for_return_rate` customers: one customer's
    large return is not a product's rate.
    """
    limit = params.top_products
    names = main_descriptions(descriptions)
    sales = product_sales(product_months, customer_products).join(names, on="stock_code",
                                                                  how="left")
    rates = product_return_rates(product_months, customer_products).filter(
        (pl.col("units_ordered") >= params.min_units_for_return_rate)
        & (pl.col("returning_customers") >= params.min_customers_for_return_rate)
    ).join(names, on="stock_code", how="left")
    by_volume = volume_products if volume_products is not None else NO_VOLUME_PRODUCTS
    counted = sales.join(by_volume.select("stock_code"), on="stock_code", how="anti")
    return ProductResult(
        top_by_quantity=counted.sort(["quantity", "stock_code"], descending=[True, False])
        .head(limit),
        top_by_revenue=sales.sort(["revenue", "stock_code"], descending=[True, False]).head(limit),
        highest_return_rate=rates
        .sort(["return_rate", "units_returned", "stock_code"], descending=[True, True, False])
        .head(limit),
        most_rebought=rebought_products(customer_products).join(names, on="stock_code", how="left")
        .filter(pl.col("buyers") >= params.min_buyers_for_repeat)
        .sort(["repeat_buyers", "stock_code"], descending=[True, False])
        .head(limit),
        by_volume=by_volume.join(names, on="stock_code", how="left"),
        params=params,
    )


NO_VOLUME_PRODUCTS = pl.DataFrame(schema={
    "stock_code": pl.String, "median_quantity": pl.Float64, "median_price": pl.Float64,
    "lines": pl.Int64, "catalogue_quantity": pl.Float64, "listed": pl.Boolean})


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


def product_return_rates(product_months: pl.DataFrame, customer_products: pl.DataFrame
                         ) -> pl.DataFrame:
    """Returned units over ordered units per product, both of the given purchase lines (not
    the cancelled orders), with the customers whose returns they are (`returning_customers`)
    and the share of the returned units that the largest of them returned
    (`largest_customer_share`).

    Units returned of orders outside the lines (bought earlier) are not counted, so the rate
    lies in [0, 1].
    """
    returners = (
        customer_products.filter(pl.col("returned_units") > 0)
        .group_by("stock_code", "customer_id").agg(pl.col("returned_units").sum())
        .group_by("stock_code").agg(
            pl.len().cast(pl.Int64).alias("returning_customers"),
            pl.col("returned_units").max().alias("largest_customer_units"),
            pl.col("returned_units").sum().alias("identified_units"))
    )
    return (
        product_months.filter(~pl.col("cancelled")).group_by("stock_code")
        .agg(
            pl.col("quantity").sum().alias("units_ordered"),
            pl.col("returned_units").sum().alias("units_returned"),
            pl.col("returned_value").sum().alias("value_returned"),
        )
        .filter(pl.col("units_ordered") > 0)
        .join(returners, on="stock_code", how="left")
        .with_columns(
            (pl.col("units_returned") / pl.col("units_ordered")).alias("return_rate"),
            pl.col("returning_customers").fill_null(0),
            pl.when(pl.col("identified_units") > 0)
            .then(pl.col("largest_customer_units") / pl.col("identified_units"))
            .alias("largest_customer_share"),
        )
        .drop("largest_customer_units", "identified_units")
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
