"""Charts of the order-timing chapter."""

from __future__ import annotations

import altair as alt
import polars as pl

from reportgen.chapters.behaviour.analysis import WEEKDAYS
from reportgen.display import charts as theme
from reportgen.display.charts import ChartSpec


def weekday_hour_chart(weekday_hour: pl.DataFrame) -> ChartSpec:
    """Orders by weekday and hour of the day; a weekday without orders says so."""
    trading = set(weekday_hour.filter(pl.col("orders") > 0)["weekday"].to_list())
    days = [name if number in trading else f"{name} (no orders)"
            for number, name in enumerate(WEEKDAYS, start=1)]
    rows = weekday_hour.with_columns(
        pl.col("weekday").replace_strict(dict(enumerate(days, start=1)),
                                         return_dtype=pl.String).alias("day"),
        pl.col("hour").cast(pl.String).str.zfill(2).alias("hour_label"),
    )
    hours = [f"{h:02d}" for h in range(int(-theme.largest(-rows["hour"], 0)),
                                       int(theme.largest(rows["hour"], 23)) + 1)]
    top = theme.largest(rows["orders"], 1.0)
    base = alt.Chart(theme.inline_data(rows)).encode(
        x=alt.X("hour_label:N", sort=hours, scale=alt.Scale(domain=hours),
                title="Hour of the day", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("day:N", sort=days, scale=alt.Scale(domain=days), title="Day of the week"),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("orders:Q", legend=None, scale=alt.Scale(scheme="blues")))
    text = base.mark_text(fontSize=8).encode(
        text=alt.Text("orders:Q", format=","),
        color=alt.condition(f"datum.orders > {top * 0.6}", alt.value("white"), alt.value(theme.INK)))
    width, height = 560, 7 * 22
    return theme.finish_spec((cells + text).properties(width=width, height=height), width, height)


def price_quantity_chart(bands: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Share of purchase lines by unit-price band and quantity band."""
    total = max(int(bands["lines"].sum()), 1)
    rows = bands.with_columns(
        pl.col("price_band").map_elements(lambda band: _price_label(band, currency_symbol),
                                          return_dtype=pl.String).alias("price"),
        (pl.col("lines") / total).alias("share"),
    ).with_columns(
        pl.when(pl.col("share") >= 0.0005)
        .then((pl.col("share") * 100).round(1).cast(pl.String) + "%")
        .otherwise(pl.lit("")).alias("text"))
    prices = rows.sort("price_order")["price"].unique(maintain_order=True).to_list()
    quantities = rows.sort("quantity_order")["quantity_band"].unique(maintain_order=True).to_list()
    top = theme.largest(rows["share"], 1.0) or 1.0
    base = alt.Chart(theme.inline_data(rows)).encode(
        x=alt.X("quantity_band:N", sort=quantities, title="Units on the line",
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("price:N", sort=prices, title="Unit price"),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("share:Q", legend=None, scale=alt.Scale(scheme="blues", domain=[0, top])))
    text = base.mark_text(fontSize=10).encode(
        text="text:N",
        color=alt.condition(f"datum.share > {top * 0.6}", alt.value("white"), alt.value(theme.INK)))
    width, height = 460, 6 * 28
    return theme.finish_spec((cells + text).properties(width=width, height=height), width, height)


def _price_label(band: str, symbol: str) -> str:
    """'under 1' -> 'under £1', '20 and over' -> '£20 and over', '1–2' -> '£1–2'."""
    if band.startswith("under "):
        return f"under {symbol}{band.removeprefix('under ')}"
    return f"{symbol}{band}"
