"""Segment migration between two analysis dates."""

from __future__ import annotations

import polars as pl

from reportgen.chapters.segments.migration import segment_migration


def test_matrix_flows_and_movers() -> None:
    previous = pl.DataFrame({"customer_id": ["a", "b", "c", "d"],
                             "segment": ["champions", "champions", "at_risk", "champions"]})
    current = pl.DataFrame({"customer_id": ["a", "b", "c", "d", "e"],
                            "segment": ["at_risk", "at_risk", "at_risk", "champions",
                                        "new_customers"]})
    result = segment_migration(current, previous)
    assert result.matrix.rows() == [
        ("(new)", "new_customers", 1), ("at_risk", "at_risk", 1),
        ("champions", "at_risk", 2), ("champions", "champions", 1)]
    assert result.flows.rows() == [("champions", "at_risk", 2)]
    assert result.movers.rows() == [("a", "champions", "at_risk"), ("b", "champions", "at_risk"),
                                    ("e", "(new)", "new_customers")]
    assert (result.stayed, result.moved, result.new) == (2, 2, 1)
