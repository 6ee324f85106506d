"""The order-timing page: weekday x hour, parts of the day, price against quantity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reportgen.chapters.base import Section, SectionInputs
from reportgen.chapters.behaviour.analysis import BehaviourResult
from reportgen.chapters.behaviour.charts import price_quantity_chart, weekday_hour_chart
from reportgen.chapters.summary.analysis import SummaryResult
from reportgen.display.charts import Chart


@dataclass(frozen=True)
class BehaviourView:
    """What the order-timing page shows."""

    window_start: date
    window_months: int
    peak_weekday: str
    peak_hour: int | None
    dayparts: tuple[tuple[str, float], ...]


def behaviour_section(result: BehaviourResult, inputs: SectionInputs) -> Section[BehaviourView]:
    """The page's figures and charts."""
    charts = {"price_quantity": Chart("", "", price_quantity_chart(result.price_quantity,
                                                                   inputs.symbol))}
    if not result.weekday_hour.is_empty():
        charts["weekday_hour"] = Chart("", "", weekday_hour_chart(result.weekday_hour))
    # A window reaching back before the data start begins, for the reader, where the data do.
    data_start = inputs.results.of("summary", SummaryResult).data_first_day
    return Section(
        BehaviourView(
            window_start=max(result.window_start.date(), data_start),
            window_months=result.params.window_months,
            peak_weekday=result.peak_weekday,
            peak_hour=result.peak_hour,
            dayparts=tuple((name, share) for name, _, share in result.dayparts.rows()),
        ),
        charts=charts,
    )
