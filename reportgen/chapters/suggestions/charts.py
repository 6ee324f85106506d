"""Charts of the suggestions chapter."""

from __future__ import annotations

import altair as alt
import polars as pl

from reportgen.display import charts as theme
from reportgen.display.charts import ChartSpec


def hit_rate_chart(rows: pl.DataFrame) -> ChartSpec:
    """Hit rate at n per list (columns `list`, `hit_rate`, `highlight`), as horizontal bars
    labelled with their percentage."""
    rows = rows.with_columns(
        ((pl.col("hit_rate") * 100).round(1).cast(pl.String) + "%").alias("text"))
    order = rows["list"].to_list()
    base = alt.Chart(theme.inline_data(rows)).encode(
        y=alt.Y("list:N", sort=order, title="List",
                axis=alt.Axis(labelLimit=260, labelFontSize=11)),
        x=alt.X("hit_rate:Q", title="Hit rate", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", tickCount=5)),
    )
    bars = base.mark_bar(height=16).encode(
        color=alt.Color("highlight:N", legend=None, scale=alt.Scale(
            domain=[True, False], range=[theme.HIGHLIGHT, theme.EARLIER])))
    text = base.mark_text(align="left", dx=4, fontSize=11, color=theme.INK).encode(text="text:N")
    width, height = 380, 28 * rows.height
    return theme.finish_spec((bars + text).properties(width=width, height=height), width, height)
