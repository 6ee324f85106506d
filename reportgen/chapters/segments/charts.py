"""Charts of the segments chapter."""

from __future__ import annotations

import altair as alt
import polars as pl

from reportgen.display import charts as theme
from reportgen.display.charts import ChartSpec
from reportgen.display.formatting import segment_label
from reportgen.segment_catalogue import SEGMENTS, segment_colour

MAX_POINTS = 5_000


def segment_share_chart(profiles: pl.DataFrame) -> ChartSpec:
    """Grouped horizontal bars: each segment's share of customers and of revenue."""
    order = profiles.sort("revenue_share", descending=True)["segment"].to_list()
    long = pl.concat([
        profiles.select(
            pl.col("segment"), pl.lit("Share of customers").alias("measure"),
            pl.col("share").alias("value"),
        ),
        profiles.select(
            pl.col("segment"), pl.lit("Share of revenue").alias("measure"),
            pl.col("revenue_share").fill_null(0.0).alias("value"),
        ),
    ]).with_columns(
        pl.col("segment").map_elements(segment_label, return_dtype=pl.String).alias("label")
    )
    labels = [segment_label(s) for s in order]
    base = alt.Chart(theme.inline_data(long)).encode(
        y=alt.Y("label:N", sort=labels, title="Segment", axis=alt.Axis(labelFontSize=12)),
        yOffset=alt.YOffset("measure:N"),
        x=alt.X("value:Q", axis=alt.Axis(format="%", tickCount=5), title="Share",
                scale=alt.Scale(domain=[0, max(0.05, theme.largest(long["value"]) * 1.15)])),
    )
    bars = base.mark_bar(height={"band": 1}).encode(
        color=alt.Color(
            "measure:N", title=None,
            scale=alt.Scale(range=[theme.PALETTE["customers"], theme.PALETTE["revenue"]]),
        )
    )
    text = base.mark_text(align="left", dx=3, fontSize=10, color=theme.MUTED).encode(
        text=alt.Text("value:Q", format=".1%")
    )
    width, height = 560, 26 * len(labels)
    return theme.finish_spec((bars + text).properties(width=width, height=height), width, height)


def rfm_grid_chart(customers: pl.DataFrame) -> ChartSpec:
    """5x5 grid of recency score by frequency score: customers per cell, coloured by segment."""
    cells = (
        customers.group_by("r_score", "f_score", "segment")
        .agg(pl.len().alias("customers"))
        .sort("r_score", "f_score")
        .with_columns(
            pl.col("segment").map_elements(segment_label, return_dtype=pl.String).alias("label")
        )
    )
    present = [s.name for s in SEGMENTS if s.name in set(cells["segment"].to_list())]
    extra = sorted(set(cells["segment"].to_list()) - set(present))
    names = present + extra
    colours = [segment_colour(s) for s in names]
    base = alt.Chart(theme.inline_data(cells)).encode(
        x=alt.X("f_score:O", title="Frequency score (5 = most orders)",
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("r_score:O", sort="descending", title="Recency score (5 = most recent)"),
    )
    rects = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "label:N", title=None,
            scale=alt.Scale(domain=[segment_label(s) for s in names], range=colours),
            legend=alt.Legend(columns=5, symbolType="square"),
        )
    )
    text = base.mark_text(fontSize=12, fontWeight="bold", color="white").encode(
        text=alt.Text("customers:Q", format=",")
    )
    width, height = 430, 300
    return theme.finish_spec((rects + text).properties(width=width, height=height), width, height)
