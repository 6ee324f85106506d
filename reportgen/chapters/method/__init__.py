"""Glossary and method: the report's terms and measures defined in plain words, each segment of
the unit's map included (the last page)."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.chapters.base import Section, SectionInputs, Text, TextChapter
from reportgen.chapters.returns.analysis import ReturnsResult
from reportgen.chapters.segments.analysis import SegmentsResult
from reportgen.chapters.segments.section import (
    recency_scoring_note,
    segment_cutoffs,
)
from reportgen.display.formatting import segment_label
from reportgen.models.clv.season import SEASON_HISTORY_MONTHS
from reportgen.segment_catalogue import segment_description


@dataclass(frozen=True)
class Glossary:
    """What the glossary needs besides text: the unit's segments and settings."""

    segments: tuple[tuple[str, str], ...]  # (label, meaning), in the order of the map
    horizon_months: int
    monthly_discount_rate: float
    min_cohorts_for_average: int
    window_months: int
    cancellation_prefix: str | None  # invoices starting with it are cancellations
    cancellation_window_hours: float | None
    reissue_days: float
    has_returns: bool  # the data hold returns (else the glossary leaves them out)
    recency_by_cycles: str  # how recency is scored where it is not by fifths, else ""
    season_history_months: int  # history from which the CLV forecast may be season-scaled


class MethodChapter(TextChapter, key="method", title="Glossary and method"):
    """Glossary and method."""

    placement = "appendix"

    def section(self, result: Text, inputs: SectionInputs) -> Section[Glossary]:
        """The definitions, with the unit's segments and settings."""
        config = inputs.config
        segments = inputs.results.get("segments", SegmentsResult)
        meanings: dict[str, str] = {}
        for rule in config.rfm.segments:
            meaning = rule.description or segment_description(rule.name)
            if segments is not None and rule.name not in meanings:
                cutoffs = segment_cutoffs(rule.name, config.rfm.segments, segments.score_ranges,
                                          segments.customers, segments.current.recency_scoring)
                meaning = f"{meaning} This month: {cutoffs}."
            meanings.setdefault(rule.name, meaning)
        return Section(Glossary(
            segments=tuple((segment_label(name), meaning) for name, meaning in meanings.items()),
            horizon_months=config.clv.horizon_months,
            monthly_discount_rate=config.clv.monthly_discount_rate,
            min_cohorts_for_average=config.cohorts.min_cohorts_for_average,
            window_months=config.behaviour.window_months,
            cancellation_prefix=config.cleaning.cancellation_prefix,
            cancellation_window_hours=config.cleaning.cancellation_window_hours,
            reissue_days=config.cleaning.reissue_days,
            has_returns=inputs.results.get("returns", ReturnsResult) is not None,
            recency_by_cycles=recency_scoring_note(segments.current.recency_scoring,
                                                   segments.current.usual_gap_days)
            if segments is not None and segments.current.recency_scoring == "cycles" else "",
            season_history_months=SEASON_HISTORY_MONTHS,
        ))
