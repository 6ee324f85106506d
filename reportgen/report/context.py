"""The one typed context every template reads, built in exactly one place from the sections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from reportgen.chapters.base import Chapter, Results, SectionInputs
from reportgen.config import UnitConfig
from reportgen.display.charts import Chart, unchecked_charts
from reportgen.inputs.clean import CleanTransactions
from reportgen.period import Period
from reportgen.playbook.evaluate import Insight, PlaybookOutcome, Recommendation


@dataclass(frozen=True)
class ChapterPage:
    """A chapter as the report lays it out: where, under which title, what its partial shows."""

    key: str  # Chapter key, e.g. clv
    anchor: str  # HTML id and table-of-contents link
    title: str  # Heading and table-of-contents entry
    template: str  # The chapter's partial, templates/chapters/<key>
    view: Any  # The chapter's own data, `s` in its partial
    charts: dict[str, Chart]  # The chapter's charts by key
    detail: bool = False  # the partial's part for analysts (`detail` in the partial)
    appendix: bool = False  # after the main chapters, under the heading Appendix
    board: bool = True  # in the board pack (report.pdf: board)


@dataclass(frozen=True)
class ReportContext:
    """Everything the report and email templates show, as plain values and small tables."""

    unit: str  # Unit identifier
    title: str  # Business unit name
    organisation: str  # Organisation on the cover
    currency: str  # ISO currency code of all amounts
    period: str  # Period as YYYY-MM
    period_label: str  # Period as 'November 2011'
    analysis_date: date  # First day after the period
    data_first_day: date  # First purchase date used
    data_last_day: date  # Last purchase date used
    customers_analysed: int  # Identified customers with purchases
    headlines: tuple[str, ...]  # One-sentence findings, by chapter
    recommendations: tuple[Recommendation, ...]  # Fired actions: urgent, then incremental value
    insights: tuple[Insight, ...]  # Fired evergreen observations, not ranked
    top_in_summary: int  # Recommendations on the summary page
    chapters: tuple[ChapterPage, ...]  # The report's pages, in order
    report_url: str | None = None  # Where the published report opens (delivery.report_url)

    @property
    def views(self) -> dict[str, Any]:
        """Each shown chapter's view by key (the email reads the summary's and others')."""
        return {page.key: page.view for page in self.chapters}

    @property
    def charts(self) -> dict[str, Chart]:
        """Every chart of the report by key."""
        return {key: chart for page in self.chapters for key, chart in page.charts.items()}


def build_report_context(
    config: UnitConfig,
    period: Period,
    chapters: Sequence[Chapter[Any]],
    results: Results,
    playbook: PlaybookOutcome,
    clean: CleanTransactions,
) -> ReportContext:
    """Build every chapter's section (all analyses are done) and the report around them; the
    cover's figures come from the cleaned transactions, whichever chapters the unit shows."""
    inputs = SectionInputs(config, period, results, playbook)
    pages: list[ChapterPage] = []
    details: list[ChapterPage] = []
    appendix: list[ChapterPage] = []
    headlines: list[str] = []
    for chapter in chapters:
        result = results.get(chapter.key, object)
        if result is None:
            continue
        with unchecked_charts():
            section = chapter.section(result, inputs)
        if section is None:
            continue
        placement = "analysis" if section.appendix else chapter.placement
        page = ChapterPage(chapter.key, chapter.anchor, chapter.title, chapter.template,
                           section.view, section.charts)
        if placement == "main":
            pages.append(page)
        else:
            appendix.append(replace(page, title=f"Appendix: {chapter.title}", appendix=True,
                                    board=placement == "appendix"))
        if chapter.has_detail:
            details.append(replace(page, anchor=f"{chapter.anchor}-detail",
                                   title=f"Appendix: {chapter.title} in detail",
                                   detail=True, appendix=True, board=False))
        headlines.extend(section.headlines)
    first_day, last_day = clean.purchase_days
    return ReportContext(
        unit=config.unit,
        title=config.title,
        organisation=config.report.organisation,
        currency=config.currency,
        period=str(period),
        period_label=period.label,
        analysis_date=period.analysis_date.date(),
        data_first_day=first_day,
        data_last_day=last_day,
        customers_analysed=clean.identified_customers,
        headlines=tuple(headlines),
        recommendations=playbook.recommendations,
        insights=playbook.insights,
        top_in_summary=config.playbook.top_in_summary,
        chapters=(*pages, *details, *appendix),
        report_url=config.delivery.report_link(config.unit, str(period)),
    )
