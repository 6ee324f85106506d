"""Fitting a method to a unit's purchases, and ranking products for customers: new products
to suggest (with the bought product that contributes most) and bought products to buy again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import polars as pl

from reportgen.models.frames import in_months
from reportgen.models.recommend.matrix import (
    PurchaseMatrix,
    kept_products,
    purchase_matrix,
    recent_buyers,
)
from reportgen.models.recommend.methods import FittedMethod, Method
from reportgen.models.recommend.weights import (
    ProductWeights,
    fit_ease,
    fit_item_item,
    fit_popularity,
)

CHUNK_ROWS = 1_000  # customers scored at a time: bounds memory to CHUNK_ROWS x products


class RecommenderSettings(Protocol):
    """What fitting needs of the unit's suggestion settings (a SuggestionsConfig has it)."""

    @property
    def regularisation(self) -> float: ...  # EASE's L2 penalty
    @property
    def neighbours(self) -> int: ...  # item-item: products kept per product
    @property
    def max_dense_products(self) -> int: ...  # auto: EASE up to this many products
    @property
    def min_product_customers(self) -> int: ...  # recent buyers a suggestible product needs


@dataclass(frozen=True)
class PurchaseWindow:
    """The purchases a fit learns from: [start, end), and the recent months [recent_start, end)
    whose buyers decide which products can be suggested."""

    start: datetime
    end: datetime
    recent_start: datetime


@dataclass(frozen=True)
class FittedSuggestions:
    """A method fitted to the purchases of a window."""

    matrix: PurchaseMatrix
    model: ProductWeights
    can_suggest: np.ndarray  # per product: sold to enough customers in the recent months
    window: PurchaseWindow

    @property
    def popularity(self) -> ProductWeights:
        """The popularity method on the same purchases."""
        return fit_popularity(self.model.popularity)


def chosen_method(method: Method, products: int, params: RecommenderSettings) -> FittedMethod:
    """The method `auto` stands for with this many products; other methods as configured."""
    if method != "auto":
        return method
    return "ease" if products <= params.max_dense_products else "item_item"


def fit_suggestions(customer_products: pl.DataFrame, window: PurchaseWindow,
                    params: RecommenderSettings, method: Method) -> FittedSuggestions | None:
    """Fit the method to the window's purchases; None when no identified customer bought
    anything in them."""
    pairs = kept_products(customer_products, window.start, window.end)
    if pairs.is_empty():
        return None
    matrix = purchase_matrix(pairs)
    recent = recent_buyers(customer_products, window.recent_start, window.end)
    popularity = np.zeros(matrix.products.len(), dtype=np.float32)
    columns = matrix.columns_of(recent["stock_code"])
    known = columns >= 0
    popularity[columns[known]] = recent["recent_buyers"].to_numpy()[known]
    can_suggest = popularity >= params.min_product_customers
    # Only products that can be suggested are modelled: the others are never suggested, and
    # leaving them out kept the backtest's hit rate (UCI UK: 53.2 % either way) at 42 % of
    # EASE's cubic cost.
    candidates = np.flatnonzero(can_suggest)
    fitted = chosen_method(method, candidates.size, params)
    if fitted == "ease":
        model = fit_ease(matrix.bought, params.regularisation, popularity, candidates)
    elif fitted == "item_item":
        model = fit_item_item(matrix.bought, params.neighbours, popularity, candidates)
    else:
        model = fit_popularity(popularity)
    return FittedSuggestions(matrix, model, can_suggest, window)


def top_suggestions(fitted: FittedSuggestions, model: ProductWeights, rows: np.ndarray,
                    count: int, with_because: bool = True) -> pl.DataFrame:
    """For each matrix row, the `count` best-scored products it has not bought and that can be
    suggested: row, rank (1 = best), column, score and because_column (the bought product
    adding most to the score; null when none adds anything, as with popularity, or when not
    asked for)."""
    parts = [_top_of_chunk(fitted, model, rows[start:start + CHUNK_ROWS], count, with_because)
             for start in range(0, rows.size, CHUNK_ROWS)]
    parts = [part for part in parts if part.height]
    if not parts:
        return pl.DataFrame(schema={"row": pl.Int64, "rank": pl.Int64, "column": pl.Int64,
                                    "score": pl.Float64, "because_column": pl.Int64})
    return pl.concat(parts)


def _top_of_chunk(fitted: FittedSuggestions, model: ProductWeights, rows: np.ndarray,
                  count: int, with_because: bool) -> pl.DataFrame:
    bought = fitted.matrix.bought[rows]
    candidates = model.candidates
    scores = model.scores(bought)  # rows x candidates
    scores[:, ~fitted.can_suggest[candidates]] = -np.inf
    bought_row = np.repeat(np.arange(rows.size), np.diff(bought.indptr))
    bought_local = model.positions(bought.indices)
    is_candidate = bought_local >= 0
    scores[bought_row[is_candidate], bought_local[is_candidate]] = -np.inf
    take = min(count, scores.shape[1])
    if take == 0:
        return pl.DataFrame()
    top_local = np.argpartition(-scores, take - 1, axis=1)[:, :take]
    top_scores = np.take_along_axis(scores, top_local, axis=1)
    top = candidates[top_local]
    # best first; equal scores: more recent buyers first, then the lower column
    order = np.lexsort((top, -model.popularity[top], -top_scores), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    top_scores = np.take_along_axis(top_scores, order, axis=1)
    ranked = pl.DataFrame({
        "local": np.repeat(np.arange(rows.size), take),
        "row": np.repeat(rows.astype(np.int64), take),
        "rank": np.tile(np.arange(1, take + 1), rows.size),
        "column": top.ravel().astype(np.int64),
        "score": top_scores.ravel().astype(np.float64),
    }).filter(pl.col("score").is_finite())
    because = _because(model, ranked, bought_row, bought.indices, with_because)
    return (
        ranked.join(because, on=["local", "column"], how="left", maintain_order="left")
        .select("row", "rank", "column", "score", "because_column")
    )


def with_because(fitted: FittedSuggestions, model: ProductWeights, ranked: pl.DataFrame
                 ) -> pl.DataFrame:
    """`top_suggestions` rows (asked without because) with because_column, found for these
    rows only, CHUNK_ROWS customers at a time: asking for it after the rows are filtered
    costs a fraction of asking for every candidate."""
    rows = np.unique(ranked["row"].to_numpy())
    # Each suggestion's chunk, from its row's place among the rows: one pass over the
    # suggestions, not one per chunk (170 chunks of 1.7 M suggestions took 5.6 s).
    asked_by_chunk = ranked.select(pl.col("row").alias("local"), "column").with_columns(
        pl.Series("chunk", np.searchsorted(rows, ranked["row"].to_numpy()) // CHUNK_ROWS)
    ).partition_by("chunk", as_dict=True, include_key=False)
    parts = []
    for start in range(0, rows.size, CHUNK_ROWS):
        chunk = rows[start:start + CHUNK_ROWS]
        bought = fitted.matrix.bought[chunk]
        bought_row = np.repeat(chunk, np.diff(bought.indptr))
        asked = asked_by_chunk[(start // CHUNK_ROWS,)]
        parts.append(_because(model, asked, bought_row, bought.indices, True))
    found = pl.concat(parts).rename({"local": "row"}) if parts else pl.DataFrame(
        schema={"row": pl.Int64, "column": pl.Int64, "because_column": pl.Int64})
    return ranked.drop("because_column").join(found, on=["row", "column"], how="left",
                                              maintain_order="left")


def _because(model: ProductWeights, ranked: pl.DataFrame, bought_row: np.ndarray,
             bought_column: np.ndarray, wanted: bool) -> pl.DataFrame:
    """For each (local row, suggested column): the bought column with the largest positive
    weight towards it (ties: the lower column); none when not `wanted` or the method has no
    weights."""
    empty = pl.DataFrame(schema={"local": pl.Int64, "column": pl.Int64,
                                 "because_column": pl.Int64})
    if not wanted or model.weights is None or ranked.is_empty():
        return empty
    pairs = ranked.select("local", "column").join(
        pl.DataFrame({"local": bought_row.astype(np.int64),
                      "bought": bought_column.astype(np.int64)}),
        on="local")
    if pairs.is_empty():
        return empty
    weight = model.contributions(pairs["bought"].to_numpy(), pairs["column"].to_numpy())
    return (
        pairs.with_columns(pl.Series("weight", weight, dtype=pl.Float64))
        .filter(pl.col("weight") > 0)
        .sort(["local", "column", "weight", "bought"], descending=[False, False, True, False])
        .group_by("local", "column", maintain_order=True)
        .agg(pl.col("bought").first().alias("because_column"))
    )


def buy_again_lists(customer_products: pl.DataFrame, customers: pl.Series,
                    window: PurchaseWindow, count: int) -> pl.DataFrame:
    """For each given customer, up to `count` products they bought (and kept) in the window,
    most often bought first (days with a purchase of it), then most recently: customer_id,
    rank, stock_code, days_bought, last_bought."""
    start, end = window.start, window.end
    kept = kept_products(customer_products, start, end).filter(pl.col("customer_id").is_in(
        customers.implode()))
    return (
        customer_products.filter(in_months(start, end))
        .join(kept, on=["customer_id", "stock_code"], how="semi")
        .group_by("customer_id", "stock_code")
        .agg(pl.col("days").sum().cast(pl.Int64).alias("days_bought"),
             pl.col("last_bought").max())
        .sort(["customer_id", "days_bought", "last_bought", "stock_code"],
              descending=[False, True, True, False])
        .group_by("customer_id", maintain_order=True).head(count)
        .with_columns((pl.int_range(pl.len()).over("customer_id") + 1).cast(pl.Int64)
                      .alias("rank"))
        .select("customer_id", "rank", "stock_code", "days_bought", "last_bought")
    )
