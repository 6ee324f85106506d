"""Segment migration: each customer's RFM segment now against one period earlier."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

NEW = "(new)"


@dataclass(frozen=True)
class MigrationResult:
    """Migration matrix, the largest moves between segments, and who moved."""

    matrix: pl.DataFrame  # from_segment, to_segment, customers
    flows: pl.DataFrame  # from_segment, to_segment, customers (from != to), largest first
    movers: pl.DataFrame  # customer_id, from_segment, to_segment
    stayed: int
    moved: int
    new: int


def segment_migration(current: pl.DataFrame, previous: pl.DataFrame) -> MigrationResult:
    """Compare segments (customer_id, segment) at two analysis dates.

    Customers without a segment one period earlier (first purchase since) come from '(new)'.
    """
    pairs = current.select("customer_id", pl.col("segment").alias("to_segment")).join(
        previous.select("customer_id", pl.col("segment").alias("from_segment")),
        on="customer_id", how="left",
    ).with_columns(pl.col("from_segment").fill_null(NEW))
    matrix = (
        pairs.group_by("from_segment", "to_segment")
        .agg(pl.len().cast(pl.Int64).alias("customers"))
        .sort("from_segment", "to_segment")
    )
    moved = pairs.filter(pl.col("from_segment") != pl.col("to_segment"))
    flows = (
        matrix.filter((pl.col("from_segment") != pl.col("to_segment"))
                      & (pl.col("from_segment") != NEW))
        .sort(["customers", "from_segment", "to_segment"], descending=[True, False, False])
    )
    return MigrationResult(
        matrix=matrix,
        flows=flows,
        movers=moved.select("customer_id", "from_segment", "to_segment").sort("customer_id"),
        stayed=pairs.height - moved.height,
        moved=moved.filter(pl.col("from_segment") != NEW).height,
        new=pairs.filter(pl.col("from_segment") == NEW).height,
    )
