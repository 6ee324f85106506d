"""The segments chapter's analysis: RFM now and a month earlier, migration, lapsing regulars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from reportgen.chapters.segments.migration import MigrationResult, segment_migration
from reportgen.chapters.segments.rfm import RfmResult, rfm_analysis, score_ranges
from reportgen.config import RfmConfig
from reportgen.inputs.reduce import exact_sum


@dataclass(frozen=True)
class SegmentsResult:
    """RFM segments at the analysis date and one period earlier, and who moved between them."""

    current: RfmResult
    previous: RfmResult
    score_ranges: pl.DataFrame  # score, <measure>_min/_max: what each score stands for now
    migration: MigrationResult
    segment_names: tuple[str, ...]  # in the order of the configured map
    lapsing_segments: tuple[str, ...]
    lapsing_customers: int  # customers in the lapsing segments
    lapsing_spend: float  # their spend to date

    @property
    def customers(self) -> pl.DataFrame:
        """One row per customer: R, F, M values, scores, segment, first and last purchase."""
        return self.current.customers


def segments_analysis(
    orders: pl.DataFrame, returns: pl.DataFrame, analysis_date: datetime,
    previous_date: datetime, params: RfmConfig,
) -> SegmentsResult:
    """Score and segment customers at both dates; count the lapsing regulars."""
    current = rfm_analysis(orders, returns, analysis_date, params)
    # Both months scored alike: moves between them are customers', not the scoring's.
    previous = rfm_analysis(orders, returns, previous_date, params, current.recency_scoring)
    lapsing = current.customers.filter(pl.col("segment").is_in(params.lapsing_segments))
    return SegmentsResult(
        current=current,
        previous=previous,
        score_ranges=score_ranges(current.customers),
        migration=segment_migration(current.customers, previous.customers),
        segment_names=tuple(dict.fromkeys(rule.name for rule in params.segments)),
        lapsing_segments=tuple(params.lapsing_segments),
        lapsing_customers=lapsing.height,
        lapsing_spend=float(lapsing["monetary"].sum()),
    )


def segment_counts(customers: pl.DataFrame) -> dict[str, tuple[int, float, float]]:
    """Per segment: customers, share of all customers, and spend to date."""
    if customers.is_empty():
        return {}
    total = customers.height
    rows = customers.group_by("segment").agg(pl.len().alias("n"), exact_sum("monetary"))
    return {s: (int(n), n / total, float(m)) for s, n, m in rows.iter_rows()}
