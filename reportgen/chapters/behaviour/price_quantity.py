"""Purchase lines by unit-price band and quantity band."""

from __future__ import annotations

import polars as pl

PRICE_BANDS = ((0.0, "under 1"), (1.0, "1–2"), (2.0, "2–5"), (5.0, "5–10"), (10.0, "10–20"),
               (20.0, "20 and over"))
QUANTITY_BANDS = ((1, "1"), (2, "2–5"), (6, "6–11"), (12, "12–23"), (24, "24–99"),
                  (100, "100+"))


def band_index(column: str, bands: tuple[tuple[float, str], ...]) -> pl.Expr:
    """Index of the band a value falls in, given the bands' lower edges in ascending order."""
    index: pl.Expr = pl.lit(0)
    for position, (edge, _) in enumerate(bands[1:], start=1):
        index = pl.when(pl.col(column) >= edge).then(pl.lit(position)).otherwise(index)
    return index.cast(pl.Int32)


def price_quantity_bands(purchases: pl.DataFrame) -> pl.DataFrame:
    """Purchase lines and revenue by unit-price band and quantity band (all bands listed)."""
    grid = pl.DataFrame(
        [(p_index, p_name, q_index, q_name)
         for p_index, (_, p_name) in enumerate(PRICE_BANDS)
         for q_index, (_, q_name) in enumerate(QUANTITY_BANDS)],
        schema={"price_order": pl.Int32, "price_band": pl.String, "quantity_order": pl.Int32,
                "quantity_band": pl.String},
        orient="row",
    )
    counts = purchases.group_by(
        band_index("unit_price", PRICE_BANDS).alias("price_order"),
        band_index("quantity", QUANTITY_BANDS).alias("quantity_order"),
    ).agg(pl.len().cast(pl.Int64).alias("lines"), pl.col("revenue").sum().alias("revenue"))
    return (
        grid.join(counts, on=["price_order", "quantity_order"], how="left")
        .with_columns(pl.col("lines").fill_null(0), pl.col("revenue").fill_null(0.0))
        .sort("price_order", "quantity_order")
    )
