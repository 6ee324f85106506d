"""Selections of Polars frames the models and the chapters share."""

from __future__ import annotations

from datetime import datetime

import polars as pl


def in_months(start: datetime, end: datetime) -> pl.Expr:
    """Rows of a per-month table whose `month` lies in [start, end) (both month starts)."""
    return pl.col("month").is_between(start, end, closed="left")


def habit_shares(when: pl.Expr, evening_starts_hour: int) -> list[pl.Expr]:
    """Aggregations of a customer's order times: the share at weekends (weekend_share) and in
    the evening, from `evening_starts_hour` (evening_share)."""
    return [(when.dt.weekday() >= 6).mean().alias("weekend_share"),
            (when.dt.hour() >= evening_starts_hour).mean().alias("evening_share")]
