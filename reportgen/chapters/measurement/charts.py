"""Charts of the measurement chapter."""

from __future__ import annotations

import altair as alt
import polars as pl

from reportgen.display import charts as theme
from reportgen.display.charts import ChartSpec


def response_difference_chart(rows: pl.DataFrame) -> ChartSpec:
    """Per action (`action`), the difference in the share buying again between contacted and
    control customers (`difference`, `low`, `high`, in percentage points) with its interval;
    lists not carried out (`carried_out` false) in grey."""
    order = rows["action"].to_list()
    base = alt.Chart(theme.inline_data(rows)).encode(
        y=alt.Y("action:N", sort=order, title="Action", axis=alt.Axis(labelLimit=300)))
    colour = alt.Color("carried_out:N", legend=None, scale=alt.Scale(
        domain=[True, False], range=[theme.HIGHLIGHT, "#9aa3ad"]))
    interval = base.mark_rule(strokeWidth=3, opacity=0.45).encode(
        x=alt.X("low:Q", title="Contacted minus control: share who bought again (pp)"),
        x2="high:Q", color=colour)
    point = base.mark_point(filled=True, size=60, opacity=1).encode(
        x="difference:Q", color=colour)
    zero = alt.Chart(theme.inline_data(pl.DataFrame({"x": [0.0]}))).mark_rule(
        color=theme.MUTED, strokeDash=[3, 3]).encode(x="x:Q")
    width, height = 440, max(40, 30 * rows.height)
    return theme.finish_spec((zero + interval + point).properties(width=width, height=height),
                             width, height)
