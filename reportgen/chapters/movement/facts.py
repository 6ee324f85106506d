"""Facts of the month explained: the revenue bridge's parts against the month before."""

from __future__ import annotations

from reportgen.chapters.movement.analysis import BRIDGE_PARTS, PART_LABELS
from reportgen.playbook.facts import FactSpec

FACT_SPECS = (
    *(FactSpec(f"revenue_bridge.{part}", "money",
               f"{PART_LABELS[part]}: their part of the revenue change on the month before",
               f"bridge.{part}") for part in BRIDGE_PARTS),
    FactSpec("revenue_bridge.lost_customers", "count",
             "Customers who bought the month before and not this month",
             lambda r: r.bridge.counts["lost"]),
)
