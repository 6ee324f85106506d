"""The report's chapters, in the order the report shows them: CHAPTERS is the registry.

Each chapter lives in one folder (analysis, facts, section, charts) behind one class; its
template partial is templates/chapters/<key>.html.j2. The pipeline starts every chapter's
analysis in this order, each once the chapters it needs are done (`compute`: two at a time on
two cores), so a chapter may read the results of those before it that it names in `needs`,
and only those.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportgen.chapters.base import Chapter
from reportgen.chapters.behaviour import BehaviourChapter
from reportgen.chapters.business import BusinessChapter
from reportgen.chapters.clusters import ClustersChapter
from reportgen.chapters.clv import ClvChapter
from reportgen.chapters.countries import CountriesChapter
from reportgen.chapters.data_quality import DataQualityChapter
from reportgen.chapters.forecast import ForecastChapter
from reportgen.chapters.measurement import MeasurementChapter
from reportgen.chapters.method import MethodChapter
from reportgen.chapters.movement import MovementChapter
from reportgen.chapters.products import ProductsChapter
from reportgen.chapters.recommendations import RecommendationsChapter
from reportgen.chapters.returns import ReturnsChapter
from reportgen.chapters.segments import SegmentsChapter
from reportgen.chapters.suggestions import SuggestionsChapter
from reportgen.chapters.summary import SummaryChapter
from reportgen.chapters.trends import TrendsChapter
from reportgen.playbook.facts import FactSpec

CHAPTERS: tuple[Chapter[Any], ...] = (
    SummaryChapter(),
    MovementChapter(),
    RecommendationsChapter(),
    MeasurementChapter(),
    SegmentsChapter(),
    BusinessChapter(),
    ClvChapter(),
    ForecastChapter(),
    TrendsChapter(),
    BehaviourChapter(),
    ProductsChapter(),
    SuggestionsChapter(),
    ReturnsChapter(),
    CountriesChapter(),
    ClustersChapter(),
    DataQualityChapter(),
    MethodChapter(),
)


def fact_specs(chapters: Sequence[Chapter[Any]] = CHAPTERS) -> tuple[FactSpec, ...]:
    """Every fact the chapters publish: the registry the playbook is checked against."""
    return tuple(spec for chapter in chapters for spec in chapter.fact_specs)
