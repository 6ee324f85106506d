"""Charts of the month explained: the revenue bridge as a waterfall."""

from __future__ import annotations

import altair as alt
import polars as pl

from reportgen.chapters.movement.analysis import PART_LABELS, RevenueBridge
from reportgen.display import charts as theme
from reportgen.display.charts import ChartSpec
from reportgen.display.formatting import money

UP, DOWN, TOTAL = "#2a9d8f", "#b5403a", theme.PALETTE["customers"]


def bridge_chart(bridge: RevenueBridge, currency: str, currency_symbol: str) -> ChartSpec:
    """The other month's revenue, each part's change as a step up or down, this month's
    revenue; every bar labelled with its amount."""
    rows = [{"step": bridge.previous_period.short_label, "start": 0.0,
             "end": bridge.previous_revenue, "kind": "total",
             "text": money(bridge.previous_revenue, currency)}]
    level = bridge.previous_revenue
    for name, change in bridge.parts():
        rows.append({"step": short_label(name), "start": level, "end": level + change,
                     "kind": "up" if change >= 0 else "down",
                     "text": ("+" if change >= 0 else "−") + money(abs(change), currency)})
        level += change
    rows.append({"step": bridge.period.short_label, "start": 0.0, "end": bridge.revenue,
                 "kind": "total", "text": money(bridge.revenue, currency)})
    frame = pl.DataFrame(rows).with_columns(pl.max_horizontal("start", "end").alias("top"))
    order = frame["step"].to_list()
    base = alt.Chart(theme.inline_data(frame)).encode(
        x=alt.X("step:N", sort=order, title="Part of the change",
                axis=alt.Axis(labelAngle=0, labelFontSize=9, labelLimit=110)))
    bars = base.mark_bar(size=38).encode(
        y=alt.Y("start:Q", title=f"Revenue ({currency_symbol})",
                axis=theme.money_axis(currency_symbol)),
        y2="end:Q",
        color=alt.Color("kind:N", legend=None, scale=alt.Scale(
            domain=["total", "up", "down"], range=[TOTAL, UP, DOWN])))
    text = base.mark_text(dy=-6, fontSize=9, color=theme.INK).encode(
        y=alt.Y("top:Q"), text="text:N")
    width, height = 600, 190
    return theme.finish_spec((bars + text).properties(width=width, height=height), width, height)


def short_label(part: str) -> str:
    """A bridge part's name short enough for the chart's axis."""
    return {"anonymous": "No customer id"}.get(part, PART_LABELS[part].replace(" customers", ""))
