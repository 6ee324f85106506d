"""Trends and cohorts: 13 months of revenue, orders and customers, acquisition cohorts and
their retention, and revenue by calendar month."""

from __future__ import annotations

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.trends.analysis import TrendsResult, trends_analysis
from reportgen.chapters.trends.facts import FACT_SPECS
from reportgen.chapters.trends.section import TrendsView, trends_section


class TrendsChapter(Chapter[TrendsResult], key="trends", title="Trends and cohorts",
                    facts=FACT_SPECS):
    """Trends and cohorts."""

    has_detail = True  # the monthly figures

    def compute(self, inputs: AnalysisInputs) -> TrendsResult:
        """Cohorts and seasonality up to the period."""
        return trends_analysis(inputs.clean.orders, inputs.period, inputs.config.cohorts)


    def section(self, result: TrendsResult, inputs: SectionInputs) -> Section[TrendsView]:
        """The trends and cohorts page."""
        return trends_section(result, inputs)
