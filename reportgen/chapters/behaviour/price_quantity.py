"""Purchase lines by unit-price band and quantity band."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from reportgen.inputs.reduce import PRICE_BANDS, QUANTITY_BANDS
from reportgen.models.frames import in_months


def price_quantity_bands(bands: pl.DataFrame, window_start: datetime, analysis_date: datetime
                         ) -> pl.DataFrame:
    """Purchase lines and revenue of the window's months by unit-price band and quantity band
    (all bands listed), from `CleanTransactions.price_quantity`."""
    grid = pl.DataFrame(
        [(p_index, p_name, q_index, q_name)
         for p_index, (_, p_name) in enumerate(PRICE_BANDS)
         for q_index, (_, q_name) in enumerate(QUANTITY_BANDS)],
        schema={"price_order": pl.Int32, "price_band": pl.String, "quantity_order": pl.Int32,
                "quantity_band": pl.String},
        orient="row",
    )
    counts = bands.filter(in_months(window_start, analysis_date)) \
        .group_by("price_order", "quantity_order") \
        .agg(pl.col("lines").sum().cast(pl.Int64), pl.col("revenue").sum())
    return (
        grid.join(counts, on=["price_order", "quantity_order"], how="left")
        .with_columns(pl.col("lines").fill_null(0), pl.col("revenue").fill_null(0.0))
        .sort("price_order", "quantity_order")
    )
