"""Trends and cohorts: 13 months of revenue, orders and customers, acquisition cohorts and
their retention, and revenue by calendar month."""

from __future__ import annotations

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.trends.analysis import TrendsResult, trends_analysis
from reportgen.chapters.trends.facts import FACT_SPECS, trends_facts
from reportgen.chapters.trends.section import TrendsView, trends_section
from reportgen.playbook.facts import FactValue


class TrendsChapter(Chapter[TrendsResult]):
    """Trends and cohorts."""

    key = "trends"
    title = "Trends and cohorts"
    fact_specs = FACT_SPECS

    def compute(self, inputs: AnalysisInputs) -> TrendsResult:
        """Monthly trends, cohorts and seasonality up to the period."""
        return trends_analysis(inputs.clean.purchases, inputs.period, inputs.config.cohorts)

    def facts(self, result: TrendsResult) -> dict[str, FactValue]:
        """Retention and peak-month facts."""
        return trends_facts(result)

    def section(self, result: TrendsResult, inputs: SectionInputs) -> Section[TrendsView]:
        """The trends and cohorts page."""
        return trends_section(result, inputs)
