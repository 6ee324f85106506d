"""RFM values, tie-consistent quintile scores and segments against hand-computed answers and
an independent count."""

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
    segment_customers,
    segment_lookup,
    segment_profiles,
)
from reportgen.config import RfmConfig, SegmentRule

ANALYSIS_DATE = datetime(2011, 1, 1)


NO_RETURNS = pl.DataFrame(schema={
    "customer_id": pl.String, "invoice_date": pl.Datetime("us"), "value": pl.Float64,
    "kind": pl.String,
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
    # Score = 1 + floor(5 x share of the 5 customers strictly worse).
    # Recency (older is worse): A has 4 worse -> 5, E 3 -> 4, C 2 -> 3, B 1 -> 2, D 0 -> 1.
    # Frequency: B and D (1 order) tie with 0 worse -> both 1; C 2 -> 3; A 3 -> 4; E 4 -> 5.
    # Monetary: E 0 -> 1, A 1 -> 2, C 2 -> 3, B 3 -> 4, D 4 -> 5.
    assert table == [
        ("A", 1, 3, 35.0, 5, 4, 2, "champions"),
        ("B", 61, 1, 100.0, 2, 1, 4, "hibernating"),
        ("C", 17, 2, 60.0, 3, 3, 3, "need_attention"),
        ("D", 214, 1, 500.0, 1, 1, 5, "hibernating"),
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
        "kind": ["return", "cancellation", "return"],
    })
    net = rfm_analysis(FIXTURE, returns, ANALYSIS_DATE, RfmConfig(monetary="net"))
    monetary = dict(net.customers.select("customer_id", "monetary").rows())
    assert monetary == {"A": 35.0, "B": 70.0, "C": 60.0, "D": 493.0, "E": 4.0}


def reference_scores(values: list[float], higher_is_better: bool) -> list[int]:
    """1 + floor(5 x share strictly worse), counted one customer at a time."""
    n = len(values)
    return [1 + 5 * sum((w < v) if higher_is_better else (w > v) for w in values) // n
            for v in values]


def test_scores_equal_an_independent_count_on_random_customers() -> None:
    rng = np.random.default_rng(3)
    n = 1_000
    values = pl.DataFrame({
        "customer_id": [f"{i:05d}" for i in range(n)],
        "recency_days": rng.integers(1, 400, n),
        "frequency": rng.geometric(0.3, n),
        "monetary": rng.lognormal(5, 1, n),
    })
    ours = rfm_scores(values).sort("customer_id")
    assert ours["r_score"].to_list() == reference_scores(values["recency_days"].to_list(), False)
    assert ours["f_score"].to_list() == reference_scores(values["frequency"].to_list(), True)
    assert ours["m_score"].to_list() == reference_scores(values["monetary"].to_list(), True)
    # Without ties the scores are exact quintiles (pandas.qcut's bins).
    frame = values.to_pandas()
    expected_m = pd.qcut(frame["monetary"], 5, labels=[1, 2, 3, 4, 5]).astype(int)
    assert ours["m_score"].to_list() == expected_m.tolist()
    assert sorted(ours["m_score"].value_counts()["count"].to_list()) == [200] * 5


def test_customers_with_the_same_values_get_the_same_scores_and_segment() -> None:
    rng = np.random.default_rng(5)
    n = 3_000
    values = pl.DataFrame({
        "customer_id": [f"{i:05d}" for i in range(n)],
        "recency_days": rng.integers(1, 30, n) * 10,   # heavy ties everywhere
        "frequency": rng.geometric(0.5, n),
        "monetary": rng.integers(1, 20, n) * 25.0,
    })
    scored = segment_customers(rfm_scores(values).with_columns(
        pl.lit(None, pl.Datetime("us")).alias("first_purchase"),
        pl.lit(None, pl.Datetime("us")).alias("last_purchase")), RfmConfig().segments)
    per_value = scored.group_by("recency_days", "frequency", "monetary").agg(
        pl.col("r_score", "f_score", "m_score", "segment").n_unique())
    assert (per_value.select(pl.all().exclude("recency_days", "frequency", "monetary")) == 1) \
        .to_numpy().all()
    # Half the customers bought once: they all score F1, none is pushed up by a tie-break.
    once = scored.filter(pl.col("frequency") == 1)
    assert once.height > n // 3 and set(once["f_score"]) == {1}


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


def test_score_ranges_say_what_each_score_stands_for() -> None:
    from reportgen.chapters.segments.rfm import score_ranges
    from reportgen.chapters.segments.section import value_range

    customers = rfm_analysis(FIXTURE, NO_RETURNS, ANALYSIS_DATE, RfmConfig()).customers
    ranges = score_ranges(customers)
    # F1 is B and D (1 order each); F2 has nobody; F3 is C (2 orders).
    f = {row["score"]: (row["frequency_min"], row["frequency_max"]) for row in ranges.to_dicts()}
    assert f == {1: (1, 1), 2: (None, None), 3: (2, 2), 4: (3, 3), 5: (4, 4)}
    # Hibernating is R1-2 F1-2: last order 61 to 214 days ago (B and D), one order.
    assert value_range(ranges, "recency_days", [1, 2]) == "61–214"
    assert value_range(ranges, "frequency", [1, 2]) == "1"
    assert value_range(ranges, "frequency", [2]) == "–"


def test_the_segment_of_one_recent_order_is_not_called_new_customers() -> None:
    from reportgen.report.formatting import segment_label

    assert segment_label("new_customers") == "Recent, fewest orders"


def weekly_shoppers(households: int = 20, weeks: int = 10) -> pl.DataFrame:
    """Households that each shop once a week, on a weekday of their own, for `weeks` weeks
    up to 31 Dec 2010; household k has k + 1 weeks more than the first."""
    rows = []
    for k in range(households):
        for week in range(min(weeks + k, 52)):
            day = datetime(2010, 12, 31 - k % 7) - pd.Timedelta(days=7 * week)
            rows.append((f"{k}-{week}", f"H{k:02d}", day.isoformat(), 10.0))
    return purchases(*rows)


def test_segment_descriptions_are_written_from_this_months_cut_offs() -> None:
    from reportgen.chapters.segments.analysis import segments_analysis
    from reportgen.chapters.segments.section import SEGMENT_DESCRIPTIONS, segment_cutoffs

    params = RfmConfig()
    result = segments_analysis(weekly_shoppers(), NO_RETURNS, ANALYSIS_DATE,
                               datetime(2010, 12, 1), params)
    # Nobody has one order: F1 stands for 10-13 of them and F2 for 14-17, and they say so.
    text = segment_cutoffs("hibernating", params.segments, result.score_ranges)
    assert text.startswith("last order ") and text.endswith(", 10–17 orders")
    fewest = segment_cutoffs("new_customers", params.segments, result.score_ranges)
    assert fewest == "last order 1 day ago, 10–13 orders"
    for description in SEGMENT_DESCRIPTIONS.values():  # no count or time is built in
        assert not any(word in description.lower() for word in
                       ("one order", "single-order", "very recently", "a few orders"))


def test_recency_no_finer_than_the_buying_rhythm() -> None:
    from reportgen.chapters.segments.rfm import buying_rhythm_days

    shoppers = weekly_shoppers()
    assert buying_rhythm_days(shoppers, ANALYSIS_DATE) == 7
    plain = rfm_analysis(shoppers, NO_RETURNS, ANALYSIS_DATE, RfmConfig()).customers
    rhythm = rfm_analysis(shoppers, NO_RETURNS, ANALYSIS_DATE,
                          RfmConfig(recency_resolution="rhythm")).customers
    # By days, a household that shopped yesterday and one that shopped six days ago (both on
    # their weekly round) score apart; by the rhythm, the week is one step: both score 5.
    assert plain.filter(pl.col("recency_days") <= 7)["r_score"].n_unique() > 1
    assert set(rhythm.filter(pl.col("recency_days") <= 7)["r_score"]) == {5}
    assert (rhythm["r_score"] >= plain["r_score"]).all()  # cut-offs only move outwards
