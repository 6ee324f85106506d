"""Facts of the returns chapter."""

from __future__ import annotations

from reportgen.chapters.returns.analysis import ReturnsResult
from reportgen.playbook.facts import FactSpec, FactValue

FACT_SPECS = (
    FactSpec("returns.share", "share", "Share of the value ordered in the window that was returned"),
    FactSpec("loyal_low_return.count", "count",
             "Champions and loyal customers who never returned anything"),
)


def returns_facts(result: ReturnsResult) -> dict[str, FactValue]:
    """The share of the window's orders that came back, and loyal customers who never return."""
    facts: dict[str, FactValue] = {"loyal_low_return.count": result.loyal_without_returns}
    if result.returned_share is not None:
        facts["returns.share"] = result.returned_share
    return facts
