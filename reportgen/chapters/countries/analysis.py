"""Countries: customers, orders, revenue, order value and returns per country, over the window
and in the reported month, and each customer's main country."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from reportgen.inputs.reduce import exact_sum

# Country values that say nothing about where a customer is: shown as not given, never counted
# as a country.
UNKNOWN_COUNTRIES = ("", "unspecified", "unknown", "n/a", "na", "none", "-", "null")
NOT_GIVEN = "Not given"


@dataclass(frozen=True)
class CountriesResult:
    """Country tables over the window and the reported month, and customers' main country."""

    window: pl.DataFrame  # country_table() of the window
    month: pl.DataFrame  # country_table() of the reported month
    customer_countries: pl.DataFrame  # customer_id, country (their main country)

    @property
    def countries(self) -> int:
        """Countries (not counting 'not given') that bought in the window."""
        return self.window.filter(pl.col("country") != NOT_GIVEN).height


def countries_analysis(orders: pl.DataFrame, returns: pl.DataFrame, window_start: datetime,
                       month_start: datetime, analysis_date: datetime) -> CountriesResult:
    """The window's and the month's country tables, and every identified customer's main
    country: where the most of their revenue to date comes from (ties: the first name)."""
    known = orders.filter(pl.col("customer_id").is_not_null()
                          & (pl.col("invoice_date") < analysis_date))
    by_country = known.group_by("customer_id", country_name()).agg(exact_sum("revenue"))
    main = (
        by_country.sort(["customer_id", "revenue", "country"], descending=[False, True, False])
        .group_by("customer_id", maintain_order=True).first()
        .select("customer_id", "country")
    )
    return CountriesResult(
        window=country_table(orders, returns, window_start, analysis_date),
        month=country_table(orders, returns, month_start, analysis_date),
        customer_countries=main,
    )


def country_name() -> pl.Expr:
    """The country column, with values that name no country as NOT_GIVEN."""
    country = pl.col("country")
    unknown = country.is_null() | country.str.strip_chars().str.to_lowercase().is_in(
        list(UNKNOWN_COUNTRIES))
    return pl.when(unknown).then(pl.lit(NOT_GIVEN)).otherwise(country).alias("country")


def country_table(
    orders: pl.DataFrame, returns: pl.DataFrame, window_start: datetime, analysis_date: datetime
) -> pl.DataFrame:
    """One row per country of the purchases in [window_start, analysis_date), largest revenue
    first, 'not given' last, from one row per order (`CleanTransactions.orders`; purchase
    lines give the same table) and per return invoice (`CleanTransactions.return_orders`; or
    return lines): the returns every page counts (`kind` return)."""
    in_window = pl.col("invoice_date").is_between(window_start, analysis_date, closed="left")
    sales = orders.filter(in_window).group_by(country_name()).agg(
        pl.col("customer_id").drop_nulls().n_unique().cast(pl.Int64).alias("customers"),
        pl.col("invoice").n_unique().cast(pl.Int64).alias("orders"),
        exact_sum("revenue"),
    )
    returned = returns.filter(in_window & (pl.col("kind") == "return")).group_by(
        country_name()).agg(exact_sum("value").alias("returns_value"))
    # Added in the countries' order: grouping leaves them in any order, and a float sum in
    # another order can differ in its last bit (every share with it).
    total = sales.sort("country")["revenue"].sum()
    return (
        sales.join(returned, on="country", how="left")
        .with_columns(
            pl.col("returns_value").fill_null(0.0),
            (pl.col("revenue") / pl.col("orders")).alias("average_order_value"),
            (pl.col("revenue") / total if total else pl.lit(0.0)).alias("revenue_share"),
            (pl.col("country") == NOT_GIVEN).alias("not_given"),
        )
        .sort(["not_given", "revenue", "country"], descending=[False, True, False])
        .drop("not_given")
    )
