"""Charts of next month's forecast: past forecasts with their intervals against what happened."""

from __future__ import annotations

import altair as alt
import polars as pl

from reportgen.chapters.forecast.analysis import MonthForecast
from reportgen.display import charts as theme
from reportgen.display.charts import ChartSpec
from reportgen.display.formatting import money


def past_forecasts_chart(forecasts: tuple[MonthForecast, ...], currency: str,
                         currency_symbol: str) -> ChartSpec:
    """Each month's forecast (made at the end of the month before) with its interval, and what
    happened; the coming month's forecast without an actual. Every point is labelled."""
    rows = pl.DataFrame([{
        "month": f.period.short_label, "forecast": f.revenue, "low": f.low, "high": f.high,
        "actual": f.actual, "actual_text": money(f.actual, currency) if f.actual else "",
        "forecast_text": money(f.revenue, currency)} for f in forecasts],
        schema={"month": pl.String, "forecast": pl.Float64, "low": pl.Float64,
                "high": pl.Float64, "actual": pl.Float64, "actual_text": pl.String,
                "forecast_text": pl.String})
    order = rows["month"].to_list()
    base = alt.Chart(theme.inline_data(rows)).encode(
        x=alt.X("month:N", sort=order, title="Month", axis=alt.Axis(labelAngle=0, labelFontSize=9)))
    interval = base.transform_filter("datum.low != null").mark_rule(
        strokeWidth=6, opacity=0.35, color=theme.PALETTE["customers"]).encode(
        y=alt.Y("low:Q", title=f"Revenue ({currency_symbol})",
                axis=theme.money_axis(currency_symbol)), y2="high:Q")
    forecast = base.mark_tick(thickness=2, size=18, color=theme.PALETTE["customers"]).encode(
        y="forecast:Q")
    actual = base.transform_filter("datum.actual != null").mark_point(
        filled=True, size=45, color=theme.INK).encode(y="actual:Q")
    actual_text = base.transform_filter("datum.actual != null").mark_text(
        dx=8, align="left", fontSize=8, color=theme.INK).encode(y="actual:Q", text="actual_text:N")
    next_text = base.transform_filter("datum.actual == null").mark_text(
        dx=12, align="left", fontSize=8, color=theme.PALETTE["customers"]).encode(
        y="forecast:Q", text="forecast_text:N")
    width, height = 600, 170
    return theme.finish_spec((interval + forecast + actual + actual_text + next_text)
                             .properties(width=width, height=height), width, height)
