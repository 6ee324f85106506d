"""The business profile: wholesale or consumer, which chooses the playbook's plays. No page of
its own: the recommendations page says what was inferred and why."""

from __future__ import annotations

from typing import Any

from reportgen.chapters.base import AnalysisInputs, Chapter
from reportgen.chapters.business.analysis import BusinessResult, business_profile
from reportgen.chapters.business.facts import FACT_SPECS
from reportgen.models.records import record


class BusinessChapter(Chapter[BusinessResult], key="business", title="Business profile",
                      facts=FACT_SPECS):
    """The unit's business profile."""

    has_page = False

    def compute(self, inputs: AnalysisInputs) -> BusinessResult:
        """As configured, or inferred from the orders."""
        clean = inputs.clean
        return business_profile(clean.orders, clean.customer_products, clean.volume_products,
                                inputs.period.analysis_date, inputs.config.business)

    def manifest(self, result: BusinessResult) -> dict[str, Any]:
        """business: wholesale or consumer; business_profile: whether it was inferred, the
        shapes read and the explanation."""
        return {"business": result.profile,
                "business_profile": {**record(result), "explanation": result.explanation}}
