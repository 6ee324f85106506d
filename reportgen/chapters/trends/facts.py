"""Facts of the trends and cohorts chapter: retention and the peak month."""

from __future__ import annotations

from reportgen.chapters.trends.analysis import TrendsResult
from reportgen.playbook.facts import FactSpec, FactValue

FACT_SPECS = (
    FactSpec("retention.m1", "share", "Average share of a cohort buying again one period on"),
    FactSpec("retention.m3", "share", "Average share of a cohort buying three periods on"),
    FactSpec("retention.m3_drop", "points", "Retention lost between +1 and +3"),
    FactSpec("peak_month", "text", "Calendar month with the highest average revenue"),
    FactSpec("peak_month_lift", "number", "Peak month revenue over the average month"),
)


def trends_facts(result: TrendsResult) -> dict[str, FactValue]:
    """Retention at +1 and +3 where cohorts reached them, and the peak month."""
    facts: dict[str, FactValue] = {}
    if result.retention_after_1 is not None:
        facts["retention.m1"] = result.retention_after_1
    if result.retention_after_3 is not None:
        facts["retention.m3"] = result.retention_after_3
        if result.retention_after_1 is not None:
            facts["retention.m3_drop"] = result.retention_after_1 - result.retention_after_3
    if result.peak_month:
        facts["peak_month"] = result.peak_month
        facts["peak_month_lift"] = result.peak_month_lift
    return facts
