"""Selections of Polars frames the models and the chapters share."""

from __future__ import annotations

from datetime import datetime

import polars as pl


def in_months(start: datetime, end: datetime) -> pl.Expr:
    """Rows of a per-month table whose `month` lies in [start, end) (both month starts)."""
    return pl.col("month").is_between(start, end, closed="left")
