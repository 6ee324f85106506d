"""The suggestions' backtest: learn from purchases up to a cut-off, suggest, and check against
what the customers bought for the first time after it, beside popularity on the same customers.

Tested customers: those who bought before the cut-off and bought at least one product new to
them (not bought in the history window) between the cut-off and the analysis date.

- hit rate at n: share of tested customers with at least one suggested product among their
  new products;
- precision at n: mean share of the n suggestions that were bought;
- recall at n: mean share of a customer's new products that were suggested;
- coverage: distinct products suggested to tested customers over the products that could be.

The buy-again list is checked the same way on the products customers bought again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

import numpy as np
import polars as pl

from reportgen.models.recommend.matrix import kept_products
from reportgen.models.recommend.methods import FittedMethod, Method
from reportgen.models.recommend.ranking import (
    FittedSuggestions,
    PurchaseWindow,
    RecommenderSettings,
    buy_again_lists,
    fit_suggestions,
    top_suggestions,
)
from reportgen.models.recommend.weights import ProductWeights


class HoldoutSettings(RecommenderSettings, Protocol):
    """What the backtest needs besides fitting (a SuggestionsConfig has it)."""

    @property
    def per_customer(self) -> int: ...  # n of "at n"
    @property
    def min_backtest_customers(self) -> int: ...


@dataclass(frozen=True)
class MethodScore:
    """How one method's suggestions fared on the tested customers (see the module's text)."""

    method: FittedMethod
    hit_rate: float
    precision: float
    recall: float
    coverage: float


@dataclass(frozen=True)
class SuggestionBacktest:
    """The method and popularity on the same customers, and the buy-again list."""

    RECORD_PROPERTIES: ClassVar[tuple[str, ...]] = ("beats_popularity", "lift")

    learned_until: datetime  # the cut-off: suggestions learn from purchases before it
    tested_until: datetime  # the analysis date
    customers: int  # tested customers
    per_customer: int  # n of "at n"
    method: MethodScore
    popularity: MethodScore
    buy_again_customers: int  # customers who bought again a product bought before the cut-off
    buy_again_hit_rate: float | None

    @property
    def beats_popularity(self) -> bool:
        """Whether the method's hit rate is higher than popularity's."""
        return self.method.hit_rate > self.popularity.hit_rate

    @property
    def lift(self) -> float | None:
        """The method's hit rate over popularity's (None when popularity hit no one)."""
        if self.popularity.hit_rate <= 0:
            return None
        return self.method.hit_rate / self.popularity.hit_rate


def holdout_test(customer_products: pl.DataFrame, learned: PurchaseWindow,
                 tested_until: datetime, params: HoldoutSettings,
                 method: Method) -> SuggestionBacktest | str:
    """Learn from the `learned` window and test on the purchases from its end to
    `tested_until`; a one-line reason instead when that cannot be judged."""
    fitted = fit_suggestions(customer_products, learned, params, method)
    if fitted is None:
        return (f"no identified customer bought anything before "
                f"{learned.end:%d %B %Y}, so there is nothing to learn from")
    before = matrix_pairs(fitted)
    after = kept_products(customer_products, learned.end, tested_until).join(
        before.select("customer_id").unique(), on="customer_id", how="semi")
    new = after.join(before, on=["customer_id", "stock_code"], how="anti")
    tested = new["customer_id"].unique().sort()
    if tested.len() < params.min_backtest_customers:
        return (f"only {tested.len()} customers bought a product new to them from "
                f"{learned.end:%d %B %Y} to {tested_until:%d %B %Y} (at least "
                f"{params.min_backtest_customers} needed to judge the method)")
    rows = fitted.matrix.rows_of(tested)
    targets = new.with_columns(
        pl.Series("row", fitted.matrix.rows_of(new["customer_id"])),
        pl.Series("column", fitted.matrix.columns_of(new["stock_code"])),
    )
    count = params.per_customer
    repeated = after.join(before, on=["customer_id", "stock_code"], how="semi")
    again_hit_rate, again_customers = buy_again_score(customer_products, repeated, learned, count)
    return SuggestionBacktest(
        learned_until=learned.end, tested_until=tested_until,
        customers=tested.len(), per_customer=count,
        method=score_method(fitted, fitted.model, rows, targets, count),
        popularity=score_method(fitted, fitted.popularity, rows, targets, count),
        buy_again_customers=again_customers, buy_again_hit_rate=again_hit_rate,
    )


def matrix_pairs(fitted: FittedSuggestions) -> pl.DataFrame:
    """(customer_id, stock_code) of every 1 in the fitted purchase matrix."""
    coo = fitted.matrix.bought.tocoo()
    return pl.DataFrame({
        "customer_id": fitted.matrix.customers.gather(coo.row),
        "stock_code": fitted.matrix.products.gather(coo.col),
    })


def score_method(fitted: FittedSuggestions, model: ProductWeights, rows: np.ndarray,
                 targets: pl.DataFrame, count: int) -> MethodScore:
    """Hit rate, precision and recall at `count`, and coverage, of one method on the rows;
    `targets` holds each row's new products (column -1: a product the method cannot know)."""
    suggested = top_suggestions(fitted, model, rows, count, with_because=False)
    per_row = (
        targets.group_by("row").agg(pl.len().alias("new_products"))
        .join(suggested.join(targets, on=["row", "column"], how="semi")
              .group_by("row").agg(pl.len().alias("hits")), on="row", how="left")
        .with_columns(pl.col("hits").fill_null(0))
        .sort("row")  # a fixed order: the means below add up the same way every run
    )
    return MethodScore(
        method=model.method,
        hit_rate=float((per_row["hits"] > 0).mean()),  # type: ignore[arg-type]
        precision=float(per_row["hits"].sum()) / (count * per_row.height),
        recall=float((per_row["hits"] / per_row["new_products"]).mean()),  # type: ignore[arg-type]
        coverage=suggested["column"].n_unique() / max(int(fitted.can_suggest.sum()), 1),
    )


def buy_again_score(customer_products: pl.DataFrame, repeated: pl.DataFrame,
                    learned: PurchaseWindow, count: int) -> tuple[float | None, int]:
    """Share of the customers who bought again a product of theirs whose buy-again list (as of
    the cut-off) held one of them, and how many such customers there were."""
    customers = repeated["customer_id"].unique()
    if customers.is_empty():
        return None, 0
    lists = buy_again_lists(customer_products, customers, learned, count)
    hit = lists.join(repeated, on=["customer_id", "stock_code"], how="semi")[
        "customer_id"].n_unique()
    return hit / customers.len(), customers.len()
