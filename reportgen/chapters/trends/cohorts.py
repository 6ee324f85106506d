"""Acquisition cohorts: customers grouped by the month (or quarter) of their first purchase.

A customer is active in cohort period +k when they bought at least once in the k-th month
(quarter) after their cohort's. Retention at +k is active / cohort size, so +0 is 100 %.
Only cohort periods that have fully elapsed by the analysis date appear.

The first cohort is where the data start, not a month of acquisitions: it holds every customer
already buying then. It is marked (data_starts) and left out of the average curve, whose points
say how many cohorts and customers support them; a point supported by fewer than
`min_cohorts_for_average` cohorts is not an average (supported = False).
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

    sizes: pl.DataFrame  # cohort, customers, data_starts
    retention: pl.DataFrame  # cohort, offset, active, customers, retention, revenue
    average_curve: pl.DataFrame  # offset, cohorts, customers, retention, supported
    grain: Grain
    params: CohortConfig


def period_start(column: str, grain: Grain) -> pl.Expr:
    """The first day of the month or quarter of a timestamp column."""
    return pl.col(column).dt.truncate("1q" if grain == "quarter" else "1mo")


def cohort_analysis(
    orders: pl.DataFrame, analysis_date: datetime, params: CohortConfig
) -> CohortResult:
    """Cohorts of identified customers who first bought before the analysis date, from one
    row per order (`CleanTransactions.orders`; purchase lines give the same cohorts)."""
    grain = params.grain
    step = MONTHS_PER[grain]
    known = orders.filter(
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
        .with_columns((pl.col("cohort") == pl.col("cohort").min()).alias("data_starts"))
    )
    retention = (
        activity.join(sizes, on="cohort")
        .with_columns((pl.col("active") / pl.col("customers")).alias("retention"))
        .select("cohort", "offset", "active", "customers", "retention", "revenue")
        .sort("cohort", "offset")
    )
    acquired = sizes.filter(~pl.col("data_starts"))
    curve = average_curve(retention, acquired, last_complete, grain, params.min_cohorts_for_average)
    return CohortResult(sizes, retention, curve, grain, params)


def average_curve(
    retention: pl.DataFrame, sizes: pl.DataFrame, last_complete: datetime, grain: Grain,
    min_cohorts: int = 1,
) -> pl.DataFrame:
    """Retention at each offset over the given cohorts old enough to have reached it,
    size-weighted, with the cohorts and customers behind each point; a point with fewer than
    `min_cohorts` cohorts is not supported."""
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
            pl.col("customers").sum().alias("customers"),
            (pl.col("active").fill_null(0).sum() / pl.col("customers").sum()).alias("retention"),
        )
        .with_columns((pl.col("cohorts") >= min_cohorts).alias("supported"))
        .sort("offset")
    )


def _last_complete_period(analysis_date: datetime, grain: Grain) -> datetime:
    """Start of the last month (quarter) that ended by the analysis date."""
    month = analysis_date.year * 12 + analysis_date.month - 1  # the month containing it
    last = month - 1 if grain == "month" else (month // 3) * 3 - 3
    return datetime(last // 12, last % 12 + 1, 1)
