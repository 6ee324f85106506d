"""Product affinity: the product pairs most often bought by the same customers, and the
products most worth offering to each segment."""

from __future__ import annotations

import numpy as np
import polars as pl

from reportgen.models.recommend.matrix import PurchaseMatrix
from reportgen.models.recommend.weights import co_purchase_blocks


def product_pairs(matrix: PurchaseMatrix, allowed: np.ndarray, min_customers: int,
                  min_lift: float, top: int, family: np.ndarray | None = None
                  ) -> pl.DataFrame:
    """Among the `allowed` products (a mask of the matrix's columns), the `top` pairs with
    the highest cosine affinity (customers who bought both over the square root of the product
    of each one's buyers) among pairs bought by at least `min_customers` customers, each
    product in one pair at most (so that a family of variants bought together does not fill
    the list), never two products of one `family` (an id per column: variants of a product):
    stock_code_a (the one with more buyers), stock_code_b, customers_both,
    buyers_a, buyers_b, share_of_a_buyers, share_of_b_buyers, affinity, lift
    (customers_both x customers / (buyers_a x buyers_b))."""
    bought = matrix.bought
    columns = np.flatnonzero(allowed)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for start, block in co_purchase_blocks(bought[:, columns]):  # never products x products
        co_bought = block.tocoo()
        row = co_bought.row + start
        keep = (co_bought.col > row) & (co_bought.data >= min_customers)
        first, second = columns[row[keep]], columns[co_bought.col[keep]]
        both = np.rint(co_bought.data[keep]).astype(np.int64)
        if family is not None:
            other_family = family[first] != family[second]
            first, second, both = first[other_family], second[other_family], both[other_family]
        found.append((first, second, both))
    if found:
        first, second, both = (np.concatenate(part) for part in zip(*found, strict=True))
    else:
        first = second = both = np.zeros(0, np.int64)
    if both.size == 0:
        return pl.DataFrame(schema={
            "stock_code_a": pl.String, "stock_code_b": pl.String, "customers_both": pl.Int64,
            "buyers_a": pl.Int64, "buyers_b": pl.Int64, "share_of_a_buyers": pl.Float64,
            "share_of_b_buyers": pl.Float64, "affinity": pl.Float64, "lift": pl.Float64})
    buyers = matrix.buyers
    swap = buyers[second] > buyers[first]
    a, b = np.where(swap, second, first), np.where(swap, first, second)
    customers = bought.shape[0]
    return (
        pl.DataFrame({
            "stock_code_a": matrix.products.gather(a),
            "stock_code_b": matrix.products.gather(b),
            "customers_both": both.astype(np.int64),
            "buyers_a": buyers[a].astype(np.int64),
            "buyers_b": buyers[b].astype(np.int64),
        })
        .with_columns(
            (pl.col("customers_both") / pl.col("buyers_a")).alias("share_of_a_buyers"),
            (pl.col("customers_both") / pl.col("buyers_b")).alias("share_of_b_buyers"),
            (pl.col("customers_both") / (pl.col("buyers_a") * pl.col("buyers_b")).sqrt())
            .alias("affinity"),
            (pl.col("customers_both") * customers / (pl.col("buyers_a") * pl.col("buyers_b")))
            .alias("lift"),
        )
        .filter(pl.col("lift") >= min_lift)
        .sort(["affinity", "customers_both", "stock_code_a", "stock_code_b"],
              descending=[True, True, False, False])
        .pipe(first_pair_of_each_product, top)
    )


def first_pair_of_each_product(pairs: pl.DataFrame, top: int) -> pl.DataFrame:
    """The first `top` pairs, in order, whose products are in no earlier kept pair."""
    used: set[str] = set()
    kept: list[int] = []
    for index, (a, b) in enumerate(zip(pairs["stock_code_a"], pairs["stock_code_b"],
                                       strict=True)):
        if a in used or b in used:
            continue
        used.update((a, b))
        kept.append(index)
        if len(kept) == top:
            break
    return pairs[kept]


def offers_by_segment(suggestions: pl.DataFrame, segments: pl.DataFrame, within_rank: int,
                      top: int) -> pl.DataFrame:
    """Per segment, the `top` products most often among its customers' first `within_rank`
    suggestions: segment, stock_code, customers_offered (customers with it in their first
    `within_rank`), segment_customers (customers of the segment with suggestions), rank."""
    offered = suggestions.filter(pl.col("rank") <= within_rank).join(
        segments.select("customer_id", "segment"), on="customer_id")
    sizes = offered.group_by("segment").agg(
        pl.col("customer_id").n_unique().cast(pl.Int64).alias("segment_customers"))
    return (
        offered.group_by("segment", "stock_code")
        .agg(pl.len().cast(pl.Int64).alias("customers_offered"))
        .sort(["segment", "customers_offered", "stock_code"], descending=[False, True, False])
        .group_by("segment", maintain_order=True).head(top)
        .join(sizes, on="segment")
        .with_columns((pl.int_range(pl.len()).over("segment") + 1).cast(pl.Int64).alias("rank"))
    )
