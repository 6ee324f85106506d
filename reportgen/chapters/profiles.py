"""Profiles of groups of customers (segments, CLV groups, clusters): size, share, statistics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl


def statistics(columns: Mapping[str, str], *kinds: str) -> list[pl.Expr]:
    """<name>_<kind> = kind (mean, median, sum...) of column, for each name: column and kind."""
    return [getattr(pl.col(column), kind)().alias(f"{name}_{kind}")
            for name, column in columns.items() for kind in kinds]


def group_profiles(
    customers: pl.DataFrame, by: str | Sequence[str], *measures: pl.Expr
) -> pl.DataFrame:
    """Per group: customers, the measures, and share (the group's share of all customers)."""
    return customers.group_by(by).agg(pl.len().cast(pl.Int64).alias("customers"), *measures) \
        .with_columns((pl.col("customers") / customers.height).alias("share"))


def share_of(column: str, total: pl.Series, alias: str) -> pl.Expr:
    """The column over the sum of `total` (0 when that sum is 0)."""
    whole = float(total.sum())
    return (pl.col(column) / whole if whole else pl.lit(0.0)).alias(alias)
