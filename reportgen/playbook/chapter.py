"""The recommendations chapter: the playbook's fired entries, ranked, with their evidence."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.playbook.evaluate import Recommendation


@dataclass(frozen=True)
class RecommendationRow:
    """A fired recommendation as the report shows it."""

    priority: int
    id: str
    title: str
    evidence: str
    action: str
    audience_size: int
    value_at_stake: float
    value_basis: str


@dataclass(frozen=True)
class PlaybookPage:
    """The chapter computes nothing: the playbook runs after every chapter's facts."""


class RecommendationsChapter(Chapter[PlaybookPage]):
    """Recommendations."""

    key = "recommendations"
    title = "Recommendations"

    def compute(self, inputs: AnalysisInputs) -> PlaybookPage:
        """Nothing to compute before the facts are in."""
        return PlaybookPage()

    def section(self, result: PlaybookPage, inputs: SectionInputs) -> Section[PlaybookPage]:
        """The page shows the report's recommendations (ReportContext.recommendations)."""
        return Section(result)


def recommendation_rows(
    recommendations: tuple[Recommendation, ...],
) -> tuple[RecommendationRow, ...]:
    """The fired recommendations without their audience tables (templates see no frames)."""
    return tuple(
        RecommendationRow(r.priority, r.id, r.title, r.evidence, r.action, r.audience_size,
                          r.value_at_stake, r.value_basis)
        for r in recommendations)
