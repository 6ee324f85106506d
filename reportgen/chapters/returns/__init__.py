"""Returns and cancellations: returned units matched to the orders they return, by month,
segment, country and product, and every customer's return rate."""

from __future__ import annotations

from typing import Any

import polars as pl

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.returns.analysis import ReturnsResult, returns_analysis
from reportgen.chapters.returns.facts import FACT_SPECS
from reportgen.chapters.returns.section import ReturnsView, returns_section
from reportgen.chapters.segments.analysis import SegmentsResult


class ReturnsChapter(Chapter[ReturnsResult], key="returns", title="Returns and cancellations",
                     needs=("segments",), facts=FACT_SPECS):
    """Returns and cancellations."""

    has_detail = True  # returns by segment and country

    customer_position = 3

    def compute(self, inputs: AnalysisInputs) -> ReturnsResult | None:
        """The window's returns; customers' return rates over their whole history. None (no
        page, no return rates) when the data hold no return at all."""
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

    def manifest(self, result: ReturnsResult) -> dict[str, Any]:
        """The returns every page counts, by month and segment (each adds up to the total),
        and the cancelled orders apart."""
        return {"returns": {
            "value_12m": result.returns_value,
            "window_months": result.by_month.height,
            "by_month": [{"month": row["month"].strftime("%Y-%m"), "value": row["value"]}
                         for row in result.by_month.iter_rows(named=True)],
            "by_segment": [{"segment": row["segment"], "value": row["value"]}
                           for row in result.by_segment.iter_rows(named=True)],
            "cancelled_orders": {"value": result.cancelled_value,
                                 "invoices": result.cancelled_invoices},
            "corrections_value": result.corrections_value,
        }}
