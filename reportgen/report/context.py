"""The one typed context every template reads, built in exactly one place from the sections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reportgen.chapters.base import Chapter, Results, SectionInputs
from reportgen.chapters.segments.analysis import SegmentsResult
from reportgen.chapters.summary.analysis import SummaryResult
from reportgen.config import UnitConfig
from reportgen.period import Period
from reportgen.playbook.chapter import RecommendationRow, recommendation_rows
from reportgen.playbook.evaluate import PlaybookOutcome
from reportgen.report.charts import Chart


@dataclass(frozen=True)
class ChapterPage:
    """A chapter as the report lays it out: where, under which title, what its partial shows."""

    key: str = field(metadata={"help": "Chapter key, e.g. clv"})
    anchor: str = field(metadata={"help": "HTML id and table-of-contents link"})
    title: str = field(metadata={"help": "Heading and table-of-contents entry"})
    template: str = field(metadata={"help": "The chapter's partial, templates/chapters/<key>"})
    view: Any = field(metadata={"help": "The chapter's own data, `s` in its partial"})
    charts: dict[str, Chart] = field(metadata={"help": "The chapter's charts by key"})


@dataclass(frozen=True)
class ReportContext:
    """Everything the report and email templates show, as plain values and small tables."""

    unit: str = field(metadata={"help": "Unit identifier"})
    title: str = field(metadata={"help": "Business unit name"})
    organisation: str = field(metadata={"help": "Organisation on the cover"})
    currency: str = field(metadata={"help": "ISO currency code of all amounts"})
    period: str = field(metadata={"help": "Period as YYYY-MM"})
    period_label: str = field(metadata={"help": "Period as 'November 2011'"})
    previous_label: str = field(metadata={"help": "Previous month, e.g. 'October 2011'"})
    year_ago_label: str = field(metadata={"help": "Same month a year earlier"})
    previous_short_label: str = field(metadata={"help": "Previous month, e.g. 'Oct 2011'"})
    year_ago_short_label: str = field(metadata={"help": "Same month a year earlier, short"})
    analysis_date: date = field(metadata={"help": "First day after the period"})
    data_first_day: date = field(metadata={"help": "First purchase date used"})
    data_last_day: date = field(metadata={"help": "Last purchase date used"})
    customers_analysed: int = field(metadata={"help": "Identified customers with purchases"})
    headlines: tuple[str, ...] = field(metadata={"help": "One-sentence findings, by chapter"})
    recommendations: tuple[RecommendationRow, ...] = field(
        metadata={"help": "Fired recommendations, highest value at stake first"})
    top_in_summary: int = field(metadata={"help": "Recommendations on the summary page"})
    chapters: tuple[ChapterPage, ...] = field(metadata={"help": "The report's pages, in order"})

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
) -> ReportContext:
    """Build every chapter's section (all analyses are done) and the report around them."""
    inputs = SectionInputs(config, period, results, playbook)
    pages = []
    headlines: list[str] = []
    for chapter in chapters:
        result = results.get(chapter.key, object)
        if result is None:
            continue
        section = chapter.section(result, inputs)
        if section is None:
            continue
        pages.append(ChapterPage(chapter.key, chapter.anchor, chapter.title, chapter.template,
                                 section.view, section.charts))
        headlines.extend(section.headlines)
    summary = results.of("summary", SummaryResult)
    previous, year_ago = summary.previous.period, summary.year_ago.period
    return ReportContext(
        unit=config.unit,
        title=config.title,
        organisation=config.report.organisation,
        currency=config.currency,
        period=str(period),
        period_label=period.label,
        previous_label=previous.label,
        year_ago_label=year_ago.label,
        previous_short_label=previous.short_label,
        year_ago_short_label=year_ago.short_label,
        analysis_date=period.analysis_date.date(),
        data_first_day=summary.data_first_day,
        data_last_day=summary.data_last_day,
        customers_analysed=results.of("segments", SegmentsResult).customers.height,
        headlines=tuple(headlines),
        recommendations=recommendation_rows(playbook.recommendations),
        top_in_summary=config.playbook.top_in_summary,
        chapters=tuple(pages),
    )
