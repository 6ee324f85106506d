"""Facts of the segments chapter: each segment's size, share and spend, and the moves."""

from __future__ import annotations

from reportgen.chapters.segments.analysis import SegmentsResult, segment_counts
from reportgen.playbook.facts import FactSpec, FactValue

FACT_SPECS = (
    FactSpec("segment_share", "share", "Share of customers in the segment", per_segment=True),
    FactSpec("segment_count", "count", "Customers in the segment", per_segment=True),
    FactSpec("segment_share_change", "points",
             "Change of the segment's share since the previous period", per_segment=True),
    FactSpec("segment_revenue", "money", "Spend to date of the segment's customers",
             per_segment=True),
    FactSpec("segment_flow.largest_count", "count", "Customers in the largest segment move"),
    FactSpec("segment_flow.largest_from", "text", "Segment the largest move came from"),
    FactSpec("segment_flow.largest_to", "text", "Segment the largest move went to"),
    FactSpec("lapsing.count", "count",
             "Once-regular customers gone quiet (the segments in rfm.lapsing_segments)"),
    FactSpec("lapsing.spend", "money", "Their spend to date"),
)


def segments_facts(result: SegmentsResult) -> dict[str, FactValue]:
    """Every configured segment's facts (0 when empty), the largest move, lapsing regulars."""
    facts: dict[str, FactValue] = {}
    now = segment_counts(result.current.customers)
    before = segment_counts(result.previous.customers)
    for name in result.segment_names:
        count, share, revenue = now.get(name, (0, 0.0, 0.0))
        facts[f"segment_count.{name}"] = count
        facts[f"segment_share.{name}"] = share
        facts[f"segment_revenue.{name}"] = revenue
        if before:
            facts[f"segment_share_change.{name}"] = share - before.get(name, (0, 0.0, 0.0))[1]
    flows = result.migration.flows
    if flows.height:
        top = flows.row(0, named=True)
        facts["segment_flow.largest_count"] = top["customers"]
        facts["segment_flow.largest_from"] = top["from_segment"].replace("_", " ")
        facts["segment_flow.largest_to"] = top["to_segment"].replace("_", " ")
    facts["lapsing.count"] = result.lapsing_customers
    facts["lapsing.spend"] = result.lapsing_spend
    return facts
