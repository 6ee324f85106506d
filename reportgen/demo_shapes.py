"""Simulated units of other shapes than the gift wholesaler of the demo, each in its own export
format, so that no rule of one business is built in unseen:

- `grocery`: a US grocery loyalty panel. Households shop about weekly and rarely leave; USD;
  times written in UTC for a shop in Chicago; no returns; fuel sold by the hundredth of a
  gallon and bananas by the gram; coupon lines of zero quantity and gift cards.
- `shop`: a European consumer web shop where most customers buy once; EUR; refunds as lines of
  negative quantity on refund orders without a cancellation prefix; shipping lines.

Both follow BG/NBD purchase processes (`demo_data.simulate_customers`) with known parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from reportgen.demo_data import simulate_customers

Shape = Literal["grocery", "shop"]
SHAPES: tuple[Shape, ...] = ("grocery", "shop")

GROCERY_ITEMS = ("MILK 2% GAL", "WHITE BREAD", "EGGS LARGE DOZEN", "CHEDDAR SLICES", "GREEK YOGURT",
                 "ORANGE JUICE", "GROUND BEEF 80/20", "CHICKEN BREAST", "PASTA PENNE", "RICE",
                 "CEREAL OATS", "COFFEE BEANS", "TOMATOES", "APPLES GALA", "POTATO CHIPS",
                 "SPARKLING WATER", "COLA 12PK", "FROZEN PIZZA", "ICE CREAM", "PAPER TOWELS",
                 "DISH SOAP", "TOOTHPASTE", "SHAMPOO", "DOG FOOD", "PEANUT BUTTER")
BRANDS = ("PRIVATE LABEL", "NATIONAL", "ORGANIC", "VALUE", "PREMIUM", "LOCAL", "FAMILY")
SHOP_ITEMS = ("Linen shirt", "Wool scarf", "Leather belt", "Canvas sneakers", "Denim jacket",
              "Cotton tee", "Silk tie", "Rain jacket", "Knit beanie", "Chino trousers",
              "Summer dress", "Cashmere sweater", "Sun hat", "Ankle boots", "Tote bag")
SHOP_COLOURS = ("navy", "black", "sand", "olive", "white", "red", "grey", "blue")
# Hour of the day (local) at which grocery baskets and web orders are placed.
GROCERY_HOURS = np.array([0, 0, 0, 0, 0, 0, 1, 3, 5, 7, 8, 9, 10, 9, 8, 9, 11, 14, 15, 12, 8,
                          4, 2, 1], dtype=float)
SHOP_HOURS = np.array([2, 1, 1, 0, 0, 0, 1, 2, 4, 5, 6, 6, 7, 6, 6, 6, 6, 7, 8, 10, 11, 10, 7,
                       4], dtype=float)


@dataclass(frozen=True)
class ShapeSpec:
    """Size, window and true weekly BG/NBD parameters of a simulated unit."""

    shape: Shape
    customers: int
    seed: int = 7
    start: datetime = datetime(2023, 1, 1)
    end: datetime = datetime(2025, 1, 1)

    @property
    def weeks(self) -> float:
        """Length of the simulated window in weeks."""
        return (self.end - self.start) / timedelta(weeks=1)


def simulate_shape(spec: ShapeSpec) -> pl.DataFrame:
    """The unit's export as its own columns, as `config/<shape>.yaml` maps them."""
    return grocery_panel(spec) if spec.shape == "grocery" else consumer_shop(spec)


def grocery_panel(spec: ShapeSpec) -> pl.DataFrame:
    """Households of a loyalty panel: weekly baskets of about 12 lines, written in UTC."""
    rng = np.random.default_rng(spec.seed)
    households = spec.customers
    lam = rng.gamma(6.0, 1 / 6.0, households)  # about one basket a week
    p = rng.beta(0.3, 30.0, households)  # almost nobody leaves
    births = rng.random(households) * 8.0  # recruited in the panel's first two months
    simulated = simulate_customers(rng, lam, p, births, spec.weeks)
    baskets = pl.DataFrame({"household": simulated.owners, "week": simulated.times})
    local = local_times(rng, spec, baskets["week"].to_numpy(), GROCERY_HOURS)
    baskets = baskets.with_columns(pl.Series("local", local)).sort("local", "household") \
        .with_row_index("basket")
    catalogue = grocery_catalogue(rng)
    sizes = 1 + rng.poisson(11.0, baskets.height)
    basket_of_line = np.repeat(np.arange(baskets.height), sizes)
    product = rng.choice(catalogue.height, basket_of_line.size,
                         p=catalogue["popularity"].to_numpy())
    units = np.where(catalogue["by_volume"].to_numpy()[product],
                     rng.integers(400, 1_600, basket_of_line.size),
                     rng.choice([1, 1, 1, 2, 2, 3, 4], basket_of_line.size))
    lines = pl.DataFrame({  # one line per product of a basket, as loyalty exports hold them
        "basket": basket_of_line, "product": product, "units": units,
    }).group_by("basket", "product").agg(pl.col("units").sum()) \
        .join(baskets.select(pl.col("basket").cast(pl.Int64), "household", "local"), on="basket")
    lines = lines.join(catalogue.with_row_index("product").with_columns(
        pl.col("product").cast(pl.Int64)), on="product")
    extras = grocery_extras(rng, baskets)
    table = pl.concat([
        lines.select("basket", "household", "local", "product_id", "product_name",
                     pl.col("units").cast(pl.Int64), "price"),
        extras,
    ]).sort("local", "basket", "product_id")
    chicago = ZoneInfo("America/Chicago")
    return table.select(
        ("B" + pl.col("basket").cast(pl.String)).alias("basket_id"),
        "product_id", "product_name", "units",
        pl.col("local").dt.replace_time_zone(str(chicago)).dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None).dt.strftime("%Y-%m-%d %H:%M:%S").alias("ts_utc"),
        pl.col("price").round(4).alias("unit_price"),
        ("H" + (pl.col("household") + 1_000).cast(pl.String)).alias("household_key"),
        pl.lit("Illinois").alias("store_state"),
    )


def grocery_catalogue(rng: np.random.Generator) -> pl.DataFrame:
    """Products by popularity; fuel by the hundredth of a gallon and bananas by the gram."""
    names = [f"{brand} {item}" for item in GROCERY_ITEMS for brand in BRANDS]
    prices = np.round(np.exp(rng.normal(1.2, 0.6, len(names))), 2).clip(0.5, 25.0)
    popularity = 1.0 / np.arange(1, len(names) + 1) ** 0.9
    catalogue = pl.DataFrame({
        "product_id": [str(100_000 + 17 * i) for i in range(len(names))],
        "product_name": names, "price": prices, "popularity": popularity,
        "by_volume": [False] * len(names),
    })
    by_volume = pl.DataFrame({
        "product_id": ["6534178", "5004"], "product_name": ["GASOLINE-REG UNLEADED",
                                                            "BANANAS LOOSE"],
        "price": [0.0349, 0.0013], "popularity": [popularity[3], popularity[5]],
        "by_volume": [True, True]})
    catalogue = pl.concat([catalogue, by_volume])
    return catalogue.with_columns(pl.col("popularity") / pl.col("popularity").sum())


def grocery_extras(rng: np.random.Generator, baskets: pl.DataFrame) -> pl.DataFrame:
    """Coupon lines (zero units) on a fifth of baskets, a gift card on one in a hundred."""
    coupon = baskets.filter(pl.Series(rng.random(baskets.height) < 0.2))
    gift = baskets.filter(pl.Series(rng.random(baskets.height) < 0.01))
    return pl.concat([
        coupon.select(pl.col("basket").cast(pl.Int64), "household", "local",
                      pl.lit("COUPON").alias("product_id"),
                      pl.lit("COUPON/MISC ITEMS").alias("product_name"),
                      pl.lit(0, pl.Int64).alias("units"), pl.lit(1.0).alias("price")),
        gift.select(pl.col("basket").cast(pl.Int64), "household", "local",
                    pl.lit("GC25").alias("product_id"),
                    pl.lit("GIFT CARD $25").alias("product_name"),
                    pl.lit(1, pl.Int64).alias("units"), pl.lit(25.0).alias("price")),
    ])


def consumer_shop(spec: ShapeSpec) -> pl.DataFrame:
    """A web shop where most customers buy once; refunds are orders of negative quantities."""
    rng = np.random.default_rng(spec.seed)
    customers = spec.customers
    lam = rng.gamma(0.3, 1 / 20.0, customers)  # a repeat every 67 weeks on average ...
    p = rng.beta(2.0, 2.0, customers)  # ... and half leave after each repeat
    births = rng.random(customers) * spec.weeks
    simulated = simulate_customers(rng, lam, p, births, spec.weeks)
    orders = pl.DataFrame({"customer": simulated.owners, "week": simulated.times})
    local = local_times(rng, spec, orders["week"].to_numpy(), SHOP_HOURS)
    orders = orders.with_columns(pl.Series("local", local)).sort("local", "customer") \
        .with_row_index("order")
    names = [f"{item}, {colour}" for item in SHOP_ITEMS for colour in SHOP_COLOURS]
    prices = np.round(np.exp(rng.normal(3.6, 0.5, len(names))), 0) - 0.05
    popularity = 1.0 / np.arange(1, len(names) + 1) ** 0.8
    sizes = 1 + rng.poisson(0.6, orders.height)
    order_of_line = np.repeat(np.arange(orders.height), sizes)
    product = rng.choice(len(names), order_of_line.size, p=popularity / popularity.sum())
    lines = pl.DataFrame({
        "order": order_of_line,
        "sku": [f"SKU-{1_000 + i}" for i in product],
        "name": [names[i] for i in product],
        "quantity": rng.choice([1, 1, 1, 1, 2], order_of_line.size),
        "price": prices[product],
    }).join(orders.select(pl.col("order").cast(pl.Int64), "customer", "local"), on="order")
    shipping = orders.select(pl.col("order").cast(pl.Int64), "customer", "local",
                             pl.lit("SHIP").alias("sku"), pl.lit("Shipping").alias("name"),
                             pl.lit(1, pl.Int64).alias("quantity"), pl.lit(4.95).alias("price"))
    refunded = lines.filter(pl.Series(rng.random(lines.height) < 0.12))
    refunds = refunded.with_columns(
        (pl.col("order") + 500_000).alias("order"), (-pl.col("quantity")).alias("quantity"),
        (pl.col("local") + pl.duration(days=pl.lit(pl.Series(
            rng.integers(3, 30, refunded.height))))).alias("local"),
    ).filter(pl.col("local") < spec.end)
    table = pl.concat([lines.select(shipping.columns), shipping, refunds.select(shipping.columns)])
    countries = np.array(["Germany", "France", "Netherlands", "Austria", "Belgium"])
    country = countries[rng.choice(len(countries), customers, p=[0.5, 0.2, 0.15, 0.1, 0.05])]
    return table.sort("local", "order", "sku").select(
        ("#" + (pl.col("order") + 10_000).cast(pl.String)).alias("Name"),
        pl.col("sku").alias("Lineitem sku"), pl.col("name").alias("Lineitem name"),
        pl.col("quantity").alias("Lineitem quantity"),
        pl.col("local").dt.strftime("%Y-%m-%d %H:%M:%S").alias("Created at"),
        pl.col("price").alias("Lineitem price"),
        ("cust-" + (pl.col("customer") + 1).cast(pl.String)).alias("Customer"),
        pl.col("customer").map_elements(lambda c: str(country[c]), return_dtype=pl.String)
        .alias("Billing Country"),
    )


def local_times(rng: np.random.Generator, spec: ShapeSpec, weeks: np.ndarray,
                hour_weights: np.ndarray) -> np.ndarray:
    """Weeks since the start as local times on the same day, at the shape's usual hours."""
    days = np.floor(weeks * 7).astype(np.int64)
    hours = rng.choice(24, weeks.size, p=hour_weights / hour_weights.sum())
    seconds = ((days * 24 + hours) * 60 + rng.integers(0, 60, weeks.size)) * 60 \
        + rng.integers(0, 60, weeks.size)
    return np.asarray(np.datetime64(spec.start, "us")
                      + (seconds * 1_000_000).astype("timedelta64[us]"))
