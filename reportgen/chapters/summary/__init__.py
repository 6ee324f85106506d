"""Executive summary: the month's KPIs against the month before and a year before, revenue by
month, caveats; the report's headlines and top recommendations are shown on its page."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.summary.analysis import SummaryResult, summary_analysis
from reportgen.chapters.summary.facts import FACT_SPECS
from reportgen.chapters.summary.section import SummaryView, summary_section


class SummaryChapter(Chapter[SummaryResult], key="summary", title="Executive summary",
                     facts=FACT_SPECS):
    """The executive summary."""

    def compute(self, inputs: AnalysisInputs) -> SummaryResult:
        """The month's KPIs; NoDataError when the month has no purchases."""
        return summary_analysis(inputs.clean, inputs.period, inputs.config.unit,
                                inputs.config.source.label)


    def section(self, result: SummaryResult, inputs: SectionInputs) -> Section[SummaryView]:
        """KPIs, revenue chart, notices and headlines."""
        return summary_section(result, inputs)

    def manifest(self, result: SummaryResult) -> dict[str, Any]:
        """The month's KPIs."""
        return {"kpis": {key: value for key, value in asdict(result.kpis).items()
                         if key != "period"}}
