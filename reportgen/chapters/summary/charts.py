"""Charts of the executive summary."""

from __future__ import annotations

import altair as alt
import polars as pl

from reportgen.display import charts as theme
from reportgen.display.charts import ChartSpec


def revenue_trend_chart(trend: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Monthly revenue bars with the reported month highlighted."""
    rows = trend.select(
        pl.col("month").dt.strftime("%b %y").alias("label"),
        pl.col("revenue"),
        pl.when(pl.col("is_current")).then(pl.lit("Reported month"))
        .otherwise(pl.lit("Earlier months")).alias("kind"),
    )
    labels = rows["label"].to_list()
    base = alt.Chart(theme.inline_data(rows)).encode(
        x=alt.X("label:N", sort=labels, title="Month", axis=alt.Axis(labelAngle=0, labelFontSize=10)),
        y=alt.Y("revenue:Q", title="Revenue", axis=theme.money_axis(currency_symbol)),
    )
    bars = base.mark_bar(cornerRadiusTopLeft=2, cornerRadiusTopRight=2).encode(
        color=alt.Color(
            "kind:N", legend=None,
            scale=alt.Scale(domain=["Earlier months", "Reported month"],
                            range=[theme.EARLIER, theme.HIGHLIGHT]),
        )
    )
    width, height = 620, 120
    return theme.finish_spec(bars.properties(width=width, height=height), width, height)
