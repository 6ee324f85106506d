"""Facts of the returns chapter."""

from __future__ import annotations

from reportgen.playbook.facts import FactSpec

FACT_SPECS = (
    FactSpec("returns.share", "share", "Share of the value ordered in the window that was returned",
             "returned_share"),
    FactSpec("loyal_low_return.count", "count",
             "Champions and loyal customers who never returned anything", "loyal_without_returns"),
)
