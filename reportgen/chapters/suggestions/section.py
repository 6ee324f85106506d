"""The product affinity and suggestions page: the advice for buyers, the backtest, the
strongest product pairs, what to offer each segment and a few customers' suggestions."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from reportgen.chapters.base import Section, SectionInputs
from reportgen.chapters.segments.analysis import SegmentsResult
from reportgen.chapters.suggestions.analysis import METHOD_NAMES, SuggestionsResult
from reportgen.chapters.suggestions.charts import hit_rate_chart
from reportgen.display.charts import Chart
from reportgen.display.formatting import number, pct, segment_label

EXAMPLE_CUSTOMERS = 4  # the active customers who spent most, with their first suggestions
EXAMPLE_SUGGESTIONS = 3
BEST_SELLERS = "Best sellers (popularity)"


@dataclass(frozen=True)
class ScoreRow:
    """One list's backtest measures."""

    name: str
    hit_rate: float
    precision: float | None
    recall: float | None
    coverage: float | None


@dataclass(frozen=True)
class PairRow:
    """Two products bought by the same customers."""

    product_a: str
    product_b: str
    customers_both: int
    share_of_a_buyers: float
    share_of_b_buyers: float
    lift: float


@dataclass(frozen=True)
class SegmentOffers:
    """A segment and the products most worth offering to its customers."""

    segment: str
    customers: int
    products: tuple[tuple[str, int], ...]  # description, customers it is suggested to


@dataclass(frozen=True)
class ExampleSuggestion:
    """One suggestion to one example customer."""

    customer_id: str
    rank: int
    product: str
    because: str | None


@dataclass(frozen=True)
class SuggestionsView:
    """What the page shows."""

    method_name: str
    tested_method_name: str
    fallback: str | None
    learned_from: datetime
    active_customers: int
    active_months: int
    per_customer: int
    products: int
    suggestable: int
    recent_months: int
    advice: str
    backtest_missing: str | None
    learned_until: datetime | None
    tested_until: datetime | None
    tested_customers: int | None
    verdict: str | None
    scores: tuple[ScoreRow, ...]
    buy_again_customers: int | None
    pairs: tuple[PairRow, ...]
    min_pair_customers: int
    min_pair_lift: float
    segment_offers: tuple[SegmentOffers, ...]
    examples: tuple[ExampleSuggestion, ...]
    plain_verdict: str | None  # the backtest without the method's name
    campaign_month: str  # the month the lists go out, e.g. December
    off_season: int  # products out of season then, not suggested
    off_season_examples: tuple[str, ...]  # a few of them, by description


def suggestions_section(result: SuggestionsResult, inputs: SectionInputs
                        ) -> Section[SuggestionsView]:
    """The page's view and its backtest chart."""
    params = result.params
    backtest = result.backtest
    scores: tuple[ScoreRow, ...] = ()
    charts: dict[str, Chart] = {}
    if backtest is not None:
        compared = [backtest.popularity] if result.tested_method == "popularity" else [
            backtest.method, backtest.popularity]
        scores = tuple(
            ScoreRow(BEST_SELLERS if score.method == "popularity"
                     else f"{METHOD_NAMES[score.method]} suggestions",
                     score.hit_rate, score.precision, score.recall, score.coverage)
            for score in compared)
        used = next(row.name for row, score in zip(scores, compared, strict=True)
                    if score.method == result.method)
        charts["hit_rate"] = Chart("", "", hit_rate_chart(pl.DataFrame({
            "list": [row.name for row in scores],
            "hit_rate": [row.hit_rate for row in scores],
            "highlight": [row.name == used for row in scores],
        })))
        if backtest.buy_again_hit_rate is not None:  # other customers: in the table, not chart
            scores += (ScoreRow("Buy-again list (products bought before)",
                                backtest.buy_again_hit_rate, None, None, None),)
    return Section(
        SuggestionsView(
            method_name=METHOD_NAMES[result.method],
            tested_method_name=METHOD_NAMES[result.tested_method],
            fallback=result.fallback,
            learned_from=result.learned_from,
            active_customers=result.active_customers,
            active_months=params.active_months,
            per_customer=params.per_customer,
            products=result.products,
            suggestable=result.suggestable,
            recent_months=params.recent_months,
            advice=buyer_advice(result),
            backtest_missing=result.backtest_missing,
            learned_until=backtest.learned_until if backtest else None,
            tested_until=backtest.tested_until if backtest else None,
            tested_customers=backtest.customers if backtest else None,
            verdict=backtest_verdict(result),
            plain_verdict=plain_verdict(result),
            campaign_month=calendar.month_name[result.campaign_month],
            off_season=result.off_season.height,
            off_season_examples=tuple(
                str(name) for name in result.off_season.sort("stock_code")
                .get_column("description").drop_nulls().head(3)),
            scores=scores,
            buy_again_customers=backtest.buy_again_customers if backtest else None,
            pairs=tuple(
                PairRow(row["description_a"] or row["stock_code_a"],
                        row["description_b"] or row["stock_code_b"], row["customers_both"],
                        row["share_of_a_buyers"], row["share_of_b_buyers"], row["lift"])
                for row in result.pairs.iter_rows(named=True)),
            min_pair_customers=params.min_pair_customers,
            min_pair_lift=params.min_pair_lift,
            segment_offers=segment_offers(result),
            examples=example_suggestions(result, inputs.results.of("segments", SegmentsResult)),
        ),
        charts=charts,
    )


def plain_verdict(result: SuggestionsResult) -> str | None:
    """The backtest in a manager's words, without the method's name (None without one)."""
    backtest = result.backtest
    if backtest is None:
        return None
    used = result.hit_rate
    months = result.params.backtest_months
    test = f"In a test on the last {months} month{'s' if months != 1 else ''}"
    if result.method == "popularity":
        return (f"{test}, {pct(used)} of the customers tested bought one of the "
                f"{backtest.per_customer} best sellers suggested to them; suggestions from what "
                "customers bought together did no better, so the lists offer best sellers.")
    return (f"{test}, {pct(used)} of the customers tested bought one of the "
            f"{backtest.per_customer} products suggested to them, against "
            f"{pct(backtest.popularity.hit_rate)} for the same number of best sellers.")


def backtest_verdict(result: SuggestionsResult) -> str | None:
    """One sentence on how the method did against popularity (None without a backtest)."""
    backtest = result.backtest
    if backtest is None:
        return None
    popular = backtest.popularity.hit_rate
    if result.tested_method == "popularity":
        return (f"{pct(popular)} of the tested customers bought one of the "
                f"{backtest.per_customer} best sellers suggested to them.")
    method = backtest.method.hit_rate
    name = METHOD_NAMES[result.tested_method]
    if backtest.beats_popularity:
        lift = f", {number(backtest.lift, 1)} times as many" if backtest.lift else ""
        return (f"{pct(method)} of the tested customers bought at least one of their "
                f"{backtest.per_customer} {name} suggestions, against {pct(popular)} for the "
                f"{backtest.per_customer} best sellers{lift}: the suggestions use {name}.")
    return (f"{name} reached {pct(method)} of the tested customers and the best sellers "
            f"{pct(popular)}: {name} did not beat popularity, so the suggestions are the best "
            "sellers each customer has not bought.")


def buyer_advice(result: SuggestionsResult) -> str:
    """One short paragraph a buyer can act on: the strongest pair and the products suggested
    most often."""
    sentences = []
    if result.pairs.height:
        pair = result.pairs.row(0, named=True)
        sentences.append(
            f"Customers who buy {pair['description_a']} also buy {pair['description_b']}: "
            f"{number(pair['customers_both'])} customers bought both, "
            f"{pct(pair['share_of_b_buyers'])} of the second's buyers. Stock, display and "
            "promote the pairs below together, and offer each to the other's buyers.")
    most = (result.suggestions.filter(pl.col("rank") <= 3)
            .group_by("description").agg(pl.len().alias("customers"))
            .sort(["customers", "description"], descending=[True, False]).head(3))
    if most.height:
        names = [f"{row['description']} ({number(row['customers'])} customers)"
                 for row in most.iter_rows(named=True)]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        sentences.append(f"The products most often among customers' first three suggestions are "
                         f"{listed}: make sure they are in stock before the campaigns go out.")
    if not sentences:
        return "No product pair or suggestion stood out this month."
    return " ".join(sentences)


def segment_offers(result: SuggestionsResult) -> tuple[SegmentOffers, ...]:
    """Per segment (largest first), its products most worth offering."""
    offers = result.segment_offers
    if offers.is_empty():
        return ()
    grouped = (offers.sort("segment", "rank").group_by("segment", maintain_order=True)
               .agg(pl.col("segment_customers").first(), "description", "customers_offered")
               .sort(["segment_customers", "segment"], descending=[True, False]))
    return tuple(
        SegmentOffers(segment_label(row["segment"]), row["segment_customers"],
                      tuple(zip([d or "" for d in row["description"]],
                                row["customers_offered"], strict=True)))
        for row in grouped.iter_rows(named=True))


def example_suggestions(result: SuggestionsResult, segments: SegmentsResult
                        ) -> tuple[ExampleSuggestion, ...]:
    """The first suggestions, with their reasons, of the active customers who spent most."""
    suggested = result.suggestions["customer_id"].unique()
    top_customers = (segments.customers.filter(pl.col("customer_id").is_in(suggested.implode()))
                     .sort(["monetary", "customer_id"], descending=[True, False])
                     .head(EXAMPLE_CUSTOMERS)["customer_id"].to_list())
    rows = (result.suggestions.filter(pl.col("customer_id").is_in(top_customers)
                                      & (pl.col("rank") <= EXAMPLE_SUGGESTIONS))
            .with_columns(pl.col("customer_id").replace_strict(
                top_customers, list(range(len(top_customers)))).alias("order"))
            .sort("order", "rank"))
    return tuple(ExampleSuggestion(row["customer_id"], row["rank"],
                                   row["description"] or row["stock_code"],
                                   row["because_description"] or row["because_stock_code"])
                 for row in rows.iter_rows(named=True))
