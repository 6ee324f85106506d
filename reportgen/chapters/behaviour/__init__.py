"""When customers buy: orders by weekday and hour and by part of the day, lines by price and
quantity, and each customer's purchase habits."""

from __future__ import annotations

import polars as pl

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.behaviour.analysis import BehaviourResult, behaviour_analysis
from reportgen.chapters.behaviour.facts import FACT_SPECS
from reportgen.chapters.behaviour.section import BehaviourView, behaviour_section


class BehaviourChapter(Chapter[BehaviourResult], key="behaviour", title="When customers buy",
                       facts=FACT_SPECS):
    """When customers buy."""

    has_detail = True  # price and quantity

    customer_position = 2

    def compute(self, inputs: AnalysisInputs) -> BehaviourResult:
        """Order timing of the window and every customer's habits."""
        return behaviour_analysis(inputs.clean.orders, inputs.clean.price_quantity,
                                  inputs.window_start, inputs.period.analysis_date,
                                  inputs.config.behaviour)

    def customer_columns(self, result: BehaviourResult) -> pl.DataFrame:
        """avg_days_between_purchases, preferred_weekday, preferred_daypart."""
        return result.customer_habits

    def section(self, result: BehaviourResult, inputs: SectionInputs) -> Section[BehaviourView]:
        """The order-timing page."""
        return behaviour_section(result, inputs)
