"""The trends and cohorts page: the months' KPIs and charts, cohorts, seasonality."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from reportgen.chapters.base import Section, SectionInputs
from reportgen.chapters.summary.analysis import PeriodKpis, SummaryResult, month_kpis
from reportgen.chapters.trends.analysis import TrendsResult
from reportgen.chapters.trends.charts import (
    cohort_heatmap,
    retention_curve_chart,
    seasonality_chart,
    trends_chart,
)
from reportgen.display.charts import Chart
from reportgen.period import Period


@dataclass(frozen=True)
class TrendsView:
    """What the trends and cohorts page shows."""

    months: tuple[PeriodKpis, ...]  # the summary's monthly KPIs, oldest first
    cohort_grain: str
    cohorts_shown: int
    retention_after_1: float | None
    retention_after_3: float | None
    peak_month: str
    peak_month_years: int  # the years of data its average rests on
    min_cohorts_for_average: int
    data_start_shown: bool  # the heatmap shows the cohort where the data start


def trends_section(result: TrendsResult, inputs: SectionInputs) -> Section[TrendsView]:
    """Rows and charts of the trends and cohorts page."""
    cohorts = result.cohorts
    shown_sizes = cohorts.sizes.tail(cohorts.params.shown)
    shown = cohorts.retention.join(shown_sizes.select("cohort"), on="cohort").filter(
        pl.col("offset") < cohorts.params.shown)
    summary = inputs.results.of("summary", SummaryResult)
    with_data = summary.months.filter(~pl.col("before_data"))
    charts = {
        "trends": Chart("", "", trends_chart(with_data, inputs.symbol)),
        "seasonality": Chart("", "", seasonality_chart(result.seasons, inputs.symbol)),
    }
    if not shown.is_empty():
        charts["cohort_heatmap"] = Chart("", "", cohort_heatmap(shown, shown_sizes,
                                                                 cohorts.grain))
    curve = cohorts.average_curve.filter(pl.col("supported") & (pl.col("offset") > 0))
    if not curve.is_empty():
        charts["retention_curve"] = Chart("", "", retention_curve_chart(curve, cohorts.grain))
    months = tuple(month_kpis(with_data, Period.of(month)) for month in with_data["month"])
    return Section(
        TrendsView(months, cohorts.grain, shown_sizes.height, result.retention_after_1,
                   result.retention_after_3, result.peak_month, result.peak_month_years,
                   cohorts.params.min_cohorts_for_average,
                   bool(shown_sizes["data_starts"].any())),
        charts=charts,
    )
