"""RFM values, quintile scores and segments against hand-computed answers and pandas.qcut."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import polars as pl
import pytest
from conftest import purchases

from reportgen.chapters.segments.rfm import (
    rfm_analysis,
    rfm_scores,
    segment_lookup,
    segment_profiles,
)
from reportgen.config import RfmConfig, SegmentRule

ANALYSIS_DATE = datetime(2011, 1, 1)


NO_RETURNS = pl.DataFrame(schema={
    "customer_id": pl.String, "invoice_date": pl.Datetime("us"), "value": pl.Float64,
    "matched": pl.Boolean,
})

# Hand-worked: recency = days from the last purchase's date to 2011-01-01.
# A: 3 invoices, 35.00, last 2010-12-31 -> 1 day.  B: 1 invoice, 100, 2010-11-01 -> 61 days.
# C: 2 invoices (one with two lines), 60, last 2010-12-15 -> 17.  D: 1, 500, 2010-06-01 -> 214.
# E: 4 invoices, 4.00, last 2010-12-30 -> 2.
FIXTURE = purchases(
    ("1", "A", "2010-12-31 23:59:00", 10.0),
    ("2", "A", "2010-12-20 09:00:00", 20.0),
    ("3", "A", "2010-12-20 15:00:00", 5.0),
    ("4", "B", "2010-11-01 12:00:00", 100.0),
    ("5", "C", "2010-12-01 10:00:00", 15.0),
    ("5", "C", "2010-12-01 10:00:00", 15.0),
    ("6", "C", "2010-12-15 10:00:00", 30.0),
    ("7", "D", "2010-06-01 10:00:00", 500.0),
    ("8", "E", "2010-12-30 10:00:00", 1.0),
    ("9", "E", "2010-12-10 10:00:00", 1.0),
    ("10", "E", "2010-11-10 10:00:00", 1.0),
    ("11", "E", "2010-10-10 10:00:00", 1.0),
    ("12", None, "2010-12-30 10:00:00", 999.0),
    ("13", "A", "2011-01-01 00:00:00", 999.0),  # on the analysis date: not counted
)


def test_values_scores_and_segments_match_the_hand_computation() -> None:
    result = rfm_analysis(FIXTURE, NO_RETURNS, ANALYSIS_DATE, RfmConfig())
    table = result.customers.select(
        "customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
        "segment",
    ).rows()
    # Recency quintile edges (linear): 1.8, 11, 34.6, 91.6 -> A5 E4 C3 B2 D1 (reversed).
    # Frequency ranked first (ties by order): B1 D2 C3 A4 E5 -> edges 1.8, 2.6, 3.4, 4.2.
    # Monetary edges: 28.8, 50, 76, 180 -> E1 A2 C3 B4 D5.
    assert table == [
        ("A", 1, 3, 35.0, 5, 4, 2, "champions"),
        ("B", 61, 1, 100.0, 2, 1, 4, "hibernating"),
        ("C", 17, 2, 60.0, 3, 3, 3, "need_attention"),
        ("D", 214, 1, 500.0, 1, 2, 5, "hibernating"),
        ("E", 2, 4, 4.0, 4, 5, 1, "loyal_customers"),
    ]


def test_segment_profiles_of_the_fixture() -> None:
    result = rfm_analysis(FIXTURE, NO_RETURNS, ANALYSIS_DATE, RfmConfig())
    hibernating = result.segment_profiles.filter(pl.col("segment") == "hibernating").row(
        0, named=True
    )
    assert hibernating["customers"] == 2
    assert hibernating["share"] == pytest.approx(0.4)
    assert hibernating["recency_mean"] == pytest.approx((61 + 214) / 2)
    assert hibernating["monetary_median"] == pytest.approx(300.0)
    assert hibernating["revenue_share"] == pytest.approx(600 / 699)
    assert result.segment_profiles["customers"].sum() == 5
    assert result.segment_profiles["revenue_share"].sum() == pytest.approx(1.0)


def test_net_monetary_subtracts_only_unmatched_returns() -> None:
    returns = pl.DataFrame({
        "customer_id": ["B", "B", "D"],
        "invoice_date": [datetime(2010, 11, 5)] * 3,
        "value": [30.0, 50.0, 7.0],
        "matched": [False, True, False],
    })
    net = rfm_analysis(FIXTURE, returns, ANALYSIS_DATE, RfmConfig(monetary="net"))
    monetary = dict(net.customers.select("customer_id", "monetary").rows())
    assert monetary == {"A": 35.0, "B": 70.0, "C": 60.0, "D": 493.0, "E": 4.0}


def test_scores_equal_pandas_qcut_on_random_customers() -> None:
    rng = np.random.default_rng(3)
    n = 1_000
    values = pl.DataFrame({
        "customer_id": [f"{i:05d}" for i in range(n)],
        "recency_days": rng.integers(1, 400, n),
        "frequency": rng.geometric(0.3, n),
        "monetary": rng.lognormal(5, 1, n),
    })
    ours = rfm_scores(values).sort("customer_id").to_pandas()
    frame = values.to_pandas()
    expected_r = pd.qcut(frame["recency_days"], 5, labels=[5, 4, 3, 2, 1]).astype(int)
    expected_f = pd.qcut(frame["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
    expected_m = pd.qcut(frame["monetary"], 5, labels=[1, 2, 3, 4, 5]).astype(int)
    assert (ours["r_score"].to_numpy() == expected_r.to_numpy()).all()
    assert (ours["f_score"].to_numpy() == expected_f.astype(int).to_numpy()).all()
    assert (ours["m_score"].to_numpy() == expected_m.to_numpy()).all()
    assert sorted(ours["f_score"].value_counts().tolist()) == [200] * 5


def test_spec_segment_map_cell_by_cell() -> None:
    # Rows are R5 (top) to R1; columns F1..F5, transcribed from SPEC.md.
    expected = {
        5: ["new_customers", "potential_loyalists", "potential_loyalists", "champions", "champions"],
        4: ["promising", "potential_loyalists", "potential_loyalists", "loyal_customers",
            "loyal_customers"],
        3: ["about_to_sleep", "about_to_sleep", "need_attention", "loyal_customers",
            "loyal_customers"],
        2: ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],
        1: ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],
    }
    lookup = {(r, f): s for r, f, s in segment_lookup(RfmConfig().segments).rows()}
    for r, names in expected.items():
        for f, name in enumerate(names, start=1):
            assert lookup[(r, f)] == name, (r, f)


def test_first_matching_rule_wins() -> None:
    rules = [
        SegmentRule(name="vip", r=[5], f=[5]),
        SegmentRule(name="everyone", r=[1, 2, 3, 4, 5], f=[1, 2, 3, 4, 5]),
    ]
    lookup = {(r, f): s for r, f, s in segment_lookup(rules).rows()}
    assert lookup[(5, 5)] == "vip" and lookup[(4, 5)] == "everyone"


def test_profiles_of_an_empty_segment_table_are_empty() -> None:
    empty = pl.DataFrame(schema={
        "segment": pl.String, "recency_days": pl.Int64, "frequency": pl.UInt32,
        "monetary": pl.Float64,
    })
    assert segment_profiles(empty).is_empty()
