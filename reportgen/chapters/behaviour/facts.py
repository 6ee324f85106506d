"""Facts of the order-timing chapter: the busiest slot."""

from __future__ import annotations

from reportgen.chapters.behaviour.analysis import BehaviourResult
from reportgen.playbook.facts import FactSpec, FactValue

FACT_SPECS = (
    FactSpec("peak_hour", "count", "Hour of the day with the most orders (0-23)"),
    FactSpec("peak_hour_share", "share", "Share of orders placed in the peak hour"),
    FactSpec("peak_weekday", "text", "Weekday with the most orders"),
)


def behaviour_facts(result: BehaviourResult) -> dict[str, FactValue]:
    """The busiest weekday and hour, when the window has orders."""
    if result.peak_hour is None:
        return {}
    return {"peak_hour": result.peak_hour, "peak_weekday": result.peak_weekday,
            "peak_hour_share": result.peak_hour_share}
