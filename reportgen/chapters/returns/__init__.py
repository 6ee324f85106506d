"""Returns and cancellations: returned units matched to the orders they return, by month,
segment, country and product, and every customer's return rate."""

from __future__ import annotations

import polars as pl

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.returns.analysis import ReturnsResult, returns_analysis
from reportgen.chapters.returns.facts import FACT_SPECS
from reportgen.chapters.returns.section import ReturnsView, returns_section
from reportgen.chapters.segments.analysis import SegmentsResult


class ReturnsChapter(Chapter[ReturnsResult], key="returns", title="Returns and cancellations",
                     needs=("segments",), facts=FACT_SPECS):
    """Returns and cancellations."""

    def compute(self, inputs: AnalysisInputs) -> ReturnsResult:
        """The window's returns; customers' return rates over their whole history."""
        segments = inputs.results.of("segments", SegmentsResult)
        clean = inputs.clean
        return returns_analysis(clean.customer_months, clean.return_orders,
                                clean.product_returns, clean.descriptions, segments.customers,
                                inputs.window_start, inputs.period.analysis_date,
                                inputs.config.behaviour.top_products)

    def customer_columns(self, result: ReturnsResult) -> pl.DataFrame:
        """return_rate."""
        return result.customer_return_rates

    def section(self, result: ReturnsResult, inputs: SectionInputs) -> Section[ReturnsView]:
        """The returns page."""
        return returns_section(result, inputs)
