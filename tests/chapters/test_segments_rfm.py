"""RFM values, tie-consistent quintile scores and segments against hand-computed answers and
an independent count."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

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
# The hand computations are of quintiles of days (the fixture's customers buy about monthly,
# where `auto` would score recency by cycles).
DAYS = RfmConfig(recency_resolution="days")


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
    result = rfm_analysis(FIXTURE, NO_RETURNS, ANALYSIS_DATE, DAYS)
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
    result = rfm_analysis(FIXTURE, NO_RETURNS, ANALYSIS_DATE, DAYS)
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
    net = rfm_analysis(FIXTURE, returns, ANALYSIS_DATE, RfmConfig(monetary="net", recency_resolution="days"))
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

    customers = rfm_analysis(FIXTURE, NO_RETURNS, ANALYSIS_DATE, DAYS).customers
    ranges = score_ranges(customers)
    # F1 is B and D (1 order each); F2 has nobody; F3 is C (2 orders).
    f = {row["score"]: (row["frequency_min"], row["frequency_max"]) for row in ranges.to_dicts()}
    assert f == {1: (1, 1), 2: (None, None), 3: (2, 2), 4: (3, 3), 5: (4, 4)}
    # Hibernating is R1-2 F1-2: last order 61 to 214 days ago (B and D), one order.
    assert value_range(ranges, "recency_days", [1, 2]) == "61–214"
    assert value_range(ranges, "frequency", [1, 2]) == "1"
    assert value_range(ranges, "frequency", [2]) == "–"


def test_the_segment_of_one_recent_order_is_not_called_new_customers() -> None:
    from reportgen.display.formatting import segment_label

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
    from reportgen.chapters.segments.section import segment_cutoffs
    from reportgen.segment_catalogue import SEGMENTS

    params = DAYS
    result = segments_analysis(weekly_shoppers(), NO_RETURNS, ANALYSIS_DATE,
                               datetime(2010, 12, 1), params)
    # Nobody has one order: F1 stands for 10-13 of them and F2 for 14-17, and they say so.
    text = segment_cutoffs("hibernating", params.segments, result.score_ranges)
    assert text.startswith("last order ") and text.endswith(", 10–17 orders")
    fewest = segment_cutoffs("new_customers", params.segments, result.score_ranges)
    assert fewest == "last order 1 day ago, 10–13 orders"
    for description in (segment.description for segment in SEGMENTS):  # no count or time
        assert not any(word in description.lower() for word in
                       ("one order", "single-order", "very recently", "a few orders"))


def test_recency_by_cycles_counts_each_customers_own_usual_gaps() -> None:
    from reportgen.chapters.segments.rfm import buying_rhythm_days, usual_gaps

    # Weekly households (20, each on a weekday of its own, 1-7 days since their last basket),
    # then by hand: W shopped weekly for 10 weeks and stopped 6 weeks ago; M bought every 28
    # days, 9 times, last 100 days ago; O bought once, 30 days ago.
    last_w = datetime(2010, 11, 20)
    last_m = datetime(2010, 9, 23)
    shoppers = pl.concat([weekly_shoppers(), purchases(
        *((f"W{i}", "W", (last_w - pd.Timedelta(days=7 * i)).isoformat(), 10.0)
          for i in range(10)),
        *((f"M{i}", "M", (last_m - pd.Timedelta(days=28 * i)).isoformat(), 10.0)
          for i in range(9)),
        ("O1", "O", "2010-12-02 10:00:00", 10.0))])
    assert buying_rhythm_days(shoppers, ANALYSIS_DATE) == 7
    gaps = dict(usual_gaps(shoppers, ANALYSIS_DATE, 7).rows())
    # (days from first to last purchase day + the unit's 7) / purchase days
    assert gaps["W"] == (63 + 7) / 10 and gaps["M"] == (224 + 7) / 9 and gaps["O"] == 7.0
    assert gaps["H00"] == (63 + 7) / 10
    result = rfm_analysis(shoppers, NO_RETURNS, ANALYSIS_DATE, RfmConfig())
    assert result.recency_scoring == "cycles" and result.usual_gap_days == 7
    scores = dict(result.customers.select("customer_id", "r_score").rows())
    # Every weekly household is on its round: 5, whichever day of the week it shops.
    assert {scores[f"H{k:02d}"] for k in range(20)} == {5}
    assert scores["W"] == 3  # 42 days / 7.0 = 6.0 usual gaps: late (5-8)
    assert scores["M"] == 4  # 100 days / 25.7 = 3.9 usual gaps: overdue (3-5)
    assert scores["O"] == 4  # 30 days / 7 = 4.3 usual gaps
    days = rfm_analysis(shoppers, NO_RETURNS, ANALYSIS_DATE, DAYS).customers
    assert days.filter(pl.col("customer_id").str.starts_with("H"))["r_score"].n_unique() > 1


def test_auto_scores_by_cycles_only_where_customers_buy_at_least_monthly() -> None:
    from reportgen.chapters.segments.rfm import recency_scoring

    assert recency_scoring("auto", 31) == "cycles" and recency_scoring("auto", 32) == "days"
    assert recency_scoring("days", 1) == "days" and recency_scoring("cycles", 300) == "cycles"


def test_the_scores_page_says_how_recency_is_scored() -> None:
    from reportgen.chapters.segments.analysis import segments_analysis
    from reportgen.chapters.segments.section import recency_scoring_note, score_rows

    result = segments_analysis(weekly_shoppers(), NO_RETURNS, ANALYSIS_DATE,
                               datetime(2010, 12, 1), RfmConfig())
    assert result.current.recency_scoring == result.previous.recency_scoring == "cycles"
    rows = {row.score: row.recency for row in score_rows(result.score_ranges, "USD", "cycles")}
    assert rows[5] == "within 3 usual gaps" and rows[1] == "–"  # nobody long lapsed
    assert "every 7 days or so" in recency_scoring_note("cycles", 7)
    assert "best fifth" in recency_scoring_note("days", 40)


def daily_shopper_panel(baskets_per_week: float, households: int = 500) -> pl.DataFrame:
    """A loyalty panel simulated over 2023-2024: households buy at their own steady rate
    (Gamma around `baskets_per_week`) at random moments, and 1 in 200 leave each week."""
    from reportgen.demo_data import simulate_customers

    rng = np.random.default_rng(1)
    rates = rng.gamma(4.0, baskets_per_week / 4.0, households)
    simulated = simulate_customers(rng, rates, np.clip(0.005 / rates, 1e-9, 1.0),
                                   rng.random(households) * 8.0, 104.0)
    start = datetime(2023, 1, 1)
    return pl.DataFrame({
        "invoice": [str(i) for i in range(simulated.owners.size)],
        "customer_id": [f"H{owner}" for owner in simulated.owners],
        "invoice_date": [start + pd.Timedelta(weeks=float(week)) for week in simulated.times],
        "revenue": rng.gamma(2.0, 30.0, simulated.owners.size),
    })


# Five baskets a week: a quarter of a million simulated purchases, slow.
@pytest.mark.parametrize("baskets_per_week", [pytest.param(5.0, marks=pytest.mark.slow), 1.0])
def test_segments_of_steady_shoppers_move_little_month_to_month(baskets_per_week: float) -> None:
    """Daily and weekly shoppers whose habits do not change: scored by days since their last
    basket, a quarter (daily) to 38 % (weekly) of them changed segment every month (chance
    decides who shopped last); scored by cycles (what `auto` chooses here), 6 % and 10 %: those
    who left, and frequency ranks crossing."""
    from reportgen.chapters.segments.migration import segment_migration
    from reportgen.period import Period

    panel = daily_shopper_panel(baskets_per_week)
    months = [Period(2024, month) for month in range(1, 13)]

    def moved_share(params: RfmConfig) -> float:
        segments = [rfm_analysis(panel, NO_RETURNS, month.analysis_date, params).customers
                    for month in months]
        shares = [segment_migration(now, before).moved / before.height
                  for before, now in pairwise(segments)]
        return float(np.mean(shares))

    by_days, by_auto = moved_share(DAYS), moved_share(RfmConfig())
    assert by_days > 0.2
    assert by_auto < 0.12 and by_auto < by_days / 3


def test_the_segment_catalogue_names_every_segment_of_the_default_map_once() -> None:
    from reportgen.display.formatting import segment_label
    from reportgen.segment_catalogue import SEGMENTS, segment_colour, swatch_css

    names = [segment.name for segment in SEGMENTS]
    assert len(set(names)) == len(names) == 10
    assert set(names) == {rule.name for rule in RfmConfig().segments}
    assert segment_label("cant_lose") == "Can't lose" and segment_label("vip_club") == "Vip club"
    assert segment_colour("vip_club") == "#7f8c8d"
    assert len({segment.colour for segment in SEGMENTS}) == 10
    assert ".swatch-at_risk { background: #e76f51; }" in swatch_css().splitlines()
