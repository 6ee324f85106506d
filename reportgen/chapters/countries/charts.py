"""Charts of the countries chapter."""

from __future__ import annotations

import altair as alt
import polars as pl

from reportgen.display import charts as theme
from reportgen.display.charts import ChartSpec


def countries_chart(countries: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Revenue of the largest countries."""
    rows = countries.head(12)
    base = alt.Chart(theme.inline_data(rows)).encode(
        y=alt.Y("country:N", sort=rows["country"].to_list(), title="Country"),
        x=alt.X("revenue:Q", title="Revenue", axis=theme.money_axis(currency_symbol)),
    )
    bars = base.mark_bar(color=theme.HIGHLIGHT, height={"band": 0.7})
    text = base.mark_text(align="left", dx=3, fontSize=9, color=theme.MUTED).encode(
        text=alt.Text("revenue_share:Q", format=".1%"))
    width, height = 520, 20 * rows.height
    return theme.finish_spec((bars + text).properties(width=width, height=height), width, height)
