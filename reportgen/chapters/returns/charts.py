"""Charts of the returns chapter."""

from __future__ import annotations

import altair as alt
import polars as pl

from reportgen.display import charts as theme
from reportgen.display.charts import ChartSpec


def returns_by_month_chart(by_month: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Value of the returns of each month, labelled with its share of the month's revenue."""
    rows = theme.month_labels(by_month).with_columns(
        pl.when(pl.col("value_share").is_not_null())
        .then((pl.col("value_share") * 100).round(1).cast(pl.String) + "%")
        .otherwise(pl.lit("")).alias("text"))
    labels = rows["label"].to_list()
    base = alt.Chart(theme.inline_data(rows)).encode(
        x=alt.X("label:N", sort=labels, title="Month the goods came back",
                axis=alt.Axis(labelAngle=0, labelFontSize=9)),
        y=alt.Y("value:Q", title="Value returned", axis=theme.money_axis(currency_symbol)),
    )
    bars = base.mark_bar(color=theme.PALETTE["revenue"])
    text = base.mark_text(dy=-6, fontSize=9, color=theme.MUTED).encode(text="text:N")
    width, height = 600, 150
    return theme.finish_spec((bars + text).properties(width=width, height=height), width, height)
