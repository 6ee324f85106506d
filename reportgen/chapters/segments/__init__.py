"""Customer segments: RFM values, 1-5 scores and named segments, their profiles, and how
customers moved between segments since the previous period."""

from __future__ import annotations

from typing import Any

import polars as pl

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.segments.analysis import SegmentsResult, segments_analysis
from reportgen.chapters.segments.facts import FACT_SPECS, segments_facts
from reportgen.chapters.segments.section import SegmentsView, segments_section
from reportgen.playbook.facts import FactValue

CUSTOMER_COLUMNS = ("customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score",
                    "m_score", "segment", "first_purchase", "last_purchase", "usual_gap_days")


class SegmentsChapter(Chapter[SegmentsResult], key="segments", title="Customer segments (RFM)",
                      facts=FACT_SPECS):
    """Customer segments (RFM)."""

    has_detail = True  # the score grid, the scores' meaning, every move

    customer_position = 0
    money_columns = ("monetary",)

    def compute(self, inputs: AnalysisInputs) -> SegmentsResult:
        """Segments at the analysis date and at the start of the period."""
        return segments_analysis(inputs.clean.orders, inputs.clean.return_orders,
                                 inputs.period.analysis_date, inputs.period.start,
                                 inputs.config.rfm)

    def facts(self, result: SegmentsResult) -> dict[str, FactValue]:
        """Segment sizes, shares, spend and moves."""
        return segments_facts(result)

    def customer_columns(self, result: SegmentsResult) -> pl.DataFrame:
        """Every identified customer: R, F, M, scores, segment, first and last purchase, and
        their usual gap between purchase days."""
        return result.customers.select(CUSTOMER_COLUMNS)

    def exports(self, result: SegmentsResult) -> dict[str, pl.DataFrame]:
        """The customers who changed segment."""
        return {"segment_moves.csv": result.migration.movers}

    def section(self, result: SegmentsResult, inputs: SectionInputs) -> Section[SegmentsView]:
        """The segments page."""
        return segments_section(result, inputs)

    def manifest(self, result: SegmentsResult) -> dict[str, Any]:
        """Customers per segment."""
        profiles = result.current.segment_profiles
        return {"segments": dict(profiles.select("segment", "customers").rows())}
