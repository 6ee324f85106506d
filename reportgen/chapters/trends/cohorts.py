"""Acquisition cohorts: customers grouped by the month (or quarter) of their first purchase.

A customer is active in cohort period +k when they bought at least once in the k-th month
(quarter) after their cohort's. Retention at +k is active / cohort size, so +0 is 100 %.
Only cohort periods that have fully elapsed by the analysis date appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import polars as pl

from reportgen.config import CohortConfig

Grain = Literal["month", "quarter"]
MONTHS_PER = {"month": 1, "quarter": 3}


@dataclass(frozen=True)
class CohortResult:
    """Cohort sizes, the retention and revenue matrices (long form) and the average curve."""

    sizes: pl.DataFrame  # cohort, customers
    retention: pl.DataFrame  # cohort, offset, active, customers, retention, revenue
    average_curve: pl.DataFrame  # offset, cohorts, retention
    grain: Grain
    params: CohortConfig


def period_start(column: str, grain: Grain) -> pl.Expr:
    """The first day of the month or quarter of a timestamp column."""
    return pl.col(column).dt.truncate("1q" if grain == "quarter" else "1mo")


def cohort_analysis(
    purchases: pl.DataFrame, analysis_date: datetime, params: CohortConfig
) -> CohortResult:
    """Cohorts of identified customers who first bought before the analysis date."""
    grain = params.grain
    step = MONTHS_PER[grain]
    known = purchases.filter(
        pl.col("customer_id").is_not_null() & (pl.col("invoice_date") < analysis_date)
    ).with_columns(period_start("invoice_date", grain).alias("active_period"))
    firsts = known.group_by("customer_id").agg(pl.col("active_period").min().alias("cohort"))
    index = pl.col("active_period").dt.year() * 12 + pl.col("active_period").dt.month()
    cohort_index = pl.col("cohort").dt.year() * 12 + pl.col("cohort").dt.month()
    activity = (
        known.join(firsts, on="customer_id")
        .group_by("cohort", "active_period")
        .agg(
            pl.col("customer_id").n_unique().cast(pl.Int64).alias("active"),
            pl.col("revenue").sum().alias("revenue"),
        )
        .with_columns(((index - cohort_index) // step).cast(pl.Int64).alias("offset"))
    )
    # Only periods that ended before the analysis date are complete.
    last_complete = _last_complete_period(analysis_date, grain)
    activity = activity.filter(pl.col("active_period") <= last_complete)
    sizes = (
        firsts.filter(pl.col("cohort") <= last_complete)
        .group_by("cohort").agg(pl.len().cast(pl.Int64).alias("customers")).sort("cohort")
    )
    retention = (
        activity.join(sizes, on="cohort")
        .with_columns((pl.col("active") / pl.col("customers")).alias("retention"))
        .select("cohort", "offset", "active", "customers", "retention", "revenue")
        .sort("cohort", "offset")
    )
    return CohortResult(sizes, retention, average_curve(retention, sizes, last_complete, grain),
                        grain, params)


def average_curve(
    retention: pl.DataFrame, sizes: pl.DataFrame, last_complete: datetime, grain: Grain
) -> pl.DataFrame:
    """Retention at each offset over all cohorts old enough to have reached it, size-weighted."""
    step = MONTHS_PER[grain]
    last_index = last_complete.year * 12 + last_complete.month
    reach = sizes.with_columns(
        ((last_index - (pl.col("cohort").dt.year() * 12 + pl.col("cohort").dt.month())) // step)
        .cast(pl.Int64).alias("max_offset")
    )
    longest = reach.select(pl.col("max_offset").max().fill_null(0)).item()
    offsets = pl.DataFrame({"offset": range(longest + 1)}, schema={"offset": pl.Int64})
    eligible = offsets.join(reach, how="cross").filter(pl.col("offset") <= pl.col("max_offset"))
    return (
        eligible.join(retention.select("cohort", "offset", "active"), on=["cohort", "offset"],
                      how="left")
        .group_by("offset")
        .agg(
            pl.len().cast(pl.Int64).alias("cohorts"),
            (pl.col("active").fill_null(0).sum() / pl.col("customers").sum()).alias("retention"),
        )
        .sort("offset")
    )


def _last_complete_period(analysis_date: datetime, grain: Grain) -> datetime:
    """Start of the last month (quarter) that ended by the analysis date."""
    month = analysis_date.year * 12 + analysis_date.month - 1  # the month containing it
    last = month - 1 if grain == "month" else (month // 3) * 3 - 3
    return datetime(last // 12, last % 12 + 1, 1)
