"""Method and definitions: how the report's measures are defined (a page of text)."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs


@dataclass(frozen=True)
class Definitions:
    """The page is text; it needs nothing computed."""


class MethodChapter(Chapter[Definitions]):
    """Method and definitions."""

    key = "method"
    title = "Method and definitions"

    def compute(self, inputs: AnalysisInputs) -> Definitions:
        """Nothing to compute."""
        return Definitions()

    def section(self, result: Definitions, inputs: SectionInputs) -> Section[Definitions]:
        """The definitions page."""
        return Section(result)
