"""The trends and cohorts chapter's analysis: acquisition cohorts and seasonality (the months'
sales it shows are the summary's monthly KPIs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from reportgen.chapters.trends.cohorts import CohortResult, cohort_analysis
from reportgen.chapters.trends.seasonality import seasonality
from reportgen.config import CohortConfig
from reportgen.period import Period


@dataclass(frozen=True)
class TrendsResult:
    """Acquisition cohorts and revenue by calendar month."""

    cohorts: CohortResult
    seasons: pl.DataFrame  # year, month, revenue, orders
    retention_after_1: float | None  # average share of a cohort buying one period on
    retention_after_3: float | None
    peak_month: str  # calendar month with the highest average revenue ("" without data)
    peak_month_lift: float  # its average revenue over that of an average month
    peak_month_years: int  # the years of data the peak month's average rests on
    months_to_peak: int | None  # months from the report's month to the peak month (0: in it)

    @property
    def retention_drop(self) -> float | None:
        """Retention lost between one and three periods on, where cohorts reached both."""
        if self.retention_after_1 is None or self.retention_after_3 is None:
            return None
        return self.retention_after_1 - self.retention_after_3


def trends_analysis(orders: pl.DataFrame, period: Period, params: CohortConfig) -> TrendsResult:
    """Cohorts as of the period's analysis date, seasonality of whole months up to it."""
    cohorts = cohort_analysis(orders, period.analysis_date, params)
    seasons = seasonality(orders, period)
    return TrendsResult(
        cohorts=cohorts,
        seasons=seasons,
        retention_after_1=curve_at(cohorts.average_curve, 1),
        retention_after_3=curve_at(cohorts.average_curve, 3),
        peak_month=peak_month(seasons),
        peak_month_lift=peak_month_lift(seasons),
        peak_month_years=peak_month_years(seasons),
        months_to_peak=months_to_peak(seasons, period.start.month),
    )


def curve_at(curve: pl.DataFrame, offset: int) -> float | None:
    """The average retention curve at an offset, where enough cohorts support it."""
    value = curve.filter((pl.col("offset") == offset) & pl.col("supported"))["retention"]
    return float(value[0]) if value.len() else None


def peak_month(seasons: pl.DataFrame) -> str:
    """The calendar month with the highest average revenue over the years observed."""
    number = peak_month_number(seasons)
    return "" if number is None else date(2000, number, 1).strftime("%B")


def peak_month_number(seasons: pl.DataFrame) -> int | None:
    """1-12 for the calendar month with the highest average revenue; None without data."""
    if seasons.is_empty():
        return None
    best = seasons.group_by("month").agg(pl.col("revenue").mean()).sort(
        ["revenue", "month"], descending=[True, False]).row(0, named=True)
    return int(best["month"])


def peak_month_years(seasons: pl.DataFrame) -> int:
    """How many years of data hold the peak month (what its average rests on)."""
    number = peak_month_number(seasons)
    if number is None:
        return 0
    return seasons.filter(pl.col("month") == number).height


def months_to_peak(seasons: pl.DataFrame, report_month: int) -> int | None:
    """Months from the report's month forward to the peak month: 0 in it, 11 just after."""
    number = peak_month_number(seasons)
    return None if number is None else (number - report_month) % 12


def peak_month_lift(seasons: pl.DataFrame) -> float:
    """Average revenue of the best calendar month over that of an average month."""
    if seasons.is_empty():
        return 0.0
    # Sorted by month: a mean over hash-ordered groups differs in its last bits run to run.
    by_month = seasons.group_by("month").agg(pl.col("revenue").mean()).sort("month")["revenue"]
    mean = float(by_month.mean() or 0.0)  # type: ignore[arg-type]
    return float(by_month.max() or 0.0) / mean if mean else 0.0  # type: ignore[arg-type]
