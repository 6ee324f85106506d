"""RFM: recency, frequency and monetary value per customer, 1-5 scores and named segments."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import polars as pl

from reportgen.chapters.profiles import group_profiles, statistics
from reportgen.config import RfmConfig, SegmentRule
from reportgen.inputs.reduce import exact_sum

RecencyScoring = Literal["days", "cycles"]
# Recency scored against each customer's own rhythm ("cycles"): the upper limits of scores 5,
# 4, 3 and 2, in the customer's usual gaps since their last order (beyond the last: score 1).
# A customer who still buys at their usual rate, at random moments, stays silent for 3 gaps
# about 1 time in 20, 5 gaps 1 in 150 and 8 gaps 1 in 3,000: 5 is on their rhythm, 4 overdue,
# 3 late, 2 lapsed and 1 long lapsed, and day-to-day chance rarely moves a customer's score.
CYCLE_LIMITS = (3.0, 5.0, 8.0, 12.0)
# `recency_resolution: auto` scores by cycles where customers usually buy at least monthly: a
# monthly report then catches each regular customer at a random point of their own round, and
# quintiles of days since the last order would rank that chance.
AUTO_CYCLES_MAX_GAP_DAYS = 31


@dataclass(frozen=True)
class RfmResult:
    """One row per customer: R, F, M values, their scores and the customer's segment."""

    customers: pl.DataFrame
    segment_profiles: pl.DataFrame
    analysis_date: datetime
    recency_scoring: RecencyScoring  # days: quintiles of days; cycles: CYCLE_LIMITS
    usual_gap_days: int  # the unit's buying rhythm (`buying_rhythm_days`)
    params: RfmConfig


def rfm_analysis(
    orders: pl.DataFrame, returns: pl.DataFrame, analysis_date: datetime, params: RfmConfig,
    scoring: RecencyScoring | None = None,
) -> RfmResult:
    """Score every identified customer who bought before the analysis date and name the segment.

    Recency is scored by `scoring`, else as `params.recency_resolution` says (`recency_scoring`):
    by quintiles of the days since the last order, or by how many of their own usual gaps
    ago a customer last bought (`with_cycle_scores`)."""
    gap = buying_rhythm_days(orders, analysis_date)
    scoring = scoring or recency_scoring(params.recency_resolution, gap)
    scored = rfm_scores(rfm_values(orders, returns, analysis_date, params.monetary))
    if scoring == "cycles":
        scored = with_cycle_scores(scored, orders, analysis_date, gap)
    customers = segment_customers(scored, params.segments)
    customers = customers.join(own_rhythm(customers, orders, analysis_date, gap),
                               on="customer_id", how="left", maintain_order="left")
    return RfmResult(
        customers=customers,
        segment_profiles=segment_profiles(customers),
        analysis_date=analysis_date,
        recency_scoring=scoring,
        usual_gap_days=gap,
        params=params,
    )


def recency_scoring(resolution: str, usual_gap_days: int) -> RecencyScoring:
    """days or cycles: as configured, or for auto by the unit's usual gap between purchases."""
    if resolution == "auto":
        return "cycles" if usual_gap_days <= AUTO_CYCLES_MAX_GAP_DAYS else "days"
    return "cycles" if resolution == "cycles" else "days"


def buying_rhythm_days(orders: pl.DataFrame, analysis_date: datetime) -> int:
    """The usual gap between purchases: the median, over customers who bought on two days or
    more before the analysis date, of their mean number of days between purchase days; at
    least 1, and 1 when no customer bought on two days."""
    days = (
        orders.filter(pl.col("customer_id").is_not_null()
                      & (pl.col("invoice_date") < analysis_date))
        .select("customer_id", pl.col("invoice_date").dt.date().alias("day")).unique()
        .sort("customer_id", "day")
    )
    gaps = days.select("customer_id", (pl.col("day") - pl.col("day").shift(1)
                                       .over("customer_id")).dt.total_days().alias("gap")) \
        .drop_nulls().group_by("customer_id").agg(pl.col("gap").mean())
    median = gaps["gap"].median()
    return max(1, int(median)) if isinstance(median, int | float) else 1


def purchase_days(orders: pl.DataFrame, analysis_date: datetime) -> pl.DataFrame:
    """Per identified customer who bought before the analysis date: `span`, the days from
    their first to their last purchase day, and `days`, their distinct purchase days."""
    return (
        orders.filter(pl.col("customer_id").is_not_null()
                      & (pl.col("invoice_date") < analysis_date))
        .group_by("customer_id").agg(
            (pl.col("invoice_date").max().dt.date() - pl.col("invoice_date").min().dt.date())
            .dt.total_days().alias("span"),
            pl.col("invoice_date").dt.date().n_unique().alias("days"))
    )


def usual_gaps(orders: pl.DataFrame, analysis_date: datetime, unit_gap_days: int
               ) -> pl.DataFrame:
    """Per identified customer, `usual_gap_days`: the days from their first to their last
    purchase day plus the unit's usual gap, over their purchase days. Many purchases give
    their own mean gap; a customer of one purchase day gets the unit's, and of few, a blend."""
    return purchase_days(orders, analysis_date).select(
        "customer_id",
        ((pl.col("span") + unit_gap_days) / pl.col("days")).alias("usual_gap_days"))


# A customer's own mean gap counts as this many gaps of their segment's usual one: a customer
# of two purchase days (one gap) is a third their own rhythm and two thirds their segment's.
PRIOR_GAPS = 2


def own_rhythm(customers: pl.DataFrame, orders: pl.DataFrame, analysis_date: datetime,
               unit_gap_days: int) -> pl.DataFrame:
    """Per customer of `customers` (with `segment`), `usual_gap_days`: their own mean gap
    between purchase days, shrunk towards their segment's (the median of its customers' own
    gaps; the unit's gap where no customer of the segment bought twice) by PRIOR_GAPS: a
    customer of one purchase day gets the segment's, one of many their own."""
    own = purchase_days(orders, analysis_date).with_columns(
        (pl.col("days") - 1).alias("gaps")).with_columns(
        pl.when(pl.col("gaps") > 0).then(pl.col("span") / pl.col("gaps")).alias("own_gap"))
    joined = customers.select("customer_id", "segment").join(own, on="customer_id", how="left")
    segment_gap = pl.col("own_gap").median().over("segment").fill_null(float(unit_gap_days))
    gaps = pl.col("gaps").fill_null(0)
    return joined.select(
        "customer_id",
        ((gaps * pl.col("own_gap").fill_null(0.0) + PRIOR_GAPS * segment_gap)
         / (gaps + PRIOR_GAPS)).round(1).alias("usual_gap_days"))


def cycle_band(score: int) -> tuple[float, float]:
    """The usual gaps since the last order that a recency score stands for when scored by
    cycles: above the first, up to the second (5: 0 to 3, ..., 1: 12 to infinity)."""
    edges = (0.0, *CYCLE_LIMITS, math.inf)
    return edges[5 - score], edges[6 - score]


def with_cycle_scores(scored: pl.DataFrame, orders: pl.DataFrame, analysis_date: datetime,
                      unit_gap_days: int) -> pl.DataFrame:
    """r_score by how many of their usual gaps (`usual_gaps`) ago customers last bought: the
    best score whose band (`cycle_band`) reaches that far; 1 beyond the last."""
    gaps = scored.join(usual_gaps(orders, analysis_date, unit_gap_days), on="customer_id",
                       how="left", maintain_order="left")
    cycles = pl.col("recency_days") / pl.col("usual_gap_days")
    score: pl.Expr = pl.lit(1)
    for value in (2, 3, 4, 5):
        score = pl.when(cycles <= cycle_band(value)[1]).then(pl.lit(value)).otherwise(score)
    return gaps.with_columns(score.cast(pl.Int8).alias("r_score")).drop("usual_gap_days")


def rfm_values(
    orders: pl.DataFrame, returns: pl.DataFrame, analysis_date: datetime, monetary: str
) -> pl.DataFrame:
    """Per customer: first and last purchase, recency in days, distinct invoices, revenue.

    Recency counts calendar days from the last purchase's date to the analysis date, so a
    purchase on the period's last day has recency 1. `orders` has one row per order
    (`CleanTransactions.orders`; purchase lines work the same): a purchase's time is its
    order's, the time of the order's first line.
    """
    known = orders.filter(
        pl.col("customer_id").is_not_null() & (pl.col("invoice_date") < analysis_date)
    )
    values = known.group_by("customer_id").agg(
        pl.col("invoice_date").min().alias("first_purchase"),
        pl.col("invoice_date").max().alias("last_purchase"),
        pl.col("invoice").n_unique().alias("frequency"),
        exact_sum("revenue").alias("monetary"),
    )
    if monetary == "net":
        # Matched cancellations already removed their purchases; subtract only the others. A
        # customer can return more than the data shows them buying (goods bought before the
        # data start): net spend is floored at 0, never negative.
        refunds = (
            returns.filter(
                pl.col("customer_id").is_not_null()
                & (pl.col("kind") == "return")
                & (pl.col("invoice_date") < analysis_date)
            )
            .group_by("customer_id")
            .agg(exact_sum("value").alias("refunds"))
        )
        values = (
            values.join(refunds, on="customer_id", how="left")
            .with_columns((pl.col("monetary") - pl.col("refunds").fill_null(0.0))
                          .clip(lower_bound=0.0).alias("monetary"))
            .drop("refunds")
        )
    return values.with_columns(
        (pl.lit(analysis_date.date()) - pl.col("last_purchase").dt.date())
        .dt.total_days()
        .alias("recency_days")
    ).sort("customer_id")


def quintile_score(column: str, higher_is_better: bool = True) -> pl.Expr:
    """Score 1-5: 1 + floor(5 x the share of customers strictly worse on the column).

    Customers with the same value get the same score (tie-consistent); without ties the scores
    are exact quintiles, and a large tie group gets the score of the quintile it starts in.
    """
    value = pl.col(column)
    worse = value.rank("min") - 1 if higher_is_better else pl.len() - value.rank("max")
    return (1 + (5 * worse.cast(pl.Int64) // pl.len())).clip(1, 5).cast(pl.Int8)


def rfm_scores(values: pl.DataFrame) -> pl.DataFrame:
    """Add r_score (recent = 5), f_score and m_score, each tie-consistent (quintile_score)."""
    return values.sort("customer_id").with_columns(
        quintile_score("recency_days", higher_is_better=False).alias("r_score"),
        quintile_score("frequency").alias("f_score"),
        quintile_score("monetary").alias("m_score"),
    )


def score_ranges(customers: pl.DataFrame) -> pl.DataFrame:
    """Per score 1-5, the range of days since the last order, orders and spend it stands for
    this period (empty where no customer has that score)."""
    scores = pl.DataFrame({"score": list(range(1, 6))}, schema={"score": pl.Int8})
    for measure, score in (("recency_days", "r_score"), ("frequency", "f_score"),
                           ("monetary", "m_score")):
        ranges = customers.group_by(pl.col(score).alias("score")).agg(
            pl.col(measure).min().alias(f"{measure}_min"),
            pl.col(measure).max().alias(f"{measure}_max"))
        scores = scores.join(ranges, on="score", how="left")
    return scores.sort("score")


def segment_lookup(rules: list[SegmentRule]) -> pl.DataFrame:
    """The 25 (r_score, f_score) pairs with the segment of the first rule that covers each."""
    rows = []
    for r in range(1, 6):
        for f in range(1, 6):
            name = next(rule.name for rule in rules if r in rule.r and f in rule.f)
            rows.append((r, f, name))
    return pl.DataFrame(
        rows, schema={"r_score": pl.Int8, "f_score": pl.Int8, "segment": pl.String}, orient="row"
    )


def segment_customers(scored: pl.DataFrame, rules: list[SegmentRule]) -> pl.DataFrame:
    """Add the segment column from the R and F scores."""
    return scored.join(
        segment_lookup(rules), on=["r_score", "f_score"], how="left", maintain_order="left"
    ).select(
        "customer_id", "first_purchase", "last_purchase", "recency_days", "frequency",
        "monetary", "r_score", "f_score", "m_score", "segment",
    )


def segment_profiles(customers: pl.DataFrame) -> pl.DataFrame:
    """Per segment: size, share, mean and median R/F/M, revenue and revenue share."""
    total_revenue = customers["monetary"].sum()
    rfm = {"recency": "recency_days", "frequency": "frequency", "monetary": "monetary"}
    return (
        group_profiles(customers, "segment", *statistics(rfm, "mean", "median"),
                       exact_sum("monetary").alias("revenue"))
        .with_columns(
            (pl.col("revenue") / total_revenue if total_revenue else pl.lit(None, pl.Float64))
            .alias("revenue_share"),
        )
        .sort(["customers", "segment"], descending=[True, False])
    )
