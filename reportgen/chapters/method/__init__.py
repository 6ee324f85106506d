"""Glossary and method: the report's terms and measures defined in plain words, each segment of
the unit's map included (the last page)."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.chapters.base import Section, SectionInputs, Text, TextChapter
from reportgen.chapters.segments.section import SEGMENT_DESCRIPTIONS
from reportgen.report.formatting import segment_label


@dataclass(frozen=True)
class Glossary:
    """What the glossary needs besides text: the unit's segments and settings."""

    segments: tuple[tuple[str, str], ...]  # (label, meaning), in the order of the map
    horizon_months: int
    monthly_discount_rate: float
    min_cohorts_for_average: int
    window_months: int
    cancellation_prefix: str | None  # invoices starting with it are cancellations


class MethodChapter(TextChapter, key="method", title="Glossary and method"):
    """Glossary and method."""

    def section(self, result: Text, inputs: SectionInputs) -> Section[Glossary]:
        """The definitions, with the unit's segments and settings."""
        config = inputs.config
        meanings: dict[str, str] = {}
        for rule in config.rfm.segments:
            meanings.setdefault(rule.name, rule.description or SEGMENT_DESCRIPTIONS.get(
                rule.name, ""))
        return Section(Glossary(
            segments=tuple((segment_label(name), meaning) for name, meaning in meanings.items()),
            horizon_months=config.clv.horizon_months,
            monthly_discount_rate=config.clv.monthly_discount_rate,
            min_cohorts_for_average=config.cohorts.min_cohorts_for_average,
            window_months=config.behaviour.window_months,
            cancellation_prefix=config.cleaning.cancellation_prefix,
        ))
