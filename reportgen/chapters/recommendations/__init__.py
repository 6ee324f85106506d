"""The recommendations chapter: the playbook's fired entries, ranked, with their evidence.

The playbook (`reportgen.playbook`) runs after every chapter's facts; this chapter only places
its page in the report's order."""

from __future__ import annotations

from reportgen.chapters.base import TextChapter


class RecommendationsChapter(TextChapter, key="recommendations", title="Recommendations"):
    """Recommendations: the page shows the report's recommendations (ReportContext.
    recommendations); the playbook runs after every chapter's facts, so there is nothing to
    compute here."""
