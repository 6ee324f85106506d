"""Who the unit sells to: wholesale accounts or consumers, as configured or inferred.

Trade buyers order several units of each of many products (cases for their shelves) and come
back every few weeks; households and shoppers buy one or two of each, and a grocery panel's
households shop every week. The inference reads only shapes that do not depend on currency or
catalogue: units per product line, products per order and the buying rhythm. Order value is
reported beside them, never used (it is in the unit's currency).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import polars as pl

from reportgen.chapters.segments.rfm import buying_rhythm_days

Profile = Literal["wholesale", "consumer"]
# Wholesale when all three hold: the median product line carries at least this many units,
# the median order at least this many products, and the usual gap between a customer's
# purchase days is longer than a weekly shop.
WHOLESALE_MIN_UNITS_PER_LINE = 4.0
WHOLESALE_MIN_PRODUCTS_PER_ORDER = 5.0
WEEKLY_SHOP_MAX_GAP_DAYS = 10


@dataclass(frozen=True)
class BusinessResult:
    """The unit's business profile and the shapes it was inferred from."""

    profile: Profile
    inferred: bool  # False: set in the unit's configuration (business:)
    units_per_line: float | None  # median units of a product in a customer's month
    products_per_order: float | None  # median distinct products per order
    rhythm_days: int  # the usual gap between a customer's purchase days
    order_value: float | None  # median order value, in the unit's currency (reported only)

    @property
    def explanation(self) -> str:
        """Why the report uses this profile, in one sentence."""
        if not self.inferred:
            return f"set to {self.profile} in the unit's configuration (business)"
        if self.units_per_line is None or self.products_per_order is None:
            return "inferred consumer: there are no identified customers' orders to read"
        shapes = (f"a median of {_count(self.products_per_order, 'product')} an order, "
                  f"{_count(self.units_per_line, 'unit')} of each, and a usual gap of "
                  f"{_count(self.rhythm_days, 'day')} between a customer's purchases")
        if self.profile == "wholesale":
            return f"inferred wholesale from {shapes} (trade accounts buying by the case)"
        return f"inferred consumer from {shapes}"


def business_profile(orders: pl.DataFrame, customer_products: pl.DataFrame,
                     volume_products: pl.DataFrame, analysis_date: datetime,
                     setting: Literal["auto", "wholesale", "consumer"]) -> BusinessResult:
    """The configured profile, or the one the identified customers' orders show (`orders`,
    `customer_products` and `volume_products` as `CleanTransactions` has them); products
    sold by volume or weight are left out of the units per line."""
    identified = orders.filter(pl.col("customer_id").is_not_null()
                               & (pl.col("invoice_date") < analysis_date))
    lines = customer_products.join(volume_products.select("stock_code"), on="stock_code",
                                   how="anti").filter(pl.col("lines") > 0)
    units = _median(lines["quantity"] / lines["lines"]) if lines.height else None
    products = _median(identified["products"]) if identified.height else None
    value = _median(identified["revenue"]) if identified.height else None
    rhythm = buying_rhythm_days(identified, analysis_date)
    if setting != "auto":
        profile: Profile = setting
    elif (units is not None and products is not None
          and units >= WHOLESALE_MIN_UNITS_PER_LINE
          and products >= WHOLESALE_MIN_PRODUCTS_PER_ORDER
          and rhythm > WEEKLY_SHOP_MAX_GAP_DAYS):
        profile = "wholesale"
    else:
        profile = "consumer"
    return BusinessResult(profile, setting == "auto", units, products, rhythm, value)


def _count(value: float, noun: str) -> str:
    """'1 product', '15 products', '2.5 units'."""
    return f"{value:g} {noun}" + ("" if value == 1 else "s")


def _median(values: pl.Series) -> float | None:
    median = values.median()
    return round(float(median), 1) if isinstance(median, int | float) else None
