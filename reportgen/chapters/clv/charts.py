"""Charts of the customer lifetime value chapter."""

from __future__ import annotations

import math

import altair as alt
import polars as pl

from reportgen.display import charts as theme
from reportgen.display.charts import ChartSpec
from reportgen.display.formatting import segment_label

DISTRIBUTION_BANDS = 12
GROUP_COLOURS = {"A": "#1f4e79", "B": "#3f7cac", "C": "#7fa7c9", "D": "#bcd0e2"}


def clv_distribution_chart(bins: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Customers per CLV band, stacked by CLV group; the last band collects the long tail."""
    labels = bins.select("band", "band_order").unique().sort("band_order")["band"].to_list()
    base = alt.Chart(theme.inline_data(bins)).encode(
        x=alt.X("band:N", sort=labels, title=f"CLV over the horizon ({currency_symbol})",
                axis=alt.Axis(labelAngle=-40, labelFontSize=9)),
        y=alt.Y("customers:Q", title="Customers", stack="zero"),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("clv_group:N", title="CLV group",
                        scale=alt.Scale(domain=list(GROUP_COLOURS),
                                        range=list(GROUP_COLOURS.values())),
                        legend=alt.Legend(orient="top-right", direction="horizontal")),
        order=alt.Order("clv_group:N", sort="ascending"),
    )
    width, height = 600, 200
    return theme.finish_spec(bars.properties(width=width, height=height), width, height)


def backtest_chart(tracking: pl.DataFrame, model_label: str) -> ChartSpec:
    """Cumulative repeat purchases in the holdout: actual, the model, and the naive baseline."""
    series = {"actual": "Actual", "predicted": model_label, "baseline": "Naive: past rate"}
    legend = alt.Legend(orient="top-left", symbolType="stroke", symbolStrokeWidth=2)
    long = pl.concat([
        tracking.select(
            pl.col("week"), pl.col("date").dt.strftime("%d %b").alias("label"),
            pl.lit(name).alias("series"), pl.col(column).cast(pl.Float64).alias("purchases"),
        )
        for column, name in series.items()
    ])
    lines = alt.Chart(theme.inline_data(long)).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        x=alt.X("week:Q", title="Weeks into the holdout",
                axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("purchases:Q", title="Cumulative repeat purchases"),
        color=alt.Color("series:N", title=None, sort=list(series.values()),
                        scale=alt.Scale(domain=list(series.values()),
                                        range=[theme.INK, theme.PALETTE["revenue"], "#9aa5b1"]),
                        legend=legend),
        strokeDash=alt.StrokeDash("series:N", title=None, sort=list(series.values()),
                                  scale=alt.Scale(domain=list(series.values()),
                                                  range=[[1, 0], [1, 0], [5, 3]]),
                                  legend=legend),
    )
    width, height = 560, 210
    return theme.finish_spec(lines.properties(width=width, height=height), width, height)


def probability_chart(by_segment: pl.DataFrame, column: str, title: str) -> ChartSpec:
    """A mean probability per RFM segment (P(alive), or the chance of buying again)."""
    rows = by_segment.with_columns(
        pl.col("segment").map_elements(segment_label, return_dtype=pl.String).alias("label")
    ).sort(column, descending=True)
    base = alt.Chart(theme.inline_data(rows)).encode(
        y=alt.Y("label:N", sort=rows["label"].to_list(), title="Group"),
        x=alt.X(f"{column}:Q", title=title, scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
    )
    bars = base.mark_bar(color=theme.PALETTE["customers"], height={"band": 0.7})
    text = base.mark_text(align="left", dx=3, fontSize=10, color=theme.MUTED).encode(
        text=alt.Text(f"{column}:Q", format=".0%"))
    width, height = 520, 22 * rows.height
    return theme.finish_spec((bars + text).properties(width=width, height=height), width, height)


def monthly_value_chart(months: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Expected value of all customers' purchases in each coming month."""
    labels = months["label"].to_list()
    bars = alt.Chart(theme.inline_data(months)).mark_bar(
        color=theme.PALETTE["revenue"]).encode(
        x=alt.X("label:N", sort=labels, title="Month", axis=alt.Axis(labelAngle=0, labelFontSize=9)),
        y=alt.Y("value:Q", title=f"Expected value ({currency_symbol})",
                axis=alt.Axis(format="~s")),
    )
    width, height = 600, 170
    return theme.finish_spec(bars.properties(width=width, height=height), width, height)


def clv_bands(customers: pl.DataFrame, symbol: str) -> pl.DataFrame:
    """Customers per CLV band and group: equal bands up to the 95th percentile, then the rest."""
    top = float(customers.select(pl.col("clv").quantile(0.95).fill_null(0.0)).item())
    step = _nice_step(top / (DISTRIBUTION_BANDS - 1)) if top > 0 else 1.0
    last = DISTRIBUTION_BANDS - 1
    band = (pl.col("clv") / step).floor().cast(pl.Int64).clip(0, last)
    return (
        customers.group_by(band.alias("band_order"), "clv_group")
        .agg(pl.len().alias("customers"))
        .with_columns(
            pl.when(pl.col("band_order") == last)
            .then(pl.lit(f"{symbol}{_short(last * step)}+"))
            .otherwise(
                pl.format("{}{}–{}", pl.lit(symbol),
                          pl.col("band_order").map_elements(lambda b: _short(b * step),
                                                            return_dtype=pl.String),
                          pl.col("band_order").map_elements(lambda b: _short((b + 1) * step),
                                                            return_dtype=pl.String))
            )
            .alias("band")
        )
        .sort("band_order", "clv_group")
    )


def _nice_step(raw: float) -> float:
    """Round a band width up to 1, 2 or 5 times a power of ten."""
    power = 10.0 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def _short(value: float) -> str:
    """1500 -> 1.5k, 20000 -> 20k, 300 -> 300."""
    if value >= 1000:
        text = f"{value / 1000:.1f}".rstrip("0").rstrip(".")
        return f"{text}k"
    return f"{value:.0f}"
