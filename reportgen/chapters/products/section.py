"""The products page: best sellers, highest return rates, products bought again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from reportgen.chapters.base import Section
from reportgen.chapters.products.analysis import ProductResult


@dataclass(frozen=True)
class ProductRow:
    """A product in one of the product tables; unused measures are zero."""

    stock_code: str
    description: str
    quantity: int = 0
    revenue: float = 0.0
    orders: int = 0
    customers: int = 0
    units_ordered: int = 0
    units_returned: int = 0
    return_rate: float = 0.0
    returning_customers: int = 0
    largest_customer_share: float | None = None
    buyers: int = 0
    repeat_buyers: int = 0
    repeat_share: float = 0.0


@dataclass(frozen=True)
class VolumeProduct:
    """A product sold by volume or weight, and why it is taken to be."""

    stock_code: str
    description: str
    median_quantity: float
    reason: str


@dataclass(frozen=True)
class ProductsView:
    """What the products page shows."""

    window_months: int
    top_by_quantity: tuple[ProductRow, ...]
    top_by_revenue: tuple[ProductRow, ...]
    highest_return_rate: tuple[ProductRow, ...]
    min_units_for_return_rate: int
    min_customers_for_return_rate: int
    has_returns: bool  # the unit's data hold returns (else no return-rate table)
    most_rebought: tuple[ProductRow, ...]
    min_buyers_for_repeat: int
    by_volume: tuple[VolumeProduct, ...]


def products_section(result: ProductResult, has_returns: bool) -> Section[ProductsView]:
    """The product tables as rows (the return rates only where the data hold returns)."""
    params = result.params
    return Section(ProductsView(
        window_months=params.window_months,
        top_by_quantity=product_rows(result.top_by_quantity),
        top_by_revenue=product_rows(result.top_by_revenue),
        highest_return_rate=product_rows(result.highest_return_rate),
        min_units_for_return_rate=params.min_units_for_return_rate,
        min_customers_for_return_rate=params.min_customers_for_return_rate,
        has_returns=has_returns,
        most_rebought=product_rows(result.most_rebought),
        min_buyers_for_repeat=params.min_buyers_for_repeat,
        by_volume=tuple(
            VolumeProduct(row["stock_code"], row["description"] or row["stock_code"],
                          row["median_quantity"], volume_reason(row))
            for row in result.by_volume.iter_rows(named=True)),
    ))


def volume_reason(row: dict[str, Any]) -> str:
    """Why a product is taken to be sold by volume or weight."""
    if row["listed"]:
        return "listed in cleaning.sold_by_volume.codes"
    ratio = row["median_quantity"] / row["catalogue_quantity"] if row["catalogue_quantity"] \
        else None
    times = f", {ratio:,.0f} times the usual line's {row['catalogue_quantity']:g}" if ratio \
        else ""
    return f"a typical line holds {row['median_quantity']:,.0f} units{times}"


def product_rows(frame: pl.DataFrame) -> tuple[ProductRow, ...]:
    """A product table's rows, with the measures ProductRow knows."""
    fields = set(ProductRow.__dataclass_fields__)
    return tuple(ProductRow(**{k: v for k, v in row.items() if k in fields})
                 for row in frame.iter_rows(named=True))
