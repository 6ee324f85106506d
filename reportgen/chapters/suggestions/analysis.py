"""Product suggestions: which products to offer each customer, and why; what to buy again;
the product pairs bought by the same customers; the method's backtest against popularity."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import polars as pl
import scipy.sparse as sp

from reportgen.chapters.products.analysis import main_descriptions
from reportgen.config import SuggestionMethod, SuggestionsConfig
from reportgen.models.frames import in_months
from reportgen.models.recommend.affinity import offers_by_segment, product_pairs
from reportgen.models.recommend.holdout import SuggestionBacktest, holdout_test
from reportgen.models.recommend.methods import FittedMethod
from reportgen.models.recommend.ranking import (
    FittedSuggestions,
    PurchaseWindow,
    buy_again_lists,
    fit_suggestions,
    top_suggestions,
    with_because,
)
from reportgen.models.recommend.season import off_season_products
from reportgen.models.recommend.variants import product_families
from reportgen.models.recommend.weights import ProductWeights
from reportgen.period import Period

OFFERS_WITHIN_RANK = 3  # a segment's offers count the first three suggestions of its customers
OFFERS_PER_SEGMENT = 3
SHOWN_IN_CUSTOMER_TABLE = 3  # suggested_products: the first three descriptions
CANDIDATES_PER_SUGGESTION = 3  # ranked per suggestion kept, before families are taken out


@dataclass(frozen=True)
class SuggestionsResult:
    """Suggestions for every active customer, the evidence for the method, and affinity."""

    tested_method: FittedMethod  # the configured method (auto resolved) the backtest tried
    method: FittedMethod  # the method the suggestions come from
    fallback: str | None  # why popularity replaced the tested method, if it did
    backtest: SuggestionBacktest | None
    backtest_missing: str | None  # why there is no backtest
    learned_from: datetime  # the first purchase the suggestions learn from
    products: int  # products bought in the history window
    suggestable: int  # of them, those sold to enough customers in the recent months
    active_customers: int  # customers with a purchase in the last `active_months`
    suggestions: pl.DataFrame  # customer_id, rank, stock_code, description, score, because_…
    buy_again: pl.DataFrame  # customer_id, rank, stock_code, description, days_bought, last_…
    pairs: pl.DataFrame  # product_pairs() plus description_a, description_b
    segment_offers: pl.DataFrame  # offers_by_segment() plus description
    params: SuggestionsConfig
    off_season: pl.DataFrame  # stock_code, description, season_start, season_end,
    # learnt_from: not suggested in the campaign month (`campaign_month`), its season over
    campaign_month: int  # the month after the report's, when its lists go out (1-12)

    @property
    def suggested_products(self) -> pl.DataFrame:
        """customer_id and the descriptions of their first three suggestions, "; "-separated."""
        return first_three(self.suggestions, "suggested_products")

    @property
    def reorder_products(self) -> pl.DataFrame:
        """customer_id and the descriptions of the first three products of their buy-again
        list, "; "-separated."""
        return first_three(self.buy_again, "reorder_products")

    @property
    def hit_rate(self) -> float | None:
        """The backtest hit rate of the method the suggestions come from."""
        if self.backtest is None:
            return None
        return (self.backtest.popularity if self.method == "popularity"
                else self.backtest.method).hit_rate


def first_three(ranked: pl.DataFrame, name: str) -> pl.DataFrame:
    """customer_id and, as `name`, the descriptions (else stock codes) of the customer's first
    SHOWN_IN_CUSTOMER_TABLE products of a ranked list, "; "-separated."""
    return (
        ranked.filter(pl.col("rank") <= SHOWN_IN_CUSTOMER_TABLE)
        .sort("customer_id", "rank")
        .group_by("customer_id", maintain_order=True)
        .agg(pl.col("description").fill_null(pl.col("stock_code")).str.join("; ").alias(name))
    )


def suggestions_analysis(customer_products: pl.DataFrame, descriptions: pl.DataFrame,
                         orders: pl.DataFrame, segments: pl.DataFrame, period: Period,
                         params: SuggestionsConfig,
                         product_months: pl.DataFrame | None = None
                         ) -> SuggestionsResult | None:
    """Fit the configured method to the history window, test it against popularity on the
    last `backtest_months`, and suggest products to every active customer with the method that
    won (popularity when the method lost or could not be tested). None when no identified
    customer bought anything in the history window.

    What is suggested adds something new and fits the moment: no product out of season in the
    month after the report's (`models.recommend.season`, from `product_months`), no product of
    a family the customer already buys under any code, one product per family, and no pair of
    two variants (`models.recommend.variants`). The backtest judges the method unfiltered.

    Reads the reduced tables `customer_products`, `descriptions`, `orders` and
    `product_months` (`inputs.reduce`)."""
    window = purchase_window(period, params)
    fitted = fit_suggestions(customer_products, window, params, params.method)
    if fitted is None:
        return None
    tested = suggestion_backtest(customer_products, period, params, params.method)
    backtest = tested if isinstance(tested, SuggestionBacktest) else None
    missing = tested if isinstance(tested, str) else None
    model, fallback = fitted.model, None
    if model.method != "popularity":
        if backtest is None:
            fallback = f"the {METHOD_NAMES[model.method]} method could not be tested: {missing}"
        elif not backtest.beats_popularity:
            fallback = (f"the {METHOD_NAMES[model.method]} method did not beat popularity in the "
                        f"backtest ({backtest.method.hit_rate:.1%} against "
                        f"{backtest.popularity.hit_rate:.1%} of tested customers)")
        if fallback:
            model = fitted.popularity
    matrix = fitted.matrix
    active_start = period.shift(-(params.active_months - 1)).start
    active = (customer_products.filter(in_months(active_start, period.analysis_date))
              ["customer_id"].unique().sort())
    active = active.filter(active.is_in(matrix.customers.implode()))
    names = main_descriptions(descriptions.filter(in_months(window.start, window.end)))
    campaign_month = period.shift(1).start.month
    off_season = off_season_products(
        product_months if product_months is not None else _no_months(),
        period.analysis_date, campaign_month, names).join(names, on="stock_code", how="left")
    in_season = ~matrix.products.is_in(off_season["stock_code"].implode()).to_numpy()
    fitted = replace(fitted, can_suggest=fitted.can_suggest & in_season)
    families = matrix.products.to_frame("stock_code").join(
        product_families(names), on="stock_code", how="left", maintain_order="left")
    family_ids = families["family"].fill_null(families["stock_code"]).rank("dense").to_numpy()
    suggestions = customer_suggestions(fitted, model, active, names, params.per_customer,
                                       family_ids)
    buy_again = buy_again_lists(customer_products, active, window, params.per_customer).join(
        names, on="stock_code", how="left", maintain_order="left").select(
        "customer_id", "rank", "stock_code", "description", "days_bought", "last_bought")
    pairs = product_pairs(matrix, fitted.can_suggest, params.min_pair_customers,
                          params.min_pair_lift, params.top_pairs, family_ids)
    return SuggestionsResult(
        tested_method=fitted.model.method, method=model.method, fallback=fallback,
        backtest=backtest, backtest_missing=missing,
        learned_from=first_purchase_since(orders, window.start),
        products=matrix.products.len(), suggestable=int(fitted.can_suggest.sum()),
        active_customers=active.len(),
        suggestions=suggestions, buy_again=buy_again,
        pairs=with_descriptions(pairs, names, ("stock_code_a", "description_a"),
                                ("stock_code_b", "description_b")),
        segment_offers=with_descriptions(
            offers_by_segment(suggestions, segments, OFFERS_WITHIN_RANK, OFFERS_PER_SEGMENT),
            names, ("stock_code", "description")),
        params=params,
        off_season=off_season.select("stock_code", "description", "season_start",
                                     "season_end", "learnt_from"),
        campaign_month=campaign_month,
    )


def _no_months() -> pl.DataFrame:
    return pl.DataFrame(schema={"stock_code": pl.String, "month": pl.Datetime("us"),
                                "quantity": pl.Int64, "lines": pl.Int64})


def purchase_window(period: Period, params: SuggestionsConfig) -> PurchaseWindow:
    """The `history_months` up to the period's analysis date, with the `recent_months` whose
    buyers make a product suggestible."""
    return PurchaseWindow(start=period.shift(-(params.history_months - 1)).start,
                          end=period.analysis_date,
                          recent_start=period.shift(-(params.recent_months - 1)).start)


def suggestion_backtest(customer_products: pl.DataFrame, period: Period,
                        params: SuggestionsConfig, method: SuggestionMethod
                        ) -> SuggestionBacktest | str:
    """The method learnt from the purchases up to `backtest_months` before the period's
    analysis date and tested on the months after (`models.recommend.holdout`)."""
    return holdout_test(customer_products,
                        purchase_window(period.shift(-params.backtest_months), params),
                        period.analysis_date, params, method)


def first_purchase_since(orders: pl.DataFrame, start: datetime) -> datetime:
    """The first purchase at or after `start` (`start` itself when there is none)."""
    first = orders.filter(pl.col("invoice_date") >= start)["invoice_date"].min()
    return first if isinstance(first, datetime) else start


METHOD_NAMES: dict[str, str] = {"ease": "EASE", "item_item": "item-to-item",
                                "popularity": "popularity"}


def customer_suggestions(fitted: FittedSuggestions, model: ProductWeights,
                         customers: pl.Series, descriptions: pl.DataFrame, count: int,
                         family: np.ndarray | None = None) -> pl.DataFrame:
    """suggestions.csv: customer_id, rank, stock_code, description, score, because_stock_code,
    because_description for the given customers. With product families (an id per matrix
    column), a product of a family the customer bought is left out, and so is every product
    after the first of its family."""
    matrix = fitted.matrix
    rows = matrix.rows_of(customers)
    if family is None:
        ranked = top_suggestions(fitted, model, rows, count)
    else:  # more candidates, one per family; "because" only for those kept
        ranked = with_because(fitted, model, one_per_family(
            top_suggestions(fitted, model, rows, count * CANDIDATES_PER_SUGGESTION,
                            with_because=False), matrix.bought[rows], rows, family, count))
    table = pl.DataFrame({
        "customer_id": matrix.customers.gather(ranked["row"]),
        "rank": ranked["rank"],
        "stock_code": matrix.products.gather(ranked["column"]),
        "score": ranked["score"],
        "because_stock_code": matrix.products.gather(ranked["because_column"]),
    })
    return with_descriptions(
        table, descriptions, ("stock_code", "description"),
        ("because_stock_code", "because_description"),
    ).select("customer_id", "rank", "stock_code", "description", "score",
             "because_stock_code", "because_description")


def one_per_family(ranked: pl.DataFrame, purchases: sp.csr_matrix, rows: np.ndarray,
                   family: np.ndarray, count: int) -> pl.DataFrame:
    """The ranked suggestions less products of a family the row's customer bought
    (`purchases`: the rows' lines of the purchase matrix) and less every product after the
    first of its family, ranked again and cut to `count`."""
    if ranked.is_empty():
        return ranked
    bought = purchases.tocoo()
    owned = pl.DataFrame({"row": rows[bought.row].astype(np.int64),
                          "family": family[bought.col].astype(np.int64)}).unique()
    return (
        ranked.with_columns(pl.Series("family", family[ranked["column"].to_numpy()])
                            .cast(pl.Int64))
        .join(owned, on=["row", "family"], how="anti")
        .sort("row", "rank")
        .unique(["row", "family"], keep="first", maintain_order=True)
        .with_columns((pl.int_range(pl.len()).over("row") + 1).cast(pl.Int64).alias("rank"))
        .filter(pl.col("rank") <= count)
        .drop("family")
    )


def with_descriptions(frame: pl.DataFrame, descriptions: pl.DataFrame,
                      *code_columns: tuple[str, str]) -> pl.DataFrame:
    """The frame with, for each (code column, description column), the code's description."""
    for code, description in code_columns:
        frame = frame.join(
            descriptions.rename({"stock_code": code, "description": description}),
            on=code, how="left", maintain_order="left")
    return frame
