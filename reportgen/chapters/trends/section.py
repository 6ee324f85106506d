"""The trends and cohorts page: the months' table and charts, cohorts, seasonality."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from reportgen.chapters.base import Section, SectionInputs
from reportgen.chapters.trends.analysis import TrendsResult
from reportgen.chapters.trends.charts import (
    cohort_heatmap,
    retention_curve_chart,
    seasonality_chart,
    trends_chart,
)
from reportgen.report.charts import Chart


@dataclass(frozen=True)
class TrendRow:
    """One month of the trend table."""

    month: date
    revenue: float
    orders: int
    active_customers: int
    new_customers: int
    returning_customers: int
    average_order_value: float | None
    is_current: bool


@dataclass(frozen=True)
class TrendsView:
    """What the trends and cohorts page shows."""

    trends: tuple[TrendRow, ...]
    cohort_grain: str
    cohorts_shown: int
    retention_after_1: float | None
    retention_after_3: float | None
    peak_month: str


def trends_section(result: TrendsResult, inputs: SectionInputs) -> Section[TrendsView]:
    """Rows and charts of the trends and cohorts page."""
    cohorts = result.cohorts
    shown_sizes = cohorts.sizes.tail(cohorts.params.shown)
    shown = cohorts.retention.join(shown_sizes.select("cohort"), on="cohort").filter(
        pl.col("offset") < cohorts.params.shown)
    charts = {
        "trends": Chart("", "", trends_chart(result.monthly, inputs.symbol)),
        "seasonality": Chart("", "", seasonality_chart(result.seasons, inputs.symbol)),
    }
    if not shown.is_empty():
        charts["cohort_heatmap"] = Chart("", "", cohort_heatmap(shown, shown_sizes,
                                                                 cohorts.grain))
        charts["retention_curve"] = Chart("", "", retention_curve_chart(cohorts.average_curve,
                                                                         cohorts.grain))
    rows = tuple(
        TrendRow(**{**row, "month": row["month"].date()})
        for row in result.monthly.select(
            "month", "revenue", "orders", "active_customers", "new_customers",
            "returning_customers", "average_order_value", "is_current").to_dicts()
    )
    return Section(
        TrendsView(rows, cohorts.grain, shown_sizes.height, result.retention_after_1,
                   result.retention_after_3, result.peak_month),
        charts=charts,
    )
